"""Render a meeting PDF exactly as one person would download it (same access rules, same
redaction, same recipient line), for support staff checking what someone received. The person
must have access to the meeting; the render is an access event in their name, marked as made by
this command."""

import getpass
import os
import socket

from django.core.management.base import BaseCommand, CommandError

import audit
from marac.models import User
from marac.pdf import PdfRenderError
from marac.viewer import Viewer
from meetings.access import meeting_access_for
from meetings.packs import KINDS, PackNotAvailable, pack_for


class Command(BaseCommand):
    help = "Render a meeting's agenda, pack, minutes or action extract as USERNAME would download it."

    def add_arguments(self, parser):
        parser.add_argument("--meeting", type=int, required=True, help="The meeting's number.")
        parser.add_argument("--for", dest="username", required=True, help="The person the PDF is prepared for.")
        parser.add_argument("--kind", choices=sorted(KINDS), required=True)
        parser.add_argument("-o", "--output", required=True, help="Where to write the PDF.")

    def handle(self, *args, meeting: int, username: str, kind: str, output: str, **options):
        user = User.objects.filter(username=username, is_active=True).first()
        access = meeting_access_for(Viewer.of(user), meeting) if user else None
        if access is None:
            raise CommandError(f"{username} has no access to meeting {meeting} (or no such active user or meeting).")
        try:
            pack = pack_for(access, kind)
            pdf = pack.pdf()
        except PackNotAvailable:
            raise CommandError(f"{username} may not have the {KINDS[kind]} of meeting {meeting} (yet).") from None
        except PdfRenderError as error:
            raise CommandError(str(error)) from None
        _write_private(output, pdf)
        # The reads are the recipient's view but not their doing: a distinct event, naming who ran it.
        operator = f"render_pack by {getpass.getuser()} on {socket.gethostname()}"[:150]
        audit.record(event="pdf_rendered_by_command", user=user, purpose=f"{kind} of meeting {meeting}; {operator}")
        for reference, fields in pack.reads.items():
            audit.record(
                event="case_read_by_command",
                user=user,
                case_reference=reference,
                fields=fields,
                purpose=f"pdf {kind} of meeting {meeting}; {operator}",
            )
        self.stdout.write(f"Wrote {len(pdf)} bytes to {output}: the {KINDS[kind]} of meeting {meeting} as prepared for {username}.")


def _write_private(path: str, data: bytes) -> None:
    """Readable by the operator only: the file holds victim data in plain."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)
    os.chmod(path, 0o600)  # an existing file keeps its mode through O_CREAT
