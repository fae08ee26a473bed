"""Nothing typed about a case, or about where its meeting is held, stays in a plain column
(docs/adr/0021):

- an action's owner (a person's name) is encrypted under the case's data key, like its description;
- a meeting's venue (which can identify a refuge) and its observers' names are encrypted under a
  data key of the meeting's own, which each meeting now gets, bound to a new logical id (`uuid`).

Live rows and every history row are encrypted, each history row at its own version, so history
still reads and keeps no plain copy. An erased case's actions keep nothing. One way: going back
leaves these columns blank rather than decrypting them into plain ones."""

import uuid

import django.db.models.deletion
from django.db import migrations, models

import marac.security.fields
from marac.security.backfill import sealed_text
from marac.security.datakeys import data_key_new
from marac.security.fields import Ciphertext


def encrypt_owners_venues_and_observers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # Rows are updated and then the tables altered in one transaction: checked now, not at
        # commit, so PostgreSQL has no pending trigger events when the old columns are dropped.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    _encrypt_owners(apps)
    _give_meetings_keys_and_encrypt(apps)


def _encrypt_owners(apps):
    Action = apps.get_model("meetings", "Action")
    HistoricalAction = apps.get_model("meetings", "HistoricalAction")
    keys = {}
    for action in Action.objects.select_related("case__data_key").iterator():
        keys[action.case_id] = action.case.data_key
        Action.objects.filter(pk=action.pk).update(
            owner=_sealed("meetings.action", "owner", action, action.case.data_key, action.owner_plain)
        )
    for row in HistoricalAction.objects.iterator():
        key = keys.get(row.case_id)
        sealed = b"" if key is None else _sealed("meetings.action", "owner", row, key, row.owner_plain)
        HistoricalAction.objects.filter(pk=row.pk).update(owner=sealed)


def _give_meetings_keys_and_encrypt(apps):
    Meeting = apps.get_model("meetings", "Meeting")
    HistoricalMeeting = apps.get_model("meetings", "HistoricalMeeting")
    DataKey = apps.get_model("marac", "DataKey")
    for meeting in Meeting.objects.iterator():
        made = data_key_new(case_uuid=uuid.uuid4())
        key = DataKey.objects.create(uuid=made.uuid, case_uuid=made.case_uuid, kek_id=made.kek_id, wrapped=made.wrapped)
        meeting.uuid = key.case_uuid
        # Each history row becomes one version of the meeting, oldest first; the live row is the latest.
        version = 0
        for row in HistoricalMeeting.objects.filter(id=meeting.pk).order_by("history_date", "history_id"):
            version += 1
            row.uuid, row.row_version = meeting.uuid, version
            HistoricalMeeting.objects.filter(pk=row.pk).update(
                uuid=meeting.uuid,
                row_version=version,
                data_key_id=key.pk,
                venue=_sealed("meetings.meeting", "venue", row, key, row.venue_plain),
                observers=_sealed("meetings.meeting", "observers", row, key, row.observers_plain),
            )
        meeting.row_version = max(version, 1)
        Meeting.objects.filter(pk=meeting.pk).update(
            uuid=meeting.uuid,
            row_version=meeting.row_version,
            data_key_id=key.pk,
            venue=_sealed("meetings.meeting", "venue", meeting, key, meeting.venue_plain),
            observers=_sealed("meetings.meeting", "observers", meeting, key, meeting.observers_plain),
        )
    # History rows of a meeting no longer there (meetings are never deleted): nothing to keep.
    for row in HistoricalMeeting.objects.filter(uuid=None).iterator():
        HistoricalMeeting.objects.filter(pk=row.pk).update(uuid=uuid.uuid4(), venue=b"", observers=b"")


def _sealed(label, field_name, row, data_key, value) -> Ciphertext:
    return Ciphertext(
        sealed_text(label=label, field_name=field_name, row_uuid=row.uuid, row_version=row.row_version, data_key=data_key, value=value)
    )


def owner_field(**extra):
    return marac.security.fields.EncryptedTextField(
        help_text="The person at the agency who will do it (a worker, not the victim).", max_length=120, **extra
    )


def venue_field(**extra):
    return marac.security.fields.EncryptedTextField(
        blank=True, help_text="A room, or leave blank for an online meeting.", max_length=200, **extra
    )


def observers_field(**extra):
    return marac.security.fields.EncryptedTextField(
        blank=True, help_text="Each observer's name and organisation, one a line.", max_length=1000, **extra
    )


class Migration(migrations.Migration):
    dependencies = [("meetings", "0004_meeting_room"), ("marac", "0002_blindindexentry_datakey")]

    operations = [
        # The old plain columns step aside while the encrypted ones are filled from them.
        migrations.RenameField(model_name="action", old_name="owner", new_name="owner_plain"),
        migrations.RenameField(model_name="historicalaction", old_name="owner", new_name="owner_plain"),
        migrations.RenameField(model_name="meeting", old_name="venue", new_name="venue_plain"),
        migrations.RenameField(model_name="historicalmeeting", old_name="venue", new_name="venue_plain"),
        migrations.RenameField(model_name="meeting", old_name="observers", new_name="observers_plain"),
        migrations.RenameField(model_name="historicalmeeting", old_name="observers", new_name="observers_plain"),
        migrations.AddField(model_name="action", name="owner", field=owner_field(default=b""), preserve_default=False),
        migrations.AddField(model_name="historicalaction", name="owner", field=owner_field(default=b""), preserve_default=False),
        migrations.AddField(model_name="meeting", name="venue", field=venue_field(default=b""), preserve_default=False),
        migrations.AddField(model_name="historicalmeeting", name="venue", field=venue_field(default=b""), preserve_default=False),
        migrations.AddField(model_name="meeting", name="observers", field=observers_field(default=b""), preserve_default=False),
        migrations.AddField(model_name="historicalmeeting", name="observers", field=observers_field(default=b""), preserve_default=False),
        # A meeting's own logical id, version and data key, as every encrypted record has.
        migrations.AddField(model_name="meeting", name="uuid", field=models.UUIDField(editable=False, null=True)),
        migrations.AddField(model_name="historicalmeeting", name="uuid", field=models.UUIDField(editable=False, null=True)),
        migrations.AddField(model_name="meeting", name="row_version", field=models.PositiveIntegerField(default=0, editable=False)),
        migrations.AddField(
            model_name="historicalmeeting", name="row_version", field=models.PositiveIntegerField(default=0, editable=False)
        ),
        migrations.AddField(
            model_name="meeting",
            name="data_key",
            field=models.OneToOneField(
                editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="meeting", to="marac.datakey"
            ),
        ),
        migrations.AddField(
            model_name="historicalmeeting",
            name="data_key",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="marac.datakey",
            ),
        ),
        migrations.RunPython(encrypt_owners_venues_and_observers, migrations.RunPython.noop, elidable=False),
        migrations.AlterField(model_name="meeting", name="uuid", field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
        migrations.AlterField(
            model_name="historicalmeeting", name="uuid", field=models.UUIDField(db_index=True, default=uuid.uuid4, editable=False)
        ),
        migrations.AlterField(
            model_name="meeting",
            name="data_key",
            field=models.OneToOneField(
                editable=False, on_delete=django.db.models.deletion.PROTECT, related_name="meeting", to="marac.datakey"
            ),
        ),
        # Blank allowed before the plain owner goes, so that going back can add the column again (empty).
        migrations.AlterField(model_name="action", name="owner_plain", field=models.CharField(blank=True, max_length=120)),
        migrations.AlterField(model_name="historicalaction", name="owner_plain", field=models.CharField(blank=True, max_length=120)),
        migrations.RemoveField(model_name="action", name="owner_plain"),
        migrations.RemoveField(model_name="historicalaction", name="owner_plain"),
        migrations.RemoveField(model_name="meeting", name="venue_plain"),
        migrations.RemoveField(model_name="historicalmeeting", name="venue_plain"),
        migrations.RemoveField(model_name="meeting", name="observers_plain"),
        migrations.RemoveField(model_name="historicalmeeting", name="observers_plain"),
    ]
