from django.apps import AppConfig


class AuditWorkspaceConfig(AppConfig):
    """The auditor's pages, a layer above meetings (docs/architecture.md). An app of its own only
    so that it can register its home-page items from ready(): the log's core (audit.apps) may
    import nothing from the project, so it cannot do it."""

    name = "audit.workspace"
    label = "audit_workspace"
    verbose_name = "Audit workspace"

    def ready(self) -> None:
        # The auditor's items on the home page's work list (marac.worklist).
        from audit.workspace import worklist

        worklist.register()
