"""Attempt records made before the password-change fields were masked may hold a mistyped
current password and a new password in clear (settings.AXES_SENSITIVE_PARAMETERS): blank the
form data of every record kept so far. The counts, usernames and addresses lockout needs stay."""

from django.db import migrations


def forget_form_data(apps, schema_editor):
    apps.get_model("axes", "AccessAttempt").objects.update(post_data="", get_data="")


class Migration(migrations.Migration):
    dependencies = [("marac", "0003_area_nation_for_bank_holidays"), ("axes", "0010_accessattemptexpiration")]
    operations = [migrations.RunPython(forget_form_data, migrations.RunPython.noop)]
