import sys

from django.core.management.base import BaseCommand

from audit.rows import Kind
from marac.security.row_versions import rows_record_baseline, rows_verify_recorded


class Command(BaseCommand):
    help = (
        "Compare every record holding victim data with the audit chain's latest entry for it (ADR 0023). "
        "Exits 1 naming each row put back, changed outside the service or missing; rows the chain never "
        "recorded are counted, not failed."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--record-baseline",
            action="store_true",
            help="first record, as they stand, the rows the chain has never recorded (once, after upgrading; logged)",
        )

    def handle(self, *args, record_baseline=False, **options):
        if record_baseline:
            recorded = rows_record_baseline()
            self.stdout.write(f"Recorded {recorded} rows the chain had not recorded, as they stand.")
        report = rows_verify_recorded()
        for finding in report.findings:
            versions = f"version {finding.live_version}, the chain has {finding.chain_version}"
            case = report.reference_of(finding) or "no case"
            self.stderr.write(f"{finding.kind.upper()}: {finding.model} {finding.id} ({case}): {versions}")
        if report.failed > len(report.findings):
            self.stderr.write(f"... and {report.failed - len(report.findings)} more.")
        unrecorded = report.counts[Kind.NOT_RECORDED]
        if unrecorded:
            self.stdout.write(f"{unrecorded} rows not yet recorded in the chain (run with --record-baseline once).")
        self.stdout.write(f"{report.summary()}, in {report.seconds:.2f} s.")
        if report.failed:
            sys.exit(1)
