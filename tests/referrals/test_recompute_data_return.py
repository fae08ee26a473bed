"""recompute_data_return fills in the derived plain columns the data return counts (repeat flags,
age bands) for records made before they existed."""

from datetime import date
from io import StringIO

from django.core.management import call_command

from referrals import services
from referrals.models import Referral, Victim
from tests.referrals.test_repeats import refer


def test_recompute_fills_in_flags_and_age_bands_for_records_made_before_they_existed(case_a, referrer, idva):
    refer(case_a, referrer, idva, date(2026, 1, 10))
    services.incident_record(
        case=case_a, occurred_on=date(2026, 2, 1), kind="threats", police_callout=False, agency=idva, by=referrer, today=date(2026, 2, 1)
    )
    later = refer(case_a, referrer, idva, date(2026, 3, 1))
    Referral.objects.filter(pk=later.pk).update(repeat_current=False, repeat_ni32=False)
    Victim.objects.filter(case=case_a).update(age_band="not_known")
    out = StringIO()
    call_command("recompute_data_return", stdout=out)
    later.refresh_from_db()
    assert later.repeat_current and later.repeat_ni32
    assert Victim.objects.get(case=case_a).age_band == "18_plus"
    assert "Changed 1 referrals' repeat flags and 1 victims' age bands." in out.getvalue()
