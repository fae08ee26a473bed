from django.urls import path, register_converter

from referrals import views


class CaseReference:
    """NWL-2026-0001 and the like. Anything else is not a case reference: a 404 from the URL
    resolver, before any query (a NUL byte or 5,000 characters never reach the database)."""

    regex = "[A-Z0-9-]{1,30}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(CaseReference, "case_ref")

urlpatterns = [
    path("", views.case_list, name="case-list"),
    path("<case_ref:reference>/", views.case_detail, name="case-detail"),
    path("<case_ref:reference>/victim/", views.victim_edit, name="victim-edit"),
]
