"""What an auditor may look into: the access log of the areas they audit, a case of those areas
(its reference and area only: auditors never read victims' data), and a person who works there.
Anything else is refused through marac.refusals, so probing the workspace leaves a trace."""

from django.db.models import QuerySet

from audit.models import AccessEvent
from audit.workspace import selectors
from marac.models import Membership, Role, User
from marac.refusals import refuse
from marac.viewer import ViewerRequest
from referrals.models import Case


def audit_scope(request: ViewerRequest) -> tuple[set[int], QuerySet[AccessEvent]]:
    """The areas the person audits and the events about them, or 403 (logged)."""
    areas = request.viewer.areas_for(Role.AUDITOR)
    if not areas:
        refuse(request, status=403, event="audit_access_denied", purpose="audit workspace")
    return areas, selectors.events_in_scope(areas)


def audited_case_get(request: ViewerRequest, areas: set[int], reference: str) -> Case:
    case = Case.objects.filter(reference=reference, area_id__in=areas).select_related("area").first()
    if case is None:
        refuse(request, status=404, event="audit_case_denied", purpose="who accessed this record", case_reference=reference)
    return case


def audited_person_get(request: ViewerRequest, areas: set[int], username: str) -> User:
    person = User.objects.filter(username=username, pk__in=Membership.objects.filter(area_id__in=areas).values("user_id")).first()
    if person is None:
        # Not the username asked for: it may be a name someone typed.
        refuse(request, status=404, event="audit_person_denied", purpose="one person's activity")
    return person
