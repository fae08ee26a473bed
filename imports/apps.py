from django.apps import AppConfig


class ImportsConfig(AppConfig):
    """The case importer: spreadsheets checked row by row, then written in bulk, encrypted."""

    name = "imports"
    verbose_name = "Case import"

    def ready(self) -> None:
        # The link to the upload page on the coordinator's home work list (marac.worklist).
        from imports import worklist

        worklist.register()
