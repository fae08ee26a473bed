"""Two threats from SECURITY.md's table: a change without history, and personal data in logs."""

import logging
import time

import pytest
from django.apps import apps
from django.core.management import call_command

from marac.models import User
from marac.reauth import REAUTHENTICATED_AT
from tests.conftest import sign_in_with_both_factors

# Tables without their own history, and why each needs none.
NO_HISTORY = {
    "referrals.casecounter": "a counter for references, no content",
    "referrals.casetransfer": "an offer written once and decided once, with who and when on the row; each an access event",
    "referrals.caseallocation": "written once and ended once, with who and when on the row; never deleted; each an access event",
    "referrals.breakglassgrant": "written once and ended once by the schedule; the grant and its end are access events",
    "referrals.emergencyaccessrequest": "an ask, written once and then decided, withdrawn or lapsed once; each is an access event",
    "meetings.storedpack": "a sealed cache of what the records say, rebuilt when they change; each download is an access event",
    "referrals.caseuserobjectpermission": "grants derived from attendances and agendas, which have history (ADR 0011)",
    "referrals.casegroupobjectpermission": "not used: access never comes through groups",
    "marac.datakey": "key material; rotation and shredding are logged events, and history would keep old wrapped keys",
    "marac.blindindexentry": "derived from the victim record, rebuilt on every change to it",
    "marac.authenticatorapp": "a sealed second-factor key (history would keep old keys); sign-ins and resets are access events",
    "marac.backupcodes": "holds only throttle counters; issuing codes and resets are access events",
    "marac.backupcode": "a sealed single-use code, deleted when used; history would keep used codes",
    "audit.accessevent": "append-only and hash-chained: it never changes",
    "referrals.referralmessage": "a turn of the conversation about a referral, only ever added, never changed",
    "referrals.casestatuschange": "itself a record of a change (a case closed or reopened), written once, never changed",
    "referrals.legalhold": "placed once and lifted once, with who, when and why on the row; each an access event (ADR 0027)",
    "referrals.erasurerequest": "an ask, written once and then confirmed, withdrawn or lapsed once; each an access event (ADR 0027)",
    "marac.notification": "a person's own notice: a fixed sentence and a link, no case data; only when it was read changes",
    "marac.emailoptout": "a person's choice of emails; each change is an access event (email_preferences_changed)",
    "referrals.casealert": "itself a record of a change (a code, who, when), written once, never changed; an access event (ADR 0025)",
    "referrals.casealertseen": "one person's acknowledgement, written once, never changed; an access event (ADR 0025)",
}


def test_every_record_a_person_can_change_keeps_history():
    missing = []
    for label in ("referrals", "meetings", "marac", "audit"):
        for model in apps.get_app_config(label).get_models():
            if model.__name__.startswith("Historical") or model._meta.label_lower in NO_HISTORY:
                continue
            if not hasattr(model, "history"):
                missing.append(model._meta.label_lower)
    assert not missing, f"No history and no reason given in NO_HISTORY: {missing}"


VICTIM_DATA = (
    "Sarah Mitchell",
    "Belvoir Road",
    "07700 900123",
    "07700 900456",
    "Ashby Road",
    "Darren Cole",
    "Mia Cole",
    "Greenhill Primary",
    "he answers it",
)


@pytest.mark.django_db
def test_a_busy_session_writes_no_victim_data_to_any_log(client, caplog, tmp_path):
    """Every log record at every level while people read and change case records, render packs
    and fail at things, checked for the demo victims' names, addresses and phone numbers."""
    caplog.set_level(logging.DEBUG)
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    from meetings.models import Meeting
    from referrals.models import Case

    case = Case.objects.order_by("pk").first()
    past = Meeting.objects.get(status=Meeting.Status.MINUTES_ISSUED)
    for username in ("coordinator", "agency_rep", "chair", "auditor", "referrer"):
        sign_in_with_both_factors(client, User.objects.get(username=username))
        session = client.session
        session[REAUTHENTICATED_AT] = time.time()
        session.save()
        for path in (
            f"/cases/{case.reference}/",
            f"/cases/{case.reference}/history/",
            f"/meetings/{past.pk}/",
            f"/meetings/{past.pk}/cases/{case.reference}/",
            f"/meetings/{past.pk}/documents/pack.pdf",
            f"/cases/{case.reference}/victim/",
            "/meetings/actions/",
            "/referrals/triage/",
            "/reports/NWL/repeats/",
            "/cases/NWL-2099-0001/",
            f"/meetings/{past.pk}/cases/NWL-2099-0001/",
        ):
            client.get(path)
        client.post(f"/cases/{case.reference}/victim/", {"name": "", "row_version": "0"})  # a refused change
    call_command("render_pack", meeting=past.pk, username="coordinator", kind="pack", output=str(tmp_path / "p.pdf"))
    logged = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    assert caplog.records, "nothing was logged at all: the check would prove nothing"
    leaked = [value for value in VICTIM_DATA if value in logged]
    assert not leaked, f"Victim data in the logs: {leaked}"
