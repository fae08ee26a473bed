"""The columns of a cases file and the checks on each row (issue 19; docs/importing.md).

Every problem is a `RowError` in the person's words: the row as the spreadsheet numbers it, the
column's heading, what is wrong and what was found. What was found is shown only to the
coordinator importing the file (the check page, the command's output): it is never logged,
never in the access log and never in an exception's text.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from imports.reading import FileProblem, Sheet, column_key
from marac.models import Agency
from marac.security import blind_index
from referrals.checklists import CURRENT, Band
from referrals.models import EthnicGroup, Gender, Perpetrator, YesNoNotKnown

FOUND_SHOWN = 80  # characters of a found value shown in the report
LIST_SEPARATOR = ";"
MAX_LIST = 20  # children, other names, meetings or actions in one cell
EXCEL_EPOCH = date(1899, 12, 30)  # Excel's day 0 (it counts a 29 February 1900 that never was)
EARLIEST = date(1900, 1, 1)
TEXT_LIMITS = {"name": 200, "address": 500, "phone": 40, "description": 1000}


@dataclass(frozen=True)
class Column:
    key: str
    heading: str
    required: bool = False


COLUMNS = (
    Column("victim_name", "Victim name", required=True),
    Column("victim_other_names", "Victim other names"),
    Column("victim_date_of_birth", "Victim date of birth", required=True),
    Column("victim_gender", "Victim gender"),
    Column("victim_ethnic_group", "Victim ethnic group"),
    Column("victim_disabled", "Victim disabled"),
    Column("victim_lgbt", "Victim LGBT+"),
    Column("victim_address", "Victim address"),
    Column("victim_phone", "Victim phone"),
    Column("victim_safe_address", "Victim safe address"),
    Column("victim_safe_phone", "Victim safe phone"),
    Column("perpetrator_name", "Perpetrator name"),
    Column("perpetrator_date_of_birth", "Perpetrator date of birth"),
    Column("perpetrator_relationship", "Perpetrator relationship"),
    Column("children", "Children"),
    Column("referral_date", "Referral date", required=True),
    Column("referring_agency", "Referring agency", required=True),
    Column("risk_score", "Risk score"),
    Column("risk_level", "Risk level"),
    Column("meetings_heard", "Meetings heard"),
    Column("actions", "Actions"),
)
BY_KEY = {column_key(c.heading): c for c in COLUMNS}
HEADING = {c.key: c.heading for c in COLUMNS}

# What a person may write for each coded value: the code, its label, or a common short form.
YES_NO = {"yes": YesNoNotKnown.YES, "y": YesNoNotKnown.YES, "no": YesNoNotKnown.NO, "n": YesNoNotKnown.NO}
NOT_KNOWN_WORDS = {"", "notknown", "unknown", "nk", "notrecorded"}


def _choices(choices: Iterable[tuple[str, str]], extra: dict[str, str] | None = None) -> dict[str, str]:
    words = {column_key(label): code for code, label in choices} | {column_key(code): code for code, _ in choices}
    return words | (extra or {})


GENDERS = _choices(Gender.choices, {"f": Gender.FEMALE, "m": Gender.MALE, "woman": Gender.FEMALE, "man": Gender.MALE})
ETHNIC_GROUPS = _choices(EthnicGroup.choices, {"mixed": EthnicGroup.MIXED, "asian": EthnicGroup.ASIAN, "black": EthnicGroup.BLACK})
RELATIONSHIPS = _choices(Perpetrator.Relationship.choices, {"expartner": Perpetrator.Relationship.EX_PARTNER})
LEVELS = {column_key(b.value): b for b in Band}


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    problem: str
    found: str = ""  # for the coordinator's eyes only


@dataclass
class ParsedCase:
    """One row, checked: everything the import writes for it, as values ready to encrypt."""

    row: int
    victim: dict
    victim_index: set[str]
    perpetrator: dict | None
    perpetrator_index: set[str]
    children: list[str]
    referral_date: date
    agency: Agency
    score: int
    override: Band | None
    meetings: list[date]
    actions: list[tuple[Agency, str]] = field(default_factory=list)


class Problem(Exception):
    """A cell's value is wrong; the message says how, in the person's words, without the value."""


def columns_of(sheet: Sheet) -> dict[str, int]:
    """Which position holds each known column. Unknown or repeated columns refuse the file: a
    misspelt heading would otherwise drop what is under it without a word."""
    positions: dict[str, int] = {}
    unknown = []
    for position, name in enumerate(sheet.header):
        column = BY_KEY.get(column_key(name))
        if column is None:
            if name:
                unknown.append(name)
            continue
        if column.key in positions:
            raise FileProblem(f"The column '{column.heading}' appears twice: keep one")
        positions[column.key] = position
    if unknown:
        raise FileProblem(
            "Some column names are not ones we know. Use the names in the template (docs/importing.md)", found=", ".join(unknown)[:300]
        )
    missing = [c.heading for c in COLUMNS if c.required and c.key not in positions]
    if missing:
        raise FileProblem(f"The first row must be the column names. These are missing: {', '.join(missing)}")
    return positions


class RowChecker:
    """Checks rows against the agencies that exist and the area's threshold, as of `today`."""

    def __init__(self, *, agencies: Iterable[Agency], today: date, positions: dict[str, int]):
        self.agencies = {column_key(a.name): a for a in agencies}
        self.today = today
        self.positions = positions

    def check(self, number: int, cells: list[str]) -> tuple[ParsedCase | None, list[RowError]]:
        values = {key: cells[pos] if pos < len(cells) else "" for key, pos in self.positions.items()}
        errors: list[RowError] = []

        def read(key: str, parse, *args):
            try:
                return parse(values.get(key, ""), *args)
            except Problem as problem:
                errors.append(RowError(number, HEADING[key], str(problem), values.get(key, "")[:FOUND_SHOWN]))
                return None

        victim_name = read("victim_name", _text, "name", True)
        other_names = read("victim_other_names", _list_of_text, "name") or []
        victim_born = read("victim_date_of_birth", self._date_of_birth, True)
        victim = {
            "name": victim_name,
            "aliases": other_names,
            "date_of_birth": victim_born,
            "gender": read("victim_gender", _coded, GENDERS, Gender.NOT_KNOWN, "female, male, non-binary or not known"),
            "ethnic_group": read(
                "victim_ethnic_group", _coded, ETHNIC_GROUPS, EthnicGroup.NOT_KNOWN, "white, mixed, asian, black, other or not known"
            ),
            "disabled": read("victim_disabled", _coded, YES_NO, YesNoNotKnown.NOT_KNOWN, "yes, no or not known"),
            "lgbt": read("victim_lgbt", _coded, YES_NO, YesNoNotKnown.NOT_KNOWN, "yes, no or not known"),
            "address": read("victim_address", _text, "address"),
            "phone": read("victim_phone", _text, "phone"),
            "safe_address": read("victim_safe_address", _text, "address"),
            "safe_phone": read("victim_safe_phone", _text, "phone"),
        }
        perpetrator, perpetrator_index = self._perpetrator(values, number, errors, read)
        children = read("children", _children) or []
        referral_date = read("referral_date", self._past_date, True)
        agency = read("referring_agency", self._agency)
        score = read("risk_score", _score)
        level = read("risk_level", _coded, LEVELS, None, "standard, medium or high")
        if score is None and level is None and not _has_error(errors, "risk_score", "risk_level"):
            errors.append(
                RowError(number, HEADING["risk_score"], "Give the risk score (0 to 24) or the risk level (standard, medium or high)")
            )
        meetings = read("meetings_heard", self._meeting_dates) or []
        actions = read("actions", self._actions) or []
        if actions and not meetings and not errors:
            errors.append(RowError(number, HEADING["actions"], "Actions need the meeting that agreed them: give the meetings heard"))
        if referral_date and meetings and min(meetings) < referral_date:
            errors.append(
                RowError(
                    number,
                    HEADING["meetings_heard"],
                    "A meeting heard cannot be before the referral date",
                    values["meetings_heard"][:FOUND_SHOWN],
                )
            )
        if errors:
            return None, errors
        score = score or 0
        override = level if level is not None and level.rank > CURRENT.band(score).rank else None
        names = [victim_name, *other_names]
        return (
            ParsedCase(
                row=number,
                victim=victim,
                victim_index={blind_index.name_and_birth_date(n, victim_born) for n in names},
                perpetrator=perpetrator,
                perpetrator_index=perpetrator_index,
                children=children,
                referral_date=referral_date,
                agency=agency,
                score=score,
                override=override,
                meetings=meetings,
                actions=actions,
            ),
            [],
        )

    def _perpetrator(self, values: dict, number: int, errors: list[RowError], read) -> tuple[dict | None, set[str]]:
        name = read("perpetrator_name", _text, "name")
        born = read("perpetrator_date_of_birth", self._date_of_birth)
        relationship = read("perpetrator_relationship", _coded, RELATIONSHIPS, None, "partner, former partner, family member or other")
        if not name:
            if (born or relationship) and not _has_error(errors, "perpetrator_name"):
                errors.append(
                    RowError(number, HEADING["perpetrator_name"], "Give the perpetrator's name, or leave their other columns empty")
                )
            return None, set()
        if relationship is None and not _has_error(errors, "perpetrator_relationship"):
            errors.append(RowError(number, HEADING["perpetrator_relationship"], "Give the perpetrator's relationship to the victim"))
        age = _age_on(born, self.today)
        details = {
            "name": name,
            "date_of_birth": born,
            "relationship_to_victim": relationship or "",
            "aged_17_or_under": age is not None and age <= 17,
        }
        # No date of birth, no index entry: a name alone would link strangers (ADR 0026).
        return details, {blind_index.name_and_birth_date(name, born)} if born else set()

    def _date_of_birth(self, text: str, required: bool = False) -> date | None:
        born = _date(text, required)
        if born is not None and born > self.today:
            raise Problem("A date of birth cannot be in the future")
        return born

    def _past_date(self, text: str, required: bool = False) -> date | None:
        day = _date(text, required)
        if day is not None and day > self.today:
            raise Problem("The date cannot be in the future")
        return day

    def _meeting_dates(self, text: str) -> list[date]:
        days = sorted({day for part in _parts(text) if (day := self._past_date(part, True)) is not None})
        # A meeting today may be running: its agenda changes only through the meeting's own services.
        if days and days[-1] >= self.today:
            raise Problem("A meeting heard must be before today: add today's cases to the meeting's agenda instead")
        return days

    def _agency(self, text: str) -> Agency:
        if not text:
            raise Problem("Give the referring agency")
        return self._known_agency(text)

    def _known_agency(self, text: str) -> Agency:
        agency = self.agencies.get(column_key(text))
        if agency is None:
            raise Problem("No agency has that name here: use its name as the service knows it, or ask an administrator to add it")
        return agency

    def _actions(self, text: str) -> list[tuple[Agency, str]]:
        actions = []
        for part in _parts(text):
            agency_name, colon, description = part.partition(":")
            if not colon or not agency_name.strip() or not description.strip():
                raise Problem("Write each action as 'agency: what it will do', separated by ';'")
            actions.append((self._known_agency(agency_name.strip()), _text(description.strip(), "description", True)))
        return actions


def _has_error(errors: list[RowError], *keys: str) -> bool:
    headings = {HEADING[k] for k in keys}
    return any(e.column in headings for e in errors)


def _parts(text: str) -> list[str]:
    parts = [part.strip() for part in text.split(LIST_SEPARATOR) if part.strip()]
    if len(parts) > MAX_LIST:
        raise Problem(f"No more than {MAX_LIST} entries in one cell")
    return parts


def _text(text: str, kind: str, required: bool = False) -> str:
    if required and not text:
        raise Problem(f"Give the {'name' if kind == 'name' else kind}")
    if len(text) > TEXT_LIMITS[kind]:
        raise Problem(f"Too long: {TEXT_LIMITS[kind]} characters at most")
    return text


def _list_of_text(text: str, kind: str) -> list[str]:
    return [_text(part, kind) for part in _parts(text)]


def _coded(text: str, words: dict, default, expected: str):
    key = column_key(text)
    if key in NOT_KNOWN_WORDS and default is not None:
        return default
    if not text:
        return default
    if key not in words:
        raise Problem(f"Write {expected}")
    return words[key]


def _score(text: str) -> int | None:
    if not text:
        return None
    if not re.fullmatch(r"\d{1,2}", text) or int(text) > 24:
        raise Problem("Write the risk checklist score as a whole number from 0 to 24")
    return int(text)


def _children(text: str) -> list[str]:
    """A number of children whose names were not recorded, or their names separated by ';'."""
    if re.fullmatch(r"\d+", text):
        if int(text) > MAX_LIST:
            raise Problem(f"No more than {MAX_LIST} children in one row")
        return ["Name not recorded"] * int(text)
    return _list_of_text(text, "name")


DAY_FIRST = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})")
ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00)?)?")
SERIAL = re.compile(r"\d{4,5}(?:\.0+)?")
# Excel serial numbers we take for dates: 1 January 1910 to 31 December 2099. A bare year (1989)
# falls below and is refused rather than read as a day in 1905.
SERIALS = range(3654, 73416)


def _date(text: str, required: bool = False) -> date | None:
    """Day first (14/03/1989, 14-03-1989, 14.03.1989), ISO (1989-03-14) or an Excel serial number.
    A month first (03/14/1989, as American software writes it) is refused, not guessed."""
    if not text:
        if required:
            raise Problem("Give the date")
        return None
    try:
        day = _parsed_date(text)
    except ValueError:
        raise Problem("Not a real date: write it as day/month/year, for example 14/03/1989") from None
    if day < EARLIEST:
        raise Problem("The date is before 1900: write it as day/month/year, for example 14/03/1989")
    return day


def _parsed_date(text: str) -> date:
    if match := ISO.fullmatch(text):
        return date(int(match[1]), int(match[2]), int(match[3]))
    if match := DAY_FIRST.fullmatch(text):
        day, month, year = (int(part) for part in match.groups())
        if len(match[3]) == 2:
            raise Problem("Write the year in full, for example 14/03/1989, so 1924 and 2024 cannot be confused")
        if month > 12 and day <= 12:
            raise Problem("This looks like month first (American order): write dates day first, for example 14/03/1989")
        return date(year, month, day)
    if SERIAL.fullmatch(text) and int(float(text)) in SERIALS:
        return EXCEL_EPOCH + timedelta(days=int(float(text)))
    raise ValueError(text)


def _age_on(born: date | None, today: date) -> int | None:
    if born is None:
        return None
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))
