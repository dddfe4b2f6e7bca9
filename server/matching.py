"""Answering "which stored articles carry this text?".

Two indexes propose candidates: the winnowed-shingle postings (any shared run
of ``params.guaranteed_run`` tokens or more shares a posting, which is how a
150-word passage inside a long article is found) and the MinHash LSH bands
(whole-text near-duplicates). Verification in :mod:`fingerprints.verify`
decides; nothing unverified is returned.

Boilerplate is decided here because it needs the corpus: a passage is set
aside when most of its winnowed hashes recur in at least
``BOILERPLATE_MIN_STORIES`` different stories of some one outlet, which is
what navigation, newsletter prompts, copyright and correction lines look
like. Counting distinct stories rather than articles
keeps an outlet's many versions of one story from looking like boilerplate.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from fingerprints import (
    Comparison,
    Fingerprint,
    FingerprintParams,
    VerifyOptions,
    align,
    covered_tokens,
    score,
    set_aside_boilerplate,
)
from fingerprints.verify import align_if_verifiable, required_evidence, weigh_evidence

from .db import Article, Outlet, database
from .index_tiers import TIERS
from .outlets import registry_labels
from .store import article_summary

__all__ = ["MatchSettings", "find_matches", "Match"]

# SQLite's default limit on bound parameters is 32766; stay far below.
_CHUNK = 900


@dataclass(frozen=True)
class MatchSettings:
    params: FingerprintParams
    verify: VerifyOptions
    boilerplate_min_stories: int = 5
    # Candidates verified per query beyond the requested limit: the index's
    # ranking is only a hint, verification's is the answer.
    min_candidates: int = 100
    # Boilerplate is told apart by looking up the outlets of the articles a
    # query's postings name, up to this many; beyond it SQLite groups them.
    outlet_lookup_limit: int = 20_000


@dataclass(frozen=True)
class Match:
    article: Article
    comparison: Comparison
    outlet_labels: tuple[str, ...] = ()  # the registry's labels for the article's outlet

    def to_json(self) -> dict:
        comparison = self.comparison
        return {
            "article": {
                **article_summary(self.article),
                "outlet_display_name": self.article.outlet.display_name,
                "outlet_labels": list(self.outlet_labels),
            },
            "similarity": round(comparison.similarity, 4),
            "containment_query": round(comparison.containment_query, 4),
            "containment_match": round(comparison.containment_match, 4),
            "relation": comparison.relation,
            "passages": [passage.to_json() for passage in comparison.passages],
        }


def _chunks(values: list, size: int = _CHUNK):
    for start in range(0, len(values), size):
        yield values[start : start + size]


class Postings:
    """The stored articles that have a posting for each of a query's winnowed hashes.

    Read once per query, in both tiers: ranking candidates needs how many of
    the hashes each article has, and telling boilerplate apart needs which
    articles carry each hash. A wire story with hundreds of stored copies
    yields tens of thousands of posting rows; SQLite hands each hash's over
    as one string and numpy counts them (grouping them in SQLite cost five
    times the scan itself, one Python tuple per row more still).
    """

    def __init__(self, by_hash: dict[int, list[np.ndarray]]) -> None:
        lists = [np.concatenate(found) for found in by_hash.values()]
        self.hash_values = list(by_hash)
        self.lengths = np.asarray([len(found) for found in lists], dtype=np.int64)
        # One row per posting: its article, and which of ``hash_values`` it is for.
        self.article_ids = np.concatenate(lists) if lists else np.zeros(0, dtype=np.int64)
        self.hash_numbers = np.repeat(np.arange(len(lists), dtype=np.int64), self.lengths)

    @classmethod
    def read(cls, hashes: list[int]) -> Postings:
        by_hash: dict[int, list[np.ndarray]] = {}
        for chunk in _chunks(hashes):
            marks = ",".join("?" * len(chunk))
            # Each tier on its own, in its key order: the grouping costs no sort.
            for tier in TIERS:
                rows = database.execute_sql(
                    f"SELECT hash, group_concat(article_id) FROM posting_{tier} WHERE hash IN ({marks}) GROUP BY hash",
                    chunk,
                )
                for hash_value, listed in rows:
                    by_hash.setdefault(hash_value, []).append(np.fromstring(listed, dtype=np.int64, sep=","))
        return cls(by_hash)

    @cached_property
    def articles(self) -> tuple[np.ndarray, np.ndarray]:
        """(distinct article ids, postings per article)."""
        return np.unique(self.article_ids, return_counts=True)

    def hits(self) -> dict[int, int]:
        """How many of the hashes each stored article has a posting for."""
        article_ids, counts = self.articles
        return dict(zip(article_ids.tolist(), counts.tolist(), strict=True))


def _band_hits(keys: list[int]) -> set[int]:
    marks = ",".join("?" * len(keys))
    rows = database.execute_sql(f"SELECT DISTINCT article_id FROM band WHERE key IN ({marks})", keys)
    return {article_id for (article_id,) in rows}


def _needed_hits(evidence_tokens: int, params: FingerprintParams) -> int:
    """Shared postings a verifiable pair has at the least, with a safety margin.

    A shared run of n shingles holds a selected (winnowed) hash in every
    window of ``winnow_window`` shingles, so ``evidence_tokens`` of shared
    text show up as about evidence / window postings. Copy-editing can split
    the evidence into short runs that hold fewer, hence the halving.
    """
    shingles = evidence_tokens - params.shingle_size + 1
    return max(1, shingles // params.winnow_window // 2)


def candidates(
    query: Fingerprint, settings: MatchSettings, wanted: int, exclude: set[int], postings: Postings | None = None
) -> list[int]:
    """Article ids worth verifying, most promising first.

    A candidate must share as many postings as the evidence verification will
    demand of it implies; that keeps the thousands of articles that share a
    stock phrase or two with any text out of verification.
    """
    params = settings.params
    if postings is None:
        postings = Postings.read([int(value) for value in query.winnowed])
    hits = postings.hits()
    for article_id in exclude:
        hits.pop(article_id, None)
    strong_enough = _needed_hits(required_evidence(query.token_count, query.token_count, settings.verify), params)
    proposed = {article_id: count for article_id, count in hits.items() if count >= strong_enough}
    # Shorter articles need less evidence, so fewer postings: look at their
    # lengths before turning them away.
    weaker = sorted(
        (article_id for article_id, count in hits.items() if count < strong_enough),
        key=lambda article_id: -hits[article_id],
    )[: 4 * _CHUNK]
    for chunk in _chunks(weaker):
        rows = database.execute_sql(
            f"SELECT id, token_count FROM article WHERE id IN ({','.join('?' * len(chunk))})", chunk
        )
        for article_id, token_count in rows:
            needed = _needed_hits(required_evidence(query.token_count, token_count, settings.verify), params)
            if hits[article_id] >= needed:
                proposed[article_id] = hits[article_id]
    for article_id in _band_hits(query.band_keys):
        if article_id not in exclude:
            proposed.setdefault(article_id, 0)
    ranked = sorted(proposed, key=lambda article_id: (-proposed[article_id], article_id))
    return ranked[:wanted]


def _load_fingerprints(article_ids: list[int], params: FingerprintParams, params_row: int) -> dict[int, Fingerprint]:
    loaded = {}
    for chunk in _chunks(article_ids):
        rows = database.execute_sql(
            "SELECT article_id, shingles, spans, quoted, signature FROM fingerprint "
            f"WHERE params_id = ? AND article_id IN ({','.join('?' * len(chunk))})",
            [params_row, *chunk],
        )
        for article_id, shingles, spans, quoted, signature in rows:
            blobs = {"shingles": shingles, "spans": spans, "quoted": quoted, "signature": signature}
            loaded[article_id] = Fingerprint.from_blobs(params, blobs)
    return loaded


def _story_representatives(samples: list[tuple[int, np.ndarray]], enough: int) -> list[int]:
    """One article id per different story among ``samples``, up to ``enough``.

    Articles whose MinHash signatures estimate a Jaccard similarity of 0.5 or
    more are versions of one story (an update, a re-issue, a trim);
    articles that share only an outlet's boilerplate are far below that.
    """
    stories: list[tuple[int, np.ndarray]] = []
    for article_id, signature in samples:
        if not any(np.count_nonzero(signature == other) * 2 >= len(other) for _, other in stories):
            stories.append((article_id, signature))
            if len(stories) >= enough:
                break
    return [article_id for article_id, _ in stories]


def _signatures(article_ids: list[int]) -> dict[int, np.ndarray]:
    found = {}
    for chunk in _chunks(article_ids):
        rows = database.execute_sql(
            f"SELECT article_id, signature FROM fingerprint WHERE article_id IN ({','.join('?' * len(chunk))})", chunk
        )
        found.update((article_id, np.frombuffer(blob, dtype="<u4")) for article_id, blob in rows)
    return found


def _outlet_ids(article_ids: np.ndarray) -> np.ndarray:
    """The outlet of each of ``article_ids``, in the same order (-1 for an article deleted meanwhile)."""
    outlets = {}
    for chunk in _chunks(article_ids.tolist()):
        rows = database.execute_sql(
            f"SELECT id, outlet_id FROM article WHERE id IN ({','.join('?' * len(chunk))})", chunk
        )
        outlets.update(rows)
    return np.asarray([outlets.get(article_id, -1) for article_id in article_ids.tolist()], dtype=np.int64)


def _frequent_pairs(hashes: list[int], at_least: int, postings: Postings, lookup_limit: int) -> dict:
    """The (hash, outlet) pairs among ``hashes`` with at least ``at_least`` postings, each with its first article ids.

    The query's postings are already read: looking up the outlets of the
    articles they name is a fraction of reading the posting rows again. When
    boilerplate has spread the hashes over more than ``lookup_limit``
    articles, SQLite groups them instead.
    """
    wanted = np.isin(np.asarray(postings.hash_values, dtype=np.int64), np.asarray(hashes, dtype=np.int64))
    qualifying = wanted & (postings.lengths >= at_least)
    if not qualifying.any():
        return {}
    named, _ = postings.articles
    rows = np.flatnonzero(qualifying[postings.hash_numbers])
    article_numbers = np.searchsorted(named, postings.article_ids[rows])
    involved = np.zeros(len(named), dtype=bool)
    involved[article_numbers] = True
    involved = np.flatnonzero(involved)
    if len(involved) > lookup_limit:
        return _frequent_pairs_in_sqlite([postings.hash_values[i] for i in np.flatnonzero(qualifying)], at_least)
    # The outlet of every article involved, numbered densely, then every
    # posting as a (hash, outlet) pair: counting those is one pass, not a sort.
    outlets, numbers = np.unique(_outlet_ids(named[involved]), return_inverse=True)
    outlet_number_of = np.zeros(len(named), dtype=np.int64)
    outlet_number_of[involved] = numbers
    pairs = postings.hash_numbers[rows] * len(outlets) + outlet_number_of[article_numbers]
    possible = len(postings.hash_values) * len(outlets)
    if possible <= 8 * len(pairs) + 4096:
        is_frequent = (np.bincount(pairs, minlength=possible) >= at_least)[pairs]
    else:  # too many possible pairs for a table of them: sort instead
        _, pair_numbers, counts = np.unique(pairs, return_inverse=True, return_counts=True)
        is_frequent = counts[pair_numbers] >= at_least
    kept, kept_pairs = rows[is_frequent], pairs[is_frequent]
    if not len(kept):
        return {}
    # Grouped by pair, each pair's articles in ascending id order.
    order = np.lexsort((postings.article_ids[kept], kept_pairs))
    kept, kept_pairs = kept[order], kept_pairs[order]
    firsts = np.flatnonzero(np.diff(kept_pairs, prepend=-1)).tolist()
    found = {}
    for first, end in zip(firsts, [*firsts[1:], len(kept)], strict=True):
        hash_number, outlet_number = divmod(int(kept_pairs[first]), len(outlets))
        members = postings.article_ids[kept[first : min(end, first + _SAMPLE)]]
        found[(postings.hash_values[hash_number], int(outlets[outlet_number]))] = members.tolist()
    return found


# A sample is enough: boilerplate recurs across many stories, so the first
# few dozen articles (by id) already show several.
_SAMPLE = 64


def _frequent_pairs_in_sqlite(hashes: list[int], at_least: int) -> dict:
    """:func:`_frequent_pairs`, grouped by SQLite: for hashes carried by very many articles.

    Each tier is grouped on its own, in its key order: grouping the view's
    rows would sort every posting. A pair whose postings are split between
    the tiers has at least half of them in one tier, so that tier's pairs
    with half as many are counted again over both tiers.
    """
    half = (at_least + 1) // 2
    found: set[tuple[int, int]] = set()
    maybe: set[tuple[int, int]] = set()
    for chunk in _chunks(hashes):
        marks = ",".join("?" * len(chunk))
        for tier in TIERS:
            rows = database.execute_sql(
                f"SELECT hash, outlet_id, COUNT(*) FROM posting_{tier} WHERE hash IN ({marks}) "
                "GROUP BY hash, outlet_id HAVING COUNT(*) >= ?",
                [*chunk, half],
            )
            for hash_value, outlet_id, count in rows:
                (found if count >= at_least else maybe).add((hash_value, outlet_id))
    for pair in maybe - found:
        (count,) = database.execute_sql(
            "SELECT COUNT(*) FROM posting WHERE hash = ? AND outlet_id = ?", list(pair)
        ).fetchone()
        if count >= at_least:
            found.add(pair)
    samples = {}
    for pair in sorted(found):
        first = []
        for tier in TIERS:
            first += [
                article_id
                for (article_id,) in database.execute_sql(
                    f"SELECT article_id FROM posting_{tier} WHERE hash = ? AND outlet_id = ? "
                    f"ORDER BY article_id LIMIT {_SAMPLE}",
                    list(pair),
                )
            ]
        samples[pair] = sorted(first)[:_SAMPLE]
    return samples


def _boilerplate_carriers(
    hashes: list[int], settings: MatchSettings, exclude: set[int], postings: Postings
) -> set[tuple[int, int]]:
    """For each hash that recurs in ``min_stories`` different stories of some one outlet, two of those stories.

    Any outlet counts, not only the two being compared: an outlet's promo or
    newsletter box carried along by a copy on another site is still that
    outlet's boilerplate. The two carriers (different stories, neither of
    them the query) show the boilerplate's exact extent: what the query
    shares with both.
    """
    if not hashes:
        return set()
    min_stories = settings.boilerplate_min_stories
    frequent = _frequent_pairs(hashes, min_stories, postings, settings.outlet_lookup_limit)
    samples = [
        [article_id for article_id in sample if article_id not in exclude] for _pair, sample in sorted(frequent.items())
    ]
    carriers: set[tuple[int, int]] = set()
    # The signature is the last column of a fingerprint row, behind its
    # largest blobs: read each one once, not once per hash that names it.
    signatures = _signatures(sorted({article_id for sample in samples for article_id in sample}))
    for sample in samples:
        stories = _story_representatives([(a, signatures[a]) for a in sample if a in signatures], min_stories)
        if len(stories) >= min_stories:
            carriers.add((stories[0], stories[1]))
    return carriers


def _boilerplate_tokens(
    query: Fingerprint, carriers: set[tuple[int, int]], prints: dict[int, Fingerprint], settings, params_row: int
) -> np.ndarray:
    """The query's tokens that two different stories of one outlet both carry."""
    mask = np.zeros(query.token_count, dtype=bool)
    if not carriers:
        return mask
    needed = sorted({article_id for pair in carriers for article_id in pair} - set(prints))
    loaded = {**prints, **_load_fingerprints(needed, settings.params, params_row)}
    covered: dict[int, np.ndarray] = {}
    for first, second in carriers:
        for carrier in (first, second):
            if carrier not in covered and carrier in loaded:
                covered[carrier] = covered_tokens(query, align(query, loaded[carrier], settings.verify))
        if first in covered and second in covered:
            mask |= covered[first] & covered[second]
    return mask


def _verify_batch(
    query: Fingerprint,
    ids: list[int],
    settings: MatchSettings,
    params_row: int,
    exclude_ids: set[int],
    postings: Postings,
) -> dict[int, Comparison]:
    """Align, set boilerplate aside and score ``ids``; the verified ones."""
    prints = _load_fingerprints(ids, settings.params, params_row)

    aligned: dict[int, list] = {}
    for article_id, print_ in prints.items():
        passages = align_if_verifiable(query, print_, settings.verify)
        if passages is None:  # cannot verify, whatever the alignment
            continue
        # Boilerplate can only take evidence away: a pair that falls short
        # before it is judged needs no further work.
        if weigh_evidence(passages, query.token_count, print_.token_count, settings.verify)[1]:
            aligned[article_id] = passages
    if not aligned:
        return {}

    # Only the hashes inside shared passages can matter, and only the
    # winnowed ones are in the index.
    shared = np.unique(
        np.concatenate(
            [query.shingles[p.query_shingles(query.shingle_width)] for passages in aligned.values() for p in passages]
        )
    )
    carriers = _boilerplate_carriers(
        [int(value) for value in np.intersect1d(shared, query.winnowed)], settings, exclude_ids, postings
    )
    boilerplate = _boilerplate_tokens(query, carriers, prints, settings, params_row)

    verified = {}
    for article_id, passages in aligned.items():
        judged = set_aside_boilerplate(query, prints[article_id], passages, boilerplate, settings.verify)
        comparison = score(query, prints[article_id], judged, settings.verify)
        if comparison.verified:
            verified[article_id] = comparison
    return verified


def _matched_articles(article_ids: list[int]) -> list[Article]:
    """The articles of the verified matches with their outlets, in one query and without their texts.

    Built from plain rows: peewee's query builder and joined-row decoding
    cost more than the query itself, once per request.
    """
    found = []
    for chunk in _chunks(article_ids):
        rows = database.execute_sql(
            "SELECT a.id, a.url, a.title, a.published_at, o.id, o.name, o.display_name "
            f"FROM article AS a JOIN outlet AS o ON o.id = a.outlet_id WHERE a.id IN ({','.join('?' * len(chunk))})",
            chunk,
        )
        for article_id, url, title, published_at, outlet_id, name, display_name in rows:
            outlet = Outlet(id=outlet_id, name=name, display_name=display_name, __no_default__=True)
            found.append(
                Article(
                    id=article_id, url=url, title=title, published_at=published_at, outlet=outlet, __no_default__=True
                )
            )
    return found


def find_matches(
    query: Fingerprint,
    settings: MatchSettings,
    params_row: int,
    *,
    limit: int,
    exclude_ids: set[int] = frozenset(),
) -> list[Match]:
    """Verified matches for ``query``, highest containment of the query first."""
    postings = Postings.read([int(value) for value in query.winnowed])
    ids = candidates(query, settings, max(settings.min_candidates, 4 * limit), set(exclude_ids), postings)
    verified: dict[int, Comparison] = {}
    # Candidates come in falling order of shared postings. Once ``limit`` of
    # them are verified, the rest share fewer postings than each of those,
    # so they would rarely rank above them: a wire story with hundreds of
    # stored copies then costs a limit's worth of verification and a margin
    # (for pairs that fall short once verified), not all of them.
    first = limit + 10
    for batch in (ids[:first], ids[first:]):
        if batch:
            verified.update(_verify_batch(query, batch, settings, params_row, set(exclude_ids), postings))
        if len(verified) >= limit:
            break
    if not verified:
        return []
    articles = _matched_articles(list(verified))
    labels = registry_labels(list({article.outlet_id for article in articles}))
    matches = [Match(article, verified[article.id], tuple(labels[article.outlet_id])) for article in articles]
    matches.sort(
        key=lambda match: (
            -match.comparison.containment_query,
            -match.comparison.similarity,
            match.article.published_at or "9999",
            match.article.id,
        )
    )
    return matches[:limit]
