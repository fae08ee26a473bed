"""Emergency access (issue 17 item 1, ADR 0020): every ask is kept, asks for cases in another area
wait for that area's coordinator or chair, and an approver may extend a grant to the contact
fields. Grants made before keep no ask (request is null) and are not extended; those
still running are tied to a membership, as every grant now is (review finding: a grant lasts only
while the membership it was asked under is active)."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

# The roles that may ask (referrals.access.BREAK_GLASS_ROLES), as they were when this ran.
ROLES_THAT_MAY_ASK = ("referrer", "coordinator", "chair", "agency_rep", "team_lead")


def tie_running_grants_to_a_membership(apps, schema_editor):
    """A grant is now honoured only while the membership it was asked under is active. Grants
    running as this is applied had none recorded: each is tied to the holder's active membership
    in the case's area that may ask (what made it self-service), else their first elsewhere. A
    grant whose holder has neither was not honoured before either: it stays untied, never honoured."""
    Grant, Membership = apps.get_model("referrals", "BreakGlassGrant"), apps.get_model("marac", "Membership")
    running = Grant.objects.filter(ended_at=None, expires_at__gt=django.utils.timezone.now(), membership=None).select_related("case")
    for grant in running:
        may_ask = Membership.objects.filter(user_id=grant.user_id, is_active=True, role__in=ROLES_THAT_MAY_ASK)
        in_case_area = may_ask.filter(area_id=grant.case.area_id).order_by("pk").first()
        grant.membership = in_case_area or may_ask.order_by("area__name", "agency__name", "role", "pk").first()
        grant.save(update_fields=["membership"])


class Migration(migrations.Migration):
    dependencies = [
        ("marac", "0001_initial"),
        ("referrals", "0014_referral_conversation_and_case_closing"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="breakglassgrant",
            name="extended",
            field=models.BooleanField(default=False),
        ),
        migrations.CreateModel(
            name="EmergencyAccessRequest",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("reference", models.CharField(blank=True, max_length=30)),
                (
                    "reason",
                    models.CharField(
                        choices=[
                            ("emergency", "An emergency: someone may be at immediate risk"),
                            ("out_of_hours", "Out-of-hours response and the case owners cannot be reached"),
                            ("covering", "Covering for an absent colleague who works on the case"),
                        ],
                        max_length=20,
                    ),
                ),
                (
                    "route",
                    models.CharField(
                        choices=[
                            ("own_area", "In your own area: opened at once"),
                            ("approval", "In another area: the area's coordinator or chair decides"),
                        ],
                        max_length=10,
                    ),
                ),
                ("requested_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("pending", "Waiting for a decision"),
                            ("approved", "Approved"),
                            ("refused", "Refused"),
                            ("withdrawn", "Withdrawn"),
                            ("lapsed", "Not decided within a day"),
                        ],
                        default="pending",
                        max_length=10,
                    ),
                ),
                (
                    "refusal",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("no_such_case", "No open case has that reference"),
                            ("already_related", "You already have access to this case through your role"),
                            ("wrong_role", "Your role may not ask for emergency access"),
                        ],
                        max_length=20,
                    ),
                ),
                ("decided_at", models.DateTimeField(blank=True, null=True)),
                ("extended", models.BooleanField(default=False)),
                (
                    "extension_reason",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("visit_now", "Someone must go to where the victim lives now"),
                            ("call_now", "Someone must phone the victim now"),
                            ("welfare_check", "The police need the address for a welfare check"),
                        ],
                        max_length=20,
                    ),
                ),
                (
                    "case",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="emergency_requests",
                        to="referrals.case",
                    ),
                ),
                (
                    "decided_by",
                    models.ForeignKey(
                        blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
                (
                    "requester",
                    models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL),
                ),
                (
                    "requester_membership",
                    models.ForeignKey(
                        blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="marac.membership"
                    ),
                ),
                (
                    "requester_agency",
                    models.ForeignKey(
                        blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="marac.agency"
                    ),
                ),
                (
                    "requester_area",
                    models.ForeignKey(
                        blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="marac.maracarea"
                    ),
                ),
            ],
        ),
        migrations.AddField(
            model_name="breakglassgrant",
            name="request",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="grant",
                to="referrals.emergencyaccessrequest",
            ),
        ),
        migrations.AddField(
            model_name="breakglassgrant",
            name="membership",
            field=models.ForeignKey(
                blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="marac.membership"
            ),
        ),
        migrations.AddIndex(
            model_name="emergencyaccessrequest",
            index=models.Index(fields=["requester", "requested_at"], name="emergency_by_requester"),
        ),
        migrations.AddIndex(
            model_name="emergencyaccessrequest",
            index=models.Index(fields=["status", "requested_at"], name="emergency_by_status"),
        ),
        migrations.AddConstraint(
            model_name="emergencyaccessrequest",
            constraint=models.CheckConstraint(
                condition=models.Q(("extended", False), models.Q(("extension_reason", ""), _negated=True), _connector="OR"),
                name="emergency_extension_has_a_reason",
            ),
        ),
        # Last, after every ALTER TABLE: PostgreSQL refuses to alter a table with pending trigger events.
        migrations.RunPython(tie_running_grants_to_a_membership, migrations.RunPython.noop),
    ]
