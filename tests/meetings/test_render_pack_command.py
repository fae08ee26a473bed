"""render_pack, the command that writes a meeting PDF as a named person would download it: the file
it writes is readable by its owner only, and the access log says the command read the cases."""

import os

from django.core.management import call_command

from audit.models import AccessEvent


def test_render_pack_writes_a_private_file_and_says_the_reads_were_its_own(rep_accepted, tmp_path, case_a):
    out = tmp_path / "pack.pdf"
    out.write_bytes(b"old")
    os.chmod(out, 0o644)
    call_command("render_pack", meeting=rep_accepted.pk, username="agency_rep", kind="agenda", output=str(out))
    assert out.stat().st_mode & 0o777 == 0o600
    event = AccessEvent.objects.get(event="case_read_by_command", case_reference=case_a.reference)
    assert "render_pack by" in event.purpose and not AccessEvent.objects.filter(event="case_read", purpose__contains="render_pack")
