import sys
import time

from django.core.management.base import BaseCommand

from audit.chain import verify
from audit.models import AccessEvent


class Command(BaseCommand):
    help = "Check the access log's hash chain. Exits 0 if intact, 1 naming the first broken event."

    def add_arguments(self, parser):
        parser.add_argument(
            "--digest",
            metavar="SEQUENCE:HASH",
            help="a digest kept elsewhere (export_audit_digest): also proves no events were cut off the end",
        )

    def handle(self, *args, digest=None, **options):
        started = time.perf_counter()
        verdict = verify()
        seconds = time.perf_counter() - started
        if not verdict.intact:
            self.stderr.write(f"BROKEN at event {verdict.broken_at}: {verdict.reason}. {verdict.count} events before it verified.")
            sys.exit(1)
        if digest and not self.digest_matches(digest):
            sys.exit(1)
        self.stdout.write(f"Intact: {verdict.count} events verified in {seconds:.2f} s. Head {verdict.head_hash}")

    def digest_matches(self, digest: str) -> bool:
        sequence, _, expected = digest.partition(":")
        try:
            stored = AccessEvent.objects.filter(sequence=int(sequence)).values_list("hash", flat=True).first()
        except ValueError:
            self.stderr.write("The digest must look like SEQUENCE:HASH, as export_audit_digest prints it.")
            return False
        if stored != expected:
            self.stderr.write(f"BROKEN: event {sequence} is missing or differs from the digest kept outside the system.")
            return False
        return True
