"""Reuse links between stored articles, and the stories they make.

A link is a pair of stored articles that verification reports as a match
(the same :func:`server.matching.find_matches` the match API runs, on the
stored article's fingerprint). Linked articles form stories: a story is a
connected group of links, kept incrementally as articles arrive.

Story ids are stable:

* re-linking an article whose links did not change changes no story;
* when a new link joins two stories, they merge into the older (lower) id
  and the other story records ``merged_into``, so its id still resolves;
* when a story splits (an updated article no longer bridges two groups), the
  part holding the story's lowest article id keeps the id and every other
  part becomes a new story that records ``split_from``;
* an article left with no links leaves its story; a story left with no
  articles is dissolved (its id answers 404).

Matching runs before the write transaction; the transaction (IMMEDIATE, as
in server.store) then replaces the article's links and recomputes the
stories around them from the links as committed, so several processes can
link at once and the stories stay consistent.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from fingerprints.attribution import credited_names

from .db import Article, database, utc_now
from .matching import MatchSettings, find_matches
from .store import load_fingerprint
from .stories import record_origins

__all__ = ["LINK_LIMIT", "link_articles", "pending_articles", "LinkSummary"]

# Matches kept per article: a story's members link to each other, so even a
# story with thousands of copies stays connected through the best 200.
LINK_LIMIT = 200


@dataclass
class LinkSummary:
    linked: int = 0
    links: int = 0
    skipped: int = 0  # not fingerprinted with the current parameters, or changed meanwhile


# An article's links (and its story's recorded origin) are current when they were made for its
# present text and date: a corrected date can move the origin. Pending is the opposite.
_LINKS_CURRENT = "s.content_hash = a.content_hash AND s.published_at IS a.published_at"


def pending_articles() -> list[int]:
    """Articles with no link record for their current text and date.

    A corrected date can move its story's origin, which linking records.
    """
    rows = database.execute_sql(
        "SELECT a.id FROM article a LEFT JOIN link_state s ON s.article_id = a.id "
        f"WHERE s.article_id IS NULL OR NOT ({_LINKS_CURRENT}) ORDER BY a.id"
    )
    return [article_id for (article_id,) in rows]


@dataclass(frozen=True)
class _Found:
    article_id: int
    content_hash: str
    links: list[tuple]  # rows for reuse_link
    credited: list[str]


def _find(article: Article, settings: MatchSettings, params_row: int) -> _Found | None:
    query = load_fingerprint(article.id, settings.params)
    if query is None:
        return None
    matches = find_matches(query, settings, params_row, limit=LINK_LIMIT, exclude_ids={article.id})
    rows = []
    now = utc_now()
    for match in matches:
        comparison = match.comparison
        words = sum(p.tokens for p in comparison.passages if not p.boilerplate and not p.quoted)
        mine, theirs = comparison.containment_query, comparison.containment_match
        relation = comparison.relation
        if match.article.id < article.id:
            mine, theirs = theirs, mine
            relation = {"contained_in": "contains", "contains": "contained_in"}.get(relation, relation)
            pair = (match.article.id, article.id)
        else:
            pair = (article.id, match.article.id)
        rows.append((*pair, round(comparison.similarity, 4), round(mine, 4), round(theirs, 4), words, relation, now))
    own_outlet = article.outlet.name
    partners = {match.article.outlet.name for match in matches} - {own_outlet}
    credited = [name for name in credited_names(article.text, outlets=sorted(partners)) if name != own_outlet]
    return _Found(article.id, article.content_hash, rows, credited)


def _neighbours(connection, article_id: int) -> set[int]:
    rows = connection.execute(
        "SELECT article_b FROM reuse_link WHERE article_a = ? "
        "UNION SELECT article_a FROM reuse_link WHERE article_b = ?",
        (article_id, article_id),
    )
    return {other for (other,) in rows}


def _neighbours_of(connection, articles: set[int]) -> dict[int, set[int]]:
    found: dict[int, set[int]] = {article: set() for article in articles}
    ordered = sorted(articles)
    for start in range(0, len(ordered), 450):
        chunk = ordered[start : start + 450]
        marks = ",".join("?" * len(chunk))
        rows = connection.execute(
            f"SELECT article_a, article_b FROM reuse_link WHERE article_a IN ({marks}) OR article_b IN ({marks})",
            [*chunk, *chunk],
        )
        for a, b in rows:
            if a in found:
                found[a].add(b)
            if b in found:
                found[b].add(a)
    return found


def _components(connection, start: Iterable[int]) -> list[set[int]]:
    """The connected groups of the link graph holding ``start``, walked a whole frontier per query."""
    seen: set[int] = set()
    components = []
    for first in sorted(set(start)):
        if first in seen:
            continue
        component = {first}
        frontier = {first}
        while frontier:
            reached = set().union(*_neighbours_of(connection, frontier).values())
            frontier = reached - component
            component |= frontier
        seen |= component
        components.append(component)
    return components


def _previous_stories(connection, articles: set[int]) -> dict[int, int]:
    found = {}
    ordered = sorted(articles)
    for start in range(0, len(ordered), 900):
        chunk = ordered[start : start + 900]
        rows = connection.execute(
            f"SELECT article_id, story_id FROM article_story WHERE article_id IN ({','.join('?' * len(chunk))})",
            chunk,
        )
        found.update(rows)
    return found


def _restory(connection, affected: set[int]) -> None:
    """Bring the stories of ``affected`` articles (and of everything linked to them) in line with the links."""
    components = _components(connection, affected)
    members = set().union(*components) if components else set()
    previous = _previous_stories(connection, members)
    # Every former member of those stories must be placed again too.
    stories = sorted(set(previous.values()))
    if stories:
        rows = connection.execute(
            f"SELECT article_id, story_id FROM article_story WHERE story_id IN ({','.join('?' * len(stories))})",
            stories,
        )
        extra = {article: story for article, story in rows if article not in members}
        if extra:
            components += _components(connection, set(extra) - members)
            members = set().union(*components)
            previous.update(extra)
    component_of = {article: index for index, component in enumerate(components) for article in component}
    # Each old story goes to the part (of two or more articles) holding its lowest article id.
    owner: dict[int, int] = {}
    for article in sorted(previous):
        story = previous[article]
        if story not in owner and len(components[component_of[article]]) > 1:
            owner[story] = component_of[article]
    now = utc_now()
    standing: list[int] = []
    for index in sorted(range(len(components)), key=lambda i: min(components[i])):
        component = components[index]
        if len(component) == 1:
            (alone,) = component
            connection.execute("DELETE FROM article_story WHERE article_id = ?", (alone,))
            continue
        owned = sorted(story for story, place in owner.items() if place == index)
        if owned:
            survivor = owned[0]
            for merged in owned[1:]:
                connection.execute(
                    "UPDATE story SET merged_into = ?, updated_at = ? WHERE id = ?", (survivor, now, merged)
                )
            connection.execute("UPDATE story SET updated_at = ? WHERE id = ?", (now, survivor))
        else:
            parents = sorted({previous[a] for a in component if a in previous})
            survivor = connection.execute(
                "INSERT INTO story (created_at, updated_at, split_from) VALUES (?, ?, ?)",
                (now, now, parents[0] if parents else None),
            ).lastrowid
        changed = [(survivor, now, article) for article in sorted(component) if previous.get(article) != survivor]
        connection.executemany(
            "INSERT INTO article_story (story_id, joined_at, article_id) VALUES (?, ?, ?) "
            "ON CONFLICT(article_id) DO UPDATE SET story_id = excluded.story_id, joined_at = excluded.joined_at",
            changed,
        )
        standing.append(survivor)
    record_origins(standing)


def _write(found: list[_Found]) -> int:
    links = 0
    with database.atomic("IMMEDIATE"):
        connection = database.connection()
        affected: set[int] = set()
        for item in found:
            current = connection.execute(
                "SELECT content_hash, published_at FROM article WHERE id = ?", (item.article_id,)
            ).fetchone()
            if current is None or current[0] != item.content_hash:
                continue  # changed since it was matched: still pending, linked next time
            affected |= _neighbours(connection, item.article_id) | {item.article_id}
            connection.execute(
                "DELETE FROM reuse_link WHERE article_a = ? OR article_b = ?", (item.article_id, item.article_id)
            )
            connection.executemany(
                "INSERT OR REPLACE INTO reuse_link (article_a, article_b, similarity, containment_a, containment_b, "
                "shared_tokens, relation, computed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                item.links,
            )
            links += len(item.links)
            affected |= {row[0] for row in item.links} | {row[1] for row in item.links}
            connection.execute(
                "INSERT INTO link_state (article_id, content_hash, linked_at, credited, published_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT(article_id) DO UPDATE SET content_hash = excluded.content_hash, "
                "linked_at = excluded.linked_at, credited = excluded.credited, published_at = excluded.published_at",
                (
                    item.article_id,
                    item.content_hash,
                    utc_now(),
                    json.dumps(item.credited, ensure_ascii=False),
                    current[1],
                ),
            )
        _restory(connection, affected)
    return links


def link_articles(
    article_ids: Iterable[int],
    settings: MatchSettings,
    params_row: int,
    *,
    batch_size: int = 50,
    progress: Callable[[int], None] | None = None,
    only_pending: bool = False,
) -> LinkSummary:
    """Link each article to the stored articles it matches, and update the stories around them.

    ``only_pending``: skip the articles whose links are current for their text and date.
    """
    summary = LinkSummary()
    ids = list(dict.fromkeys(article_ids))
    if only_pending and ids:
        current = set()
        for start in range(0, len(ids), 900):
            chunk = ids[start : start + 900]
            rows = database.execute_sql(
                "SELECT s.article_id FROM link_state s JOIN article a ON a.id = s.article_id "
                f"WHERE {_LINKS_CURRENT} AND s.article_id IN ({','.join('?' * len(chunk))})",
                chunk,
            )
            current.update(article_id for (article_id,) in rows)
        ids = [article_id for article_id in ids if article_id not in current]
    for start in range(0, len(ids), batch_size):
        chunk = ids[start : start + batch_size]
        articles = {article.id: article for article in Article.select().where(Article.id.in_(chunk))}
        found = []
        for article_id in chunk:
            article = articles.get(article_id)
            item = _find(article, settings, params_row) if article is not None else None
            if item is None:
                summary.skipped += 1
            else:
                found.append(item)
        summary.links += _write(found)
        summary.linked += len(found)
        if progress is not None:
            progress(len(chunk))
    return summary
