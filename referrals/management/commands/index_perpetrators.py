"""Index every perpetrator for links between victims' cases (ADR 0026). Run once after upgrading
to the release that added the perpetrator index; safe to run again (entries are replaced)."""

from django.core.management.base import BaseCommand

from referrals.perpetrator_links import perpetrators_reindex_all


class Command(BaseCommand):
    help = "Index perpetrators' names and dates of birth (blind index) so coordinators see links between cases."

    def handle(self, *args, **options):
        done, failed = perpetrators_reindex_all()
        self.stdout.write(f"Indexed {done} perpetrators.")
        if failed:
            # Named in the access log (perpetrator_index_failed), never here: a reference is enough to look.
            self.stderr.write(f"{failed} perpetrators failed to decrypt and were not indexed: see the access log.")
