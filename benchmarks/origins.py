"""Origin accuracy: does wiretrace name the true first publisher of a story?

Stories with a known first publisher are built from ``../shared/data``: a
source article (its own outlet and URL) is the origin, and 2 to 4 copies are
made from it by the syndication simulator (``simulate.py``: trimmed, new
ledes, copy-edited, wrapped in furniture, on simulated outlets). Dates are
realistic: the origin at some hour of a day, copies from ten minutes to two
days later; some copies have no date (10%), some carry exactly the origin's
time (8%: a tie), some origins give a date without a time (10%). Unrelated
corpus articles are stored alongside. Everything is ingested in a shuffled
order through ``POST /api/v1/articles`` (which links before it answers), so
the origin is not simply the article stored first.

Reported: origin accuracy among stories whose members all have dates (the
target is at least 95%), among all stories, and among those whose origin is
not flagged uncertain; stories a background article joined are left out of
the figures (the corpus may hold a real earlier publication) and counted.

    .venv/bin/python benchmarks/origins.py --quick --out /tmp/origins.json
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from corpus import article_json, data_available, load_corpus  # noqa: E402
from provenance import provenance  # noqa: E402
from simulate import _Simulator  # noqa: E402


def _stamp(moment: datetime, date_only: bool = False) -> str:
    return moment.strftime("%Y-%m-%d") if date_only else moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def build(corpus, stories: int, background: int, seed: int):
    rng = random.Random(seed)
    simulator = _Simulator(corpus, seed)
    pool = [a for files in simulator.sources_by_file.values() for a in files]
    articles, truth = [], {}
    number = 0
    base = datetime(2019, 1, 1, tzinfo=UTC)
    for story in range(stories):
        source = simulator._pick(pool)
        origin_time = base + timedelta(days=story * 3, hours=rng.randint(5, 20), minutes=rng.randint(0, 59))
        origin = article_json(source)
        origin["published_at"] = _stamp(origin_time, date_only=rng.random() < 0.10)
        members = [origin]
        for _ in range(rng.randint(2, 4)):
            number += 1
            query = simulator._copy_from(source, number)
            if query is None:
                continue
            roll = rng.random()
            if roll < 0.10:
                published = None
            elif roll < 0.18:
                published = _stamp(origin_time)
            else:
                published = _stamp(origin_time + timedelta(minutes=rng.randint(10, 48 * 60)))
            members.append({"url": query.url, "outlet": query.outlet, "text": query.text, "published_at": published})
        if len(members) < 2:
            continue
        truth[source.url] = [m["url"] for m in members]
        articles += members
    for article in rng.sample([a for a in pool if a.id not in simulator.used], background):
        articles.append(article_json(article))
    rng.shuffle(articles)
    return articles, truth


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def match_overhead(app, texts: list[str]) -> dict:
    """Match latency without and with the story context, measured on the same queries in the same run."""
    from fingerprints import fingerprint
    from server.db import database
    from server.matching import find_matches
    from server.store import params_id
    from server.stories import match_story_context

    settings = app.extensions["wiretrace"]
    plain, with_story = [], []
    with app.app_context(), database.connection_context():
        params_row = params_id(settings.params)
        for text in texts:
            query = fingerprint(text, settings.params)
            started = time.perf_counter()
            found = [match.to_json() for match in find_matches(query, settings, params_row, limit=20)]
            matched = time.perf_counter()
            match_story_context(found)
            done = time.perf_counter()
            plain.append((matched - started) * 1000)
            with_story.append((done - started) * 1000)
    figures = {
        "queries": len(texts),
        "match_ms": {"p50": round(_percentile(plain, 0.5), 2), "p99": round(_percentile(plain, 0.99), 2)},
        "match_with_story_ms": {
            "p50": round(_percentile(with_story, 0.5), 2),
            "p99": round(_percentile(with_story, 0.99), 2),
        },
    }
    figures["p99_ratio"] = round(figures["match_with_story_ms"]["p99"] / figures["match_ms"]["p99"], 3)
    return figures


def run(args) -> dict:
    from server import create_app
    from server.db import database

    corpus = load_corpus()
    articles, truth = build(corpus, args.stories, args.background, args.seed)
    with tempfile.TemporaryDirectory() as folder:
        app = create_app({"DATABASE": str(Path(folder) / "origins.db"), "RATE_LIMIT": "off"})
        client = app.test_client()
        started = time.perf_counter()
        ids = {}
        for start in range(0, len(articles), 100):
            response = client.post("/api/v1/articles", json={"articles": articles[start : start + 100]})
            assert response.status_code in (200, 201), response.get_data(as_text=True)
            ids.update((item["url"], item["id"]) for item in response.get_json()["articles"])
        seconds = time.perf_counter() - started
        sample = random.Random(args.seed).sample(articles, min(len(articles), 200 if not args.quick else 50))
        overhead = match_overhead(app, [item["text"] for item in sample])
        with app.app_context(), database.connection_context():
            membership = dict(database.execute_sql("SELECT article_id, story_id FROM article_story").fetchall())
        dated = certain = counted = contaminated = unlinked = 0
        right_dated = right_all = right_certain = 0
        wrong = []
        truth_urls = {url for urls in truth.values() for url in urls}
        for origin_url, urls in truth.items():
            story_id = membership.get(ids[origin_url])
            if story_id is None:
                unlinked += 1
                continue
            story = client.get(f"/api/v1/stories/{story_id}").get_json()["story"]
            members = [item["url"] for item in story["timeline"]]
            if any(url not in truth_urls for url in members) or not set(members) <= set(urls):
                contaminated += 1
                continue
            counted += 1
            right = story["origin"]["url"] == origin_url
            right_all += right
            if all(item["published_at"] for item in story["timeline"]):
                dated += 1
                right_dated += right
            if not story["origin_uncertain"]:
                certain += 1
                right_certain += right
            if not right:
                wrong.append(
                    {
                        "story": story_id,
                        "true": origin_url,
                        "found": story["origin"]["url"],
                        "reason": story["origin_reason"],
                    }
                )
    return {
        "benchmark": "origins",
        "provenance": provenance(),
        "settings": {"stories": args.stories, "background": args.background, "seed": args.seed},
        "articles": len(articles),
        "ingest_and_link_seconds": round(seconds, 2),
        "stories_built": len(truth),
        "stories_counted": counted,
        "stories_unlinked": unlinked,
        "stories_joined_by_background": contaminated,
        "accuracy_all_dated": round(right_dated / dated, 4) if dated else None,
        "stories_all_dated": dated,
        "accuracy_all": round(right_all / counted, 4) if counted else None,
        "accuracy_not_uncertain": round(right_certain / certain, 4) if certain else None,
        "stories_not_uncertain": certain,
        "match_latency": overhead,
        "wrong": wrong[:20],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="wiretrace origin accuracy on stories with known first publishers")
    parser.add_argument("--quick", action="store_true", help="small smoke run (under a minute)")
    parser.add_argument("--stories", type=int, default=300)
    parser.add_argument("--background", type=int, default=1500)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    if not data_available():
        print("../shared/data is not available: skipping", file=sys.stderr)
        return 0
    if args.quick:
        args.stories, args.background = 40, 150
    result = run(args)
    text = json.dumps(result, indent=2)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
