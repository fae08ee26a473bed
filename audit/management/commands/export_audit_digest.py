from django.core.management.base import BaseCommand
from django.utils import timezone

from audit.models import AccessEvent


class Command(BaseCommand):
    help = "Print the access log's head (sequence, hash, time) to keep outside the system."

    def handle(self, *args, **options):
        head = AccessEvent.objects.order_by("-sequence").values_list("sequence", "hash").first() or (0, "0" * 64)
        self.stdout.write(f"{head[0]}:{head[1]}  count={head[0]}  exported_at={timezone.now().isoformat(timespec='seconds')}")
        self.stdout.write(f"Keep this line elsewhere; later run: manage.py verify_audit_chain --digest {head[0]}:{head[1]}")
