from django.contrib import admin
from django.urls import include, path

from marac import help_views, notification_views, signin_views, views
from referrals.urls import referral_urlpatterns

# A refusal that says what to do next (accept a confidentiality statement) shows it on the 403 page.
handler403 = "marac.refusals.forbidden_page"

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
    path("account/email-notifications/", notification_views.email_preferences, name="email-preferences"),
    path("notifications/", notification_views.notification_list, name="notifications"),
    path("notifications/read/", notification_views.notification_mark_all_read, name="notifications-mark-all-read"),
    path("notifications/<int:pk>/read/", notification_views.notification_mark_read, name="notification-mark-read"),
    path("accessibility/", views.accessibility, name="accessibility"),
    path("help/", include(help_views.help_urlpatterns)),
    path("healthz", views.healthz, name="healthz"),
    path("cases/", include("referrals.urls")),
    path("referrals/", include(referral_urlpatterns)),
    path("meetings/", include("meetings.urls")),
    path("reports/", include("reports.urls")),
    path("audit/", include("audit.workspace.urls")),
    path("imports/", include("imports.urls")),
    path("api/v1/", include("api.urls")),
    path("admin/", admin.site.urls),
]
