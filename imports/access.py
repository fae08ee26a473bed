"""Who may import cases: a coordinator of the area, on the web or named by the command (ADR 0029).
Everyone else is refused through marac.refusals, so each refusal is one denied access event."""

from uuid import UUID

from django.core.management.base import CommandError
from django.utils import timezone

import audit
from imports.models import PendingImport
from marac.models import MaracArea, Role, User
from marac.refusals import refuse
from marac.viewer import Viewer, ViewerRequest

IMPORTER_ROLES = (Role.COORDINATOR,)


def importing_areas(viewer: Viewer) -> list[MaracArea]:
    """The areas the person may import into, by name."""
    return viewer.area_records_for(*IMPORTER_ROLES)


def refuse_unless_importer(request: ViewerRequest, *, purpose: str) -> list[MaracArea]:
    """The person's areas, or a logged 403 for anyone who coordinates none."""
    areas = importing_areas(request.viewer)
    if not areas:
        refuse(request, status=403, event="case_import_denied", purpose=purpose)
    return areas


def area_for_import(request: ViewerRequest, area_id: int, *, purpose: str) -> MaracArea:
    """An area the person coordinates; a tampered choice of another is a logged 403."""
    for area in importing_areas(request.viewer):
        if area.pk == area_id:
            return area
    refuse(request, status=403, event="case_import_denied", purpose=f"{purpose} into area {area_id}")


def pending_get_for_user(request: ViewerRequest, pending_uuid: UUID, *, purpose: str) -> PendingImport:
    """The person's own checked file, unexpired, for an area they still coordinate; anything else
    (another person's, an expired one, a guessed id) is a logged 404."""
    areas = {area.pk for area in importing_areas(request.viewer)}
    pending = (
        PendingImport.objects.select_related("area")
        .filter(uuid=pending_uuid, uploaded_by=request.viewer.user, area_id__in=areas, expires_at__gt=timezone.now())
        .first()
    )
    if pending is None:
        refuse(request, status=404, event="case_import_denied", purpose=f"{purpose} {pending_uuid}")
    return pending


def command_importer(*, username: str, area_code: str) -> tuple[User, MaracArea]:
    """The command's importer: an active coordinator of the area. A refusal is logged like the
    web's (naming the user when they exist), then the command stops."""
    user = User.objects.filter(username=username, is_active=True).first()
    area = MaracArea.objects.filter(short_code=area_code).first()
    if user is not None and area is not None and area.pk in Viewer.of(user).areas_for(*IMPORTER_ROLES):
        return user, area
    audit.record(event="case_import_denied", user=user, purpose=f"import_cases command into area {area_code[:12]}", outcome="denied")
    raise CommandError(
        f"{username} is not an active coordinator of an area with the code {area_code}: only the area's coordinators may import"
    )
