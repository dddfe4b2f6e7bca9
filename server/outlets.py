"""The outlet registry: who publishes under which domains, where, in what language, owned by whom, and labels.

An outlet's ``name`` is the identifier articles carry (lower-case, as
ingest stores it); the registry adds facts to it: a display name, a country
(ISO 3166-1 alpha-2), a language (BCP 47), ownership (free text), a
homepage, the domains it publishes under and labels from an open vocabulary
(:data:`KNOWN_LABELS`; others are allowed, normalised to lower case and
single spaces). The HTTP API (``PUT /api/v1/outlets/<name>``) and ``wiretrace
outlets import`` both save through :func:`save_outlet`.

At ingest, an article that names no outlet of its own belongs to the
registry outlet owning its URL's host or the nearest parent domain
(:class:`OutletResolver`), else to the host itself as before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from .db import Article, Outlet, OutletLabel, database, utc_now
from .errors import ApiError
from .listing import date_clauses
from .validation import canonical_url, default_outlet

__all__ = [
    "KNOWN_LABELS",
    "OutletRecord",
    "OutletResolver",
    "normalise_name",
    "normalise_label",
    "normalise_domain",
    "check_record",
    "save_outlet",
    "get_outlet",
    "outlet_summaries",
    "outlet_detail",
    "list_outlets",
    "registry_labels",
]

KNOWN_LABELS = (
    "wire agency",
    "state-affiliated media",
    "public broadcaster",
    "aggregator",
    "press release distributor",
)
MAX_NAME = 200
MAX_TEXT = 1000
MAX_DOMAINS = 100
MAX_LABELS = 20
MAX_LABEL = 60
RECENT_ARTICLES = 10

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_DOMAIN_LABEL = re.compile(r"^(?!-)[^\W_](?:[\w-]{0,61}[^\W_])?$")


@dataclass(frozen=True)
class OutletRecord:
    """An outlet's registry entry, checked. ``None`` means "not given"."""

    name: str
    display_name: str | None = None
    country: str | None = None
    language: str | None = None
    ownership: str | None = None
    homepage: str | None = None
    domains: tuple[str, ...] | None = None
    labels: tuple[str, ...] | None = None


def _plain(value: str | None, field: str, limit: int = MAX_TEXT) -> str | None:
    if value is None:
        return None
    value = " ".join(value.split())
    if _CONTROL.search(value):
        raise ApiError(400, f"'{field}' contains control characters")
    if len(value) > limit:
        raise ApiError(400, f"'{field}' is longer than {limit} characters")
    return value or None


def normalise_name(name: str) -> str:
    """An outlet name as articles carry it: trimmed, lower-case."""
    value = _plain(name, "name", MAX_NAME)
    if not value:
        raise ApiError(400, "'name' must not be empty")
    return value.lower()


def normalise_label(label: str) -> str:
    value = _plain(label, "labels", MAX_LABEL)
    if not value:
        raise ApiError(400, "'labels' must not hold an empty label")
    if ";" in value:
        raise ApiError(400, f"label {value!r} contains ';', the CSV list separator")
    return value.lower()


def normalise_domain(domain: str) -> str:
    """A bare host name, lower-case: ``example.co.uk``, never ``https://example.co.uk/`` or ``example.co.uk:80``."""
    value = domain.strip().lower().rstrip(".")
    labels = value.split(".")
    if len(value) > 253 or len(labels) < 2 or not all(_DOMAIN_LABEL.match(label) for label in labels):
        raise ApiError(
            400, f"{domain.strip()[:80]!r} is not a domain name (like example.co.uk: no scheme, port or path)"
        )
    return value


def _country(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    import pycountry  # imported when needed: it costs start-up time of every command otherwise

    code = value.strip().upper()
    if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
        raise ApiError(400, f"'country' must be an ISO 3166-1 alpha-2 code such as GB or DE, not {value[:20]!r}")
    return code


def _language(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    import langcodes  # imported when needed, like pycountry

    tag = value.strip()
    if len(tag) > 35 or not langcodes.tag_is_valid(tag):
        raise ApiError(400, f"'language' must be a BCP 47 language tag such as en or pt-BR, not {value[:40]!r}")
    return langcodes.standardize_tag(tag)


def _unique(values) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


def check_record(
    name: str,
    *,
    display_name: str | None = None,
    country: str | None = None,
    language: str | None = None,
    ownership: str | None = None,
    homepage: str | None = None,
    domains: list[str] | None = None,
    labels: list[str] | None = None,
) -> OutletRecord:
    """Check and normalise a registry entry, or raise a 400 :class:`ApiError` naming the field."""
    if domains is not None and len(domains) > MAX_DOMAINS:
        raise ApiError(400, f"'domains' holds at most {MAX_DOMAINS} domains")
    if labels is not None and len(labels) > MAX_LABELS:
        raise ApiError(400, f"'labels' holds at most {MAX_LABELS} labels")
    return OutletRecord(
        name=normalise_name(name),
        display_name=_plain(display_name, "display_name", MAX_NAME),
        country=_country(country),
        language=_language(language),
        ownership=_plain(ownership, "ownership"),
        homepage=canonical_url(homepage, "homepage") if homepage and homepage.strip() else None,
        domains=None if domains is None else _unique(normalise_domain(d) for d in domains if d.strip()),
        labels=None if labels is None else _unique(normalise_label(label) for label in labels if label.strip()),
    )


_FIELDS = ("display_name", "country", "language", "ownership", "homepage")


def _entry(outlet: Outlet) -> dict:
    """What the registry holds for ``outlet``, as comparable values."""
    entry = {name: getattr(outlet, name) for name in _FIELDS}
    for table, column in (("outlet_domain", "domain"), ("outlet_label", "label")):
        entry[table] = _many(table, column, [outlet.id])[outlet.id]
    return entry


def save_outlet(record: OutletRecord, *, merge: bool = False) -> tuple[Outlet, str]:
    """Create or update an outlet's registry entry; returns (outlet, "created" | "updated" | "unchanged").

    ``merge=False`` replaces the entry: fields not given are cleared, the
    domains and labels become exactly the ones given. ``merge=True`` sets only
    what is given and adds domains and labels to those stored. A domain that
    another outlet owns is a 409 and nothing is changed. Saving what is
    already stored changes nothing, ``updated_at`` included.
    """
    with database.atomic():
        outlet = Outlet.get_or_none(Outlet.name == record.name)
        status = "created" if outlet is None else "updated"
        if outlet is None:
            outlet = Outlet.create(name=record.name)
        connection = database.connection()
        if record.domains:
            marks = ",".join("?" * len(record.domains))
            taken = connection.execute(
                f"SELECT d.domain, o.name FROM outlet_domain d JOIN outlet o ON o.id = d.outlet_id "
                f"WHERE d.domain IN ({marks}) AND d.outlet_id != ?",
                [*record.domains, outlet.id],
            ).fetchone()
            if taken:
                raise ApiError(409, f"domain {taken[0]!r} belongs to outlet {taken[1]!r}")
        before = _entry(outlet)
        after = dict(before)
        for name in _FIELDS:
            value = getattr(record, name)
            if value is not None or not merge:
                after[name] = value
        for table, given in (("outlet_domain", record.domains), ("outlet_label", record.labels)):
            after[table] = sorted({*before[table], *(given or ())} if merge else set(given or ()))
        if after == before and status != "created":
            return outlet, "unchanged"
        for name in _FIELDS:
            setattr(outlet, name, after[name])
        outlet.updated_at = utc_now()
        outlet.save()
        for table, column in (("outlet_domain", "domain"), ("outlet_label", "label")):
            connection.execute(f"DELETE FROM {table} WHERE outlet_id = ?", (outlet.id,))
            rows = [(value, outlet.id) for value in after[table]]
            connection.executemany(f"INSERT INTO {table} ({column}, outlet_id) VALUES (?, ?)", rows)
    return outlet, status


def get_outlet(name: str) -> Outlet:
    outlet = Outlet.get_or_none(Outlet.name == " ".join(name.split()).lower())
    if outlet is None:
        raise ApiError(404, f"no outlet called {name[:200]!r}")
    return outlet


def _many(table: str, column: str, outlet_ids: list[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {outlet_id: [] for outlet_id in outlet_ids}
    for start in range(0, len(outlet_ids), 900):
        chunk = outlet_ids[start : start + 900]
        rows = database.execute_sql(
            f"SELECT outlet_id, {column} FROM {table} WHERE outlet_id IN ({','.join('?' * len(chunk))}) "
            f"ORDER BY outlet_id, {column}",
            chunk,
        )
        for outlet_id, value in rows:
            found[outlet_id].append(value)
    return found


def registry_labels(outlet_ids: list[int]) -> dict[int, list[str]]:
    """Each outlet's labels, sorted; one query (matches show them beside each article)."""
    return _many("outlet_label", "label", list(outlet_ids))


def _date_clauses(since: str | None, until: str | None) -> tuple[str, list]:
    clauses, values = date_clauses("published_at", since, until)
    return "".join(f" AND {clause}" for clause in clauses), values


def outlet_summaries(outlets: list[Outlet], since: str | None = None, until: str | None = None) -> list[dict]:
    """The registry entries of ``outlets`` with their article counts (in [since, until] when given)."""
    ids = [outlet.id for outlet in outlets]
    domains, labels = _many("outlet_domain", "domain", ids), _many("outlet_label", "label", ids)
    clauses, values = _date_clauses(since, until)
    counts = {}
    for outlet_id in ids:
        counts[outlet_id] = database.execute_sql(
            f"SELECT COUNT(*) FROM article WHERE outlet_id = ?{clauses}", [outlet_id, *values]
        ).fetchone()[0]
    return [
        {
            "name": outlet.name,
            "display_name": outlet.display_name,
            "country": outlet.country,
            "language": outlet.language,
            "ownership": outlet.ownership,
            "homepage": outlet.homepage,
            "domains": domains[outlet.id],
            "labels": labels[outlet.id],
            "article_count": counts[outlet.id],
            "updated_at": outlet.updated_at,
        }
        for outlet in outlets
    ]


def outlet_detail(outlet: Outlet, *, since: str | None = None, until: str | None = None) -> dict:
    """The outlet's registry entry, counts, latest articles, and its copying (within since/until)."""
    from .store import article_summary
    from .stories import outlet_copying

    first, last = database.execute_sql(
        "SELECT MIN(published_at), MAX(published_at) FROM article WHERE outlet_id = ?", (outlet.id,)
    ).fetchone()
    recent = (
        Article.select(Article, Outlet)
        .join(Outlet)
        .where(Article.outlet == outlet.id)
        .order_by(Article.published_at.desc(nulls="LAST"), Article.id.desc())
        .limit(RECENT_ARTICLES)
    )
    return {
        **outlet_summaries([outlet])[0],
        "first_published": first,
        "last_published": last,
        "recent_articles": [article_summary(article) for article in recent],
        "copying": outlet_copying(outlet.name, since, until),
    }


def list_outlets(
    *, label: str | None, country: str | None, language: str | None, prefix: str | None, after: str | None, limit: int
) -> tuple[list[Outlet], bool]:
    """A page of outlets by name (after ``after``), filtered; and whether more follow."""
    selection = Outlet.select().order_by(Outlet.name)
    if label:
        labelled = OutletLabel.select(OutletLabel.outlet).where(OutletLabel.label == " ".join(label.split()).lower())
        selection = selection.where(Outlet.id.in_(labelled))
    if country:
        selection = selection.where(Outlet.country == country.strip().upper())
    if language:
        # "en" finds "en" and "en-GB".
        tag = language.strip()
        selection = selection.where((Outlet.language == tag) | Outlet.language.startswith(tag + "-"))
    if prefix:
        selection = selection.where(Outlet.name.startswith(" ".join(prefix.split()).lower()))
    if after is not None:
        selection = selection.where(Outlet.name > after)
    rows = list(selection.limit(limit + 1))
    return rows[:limit], len(rows) > limit


class OutletResolver:
    """Which outlet an article belongs to, for one ingest batch (the registry's domains are read once)."""

    def __init__(self, connection) -> None:
        self._connection = connection
        self._domains: dict[str, str] | None = None

    def _registry(self) -> dict[str, str]:
        if self._domains is None:
            rows = self._connection.execute(
                "SELECT d.domain, o.name FROM outlet_domain d JOIN outlet o ON o.id = d.outlet_id"
            )
            self._domains = dict(rows)
        return self._domains

    def outlet_for(self, url: str, given: str) -> str:
        """``given`` unless it is only the default (the URL's host); then the registry's outlet for the host."""
        # The registry first: when it is empty (most corpora) the URL need not be parsed at all.
        registry = self._registry()
        if not registry or given != default_outlet(url):
            return given
        host = (urlsplit(url).hostname or "").rstrip(".")
        parts = host.split(".")
        for start in range(len(parts) - 1):
            owner = registry.get(".".join(parts[start:]))
            if owner is not None:
                return owner
        return given
