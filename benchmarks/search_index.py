"""What the full-text index and the outlet registry cost ingest and matching, measured side by side.

Two fresh databases get the same articles from ``../shared/data`` in the
same batches, alternately, so that a busy machine slows both alike:

* ``live``: as wiretrace ships, the FTS5 index kept in step by triggers, and
  an outlet registry (every source outlet registered with a domain and a
  label, so every article is resolved through it);
* ``baseline``: the index dropped (``wiretrace search-index --drop``) and no
  registry: ingest as it was before either existed.

Then the baseline's index is rebuilt in one pass (the deferred way to index a
bulk load), and match latency is measured on ``live`` with and without
loading the matches' outlet labels, alternating query by query.

Usage::

    .venv/bin/python benchmarks/search_index.py --quick    # 3,000 articles
    .venv/bin/python benchmarks/search_index.py            # every article
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
from corpus import article_json, data_available, load_corpus  # noqa: E402
from provenance import provenance  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
BATCH = 500


def _database(path: Path, *, live: bool):
    from server import create_app
    from server.db import database
    from server.search import drop_search_index

    app = create_app({"DATABASE": str(path)})
    if not live:
        with app.app_context(), database.connection_context(), database.atomic():
            drop_search_index(database.connection())
    return app


def _use(app):
    """Bind the models to ``app``'s database (two apps share peewee's one proxy)."""
    from server.db import database

    sqlite = app.extensions["wiretrace_database"]
    if database.obj is not sqlite:
        if database.obj is not None and not database.is_closed():
            database.close()
        database.initialize(sqlite)
    database.connect(reuse_if_open=True)
    return database


def _domain(outlet: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", outlet.lower()).strip("-") + ".registry.example"


def _register(app, outlets: list[str]) -> None:
    from server.outlets import check_record, save_outlet

    database = _use(app)
    for number, name in enumerate(outlets):
        # Every outlet owns a domain; the articles' hosts are subdomains of it.
        save_outlet(check_record(name, domains=[_domain(name)], labels=[f"label {number % 5}"]))
    database.close()


def _parsed(articles, registry: bool):
    from fingerprints import DEFAULT_PARAMS, fingerprint
    from server.validation import parse_article

    batches = []
    for start in range(0, len(articles), BATCH):
        batch = []
        for article in articles[start : start + BATCH]:
            record = article_json(article)
            if registry:
                # No explicit outlet: the registry resolves it from the host, a subdomain of the outlet's.
                record.pop("outlet", None)
                record["url"] = f"https://www.{_domain(article.outlet)}/{quote(article.id)}"
            parsed = parse_article(record, 2 * 1024 * 1024)
            batch.append((parsed, fingerprint(parsed.text, DEFAULT_PARAMS)))
        batches.append(batch)
    return batches


def bench_ingest(live_app, baseline_app, articles) -> dict:
    from fingerprints import DEFAULT_PARAMS
    from server.store import ingest

    live_batches = _parsed(articles, registry=True)
    baseline_batches = _parsed(articles, registry=False)
    seconds = {"live": 0.0, "baseline": 0.0}
    for index in range(len(live_batches)):
        order = [("live", live_app, live_batches), ("baseline", baseline_app, baseline_batches)]
        if index % 2:
            order.reverse()
        for name, app, batches in order:
            database = _use(app)
            batch = batches[index]
            started = time.perf_counter()
            ingest([a for a, _ in batch], DEFAULT_PARAMS, [p for _, p in batch])
            seconds[name] += time.perf_counter() - started
            database.close()
    from server.search import rebuild_search_index

    without_index = _size(baseline_app)
    database = _use(baseline_app)
    started = time.perf_counter()
    rebuild_search_index()
    rebuild = time.perf_counter() - started
    database.close()
    index_bytes = _size(baseline_app) - without_index
    count = len(articles)
    return {
        "articles": count,
        "live_articles_per_second": round(count / seconds["live"], 1),
        "baseline_articles_per_second": round(count / seconds["baseline"], 1),
        "live_vs_baseline": round(seconds["baseline"] / seconds["live"], 3),
        "rebuild_seconds": round(rebuild, 2),
        "deferred_articles_per_second": round(count / (seconds["baseline"] + rebuild), 1),
        "deferred_vs_baseline": round(seconds["baseline"] / (seconds["baseline"] + rebuild), 3),
        "database_bytes_without_index": without_index,
        "index_bytes": index_bytes,
    }


def _size(app) -> int:
    database = _use(app)
    pages = (
        database.execute_sql("PRAGMA page_count").fetchone()[0] * database.execute_sql("PRAGMA page_size").fetchone()[0]
    )
    database.close()
    return pages


def bench_match_labels(app, articles, queries: int) -> dict:
    import server.matching as matching

    client = app.test_client()
    rng = random.Random(7)
    texts = [article.text for article in rng.sample(articles, min(queries, len(articles)))]
    real = matching.registry_labels
    samples: dict[str, list[float]] = {"with_labels": [], "without_labels": []}
    try:
        for number, text in enumerate(texts):
            order = ["with_labels", "without_labels"] if number % 2 else ["without_labels", "with_labels"]
            for name in order:
                # Without: what matching did before labels (an empty label list per outlet).
                matching.registry_labels = real if name == "with_labels" else lambda ids: {i: [] for i in ids}
                started = time.perf_counter()
                response = client.post("/api/v1/match", json={"text": text})
                samples[name].append(time.perf_counter() - started)
                assert response.status_code == 200
    finally:
        matching.registry_labels = real
    figures = {
        name: {
            "p50_ms": round(float(np.percentile(values, 50)) * 1000, 2),
            "p99_ms": round(float(np.percentile(values, 99)) * 1000, 2),
        }
        for name, values in samples.items()
    }
    figures["p50_ratio"] = round(figures["with_labels"]["p50_ms"] / figures["without_labels"]["p50_ms"], 3)
    return {"queries": len(texts), **figures}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="3,000 articles, 200 queries")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    if not data_available():
        print("skipped: ../shared/data is not available")
        return 0
    corpus = load_corpus()
    rng = random.Random(args.seed)
    articles = rng.sample(corpus, min(len(corpus), 3000)) if args.quick else corpus
    result: dict = {"benchmark": "search_index", "command": "benchmarks/search_index.py " + " ".join(sys.argv[1:])}
    result.update(provenance())
    with tempfile.TemporaryDirectory(prefix="wiretrace-fts-") as workdir:
        live = _database(Path(workdir) / "live.db", live=True)
        baseline = _database(Path(workdir) / "baseline.db", live=False)
        _register(live, sorted({article.outlet for article in articles}))
        result["ingest"] = bench_ingest(live, baseline, articles)
        print(json.dumps(result["ingest"]))
        result["match"] = bench_match_labels(live, articles, 200 if args.quick else 1000)
        print(json.dumps(result["match"]))
    out = args.out or RESULTS / ("search_index-quick.json" if args.quick else "search_index.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
