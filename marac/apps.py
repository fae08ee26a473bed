from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig


class MaracConfig(AppConfig):
    name = "marac"
    verbose_name = "MARAC organisation"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from marac.middleware import session_begin

        # Framework glue: every sign-in path (the sign-in page, tests' force_login) stamps the
        # session so the idle and absolute limits and membership checks apply to it.
        user_logged_in.connect(
            lambda sender, request, user, **kwargs: session_begin(request, user),
            dispatch_uid="marac_session_begin",
            weak=False,
        )


class MaracAdminConfig(AdminConfig):
    default_site = "marac.admin_site.MaracAdminSite"
