from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig


class MaracConfig(AppConfig):
    name = "marac"
    verbose_name = "MARAC organisation"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from marac import checks  # noqa: F401  # registers the deployment checks
        from marac.middleware import session_begin

        # Framework glue: every sign-in path (the sign-in page, tests' force_login) stamps the
        # session so the idle and absolute limits and membership checks apply to it.
        user_logged_in.connect(
            lambda sender, request, user, **kwargs: session_begin(request, user),
            dispatch_uid="marac_session_begin",
            weak=False,
        )

        from simple_history.signals import pre_create_historical_record

        from marac.security.fields import copy_ciphertext_to_history

        # Framework glue: history rows take the live row's ciphertext exactly as stored, so
        # history never holds plaintext and nothing is decrypted to write it.
        pre_create_historical_record.connect(copy_ciphertext_to_history, dispatch_uid="marac_history_ciphertext")
        pre_create_historical_record.connect(_history_client_address, dispatch_uid="marac_history_client_ip")

        from django.db.models.signals import post_delete

        from marac.security.row_versions import encrypted_models, row_deleted

        # Framework glue: a record holding victim data removed through Django leaves a chain
        # entry, so verify_rows does not name it missing (ADR 0023). Per model, never for every
        # model: a receiver with no sender would stop Django's fast deletes everywhere.
        for model in encrypted_models():
            post_delete.connect(row_deleted, sender=model, dispatch_uid=f"marac_row_deleted_{model._meta.label_lower}")

        from axes.signals import user_locked_out

        import audit

        # Framework glue: a lockout by django-axes goes into the same access log as everything else.
        user_locked_out.connect(
            lambda sender, request, **kwargs: audit.record(event="locked_out", request=request, outcome="denied"),
            dispatch_uid="marac_audit_lockout",
            weak=False,
        )


class MaracAdminConfig(AdminConfig):
    default_site = "marac.admin_site.MaracAdminSite"


def _history_client_address(sender, history_instance, **kwargs) -> None:
    """Framework glue: case history rows record the client address of the request that made them."""
    from simple_history.models import HistoricalRecords

    from marac.client_ip import client_ip

    request = getattr(HistoricalRecords.context, "request", None)
    if request is not None and hasattr(history_instance, "history_client_ip"):
        history_instance.history_client_ip = client_ip(request)
