"""How a record's values are shown on pages: dates the GOV.UK way, lists joined, Withheld as a
tag, nothing recorded said in words. Presentation only; the field policy decided what is here."""

import re
from datetime import date

from django import template
from django.template.defaultfilters import linebreaksbr
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString
from django.utils.text import capfirst

from marac.security.policy import Withheld

register = template.Library()
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _as_date(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


def _item(value) -> str:
    if isinstance(value, date):
        return _as_date(value)
    if isinstance(value, str) and ISO_DATE.match(value):
        try:
            return _as_date(date.fromisoformat(value))
        except ValueError:
            return value
    return str(value)


@register.filter
def shown(value) -> SafeString | str:
    if isinstance(value, Withheld):
        return value.__html__()
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if value is None or value == "" or value == []:
        return "Not recorded"
    if isinstance(value, list):
        return ", ".join(_item(v) for v in value)
    if isinstance(value, date):
        return _as_date(value)
    return linebreaksbr(conditional_escape(value))


@register.filter
def criterion(code: str) -> str:
    from referrals.rules import CRITERION_LABELS

    return CRITERION_LABELS.get(code, code)


@register.filter
def answer_label(code: str) -> str:
    return {"yes": "Yes", "no": "No", "not_known": "Not known"}.get(code, "Not answered")


@register.filter
def choice(value, field_name: str):
    """A victim's coded value as its label; Withheld stays Withheld."""
    if isinstance(value, Withheld):
        return value
    from referrals.models import Victim

    return dict(Victim._meta.get_field(field_name).choices).get(value, value)


@register.filter
def field_label(name: str) -> str:
    from referrals.models import Victim

    # capfirst, not capitalize: "LGBT+" is written that way, and capitalize() made it "Lgbt+".
    return capfirst(Victim._meta.get_field(name).verbose_name)


@register.filter
def shared_lines(value):
    """Minutes' {agency: what it shared} as one line per agency; Withheld stays Withheld."""
    if isinstance(value, Withheld) or not value:
        return value
    return "\n".join(f"{agency}: {text}" for agency, text in value.items())


@register.filter
def get_item(mapping: dict, key):
    return mapping.get(key, [])


@register.filter
def withheld(value) -> bool:
    """Whether the field policy withheld this value: `{% if value|withheld %}`."""
    return isinstance(value, Withheld)
