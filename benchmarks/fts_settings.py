"""The search index's bulk settings: catching up a paused index with FTS5's defaults and with wiretrace's.

A bulk load pauses the full-text index and indexes its articles in chunks
of ``CATCH_UP_CHUNK`` (server/search.py). While paused, the index runs with
``hashsize`` 64 MiB and ``automerge`` 16 instead of FTS5's 1 MiB and 4.
This script takes a copy of a wiretrace database, drops and recreates its
index, and times the same catch-up under each, alternately, in one run.
Results go to ``benchmarks/results/fts_settings.json``.

Usage::

    .venv/bin/python benchmarks/fts_settings.py --db PATH   # e.g. a database scale.py --keep left
    .venv/bin/python benchmarks/fts_settings.py             # builds one from ../shared/data first
    .venv/bin/python benchmarks/fts_settings.py --quick     # 3,000 shared articles, one round
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from corpus import article_json, data_available, load_corpus  # noqa: E402
from provenance import provenance  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"


def build_database(path: Path, limit: int | None = None) -> None:
    """A database of the articles in ../shared/data (the first ``limit`` of them)."""
    from server import create_app
    from server.cli import ingest_lines

    articles = load_corpus()[:limit]
    lines = [json.dumps(article_json(article)).encode("utf-8") + b"\n" for article in articles]
    app = create_app({"DATABASE": str(path)})
    with app.app_context():
        ingest_lines(app, iter(lines), show_progress=False)


def time_catch_up(source: Path, workdir: Path, bulk: bool) -> dict:
    from peewee import SqliteDatabase

    from server import search
    from server.db import PRAGMAS

    copy = workdir / "copy.db"
    for leftover in workdir.glob("copy.db*"):
        leftover.unlink()
    shutil.copy(source, copy)
    database = SqliteDatabase(str(copy), pragmas=PRAGMAS)
    with database.connection_context():
        with database.atomic("IMMEDIATE"):
            connection = database.connection()
            search.drop_search_index(connection)
            search.create_search_index(connection)
            connection.execute(f"UPDATE {search._STATE} SET indexed_through = 0")
            search.pause_search_index(connection)
            if not bulk:
                search._configure_index(connection, search._DEFAULT_SETTINGS)
        started = time.perf_counter()
        indexed = search.catch_up_search_index(database)
        seconds = time.perf_counter() - started
    with sqlite3.connect(copy) as connection:
        segments = connection.execute("SELECT COUNT(DISTINCT segid) FROM article_fts_idx").fetchone()[0]
        connection.execute("INSERT INTO article_fts (article_fts, rank) VALUES ('integrity-check', 1)")
    return {"articles": indexed, "seconds": round(seconds, 2), "segments": segments}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", type=Path, default=None, help="a wiretrace database to copy (default: built)")
    parser.add_argument("--rounds", type=int, default=2, help="alternating runs of each setting")
    parser.add_argument("--quick", action="store_true", help="3,000 shared articles, one round (a smoke test)")
    parser.add_argument("--out", type=Path, default=RESULTS / "fts_settings.json")
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds = 1
    with tempfile.TemporaryDirectory(prefix="wiretrace-fts-") as temporary:
        workdir = Path(temporary)
        source = args.db
        if source is None:
            if not data_available():
                print("skipped: ../shared/data is absent and no --db was given", file=sys.stderr)
                return 0
            source = workdir / "shared.db"
            build_database(source, 3_000 if args.quick else None)
        runs: dict[str, list[dict]] = {"fts5_defaults": [], "bulk_settings": []}
        for _ in range(args.rounds):
            runs["fts5_defaults"].append(time_catch_up(source, workdir, bulk=False))
            runs["bulk_settings"].append(time_catch_up(source, workdir, bulk=True))
    best = {name: min(run["seconds"] for run in results) for name, results in runs.items()}
    result = {
        "benchmark": "fts_settings",
        "command": "benchmarks/fts_settings.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        **provenance(),
        "database": str(args.db) if args.db else "built from ../shared/data",
        "runs": runs,
        "best_seconds": best,
        "speedup_vs_fts5_defaults": round(best["fts5_defaults"] / best["bulk_settings"], 2),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    articles = runs["bulk_settings"][0]["articles"]
    print(f"catching up {articles:,} articles (best of {args.rounds}):")
    for name, results in runs.items():
        print(f"  {name:14s} {best[name]:7.2f} s   segments {results[-1]['segments']}")
    print(f"  bulk settings: {result['speedup_vs_fts5_defaults']}x the defaults")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
