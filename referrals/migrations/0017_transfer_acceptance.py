"""Transfers the receiving area accepts (issue 17, ADR 0019): an offer waits for the receiving
coordinator. Every transfer made before this moved the case at once, so each becomes accepted,
decided by whoever made it, when they made it."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def earlier_transfers_accepted(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # Rows are updated and then the table indexed in one transaction: checked now, not at
        # commit, so PostgreSQL has no pending trigger events when the index is made.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    CaseTransfer = apps.get_model("referrals", "CaseTransfer")
    for transfer in CaseTransfer.objects.filter(status="offered").select_related("case").iterator():
        transfer.status = "accepted"
        transfer.decided_by_id = transfer.transferred_by_id
        transfer.decided_at = transfer.transferred_at
        # Earlier transfers kept the case's agency: it held the case before and after.
        transfer.from_agency_id = transfer.to_agency_id = transfer.case.referring_agency_id
        transfer.save(update_fields=["status", "decided_by", "decided_at", "from_agency", "to_agency"])


class Migration(migrations.Migration):
    dependencies = [
        ("referrals", "0016_case_teams"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="casetransfer",
            name="decided_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="casetransfer",
            name="decided_by",
            field=models.ForeignKey(
                blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
            ),
        ),
        migrations.AddField(
            model_name="casetransfer",
            name="decline_reason",
            field=models.CharField(
                blank=True,
                choices=[
                    ("not_in_area", "The victim does not live in this area"),
                    ("known_here", "The victim is already a case in this area"),
                    ("other", "Another reason: the coordinators will talk"),
                ],
                max_length=20,
            ),
        ),
        migrations.AddField(
            model_name="casetransfer",
            name="status",
            field=models.CharField(
                choices=[("offered", "Offered"), ("accepted", "Accepted"), ("declined", "Declined"), ("withdrawn", "Withdrawn")],
                default="offered",
                max_length=10,
            ),
        ),
        migrations.AddField(
            model_name="casetransfer",
            name="from_agency",
            field=models.ForeignKey(
                blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="marac.agency"
            ),
        ),
        migrations.AddField(
            model_name="casetransfer",
            name="to_agency",
            field=models.ForeignKey(
                blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="marac.agency"
            ),
        ),
        migrations.RunPython(earlier_transfers_accepted, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="casetransfer",
            index=models.Index(fields=["to_area", "status"], name="transfer_offers_to_area"),
        ),
        migrations.AddConstraint(
            model_name="casetransfer",
            constraint=models.UniqueConstraint(condition=models.Q(("status", "offered")), fields=("case",), name="one_open_transfer_offer"),
        ),
    ]
