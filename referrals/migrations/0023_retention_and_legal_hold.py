"""Retention with legal hold (issue 18, DESIGN 2.6): legal holds on cases (the reason typed, so
encrypted under the case's key; kind and lifting reason are codes) and erasure requests, the ask
by one coordinator that a different coordinator or chair confirms before a case due for erasure
is crypto-shredded. Two new tables; nothing existing changes."""

import uuid

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

import marac.security.fields


class Migration(migrations.Migration):
    dependencies = [
        ("referrals", "0022_children_and_encompass"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ErasureRequest",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "reason",
                    models.CharField(
                        choices=[("retention_ended", "The area's retention period has passed since the case closed")],
                        default="retention_ended",
                        max_length=20,
                    ),
                ),
                ("asked_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("pending", "Waiting for a second person"),
                            ("confirmed", "Confirmed: the case is erased"),
                            ("withdrawn", "Withdrawn"),
                            ("lapsed", "Closed: the case was no longer due for erasure"),
                        ],
                        default="pending",
                        max_length=10,
                    ),
                ),
                ("decided_at", models.DateTimeField(blank=True, null=True)),
                ("area", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to="marac.maracarea")),
                ("asked_by", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL)),
                (
                    "case",
                    models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="erasure_requests", to="referrals.case"),
                ),
                (
                    "decided_by",
                    models.ForeignKey(
                        blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
            ],
            options={
                "ordering": ["asked_at", "pk"],
                "indexes": [models.Index(fields=["area", "status"], name="erasure_request_area_status")],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("status", "pending")), fields=("case",), name="one_pending_erasure_per_case"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="LegalHold",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("uuid", models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ("row_version", models.PositiveIntegerField(default=0, editable=False)),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("homicide_review", "Domestic homicide review"),
                            ("litigation", "Litigation"),
                            ("subject_access", "Subject access request"),
                        ],
                        max_length=20,
                    ),
                ),
                (
                    "reason",
                    marac.security.fields.EncryptedTextField(help_text="Why the hold is placed: the review, claim or request it is for."),
                ),
                ("placed_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("lifted_at", models.DateTimeField(blank=True, null=True)),
                (
                    "lift_reason",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("concluded", "The review, litigation or request has concluded"),
                            ("placed_in_error", "The hold was placed in error"),
                        ],
                        max_length=20,
                    ),
                ),
                ("case", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="legal_holds", to="referrals.case")),
                (
                    "lifted_by",
                    models.ForeignKey(
                        blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
                (
                    "placed_by",
                    models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL),
                ),
            ],
            options={
                "ordering": ["placed_at", "pk"],
                "indexes": [models.Index(fields=["case", "lifted_at"], name="legal_hold_case_in_force")],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("lift_reason", ""), ("lifted_at", None)),
                            models.Q(models.Q(("lifted_at", None), _negated=True), models.Q(("lift_reason", ""), _negated=True)),
                            _connector="OR",
                        ),
                        name="legal_hold_lifted_with_a_reason",
                    )
                ],
            },
        ),
    ]
