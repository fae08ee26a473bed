"""An upload handler for cases files: the whole file in memory, never in a temporary file on disk
(the file is never stored, not even for the length of a request), and refused once it passes the
importer's limit, whatever Django's FILE_UPLOAD_MAX_MEMORY_SIZE says (ADR 0029)."""

from django.core.files.uploadhandler import MemoryFileUploadHandler, SkipFile

from imports.reading import MAX_BYTES


class LimitedMemoryUploadHandler(MemoryFileUploadHandler):
    """Keeps an upload of up to MAX_BYTES in memory; skips a larger one and says so."""

    too_large = False

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        # Always in memory: Django's own handler would spill a large file to a temporary file.
        self.activated = True
        self.too_large = content_length > MAX_BYTES + 64 * 1024  # the form's other fields and the multipart framing

    def new_file(self, *args, **kwargs):
        if self.too_large:
            raise SkipFile
        self.received = 0
        super().new_file(*args, **kwargs)

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > MAX_BYTES:
            self.too_large = True
            self.file.close()
            raise SkipFile
        return super().receive_data_chunk(raw_data, start)
