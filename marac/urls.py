from django.contrib import admin
from django.urls import include, path, register_converter
from django.urls.converters import StringConverter

from marac import auditor_views, signin_views, views
from referrals.urls import referral_urlpatterns


class Username(StringConverter):
    """What Django allows in a username. Anything else (a NUL byte, say, which PostgreSQL refuses
    in a query) is a 404 from the resolver, before any query."""

    regex = r"[\w.@+-]{1,150}"


register_converter(Username, "username")

urlpatterns = [
    path("", views.home, name="home"),
    path("sign-in/", signin_views.sign_in, name="sign-in"),
    path("sign-in/security-code/", signin_views.two_factor, name="two-factor"),
    path("sign-in/set-up-security-codes/", signin_views.enrol, name="enrol"),
    path("sign-out/", signin_views.sign_out, name="sign-out"),
    path("account/", views.account, name="account"),
    path("account/password/", signin_views.password_change, name="password-change"),
    path("account/backup-codes/", signin_views.backup_codes, name="backup-codes"),
    path("account/confirm/", signin_views.confirm_identity, name="confirm-identity"),
    path("accessibility/", views.accessibility, name="accessibility"),
    path("healthz", views.healthz, name="healthz"),
    path("cases/", include("referrals.urls")),
    path("referrals/", include(referral_urlpatterns)),
    path("meetings/", include("marac.meetings.urls")),
    path("reports/", include("marac.reports.urls")),
    path("audit/", auditor_views.audit_search, name="audit-search"),
    path("audit/export.csv", auditor_views.audit_export, name="audit-export"),
    path("audit/cases/<case_ref:reference>/", auditor_views.audit_case, name="audit-case"),
    path("audit/people/<username:username>/", auditor_views.audit_person, name="audit-person"),
    path("audit/anomalies/", auditor_views.audit_anomalies, name="audit-anomalies"),
    path("audit/chain/", auditor_views.audit_chain, name="audit-chain"),
    path("admin/", admin.site.urls),
]
