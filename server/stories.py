"""Reading stories: provenance, copies and their changes, attribution, and the copying network.

Everything here reads what :mod:`server.linking` stored; direction (who
copied whom) is decided from the articles' dates when read, so a corrected
date corrects every answer at once.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass

from fingerprints import VerifyOptions, compare
from fingerprints.attribution import find_credits
from fingerprints.changes import Shared, describe_changes
from fingerprints.origin import Dated, find_origin, timeline_key

from .db import Article, Outlet, database
from .errors import ApiError
from .listing import date_clauses, until_bound
from .store import load_fingerprint

__all__ = [
    "resolve_story",
    "story_detail",
    "story_rows",
    "story_members",
    "match_story_context",
    "network_edges",
    "outlet_copying",
    "attribution_status",
]

_LARGEST_ID = 2**63 - 1


def _marks(values) -> str:
    return ",".join("?" * len(values))


def resolve_story(story_id: int) -> tuple[int, int | None]:
    """(surviving id, the id it merged into or None) for ``story_id``; 404 when there is no such story."""
    current = story_id
    merged_into = None
    for _ in range(1000):
        row = (
            database.execute_sql("SELECT merged_into FROM story WHERE id = ?", (current,)).fetchone()
            if current <= _LARGEST_ID
            else None
        )
        if row is None:
            raise ApiError(404, f"no story with id {story_id}")
        if row[0] is None:
            return current, merged_into
        current = merged_into = row[0]
    raise ApiError(500, "story merge chain too long")


@dataclass(frozen=True)
class Member:
    id: int
    url: str
    outlet: str
    title: str | None
    published_at: str | None
    first_seen_at: str

    def summary(self) -> dict:
        return {
            "id": self.id,
            "url": self.url,
            "outlet": self.outlet,
            "title": self.title,
            "published_at": self.published_at,
            "first_seen_at": self.first_seen_at,
        }

    def dated(self) -> Dated:
        return Dated(self.id, self.published_at, self.first_seen_at)


def story_members(story_ids: list[int]) -> dict[int, list[Member]]:
    found: dict[int, list[Member]] = defaultdict(list)
    for start in range(0, len(story_ids), 900):
        chunk = story_ids[start : start + 900]
        rows = database.execute_sql(
            "SELECT m.story_id, a.id, a.url, o.name, a.title, a.published_at, a.first_seen_at FROM article_story m "
            f"JOIN article a ON a.id = m.article_id JOIN outlet o ON o.id = a.outlet_id WHERE m.story_id IN "
            f"({_marks(chunk)}) ORDER BY a.id",
            chunk,
        )
        for story_id, *member in rows:
            found[story_id].append(Member(*member))
    return found


def _credits(article_ids: list[int]) -> dict[int, list[str]]:
    found = {}
    for start in range(0, len(article_ids), 900):
        chunk = article_ids[start : start + 900]
        rows = database.execute_sql(
            f"SELECT article_id, credited FROM link_state WHERE article_id IN ({_marks(chunk)})", chunk
        )
        found.update((article_id, json.loads(credited)) for article_id, credited in rows)
    return found


def carried_share(article_ids: list[int]) -> dict[int, float]:
    """For each article, how much text it shares with the articles it is linked to (mean of both containments).

    Every copy was made from the origin, so the origin sits at the centre of
    its story: a trimmed copy shares less with the others, and a copy with a
    new lede and furniture has text the others lack.
    """
    shares: dict[int, list[float]] = defaultdict(list)
    marks = _marks(article_ids)
    rows = database.execute_sql(
        "SELECT article_a, article_b, containment_a, containment_b FROM reuse_link "
        f"WHERE article_a IN ({marks}) OR article_b IN ({marks})",
        [*article_ids, *article_ids],
    )
    for a, b, containment_a, containment_b in rows:
        shares[a].append(containment_a + containment_b)
        shares[b].append(containment_a + containment_b)
    return {article_id: sum(values) / len(values) for article_id, values in shares.items()}


def _origin_of(members: list[Member]):
    return find_origin([m.dated() for m in members], carried_share)


def attribution_status(is_origin: bool, in_story: bool, credited: list[str]) -> str:
    """``origin``; ``credited`` when the copy names an agency, an outlet of its story or a source on a credit
    line; ``uncredited`` when it names none; ``unknown`` when the article is in no story."""
    if not in_story:
        return "unknown"
    if is_origin:
        return "origin"
    return "credited" if credited else "uncredited"


def _origin_summary(member: Member) -> dict:
    return {"id": member.id, "url": member.url, "outlet": member.outlet, "published_at": member.published_at}


def record_origins(story_ids: list[int]) -> None:
    """Find and store each story's likely origin; linking calls this whenever it changes a story."""
    for story_id, group in story_members(story_ids).items():
        finding = _origin_of(group)
        database.execute_sql(
            "UPDATE story SET origin_id = ?, origin_uncertain = ? WHERE id = ?",
            (finding.id, int(finding.uncertain), story_id),
        )


def _stored_origins(story_ids: list[int]) -> dict[int, tuple[int, dict, bool]]:
    """story id -> (size, origin summary, uncertain), as linking recorded them."""
    found = {}
    rows = database.execute_sql(
        "SELECT s.id, (SELECT COUNT(*) FROM article_story m WHERE m.story_id = s.id), s.origin_id, a.url, o.name, "
        "a.published_at, s.origin_uncertain FROM story s JOIN article a ON a.id = s.origin_id "
        f"JOIN outlet o ON o.id = a.outlet_id WHERE s.id IN ({_marks(story_ids)})",
        story_ids,
    )
    for story_id, size, origin_id, url, outlet, published_at, uncertain in rows:
        origin = {"id": origin_id, "url": url, "outlet": outlet, "published_at": published_at}
        found[story_id] = (size, origin, bool(uncertain))
    return found


def match_story_context(matches: list[dict]) -> dict | None:
    """Add ``story_id`` and ``attribution`` to each MATCH (in place); the query's story (its best match's) or None.

    Reads stored findings only: memberships, credits, and each story's size
    and origin as linking recorded them (a story recorded before origins
    were stored is weighed here instead).
    """
    ids = [match["article"]["id"] for match in matches]
    if not ids:
        return None
    memberships = dict(
        database.execute_sql(f"SELECT article_id, story_id FROM article_story WHERE article_id IN ({_marks(ids)})", ids)
    )
    credits = _credits(ids)
    involved = sorted(set(memberships.values()))
    stories = _stored_origins(involved) if involved else {}
    unrecorded = [story for story in involved if story not in stories]
    for story, group in story_members(unrecorded).items():
        finding = _origin_of(group)
        origin = next(member for member in group if member.id == finding.id)
        stories[story] = (len(group), _origin_summary(origin), finding.uncertain)
    origins = {story: origin["id"] for story, (_, origin, _) in stories.items()}
    for match in matches:
        article_id = match["article"]["id"]
        story = memberships.get(article_id)
        credited = credits.get(article_id, [])
        match["story_id"] = story
        match["attribution"] = {
            "status": attribution_status(
                story is not None and origins.get(story) == article_id, story is not None, credited
            ),
            "credited": credited,
        }
    best = next(
        (memberships[match["article"]["id"]] for match in matches if match["article"]["id"] in memberships), None
    )
    if best is None or best not in stories:
        return None
    size, origin, uncertain = stories[best]
    return {"id": best, "size": size, "origin": origin, "origin_uncertain": uncertain}


def _copy_detail(origin: Member, copy: Member, prints: dict, settings, story_outlets: list[str]) -> dict:
    texts = dict(database.execute_sql("SELECT id, text FROM article WHERE id IN (?, ?)", (origin.id, copy.id)))
    copy_print, origin_print = prints.get(copy.id), prints.get(origin.id)
    shared: list[Shared] = []
    share_of_origin = share_of_copy = similarity = None
    relation = None
    if copy_print is not None and origin_print is not None:
        comparison = compare(copy_print, origin_print, settings.verify if settings else VerifyOptions())
        shared = [
            Shared(p.query_start, p.query_end, p.match_start, p.match_end)
            for p in comparison.passages
            if not p.boilerplate
        ]
        share_of_origin = round(comparison.containment_match, 4)
        share_of_copy = round(comparison.containment_query, 4)
        similarity = round(comparison.similarity, 4)
        relation = comparison.relation
    changes = describe_changes(
        texts[origin.id], texts[copy.id], shared, origin_title=origin.title, copy_title=copy.title
    )
    others = [name for name in story_outlets if name != copy.outlet]
    credits = [c for c in find_credits(texts[copy.id], outlets=others) if c.name != copy.outlet]
    credited = list(dict.fromkeys(c.name for c in credits))
    return {
        "article": copy.summary(),
        "share_of_origin": share_of_origin,
        "share_of_copy": share_of_copy,
        "similarity": similarity,
        "relation": relation,
        "changes": changes,
        "attribution": {
            "status": attribution_status(False, True, credited),
            "credited": credited,
            "credits_origin": origin.outlet in credited,
            "credits": [c.to_json() for c in credits],
        },
        "passages": [
            {
                "copy_start": s.copy_start,
                "copy_end": s.copy_end,
                "origin_start": s.origin_start,
                "origin_end": s.origin_end,
            }
            for s in shared
        ],
    }


def story_detail(story_id: int, settings) -> dict:
    """The story, its origin and every copy with its share of the origin, its changes and its attribution."""
    survivor, merged_into = resolve_story(story_id)
    members = story_members([survivor]).get(survivor, [])
    if not members:
        raise ApiError(404, f"story {story_id} was dissolved: its articles no longer share text with each other")
    row = database.execute_sql(
        "SELECT created_at, updated_at, split_from FROM story WHERE id = ?", (survivor,)
    ).fetchone()
    finding = _origin_of(members)
    by_id = {m.id: m for m in members}
    origin = by_id[finding.id]
    outlets = list(dict.fromkeys(by_id[i].outlet for i in finding.timeline))
    prints = {m.id: load_fingerprint(m.id, settings.params) for m in members}
    copies = [_copy_detail(origin, by_id[i], prints, settings, outlets) for i in finding.timeline if i != origin.id]
    dates = [m.published_at for m in members if m.published_at]
    return {
        "id": survivor,
        "requested_id": story_id,
        "merged_into": merged_into,
        "split_from": row[2],
        "created_at": row[0],
        "updated_at": row[1],
        "size": len(members),
        "outlets": outlets,
        "first_published_at": min(dates) if dates else None,
        "last_published_at": max(dates) if dates else None,
        "origin": {**origin.summary(), "attribution": {"status": "origin", "credited": []}},
        "origin_uncertain": finding.uncertain,
        "origin_reason": finding.reason,
        "timeline": [
            {**by_id[i].summary(), "dated": by_id[i].published_at is not None, "is_origin": i == origin.id}
            for i in finding.timeline
        ],
        "copies": copies,
    }


def _date_filter(column: str, since: str | None, until: str | None) -> tuple[str, list]:
    clauses, values = date_clauses(column, since, until)
    return " AND ".join(clauses), values


def story_rows(
    *,
    after_id: int | None = None,
    limit: int = 50,
    outlet: str | None = None,
    since: str | None = None,
    until: str | None = None,
    min_size: int = 2,
) -> list[dict]:
    """Stories by id (their first date in range, with a member from ``outlet``, ``min_size`` articles or more)."""
    first = "MIN(COALESCE(a.published_at, a.first_seen_at))"
    having, values = _date_filter(first, since, until)
    where, where_values = ["s.merged_into IS NULL"], []
    if after_id is not None:
        where.append("s.id > ?")
        where_values.append(after_id)
    if outlet:
        where.append(
            "EXISTS (SELECT 1 FROM article_story m2 JOIN article a2 ON a2.id = m2.article_id JOIN outlet o2 ON "
            "o2.id = a2.outlet_id WHERE m2.story_id = s.id AND o2.name = ?)"
        )
        where_values.append(outlet.strip().lower())
    sql = (
        f"SELECT s.id, s.created_at, s.updated_at, COUNT(*) FROM story s JOIN article_story m ON m.story_id = s.id "
        f"JOIN article a ON a.id = m.article_id WHERE {' AND '.join(where)} GROUP BY s.id "
        f"HAVING COUNT(*) >= ?{' AND ' + having if having else ''} ORDER BY s.id LIMIT ?"
    )
    rows = database.execute_sql(sql, [*where_values, min_size, *values, limit]).fetchall()
    members = story_members([row[0] for row in rows])
    result = []
    for story_id, created_at, updated_at, size in rows:
        group = members[story_id]
        finding = _origin_of(group)
        by_id = {m.id: m for m in group}
        dates = [m.published_at for m in group if m.published_at]
        result.append(
            {
                "id": story_id,
                "size": size,
                "origin": _origin_summary(by_id[finding.id]),
                "origin_uncertain": finding.uncertain,
                "outlets": list(dict.fromkeys(by_id[i].outlet for i in finding.timeline)),
                "first_published_at": min(dates) if dates else None,
                "last_published_at": max(dates) if dates else None,
                "created_at": created_at,
                "updated_at": updated_at,
                "articles": [m.id for m in group],
            }
        )
    return result


@dataclass
class _Edge:
    copies: dict[int, int]  # copy article id -> words copied (its largest link to this source)


def _directed_links(since: str | None, until: str | None):
    """(source outlet, copy outlet, copy id, words) for every link across outlets, the copy's date in range."""
    rows = database.execute_sql(
        "SELECT l.article_a, l.article_b, l.shared_tokens, a.published_at, a.first_seen_at, oa.name, "
        "b.published_at, b.first_seen_at, ob.name FROM reuse_link l "
        "JOIN article a ON a.id = l.article_a JOIN outlet oa ON oa.id = a.outlet_id "
        "JOIN article b ON b.id = l.article_b JOIN outlet ob ON ob.id = b.outlet_id"
    )
    for a_id, b_id, words, a_pub, a_seen, a_outlet, b_pub, b_seen, b_outlet in rows:
        if a_outlet == b_outlet:
            continue  # an outlet's own versions of a story are not copying
        first, second = Dated(a_id, a_pub, a_seen), Dated(b_id, b_pub, b_seen)
        if timeline_key(second) < timeline_key(first):
            source, source_order, copy, copy_date = b_outlet, timeline_key(second), (a_id, a_outlet), a_pub or a_seen
        else:
            source, source_order, copy, copy_date = a_outlet, timeline_key(first), (b_id, b_outlet), b_pub or b_seen
        if since and copy_date < since:
            continue
        if until and copy_date > until_bound(until):
            continue
        yield source, copy[1], copy[0], words, source_order


def _edges(since: str | None = None, until: str | None = None) -> dict[tuple[str, str], _Edge]:
    """One edge per copy: from the earlier article of another outlet it shares the most words with.

    A copy is linked to every earlier member of its story it shares text with
    (the origin, and the copies that came out before it); counting them all
    would say a late copy copied every outlet that ran the story first. The
    article it shares most with is its likeliest source; ties go to the
    earliest.
    """
    best: dict[int, tuple] = {}
    for source, target, copy_id, words, source_order in _directed_links(since, until):
        candidate = (-words, source_order, source, target)
        if copy_id not in best or candidate < best[copy_id]:
            best[copy_id] = candidate
    edges: dict[tuple[str, str], _Edge] = {}
    for copy_id, (negative_words, _, source, target) in best.items():
        edges.setdefault((source, target), _Edge({})).copies[copy_id] = -negative_words
    return edges


def network_edges(
    *, since: str | None = None, until: str | None = None, outlet: str | None = None, min_articles: int = 1
) -> list[dict]:
    """Directed outlet-to-outlet edges (source published first), heaviest first."""
    wanted = outlet.strip().lower() if outlet else None
    rows = []
    for (source, target), edge in _edges(since, until).items():
        if wanted and wanted not in (source, target):
            continue
        if len(edge.copies) < min_articles:
            continue
        rows.append(
            {"source": source, "target": target, "articles": len(edge.copies), "words": sum(edge.copies.values())}
        )
    rows.sort(key=lambda row: (-row["articles"], -row["words"], row["source"], row["target"]))
    return rows


def outlet_copying(outlet_name: str, since: str | None = None, until: str | None = None) -> dict:
    """How much of an outlet's output is copied from others, from whom, and who republishes it.

    ``articles``: the outlet's articles dated in range (undated ones by when
    wiretrace first saw them); ``copied``: how many of them copy an earlier
    article of another outlet; ``copied_from`` and ``republished_by``: the
    other outlets with ``articles`` (distinct copies) and ``words`` copied.
    """
    name = outlet_name.strip().lower()
    where, values = _date_filter("COALESCE(a.published_at, a.first_seen_at)", since, until)
    total = database.execute_sql(
        "SELECT COUNT(*) FROM article a JOIN outlet o ON o.id = a.outlet_id WHERE o.name = ?"
        + (f" AND {where}" if where else ""),
        [name, *values],
    ).fetchone()[0]
    edges = _edges(since, until)
    copied_ids: set[int] = set()
    copied_from, republished_by = [], []
    for (source, target), edge in edges.items():
        row = {"articles": len(edge.copies), "words": sum(edge.copies.values())}
        if target == name:
            copied_ids |= set(edge.copies)
            copied_from.append({"outlet": source, **row})
        if source == name:
            republished_by.append({"outlet": target, **row})
    for rows in (copied_from, republished_by):
        rows.sort(key=lambda row: (-row["articles"], -row["words"], row["outlet"]))
    return {
        "outlet": name,
        "articles": total,
        "copied": len(copied_ids),
        "copied_share": round(len(copied_ids) / total, 4) if total else 0.0,
        "copied_from": copied_from,
        "republished_by": republished_by,
    }


def article_rows(since: str | None = None, until: str | None = None) -> list[dict]:
    """Every article with its story, whether it is the story's origin, and its stored attribution finding."""
    where, values = _date_filter("COALESCE(a.published_at, a.first_seen_at)", since, until)
    rows = database.execute_sql(
        "SELECT a.id, a.url, o.name, a.title, a.published_at, a.first_seen_at, a.token_count, m.story_id, "
        "s.credited FROM article a JOIN outlet o ON o.id = a.outlet_id "
        "LEFT JOIN article_story m ON m.article_id = a.id LEFT JOIN link_state s ON s.article_id = a.id"
        + (f" WHERE {where}" if where else "")
        + " ORDER BY a.id",
        values,
    ).fetchall()
    story_ids = sorted({row[7] for row in rows if row[7] is not None})
    members = story_members(story_ids)
    findings = {story: _origin_of(group) for story, group in members.items()}
    origins = {story: finding.id for story, finding in findings.items()}
    result = []
    for article_id, url, outlet, title, published_at, first_seen_at, tokens, story, credited in rows:
        credited_list = json.loads(credited) if credited else []
        is_origin = story is not None and origins.get(story) == article_id
        result.append(
            {
                "id": article_id,
                "url": url,
                "outlet": outlet,
                "title": title,
                "published_at": published_at,
                "first_seen_at": first_seen_at,
                "words": tokens,
                "story_id": story,
                "is_origin": is_origin,
                "attribution_status": attribution_status(is_origin, story is not None, credited_list),
                "credited": credited_list,
            }
        )
    return result


def links_rows() -> list[tuple]:
    return database.execute_sql(
        "SELECT article_a, article_b, similarity, containment_a, containment_b, shared_tokens, relation "
        "FROM reuse_link ORDER BY article_a, article_b"
    ).fetchall()


# Article and Outlet are imported for callers that type against them.
_ = (Article, Outlet)
