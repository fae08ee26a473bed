"""Lists that filter, sort and page through query parameters, the same way on every list page.

Every parameter is read defensively: a value not on the list of allowed ones is ignored (the
list shows as if it had not been given), never passed to the database, so `?sort=password`,
`?page=-1`, `?status=<script>` or a NUL byte cannot cause a 500 or reveal anything. Links keep
the other parameters, so sorting keeps the filters and paging keeps both.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.http import QueryDict

PER_PAGE = 50
_PAGE = re.compile(r"[0-9]{1,7}")  # up to page 9,999,999: longer is junk, and int() of it is wasted work
_ID = re.compile(r"[0-9]{1,18}")  # fits a 64-bit key: a longer one would overflow SQLite


def choice(params: QueryDict, name: str, allowed: Mapping[str, object] | set[str]) -> str:
    """The parameter's value if it is one of `allowed`, else "" (as if not given)."""
    value = params.get(name, "")
    return value if value in allowed else ""


def id_param(params: QueryDict, name: str, allowed: set[int] | None = None) -> int | None:
    """A numeric id parameter, or None for junk or an id outside `allowed`."""
    value = params.get(name, "")
    if not _ID.fullmatch(value):
        return None
    number = int(value)
    return number if allowed is None or number in allowed else None


def only(params: QueryDict, names: tuple[str, ...]) -> QueryDict:
    """A mutable copy of `params` with only these names: links built from it carry nothing else,
    so a parameter a list does not use (a victim's name typed into an old link) is never copied
    into its sort and page links."""
    kept = QueryDict(mutable=True)
    for name in names:
        if name in params:
            kept.setlist(name, params.getlist(name)[:1])
    return kept


def with_params(params: QueryDict, **changes: str | int | None) -> str:
    """ "?..." keeping every parameter but those changed (None or "" removes one)."""
    kept = params.copy()
    for name, value in changes.items():
        kept.pop(name, None)
        if value not in (None, ""):
            kept[name] = str(value)
    encoded = kept.urlencode()
    return f"?{encoded}" if encoded else "?"


@dataclass(frozen=True)
class Sort:
    """The list's order: a column key from a whitelist, ascending or descending."""

    key: str
    descending: bool
    order_by: tuple[str, ...]


def sort_from(params: QueryDict, columns: Mapping[str, tuple[str, ...]], default: str) -> Sort:
    """`?sort=key` or `?sort=-key` for a key of `columns` ({key: order_by fields ascending});
    anything else gives `default` (which may itself start with "-")."""
    raw = params.get("sort", "")
    if raw.removeprefix("-") not in columns:
        raw = default
    key, descending = raw.removeprefix("-"), raw.startswith("-")
    fields = tuple(_reversed(field) if descending else field for field in columns[key])
    return Sort(key=key, descending=descending, order_by=fields)


def _reversed(field: str) -> str:
    return field[1:] if field.startswith("-") else f"-{field}"


@dataclass(frozen=True)
class Header:
    label: str
    href: str | None  # None for a column that does not sort
    aria_sort: str | None  # "ascending"/"descending" on the column the list is sorted by


def headers(params: QueryDict, columns: list[tuple[str, str | None]], sort: Sort) -> list[Header]:
    """Table headers for [(label, sort key or None)]: the sorted column says so (aria-sort) and
    its link reverses the order; every link keeps the filters and goes back to the first page."""
    found = []
    for label, key in columns:
        if key is None:
            found.append(Header(label, None, None))
            continue
        current = key == sort.key
        descending_next = current and not sort.descending
        found.append(
            Header(
                label,
                with_params(params, sort=f"-{key}" if descending_next else key, page=None),
                ("descending" if sort.descending else "ascending") if current else None,
            )
        )
    return found


def page_of(params: QueryDict, items, per_page: int = PER_PAGE, param: str = "page") -> Page:
    """The page asked for; junk, 0 or a negative number gives the first, one past the end the last."""
    raw = params.get(param, "")
    number = int(raw) if _PAGE.fullmatch(raw) else 1
    paginator = Paginator(items, per_page)
    return paginator.page(min(max(number, 1), paginator.num_pages))


@dataclass(frozen=True)
class PageLink:
    number: int | None  # None for an ellipsis
    href: str
    current: bool = False


@dataclass(frozen=True)
class Pagination:
    """What the GOV.UK pagination component needs (templates/components/pagination.html)."""

    previous: str | None
    next: str | None
    items: list[PageLink]
    summary: str  # "Showing 51 to 100 of 1,234 cases"


def pagination(params: QueryDict, page: Page, noun: str, param: str = "page") -> Pagination | None:
    """Links to the first, last and neighbouring pages (GOV.UK's pattern), or None for one page."""
    total = page.paginator.count
    summary = f"Showing {page.start_index():,} to {page.end_index():,} of {total:,} {noun}" if total else ""
    if page.paginator.num_pages <= 1:
        return Pagination(None, None, [], summary) if total else None
    last = page.paginator.num_pages
    wanted = sorted({1, last, page.number - 1, page.number, page.number + 1} & set(range(1, last + 1)))
    items, before = [], 0
    for number in wanted:
        if number - before > 1:
            items.append(PageLink(None, ""))
        items.append(PageLink(number, with_params(params, **{param: number}), number == page.number))
        before = number
    return Pagination(
        previous=with_params(params, **{param: page.previous_page_number()}) if page.has_previous() else None,
        next=with_params(params, **{param: page.next_page_number()}) if page.has_next() else None,
        items=items,
        summary=summary,
    )
