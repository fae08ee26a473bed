from django.urls import path

import referrals.urls  # noqa: F401  registers the case_ref converter used below
from meetings import case_views, pdf_views, views

urlpatterns = [
    path("", views.meeting_list, name="meeting-list"),
    path("new/", views.meeting_new, name="meeting-new"),
    path("actions/", case_views.action_tracker, name="action-tracker"),
    path("actions/<int:pk>/", case_views.action_update, name="action-update"),
    path("<int:pk>/", views.meeting_detail, name="meeting-detail"),
    path("<int:pk>/invitations/", views.meeting_invitations, name="meeting-invitations"),
    path("<int:pk>/agenda/build/", views.agenda_build, name="agenda-build"),
    path("<int:pk>/agenda/add/", views.agenda_add, name="agenda-add"),
    path("<int:pk>/agenda/<int:item>/remove/", views.agenda_remove, name="agenda-remove"),
    path("<int:pk>/agenda/<int:item>/move/", views.agenda_move, name="agenda-move"),
    path("<int:pk>/agenda/issue/", views.agenda_issue, name="agenda-issue"),
    path("<int:pk>/confidentiality/", views.confidentiality, name="meeting-confidentiality"),
    path("<int:pk>/register/", views.register, name="meeting-register"),
    path("<int:pk>/advance/", views.meeting_advance, name="meeting-advance"),
    path("<int:pk>/minutes/issue/", views.minutes_issue, name="minutes-issue"),
    path("<int:pk>/documents/<slug:kind>.pdf", pdf_views.meeting_pdf, name="meeting-pdf"),
    path("<int:pk>/documents/retry/", views.packs_retry, name="meeting-packs-retry"),
    path("<int:pk>/cases/<case_ref:reference>/", case_views.case_at_meeting_detail, name="meeting-case"),
    path("<int:pk>/cases/<case_ref:reference>/research/", case_views.research, name="meeting-research"),
    path("<int:pk>/cases/<case_ref:reference>/minutes/", case_views.minutes, name="meeting-minutes"),
    path("<int:pk>/cases/<case_ref:reference>/actions/new/", case_views.action_new, name="meeting-action-new"),
    path("<int:pk>/cases/<case_ref:reference>/addendum/", case_views.addendum_new, name="meeting-addendum"),
]
