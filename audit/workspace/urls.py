from django.urls import path, register_converter
from django.urls.converters import StringConverter

import referrals.urls  # noqa: F401  registers the case_ref converter
from audit.workspace import row_views, views


class Username(StringConverter):
    """What Django allows in a username. Anything else (a NUL byte, say, which PostgreSQL refuses
    in a query) is a 404 from the resolver, before any query."""

    regex = r"[\w.@+-]{1,150}"


register_converter(Username, "username")

urlpatterns = [
    path("", views.audit_search, name="audit-search"),
    path("export.csv", views.audit_export, name="audit-export"),
    path("cases/<case_ref:reference>/", views.audit_case, name="audit-case"),
    path("people/<username:username>/", views.audit_person, name="audit-person"),
    path("anomalies/", views.audit_anomalies, name="audit-anomalies"),
    path("chain/", views.audit_chain, name="audit-chain"),
    path("chain/rows/", row_views.audit_rows_verify, name="audit-rows"),
]
