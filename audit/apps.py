from django.apps import AppConfig


class AuditConfig(AppConfig):
    """The hash-chained access log and the auditor's views (DESIGN.md 4.5). Imports nothing
    from the other apps; they write to it through one small API."""

    name = "audit"
