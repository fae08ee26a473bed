"""Risk checklists as versioned definitions (DESIGN 2.1).

An assessment records the version it was answered against, so a later question set (the police
DARA, a young people's or stalking add-on) can be added here without changing what earlier
answers meant. The questions are in our own words; the topics and their order follow the DASH
risk identification checklist.
"""

from dataclasses import dataclass
from enum import StrEnum


class Answer(StrEnum):
    YES = "yes"
    NO = "no"
    NOT_KNOWN = "not_known"


class Band(StrEnum):
    STANDARD = "standard"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def rank(self) -> int:
        return list(Band).index(self)


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    hint: str = ""


@dataclass(frozen=True)
class Checklist:
    version: str
    title: str
    questions: tuple[Question, ...]
    medium_from: int  # scores below are standard
    high_from: int

    def score(self, answers: dict[str, Answer]) -> int:
        """One point for each "yes"; unknown question ids are refused, not ignored."""
        unknown = set(answers) - {q.id for q in self.questions}
        if unknown:
            raise ValueError(f"answers for questions not in {self.version}: {sorted(unknown)}")
        return sum(1 for answer in answers.values() if Answer(answer) is Answer.YES)

    def band(self, score: int) -> Band:
        if score >= self.high_from:
            return Band.HIGH
        return Band.MEDIUM if score >= self.medium_from else Band.STANDARD


DASH_2009 = Checklist(
    version="dash-2009",
    title="Domestic abuse, stalking and harassment risk checklist",
    medium_from=10,
    high_from=14,
    questions=(
        Question(
            "injury", "Has the current incident left them injured?", "Say what the injuries are, and whether this is the first injury."
        ),
        Question("frightened", "Are they very frightened?", "Note what they say in their own words."),
        Question(
            "feared",
            "Are they afraid of what the abuser might do next?",
            "Note what they fear: further injury, violence, death, harm to others.",
        ),
        Question(
            "isolated",
            "Do they feel cut off from family or friends?",
            "For example, the abuser stops them seeing friends, family, a doctor or others.",
        ),
        Question("depressed", "Are they feeling low, depressed or having thoughts of suicide?"),
        Question("separation", "Have they separated, or tried to, from the abuser in the past year?"),
        Question("child_contact", "Is there conflict over contact with children?"),
        Question(
            "stalking",
            "Does the abuser keep texting, calling, contacting, following or stalking them?",
            "Note whether this is persistent and frightening.",
        ),
        Question("pregnancy", "Are they pregnant, or have they had a baby in the last 18 months?"),
        Question("more_often", "Is the abuse happening more often?"),
        Question("getting_worse", "Is the abuse getting worse?"),
        Question(
            "controlling",
            "Does the abuser try to control everything they do, or show excessive jealousy?",
            "For example, over friends, money, what they wear or where they go.",
        ),
        Question("weapons", "Has the abuser used weapons or objects to hurt them?"),
        Question("threats_to_kill", "Has the abuser threatened to kill them or someone else, and do they believe it?"),
        Question("strangulation", "Has the abuser ever tried to strangle, choke, suffocate or drown them?"),
        Question("sexual_abuse", "Does the abuser do or say sexual things that make them feel bad or that hurt them or someone else?"),
        Question("others_threaten", "Is anyone else threatening or frightening them?", "For example, the abuser's family or friends."),
        Question(
            "hurt_others", "Do they know of the abuser hurting anyone else?", "Children, other family members, former partners or others."
        ),
        Question("animals", "Has the abuser ever mistreated an animal or a family pet?"),
        Question("money", "Are there money problems, or is the abuser dependent on them financially?"),
        Question("abuser_problems", "Has the abuser had problems with drugs, alcohol or mental health in the past year?"),
        Question("abuser_suicide", "Has the abuser ever threatened or attempted suicide?"),
        Question("breached", "Has the abuser ever broken bail, an injunction or any formal agreement about contact or child custody?"),
        Question(
            "criminal_history",
            "Do they know whether the abuser has a criminal history?",
            "Domestic abuse, sexual violence, other violence, or none known.",
        ),
    ),
)

CHECKLISTS = {DASH_2009.version: DASH_2009}
CURRENT = DASH_2009

# Answers to these are shown to the assessor as prompts for professional judgement (DESIGN 2.2).
JUDGEMENT_PROMPTS = ("strangulation", "stalking", "threats_to_kill")
