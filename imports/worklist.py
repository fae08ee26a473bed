"""The coordinator's way in to the importer, on their home page's work list (marac.worklist)."""

from django.urls import reverse

from marac import worklist
from marac.models import Role
from marac.viewer import Viewer
from marac.worklist import WorkItem


def import_link(viewer: Viewer) -> list[WorkItem]:
    # A fact, not a count (None): always shown, so a coordinator bringing in an old spreadsheet finds it.
    return [
        WorkItem(
            "Import cases from a spreadsheet", None, reverse("imports:cases-import"), "CSV or Excel: checked before anything is imported"
        )
    ]


def register() -> None:
    worklist.register(Role.COORDINATOR, import_link)
