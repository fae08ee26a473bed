from django.urls import path, register_converter
from django.urls.converters import StringConverter

from referrals import (
    alert_views,
    checklist_views,
    closing_views,
    conversation_views,
    emergency_views,
    first_contact_views,
    household_views,
    perpetrator_views,
    referral_views,
    retention_views,
    risk_tool_views,
    team_views,
    transfer_views,
    views,
    voice_views,
)


class CaseReference(StringConverter):
    """NWL-2026-0001 and the like. Anything else is not a case reference: a 404 from the URL
    resolver, before any query (a NUL byte or 5,000 characters never reach the database)."""

    regex = "[A-Z0-9-]{1,30}"


register_converter(CaseReference, "case_ref")

urlpatterns = [
    path("", views.case_list, name="case-list"),
    path("search/", views.case_search, name="case-search"),
    path("new-checklist/", checklist_views.checklist_start, name="checklist-start"),
    path("emergency-access/", emergency_views.break_glass, name="break-glass"),
    path("emergency-access/yours/", emergency_views.my_emergency_requests, name="emergency-mine"),
    path("emergency-access/yours/<int:pk>/withdraw/", emergency_views.emergency_request_withdraw, name="emergency-withdraw"),
    path("emergency-access/requests/", emergency_views.emergency_requests, name="emergency-requests"),
    path("emergency-access/requests/<int:pk>/", emergency_views.emergency_request_decide, name="emergency-decide"),
    path("team/", team_views.team_cases, name="team-cases"),
    path("allocations/<int:pk>/", team_views.allocation_open, name="allocation-open"),
    path("transfers/", transfer_views.transfer_offers, name="transfer-offers"),
    path("transfers/<int:pk>/", transfer_views.transfer_decide, name="transfer-decide"),
    path("transfers/<int:pk>/withdraw/", transfer_views.transfer_withdraw, name="transfer-withdraw"),
    path("retention/", retention_views.retention_review, name="retention-review"),
    path("retention/erasure/<int:pk>/", retention_views.erasure_confirm, name="erasure-confirm"),
    path("retention/erasure/<int:pk>/withdraw/", retention_views.erasure_withdraw, name="erasure-withdraw"),
    path("<case_ref:reference>/", views.case_detail, name="case-detail"),
    path("<case_ref:reference>/victim/", views.victim_edit, name="victim-edit"),
    path("<case_ref:reference>/checklists/", checklist_views.checklist_new_for_case, name="checklist-new"),
    path("<case_ref:reference>/checklists/<int:pk>/", checklist_views.checklist_summary, name="checklist-summary"),
    path("<case_ref:reference>/checklists/<int:pk>/step-<int:step>/", checklist_views.checklist_step, name="checklist-step"),
    path("<case_ref:reference>/checklists/<int:pk>/judgement/", checklist_views.checklist_judgement, name="checklist-judgement"),
    path("<case_ref:reference>/checklists/<int:pk>/refer/", checklist_views.checklist_refer, name="checklist-refer"),
    path("<case_ref:reference>/incidents/new/", referral_views.incident_new, name="incident-new"),
    path("<case_ref:reference>/other-risk-tools/new/", risk_tool_views.tool_assessment_new, name="tool-assessment-new"),
    path("<case_ref:reference>/other-risk-tools/<int:pk>/refer/", risk_tool_views.tool_assessment_refer, name="tool-assessment-refer"),
    path("<case_ref:reference>/perpetrators/new/", referral_views.perpetrator_new, name="perpetrator-new"),
    path("<case_ref:reference>/perpetrators/<int:pk>/links/", perpetrator_views.perpetrator_links, name="perpetrator-links"),
    path("<case_ref:reference>/household/new/", referral_views.household_member_new, name="household-new"),
    path("<case_ref:reference>/household/<int:pk>/school/", household_views.encompass_edit, name="household-encompass"),
    path("<case_ref:reference>/transfer/", transfer_views.case_transfer, name="case-transfer"),
    path("<case_ref:reference>/team/", team_views.case_team, name="case-team"),
    path("<case_ref:reference>/team/<int:pk>/end/", team_views.case_team_end, name="case-team-end"),
    path("<case_ref:reference>/history/", views.case_history, name="case-history"),
    path("<case_ref:reference>/alerts/acknowledge/", alert_views.case_alerts_acknowledge, name="case-alerts-acknowledge"),
    path("alerts/<int:pk>/", alert_views.case_alert_open, name="case-alert-open"),
    path("<case_ref:reference>/close/", closing_views.case_close, name="case-close"),
    path("<case_ref:reference>/reopen/", closing_views.case_reopen, name="case-reopen"),
    path("<case_ref:reference>/referrals/<int:pk>/first-contact/", first_contact_views.first_contact, name="first-contact"),
    path("<case_ref:reference>/erasure/", retention_views.erasure_ask, name="erasure-ask"),
    path("<case_ref:reference>/legal-holds/new/", retention_views.hold_new, name="legal-hold-new"),
    path("<case_ref:reference>/legal-holds/<int:pk>/lift/", retention_views.hold_lift, name="legal-hold-lift"),
    path("<case_ref:reference>/chronology.pdf", retention_views.chronology_pdf, name="case-chronology-pdf"),
]

referral_urlpatterns = [
    path("", referral_views.my_referrals, name="my-referrals"),
    path("triage/", referral_views.triage, name="triage"),
    path("<int:pk>/decision/", referral_views.referral_decide, name="referral-decide"),
    path("<int:pk>/", conversation_views.referral_detail, name="referral-detail"),
    path("<int:pk>/reply/", conversation_views.referral_reply, name="referral-reply"),
    path("<int:pk>/resubmit/", conversation_views.referral_resubmit, name="referral-resubmit"),
    path("<int:pk>/withdraw/", conversation_views.referral_withdraw, name="referral-withdraw"),
    path("<int:pk>/voice/", voice_views.referral_voice_edit, name="referral-voice"),
]
