"""Serial perpetrators for the demo (issue 18, item 5; ADR 0026): Darren Cole, Sarah Mitchell's
former partner, is also Emma Walsh's partner under another name (his alias is Darren Cole), both in
North West Leicestershire, and Joanne Price's former partner in Charnwood. Gareth Hughes, the
coordinator, sees on Sarah's case "linked to 2 other cases": Emma's listed, Charnwood's only
counted, with Owen Lewis to contact. Priya Shah, the referrer, sees none of it."""

from datetime import date

from django.utils import timezone

from marac.models import User
from referrals import services
from referrals.models import Case, Perpetrator

BORN = date(1984, 2, 2)  # Darren Cole's, as on Sarah Mitchell's case (seed_demo.PEOPLE_ON_CASES)


def seed_perpetrators(cases: dict[str, Case]) -> None:
    """`cases` by victim name, as create_cases made them (Sarah Mitchell's already names Darren Cole)."""
    today = timezone.localdate()
    services.perpetrator_add(
        case=cases["Emma Walsh"],
        details={
            "name": "Daz Collins",
            "aliases": ["Darren Cole"],
            "date_of_birth": BORN,
            "relationship_to_victim": Perpetrator.Relationship.PARTNER,
        },
        by=User.objects.get(username="referrer"),
        today=today,
    )
    services.perpetrator_add(
        case=cases["Joanne Price"],
        details={"name": "Darren Cole", "date_of_birth": BORN, "relationship_to_victim": Perpetrator.Relationship.EX_PARTNER},
        by=User.objects.get(username="new_idva"),
        today=today,
    )
