"""Accuracy: does wiretrace find simulated syndication, and only that?

The three shared corpora (about 23,000 articles) plus the simulator's planted
articles are ingested into a fresh wiretrace database in a temporary
directory, exactly as ``wiretrace ingest`` does it (``ingest_lines``). The
simulated queries are *not* ingested: each is sent to ``POST /api/v1/match``
through the app's test client, with a URL at its simulated outlet, as the
browser extension would send a page it is showing. (Ingesting the queries
and asking ``/articles/<id>/matches`` would let queries match each other,
and their ground truth would then have to cover every pair of queries built
from the same source; the planted articles already put recurring furniture
and quotation partners in the database.)

Three systems answer every query in the same run:

* **wiretrace**: ``POST /api/v1/match`` (limit 50).
* **datasketch**: a plain ``MinHashLSH`` (threshold 0.5, 128 permutations),
  default ``MinHash`` with ``update_batch`` over the same 5-word shingles
  (wiretrace's tokens joined by spaces, UTF-8), in memory.
* **exact**: the brute-force reference (:mod:`reference`), reporting every
  article that shares at least 100 words, or half of the shorter text, with
  the query, page furniture set aside.

Recall is measured over labelled (query, source) pairs, separately for
copies and partial reuse. A reported match is *correct* when it is a
labelled source (or host), or when it is not a labelled negative and the
exact reference confirms that it shares at least 100 words, or half of the
shorter text, of running text with the query outside the simulated page
furniture. Background articles that really duplicate a source (Reuters
re-issues, BBC duplicates) are therefore true matches, not false positives.

Usage::

    .venv/bin/python benchmarks/accuracy.py              # full run, a few minutes
    .venv/bin/python benchmarks/accuracy.py --quick      # smoke test, under a minute
"""

from __future__ import annotations

import argparse
import inspect
import json
import random
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import Article, article_json, data_available, load_corpus  # noqa: E402
from provenance import provenance  # noqa: E402
from reference import ExactReference, Overlap, shares_enough  # noqa: E402
from simulate import Query, Simulation, simulate  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
SYSTEMS = ("wiretrace", "datasketch", "exact")
TARGETS = {"copy_recall": 0.99, "partial_recall": 0.95, "precision": 0.98}
MATCH_LIMIT = 50


def _wiretrace_shingles(text: str) -> list[bytes]:
    from fingerprints import tokenize

    tokens = tokenize(text).words
    width = min(5, len(tokens))
    return [" ".join(tokens[i : i + width]).encode("utf-8") for i in range(len(tokens) - width + 1)] if tokens else []


class DatasketchBaseline:
    """Plain datasketch: default MinHash (sha1_hash32) over the shingles, MinHashLSH at 0.5."""

    def __init__(self) -> None:
        from datasketch import MinHashLSH

        self.lsh = MinHashLSH(threshold=0.5, num_perm=128)

    @staticmethod
    def sign(text: str):
        from datasketch import MinHash

        signature = MinHash(num_perm=128)
        signature.update_batch(_wiretrace_shingles(text))
        return signature

    def insert(self, key: int, text: str) -> None:
        self.lsh.insert(key, self.sign(text))

    def query(self, text: str) -> set[int]:
        return set(self.lsh.query(self.sign(text)))


def _choose_background(corpus: list[Article], simulation: Simulation, quick: bool, seed: int) -> list[Article]:
    if not quick:
        return corpus
    # A smoke test: every article the queries were built from, and some others.
    needed = {source for query in simulation.queries for source in (*query.sources, *query.negatives)}
    others = [article for article in corpus if article.id not in needed]
    extra = set(a.id for a in random.Random(seed).sample(others, min(1500, len(others))))
    return [article for article in corpus if article.id in needed or article.id in extra]


def _ingest(app, articles: list[Article], workdir: Path) -> dict:
    from server.cli import ingest_lines

    path = workdir / "background.jsonl"
    with open(path, "w", encoding="utf-8") as handle:
        for article in articles:
            handle.write(json.dumps(article_json(article), ensure_ascii=False) + "\n")
    started = time.perf_counter()
    with app.app_context(), open(path, "rb") as stream:
        summary = ingest_lines(app, stream, show_progress=False)
    seconds = time.perf_counter() - started
    return {
        "articles": len(articles),
        "created": summary.created,
        "updated": summary.updated,
        "unchanged": summary.unchanged,
        "skipped": summary.skipped[:20],
        "seconds": round(seconds, 2),
        "articles_per_second": round(len(articles) / seconds, 1),
    }


class Judge:
    """Decides whether a reported match is correct, and explains misses and false positives."""

    def __init__(self, background: list[Article], reference: ExactReference):
        self.background = background
        self.index_of = {article.id: index for index, article in enumerate(background)}
        self.reference = reference

    def overlaps(self, query: Query) -> tuple[dict[int, Overlap], int]:
        """The reference's overlaps for the query's text without the furniture the simulator added."""
        return self.reference.overlaps(query.body), self.reference.query_words(query.text)

    def confirmed(self, overlaps: dict[int, Overlap], query_words: int, bar: int = 100) -> set[int]:
        return {
            index
            for index, overlap in overlaps.items()
            if shares_enough(overlap.shared, query_words, overlap.match_words, bar)
        }

    def correct(self, query: Query, index: int, confirmed: set[int]) -> bool:
        article_id = self.background[index].id
        if article_id in query.sources:
            return True
        return article_id not in query.negatives and index in confirmed

    def false_positive_reason(self, query: Query, index: int, overlaps: dict[int, Overlap]) -> tuple[str, str]:
        """(category, reason) for a reported match that is not correct."""
        article = self.background[index]
        if article.id in query.negatives:
            what = query.negatives[article.id]
            category = "quotation source" if what.startswith("source") else "quotation partner"
            return category, f"labelled negative: {what}; {_quotation_detail(query, article)}"
        overlap = overlaps.get(index)
        with_furniture = self.reference.overlaps(query.text).get(index)
        if with_furniture is not None and (overlap is None or with_furniture.shared > overlap.shared):
            return "page furniture", (
                f"shares page furniture: {with_furniture.shared} words with furniture, "
                f"{overlap.shared if overlap else 0} without"
            )
        if overlap is None:
            return "no shared run", "shares no 5-word run with the query"
        bucket = "40-99" if overlap.shared >= 40 else "under 40"
        return f"shares {bucket} words", f"shares only {overlap.shared} words (article has {overlap.match_words})"


def _quotation_detail(query: Query, article: Article) -> str:
    """How much of the text the two share wiretrace sees inside quotation marks, on each side."""
    from fingerprints import compare, fingerprint

    query_print, match_print = fingerprint(query.text), fingerprint(article.text)
    comparison = compare(query_print, match_print)
    tokens = sum(p.tokens for p in comparison.passages)
    if not tokens:
        return "no passage"
    in_query = sum(
        int(query_print.quoted[p.query_first_token : p.query_first_token + p.tokens].sum()) for p in comparison.passages
    )
    in_match = sum(
        int(match_print.quoted[p.match_first_token : p.match_first_token + p.tokens].sum()) for p in comparison.passages
    )
    return f"{tokens} shared tokens, {in_query} quoted in the query, {in_match} quoted in the match"


def _diagnose_wiretrace_miss(app, query: Query, source: Article, reported: list[str]) -> str:
    """Why wiretrace did not return ``source``: index, verification or the server's filters."""
    import numpy as np

    from fingerprints import compare, fingerprint
    from server.db import database
    from server.matching import candidates

    query_print = fingerprint(query.text)
    source_print = fingerprint(source.text)
    shared_winnowed = len(np.intersect1d(query_print.winnowed, source_print.winnowed))
    shared_bands = len(set(query_print.band_keys) & set(source_print.band_keys))
    comparison = compare(query_print, source_print)
    with app.app_context():
        database.connect(reuse_if_open=True)
        # The server's own candidate step, whichever signature it has (it grew a settings argument).
        if "settings" in inspect.signature(candidates).parameters:
            ranked = candidates(query_print, app.extensions["wiretrace"], 100000, set())
        else:
            ranked = candidates(query_print, 100000, set())
        article_id = database.execute_sql("SELECT id FROM article WHERE url = ?", [_canonical(source.url)]).fetchone()
        database.close()
    rank = ranked.index(article_id[0]) + 1 if article_id and article_id[0] in ranked else None
    quoted = sum(p.tokens for p in comparison.passages if p.quoted)
    facts = (
        f"winnowed shared {shared_winnowed}/{len(query_print.winnowed)}, bands shared {shared_bands}, "
        f"candidate rank {rank}, evidence {comparison.evidence_tokens} tokens "
        f"(quoted {quoted}), verified by compare(): {comparison.verified}, "
        f"containment_query {comparison.containment_query:.2f}"
    )
    if rank is None:
        return "not proposed by the index: " + facts
    if rank > 100:
        return "proposed beyond the 100 candidates verified: " + facts
    if not comparison.verified:
        return "rejected by verification: " + facts
    if len(reported) >= MATCH_LIMIT:
        return f"cut by the limit of {MATCH_LIMIT}: " + facts
    return "verified alone but dropped by the server (boilerplate flags?): " + facts


def _canonical(url: str) -> str:
    from server.validation import canonical_url

    return canonical_url(url)


def run(args: argparse.Namespace) -> dict:
    from server import create_app

    run_info = provenance()
    counts = (40, 15, 10) if args.quick else (args.copies, args.partials, args.quote_pairs)
    corpus = load_corpus()
    started = time.perf_counter()
    simulation = simulate(
        corpus, copies=counts[0], partials=counts[1], quote_pairs=counts[2], seed=args.seed,
        carriers_per_outlet=10,
    )  # fmt: skip
    background = _choose_background(corpus, simulation, args.quick, args.seed) + simulation.planted
    print(f"simulated {len(simulation.queries)} queries, {len(simulation.planted)} planted articles "
          f"in {time.perf_counter() - started:.1f}s; background {len(background)} articles")  # fmt: skip

    timings = {}
    with tempfile.TemporaryDirectory(prefix="wiretrace-accuracy-") as workdir:
        app = create_app({"DATABASE": str(Path(workdir) / "bench.db")})
        ingest = _ingest(app, background, Path(workdir))
        print(f"wiretrace ingest: {ingest['created']} created in {ingest['seconds']}s "
              f"({ingest['articles_per_second']} articles/s); {len(ingest['skipped'])} skipped")  # fmt: skip

        started = time.perf_counter()
        baseline = DatasketchBaseline()
        for index, article in enumerate(background):
            baseline.insert(index, article.text)
        timings["datasketch_build_s"] = round(time.perf_counter() - started, 2)
        started = time.perf_counter()
        reference = ExactReference([article.text for article in background])
        timings["exact_build_s"] = round(time.perf_counter() - started, 2)
        print(f"datasketch LSH built in {timings['datasketch_build_s']}s; exact reference "
              f"({reference.shingle_count} shingles) in {timings['exact_build_s']}s")  # fmt: skip

        judge = Judge(background, reference)
        by_url = {_canonical(article.url): index for index, article in enumerate(background)}
        by_id = judge.index_of
        client = app.test_client()
        spent = Counter()
        tallies = {system: Counter() for system in SYSTEMS}
        breakdown = {system: defaultdict(Counter) for system in SYSTEMS}
        misses = {system: [] for system in SYSTEMS}
        false_positives = {system: [] for system in SYSTEMS}
        categories = {system: Counter() for system in SYSTEMS}

        for number, query in enumerate(simulation.queries, start=1):
            reported: dict[str, list[int]] = {}
            started = time.perf_counter()
            response = client.post("/api/v1/match", json={"text": query.text, "url": query.url, "limit": MATCH_LIMIT})
            spent["wiretrace"] += time.perf_counter() - started
            body = response.get_json()
            if not body.get("ok"):
                raise RuntimeError(f"{query.id}: match failed: {body}")
            reported["wiretrace"] = [by_url[match["article"]["url"]] for match in body["matches"]]
            started = time.perf_counter()
            reported["datasketch"] = sorted(baseline.query(query.text))
            spent["datasketch"] += time.perf_counter() - started
            started = time.perf_counter()
            overlaps, query_words = judge.overlaps(query)
            confirmed = judge.confirmed(overlaps, query_words)
            confirmed_40 = judge.confirmed(overlaps, query_words, bar=40)
            reported["exact"] = sorted(confirmed)
            spent["exact"] += time.perf_counter() - started

            for system in SYSTEMS:
                found = set(reported[system])
                tally = tallies[system]
                for source_id, kind in query.sources.items():
                    if kind == "host":
                        continue
                    hit = by_id.get(source_id) in found
                    tally[f"{kind}_total"] += 1
                    tally[f"{kind}_hit"] += hit
                    source_file = background[by_id[source_id]].source
                    for facet in (f"file:{source_file}", *(f"transform:{t}" for t in query.transforms)):
                        breakdown[system][f"{kind} {facet}"]["total"] += 1
                        breakdown[system][f"{kind} {facet}"]["hit"] += hit
                    if not hit:
                        miss = {
                            "query": query.id,
                            "source": source_id,
                            "kind": kind,
                            "transforms": query.transforms,
                            "reference_shared_words": (
                                overlaps[by_id[source_id]].shared if by_id[source_id] in overlaps else 0
                            ),
                        }
                        if system == "wiretrace":
                            miss["reason"] = _diagnose_wiretrace_miss(
                                app, query, background[by_id[source_id]], reported[system]
                            )
                        misses[system].append(miss)
                for index in found:
                    tally["reported"] += 1
                    tally["correct_at_40"] += judge.correct(query, index, confirmed_40)
                    if judge.correct(query, index, confirmed):
                        tally["correct"] += 1
                    else:
                        category, reason = judge.false_positive_reason(query, index, overlaps)
                        categories[system][category] += 1
                        false_positives[system].append(
                            {
                                "query": query.id,
                                "query_kind": query.kind,
                                "match": background[index].id,
                                "match_outlet": background[index].outlet,
                                "category": category,
                                "reason": reason,
                            }
                        )
                if query.kind == "quote":
                    tally["quote_queries"] += 1
                    tally["quote_negatives_reported"] += any(background[i].id in query.negatives for i in found)
            if number % 250 == 0:
                print(f"  {number}/{len(simulation.queries)} queries")

    metrics = {}
    for system in SYSTEMS:
        tally = tallies[system]
        metrics[system] = {
            "copy_recall": _ratio(tally["copy_hit"], tally["copy_total"]),
            "partial_recall": _ratio(tally["partial_hit"], tally["partial_total"]),
            "precision": _ratio(tally["correct"], tally["reported"]),
            # Diagnostic only: precision if 40 shared words (wiretrace's own evidence bar) made a true match.
            "precision_at_40_words": _ratio(tally["correct_at_40"], tally["reported"]),
            "copy_pairs": tally["copy_total"],
            "partial_pairs": tally["partial_total"],
            "reported": tally["reported"],
            "false_positives": tally["reported"] - tally["correct"],
            "quote_queries_with_a_negative_reported": tally["quote_negatives_reported"],
            "false_positive_categories": dict(categories[system].most_common()),
            "miss_categories": dict(Counter(m.get("reason", "miss").split(":")[0] for m in misses[system])),
            "mean_query_ms": round(1000 * spent[system] / len(simulation.queries), 2),
            "breakdown": {
                facet: {"recall": _ratio(c["hit"], c["total"]), "pairs": c["total"]}
                for facet, c in sorted(breakdown[system].items())
            },
        }
    return {
        "benchmark": "accuracy",
        "command": "benchmarks/accuracy.py " + " ".join(sys.argv[1:]),
        **run_info,
        "seed": args.seed,
        "quick": args.quick,
        "queries": dict(Counter(query.kind for query in simulation.queries)),
        "background_articles": len(background),
        "planted_articles": len(simulation.planted),
        "ingest": ingest,
        "timings": timings,
        "targets": TARGETS,
        "metrics": metrics,
        "misses": misses,
        "false_positives": false_positives,
    }


def _ratio(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def _print_report(result: dict, show: int) -> None:
    print()
    print(f"{'system':<11} {'copy recall':>12} {'partial recall':>15} {'precision':>10} {'FPs':>5} {'ms/query':>9}")
    for system in SYSTEMS:
        m = result["metrics"][system]
        print(
            f"{system:<11} {_fmt(m['copy_recall']):>12} {_fmt(m['partial_recall']):>15} "
            f"{_fmt(m['precision']):>10} {m['false_positives']:>5} {m['mean_query_ms']:>9}"
        )
    wiretrace = result["metrics"]["wiretrace"]
    print(f"targets for wiretrace: copy recall >= {TARGETS['copy_recall']}, partial recall >= "
          f"{TARGETS['partial_recall']}, precision >= {TARGETS['precision']}")  # fmt: skip
    print(f"(pairs: {wiretrace['copy_pairs']} copy, {wiretrace['partial_pairs']} partial; "
          f"quote queries reporting a negative: {wiretrace['quote_queries_with_a_negative_reported']})")  # fmt: skip
    print(f"wiretrace false positives by category: {wiretrace['false_positive_categories']}")
    print(f"wiretrace misses by category: {wiretrace['miss_categories']}")
    for kind in ("misses", "false_positives"):
        rows = result[kind]["wiretrace"]
        print(f"\nwiretrace {kind.replace('_', ' ')}: {len(rows)} (a few of each category)")
        seen: Counter = Counter()
        picked = []
        for row in rows:
            category = row.get("category") or row.get("reason", "").split(":")[0]
            if seen[category] < max(1, show // 5):
                seen[category] += 1
                picked.append(row)
        for row in picked[:show]:
            print("  " + json.dumps(row))
        if len(rows) > len(picked[:show]):
            print(f"  ... {len(rows) - len(picked[:show])} more in the JSON")


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="wiretrace accuracy benchmark (see docs/benchmarks.md)")
    parser.add_argument("--queries", type=int, default=None, help="copy queries (partial and quote scale with it)")
    parser.add_argument("--copies", type=int, default=1000)
    parser.add_argument("--partials", type=int, default=300)
    parser.add_argument("--quote-pairs", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="small smoke test (under a minute)")
    parser.add_argument("--show", type=int, default=25, help="misses and false positives to print")
    parser.add_argument("--out", type=Path, default=None, help="JSON output (default benchmarks/results/...)")
    args = parser.parse_args(argv)
    if args.queries is not None:
        args.copies = args.queries
        args.partials = max(1, round(args.queries * 0.3))
        args.quote_pairs = max(1, round(args.queries * 0.2))
    if not data_available():
        print("skipped: the shared data directory ../shared/data is not available")
        return 0
    result = run(args)
    _print_report(result, args.show)
    out = args.out or RESULTS / ("accuracy-quick.json" if args.quick else "accuracy.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
