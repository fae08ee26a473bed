"""Risk tools other than the DASH checklist the project holds, as versioned definitions (DESIGN 2.2,
issue 18, ADR 0024).

Police referrals increasingly arrive on the police DASH (more questions than the 24) or on DARA,
the College of Policing's domestic abuse risk assessment used at call-outs; young people's and
older people's variants of the DASH exist. The project does not hold those tools, so it never
writes their questions: an assessment made with one is recorded as the tool, its version, the
level it gave and the assessor's rationale, never re-keyed into the DASH. A definition here says
only what the tool is and which levels it gives, lowest first.

Each area decides which of a tool's levels meet "visible high risk" there (AreaToolCriteria,
edited in the admin); with no row, the tool's top level does.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class RiskTool:
    code: str
    version: str
    title: str
    publisher: str
    levels: tuple[tuple[str, str], ...]  # (code, label), lowest first
    variant_of: str = ""  # the tool this adapts, when it is a variant rather than a tool of its own

    @property
    def key(self) -> str:
        """One choice in a form: the code and version together."""
        return f"{self.code}:{self.version}"

    @property
    def name(self) -> str:
        """How pages name it: "DARA (College of Policing) v1"; a publisher only where it is known."""
        return f"{self.title} ({self.publisher}) v{self.version}" if self.publisher else f"{self.title} v{self.version}"

    @property
    def level_codes(self) -> tuple[str, ...]:
        return tuple(code for code, _ in self.levels)

    @property
    def top_level(self) -> str:
        return self.levels[-1][0]

    def level_label(self, code: str) -> str:
        return dict(self.levels).get(code, code)


THREE_LEVELS = (("standard", "Standard"), ("medium", "Medium"), ("high", "High"))

# The police's own DASH form asks more than the checklist's 24 questions; forces' versions differ,
# so no publisher is named. DARA is the College of Policing's replacement at domestic abuse calls.
POLICE_DASH = RiskTool("police-dash", "1", "Police DASH", "", THREE_LEVELS, variant_of="DASH risk checklist")
DARA = RiskTool("dara", "1", "DARA", "College of Policing", THREE_LEVELS)
DASH_YOUNG_PEOPLE = RiskTool("dash-young-people", "1", "Young people's DASH", "SafeLives", THREE_LEVELS, variant_of="DASH risk checklist")
# Adaptations of the DASH for older people are used locally; no single publisher is claimed.
DASH_OLDER_PEOPLE = RiskTool("dash-older-people", "1", "DASH for older people", "", THREE_LEVELS, variant_of="DASH risk checklist")

# Keyed by (code, version): a later version is added beside the earlier, never in its place, so
# what a recorded level meant stays known.
TOOLS: dict[tuple[str, str], RiskTool] = {(t.code, t.version): t for t in (POLICE_DASH, DARA, DASH_YOUNG_PEOPLE, DASH_OLDER_PEOPLE)}
TOOL_CODES = sorted({t.code for t in TOOLS.values()})
TOOL_CODE_CHOICES = [(code, next(t.title for t in TOOLS.values() if t.code == code)) for code in TOOL_CODES]
LEVEL_CHOICES = list(dict.fromkeys(level for t in TOOLS.values() for level in t.levels))  # lowest first


def tool(code: str, version: str) -> RiskTool | None:
    return TOOLS.get((code, version))


def tool_by_key(key: str) -> RiskTool | None:
    code, _, version = key.partition(":")
    return tool(code, version)


def _version_order(version: str) -> tuple:
    """ "10" comes after "9", and "2.1" after "2": numbers compare as numbers, anything else after them."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in version.split("."))


def latest(code: str) -> RiskTool | None:
    """The newest version of a tool: what an area's criteria are checked against."""
    versions = [t for t in TOOLS.values() if t.code == code]
    return max(versions, key=lambda t: _version_order(t.version)) if versions else None


def default_high_risk_levels(code: str, version: str | None = None) -> list[str]:
    """With no setting of its own, an area counts a tool's top level as visible high risk: the top
    level of the version the assessment was made with (a later version may name its levels
    differently), else of the newest."""
    found = tool(code, version) if version else latest(code)
    return [found.top_level] if found else []
