"""Speed: wiretrace ingest and match against a plain datasketch pipeline, in one run.

Measured on the same machine in the same process, one after the other:

1. **Ingest** of every article in ``../shared/data`` (about 23,000) into a
   fresh wiretrace database through ``server.cli.ingest_lines``, end to end:
   JSON parsing, validation, fingerprinting, SQLite rows and both indexes.
   Then its two halves apart, to bound what any faster code could reach:
   parsing, validating and fingerprinting every line with nothing stored,
   and the **storage floor**, SQLite alone writing the rows that ingest
   stored (read back, written again into a fresh database the same way,
   with no Python per row). The datasketch pipeline's time over each gives
   the *ceilings*: the best ratio one writer could reach if parsing were
   free, and the best if all the work were split evenly over two cores.
2. **The datasketch pipeline** over the same texts (already parsed, which
   favours it): wiretrace's tokens joined into 5-word shingles, ``MinHash``
   with its default hash (``sha1_hash32`` of the UTF-8 bytes) through
   ``update_batch``, ``MinHashLSH(threshold=0.5)`` insert, in memory.
3. **Match latency**, server side: ``POST /api/v1/match`` through
   ``app.test_client()`` for real article texts and simulated copies, against
   the datasketch pipeline's query (sign, then ``MinHashLSH.query``; it
   verifies nothing).
4. **The hash function alone**: MinHash signing throughput over the same
   shingles with datasketch's default ``sha1_hash32``, with
   ``xxhash.xxh32_intdigest`` as ``hashfunc``, and with wiretrace's numpy
   shingle hashes through ``update_batch`` and an identity ``hashfunc``
   (``fingerprints.signature.minhash``).

Every figure is also given as a ratio to the datasketch baseline measured in
the same run. Results go to ``benchmarks/results/speed.json``.

Usage::

    .venv/bin/python benchmarks/speed.py            # full run, a few minutes
    .venv/bin/python benchmarks/speed.py --quick    # a few thousand articles
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
from corpus import Article, article_json, data_available, load_corpus  # noqa: E402
from provenance import load_average, provenance  # noqa: E402
from simulate import simulate  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
CORPUS_FILE = "corpus.jsonl"  # the articles as an ingest file, written by bench_ingest
TARGETS = {"ingest_speedup_vs_datasketch": 5.0, "match_p99_ms": 20.0}


def _shingles(text: str) -> list[bytes]:
    from fingerprints import tokenize

    tokens = tokenize(text).words
    if not tokens:
        return []
    width = min(5, len(tokens))
    return [" ".join(tokens[i : i + width]).encode("utf-8") for i in range(len(tokens) - width + 1)]


def _percentiles(samples: list[float]) -> dict:
    values = np.asarray(samples) * 1000
    return {
        "count": len(samples),
        "p50_ms": round(float(np.percentile(values, 50)), 2),
        "p90_ms": round(float(np.percentile(values, 90)), 2),
        "p99_ms": round(float(np.percentile(values, 99)), 2),
        "max_ms": round(float(values.max()), 2),
        "mean_ms": round(float(values.mean()), 2),
    }


def bench_ingest(app, articles: list[Article], workdir: Path, workers: int = 1) -> dict:
    from server.cli import ingest_lines

    path = workdir / CORPUS_FILE
    with open(path, "w", encoding="utf-8") as handle:
        for article in articles:
            handle.write(json.dumps(article_json(article), ensure_ascii=False) + "\n")
    started = time.perf_counter()
    with app.app_context(), open(path, "rb") as stream:
        summary = ingest_lines(app, stream, show_progress=False, workers=workers)
    seconds = time.perf_counter() - started
    return {
        "articles": len(articles),
        "stored": summary.stored,
        "skipped": len(summary.skipped),
        "seconds": round(seconds, 2),
        "articles_per_second": round(len(articles) / seconds, 1),
        "workers": workers,
        "database_mib": round(Path(app.config["DATABASE"]).stat().st_size / 2**20, 1),
    }


def bench_parse_only(app, workdir: Path) -> dict:
    """Parsing, validating and fingerprinting every line of the file ``bench_ingest`` wrote, with nothing stored."""
    from fingerprints import compiled_path
    from server.cli import CHUNK_LINES, _numbered_chunks, _parse_chunk

    compiled_path.load()
    with open(workdir / CORPUS_FILE, "rb") as stream:
        jobs = [
            (chunk, app.config["MAX_TEXT_BYTES"], app.extensions["wiretrace"].params)
            for chunk in _numbered_chunks(stream, CHUNK_LINES)
        ]
    count = sum(len(chunk) for chunk, _, _ in jobs)
    started = time.perf_counter()
    for job in jobs:
        _parse_chunk(job)
    seconds = time.perf_counter() - started
    return {"seconds": round(seconds, 2), "microseconds_per_article": round(1e6 * seconds / count, 1)}


_FLOOR_TABLES = {
    # table: (columns, order) of the rows an ingest of new articles writes
    "article": (
        "id, url, outlet_id, title, published_at, first_seen_at, updated_at, text, content_hash, token_count, author",
        "id",
    ),
    "fingerprint": ("article_id, params_id, shingles, spans, quoted, signature", "article_id"),
    "posting_recent": ("hash, outlet_id, article_id", "article_id"),
    "band_recent": ("key, article_id", "article_id"),
}


def _stored_rows(source: Path) -> dict[str, list[tuple]]:
    import sqlite3

    connection = sqlite3.connect(source)
    try:
        rows = {}
        for table, (columns, order) in _FLOOR_TABLES.items():
            main = table.replace("_recent", "_main")
            union = f" UNION ALL SELECT {columns} FROM {main}" if main != table else ""
            query = f"SELECT * FROM (SELECT {columns} FROM {table}{union}) ORDER BY {order}"
            rows[table] = connection.execute(query).fetchall()
        rows["outlet"] = connection.execute("SELECT id, name, created_at FROM outlet").fetchall()
        rows["params"] = connection.execute("SELECT id, key, params_json FROM fingerprint_params").fetchall()
        return rows
    finally:
        connection.close()


def _write_floor_batch(database, batch: dict[str, list[tuple]], seconds: dict[str, float]) -> None:
    """One batch's rows in one transaction, then a chunk of the search index if one is due, each part timed."""
    from server.search import CATCH_UP_CHUNK, index_waiting_chunk

    connection = database.connection()
    connection.execute("BEGIN IMMEDIATE")
    for table, (columns, _) in _FLOOR_TABLES.items():
        marks = ", ".join("?" * len(columns.split(", ")))
        started = time.perf_counter()
        connection.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", batch[table])
        seconds[table] += time.perf_counter() - started
    started = time.perf_counter()
    connection.execute("COMMIT")
    seconds["commits"] += time.perf_counter() - started
    started = time.perf_counter()
    index_waiting_chunk(database, at_least=CATCH_UP_CHUNK)
    seconds["search_index"] += time.perf_counter() - started


def _check_same_rows(rows: dict[str, list[tuple]], destination: Path) -> None:
    """The floor counts only if it wrote everything the ingest did, full-text index included."""
    import sqlite3

    connection = sqlite3.connect(destination)
    try:
        for table in _FLOOR_TABLES:
            stored = connection.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            if stored != len(rows[table]):
                raise RuntimeError(f"storage floor: {table} has {stored} rows, the ingest stored {len(rows[table])}")
        indexed = connection.execute("SELECT COUNT(*) FROM article_fts_docsize").fetchone()[0]
        if indexed != len(rows["article"]):
            raise RuntimeError(f"storage floor: the search index holds {indexed} of {len(rows['article'])} articles")
    finally:
        connection.close()


def bench_storage_floor(source: Path, destination: Path) -> dict:
    """SQLite alone writing what the ingest stored: the part of ingest no parsing or fingerprinting speed-up can remove.

    The rows are read back from the ingest's database and written again
    into a fresh one, the way ``ingest_lines`` writes them (its pragmas,
    batches of ``BULK_BATCH_SIZE`` articles, index rows sorted by key within
    a batch, the full-text index paused and caught up a chunk at a time,
    the closing checkpoint), with every parameter built before the clock
    starts: no JSON, no validation, no fingerprinting, no Python per row.
    """
    from server import create_app
    from server.cli import BULK_BATCH_SIZE, _bulk_pragmas
    from server.db import database
    from server.search import search_index_paused

    rows = _stored_rows(source)
    app = create_app({"DATABASE": str(destination)})
    with app.app_context(), database.connection_context():
        connection = database.connection()
        connection.executemany("INSERT INTO outlet (id, name, created_at) VALUES (?, ?, ?)", rows["outlet"])
        params_sql = "INSERT OR IGNORE INTO fingerprint_params (id, key, params_json) VALUES (?, ?, ?)"
        connection.executemany(params_sql, rows["params"])
    batches = []
    articles = rows["article"]
    for start in range(0, len(articles), BULK_BATCH_SIZE):
        first, last = articles[start][0], articles[min(start + BULK_BATCH_SIZE, len(articles)) - 1][0]
        batch = {}
        for table in _FLOOR_TABLES:
            owner = 0 if table in ("article", "fingerprint") else -1
            selected = [row for row in rows[table] if first <= row[owner] <= last]
            batch[table] = selected if owner == 0 else sorted(selected)
        batches.append(batch)
    seconds: dict[str, float] = dict.fromkeys([*_FLOOR_TABLES, "commits", "search_index"], 0.0)
    started = time.perf_counter()
    with app.app_context(), database.connection_context(), search_index_paused(database):
        _bulk_pragmas(database)
        for batch in batches:
            _write_floor_batch(database, batch, seconds)
        caught_up = time.perf_counter()
    # The rest of the catch-up and the closing checkpoint ran as the contexts closed.
    total = time.perf_counter() - started
    seconds["search_index_and_checkpoint_at_end"] = total - (caught_up - started)
    _check_same_rows(rows, destination)
    count = len(articles)
    return {
        "articles": count,
        "seconds": round(total, 2),
        "microseconds_per_article": round(1e6 * total / count, 1),
        "parts_seconds": {part: round(value, 2) for part, value in seconds.items()},
        "index_rows": len(rows["posting_recent"]) + len(rows["band_recent"]),
    }


def _ceilings(datasketch_seconds: float, parse_seconds: float, storage_seconds: float) -> dict:
    """The best ingest ratios the measured costs allow, whatever the code around them.

    One writer: ingest can be no faster than one process writing the rows
    with nothing else to do (parsing free, or all of it on the other core).
    Two cores: the parsing and the storing together, split evenly over both
    cores, with no cost for the splitting (no second writer exists, and two
    busy processes here each run slower than one alone, so this is out of
    reach too: an upper bound, not a plan).
    """
    return {
        "ceiling_one_writer_vs_datasketch": round(datasketch_seconds / storage_seconds, 2),
        "ceiling_two_cores_vs_datasketch": round(datasketch_seconds / ((parse_seconds + storage_seconds) / 2), 2),
    }


def bench_datasketch_ingest(articles: list[Article]):
    """The plain pipeline end to end, then its two halves timed apart (shingling; signing and inserting)."""
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=0.5, num_perm=128)
    started = time.perf_counter()
    for index, article in enumerate(articles):
        signature = MinHash(num_perm=128)
        signature.update_batch(_shingles(article.text))
        lsh.insert(index, signature)
    seconds = time.perf_counter() - started

    started = time.perf_counter()
    shingles = [_shingles(article.text) for article in articles]
    shingling = time.perf_counter() - started
    spare = MinHashLSH(threshold=0.5, num_perm=128)
    started = time.perf_counter()
    for index, items in enumerate(shingles):
        signature = MinHash(num_perm=128)
        signature.update_batch(items)
        spare.insert(index, signature)
    signing = time.perf_counter() - started
    return lsh, {
        "articles": len(articles),
        "seconds": round(seconds, 2),
        "articles_per_second": round(len(articles) / seconds, 1),
        "shingling_seconds": round(shingling, 2),
        "sign_and_insert_seconds": round(signing, 2),
        "sign_and_insert_articles_per_second": round(len(articles) / signing, 1),
    }


def bench_fingerprint_only(articles: list[Article], numpy_path: bool = False) -> dict:
    """``fingerprints.fingerprint`` alone: how much of ingest is fingerprinting.

    With ``numpy_path``, every text takes the numpy path, as with
    ``WIRETRACE_COMPILED_FINGERPRINTS=off``: what the compiled kernel saves.
    """
    from fingerprints import TextTooShort, compiled_path, fingerprint
    from fingerprints.fingerprint import fingerprint_general

    compiled_path.load()  # loading is a process's one-off cost, not a text's
    function = fingerprint_general if numpy_path else fingerprint
    started = time.perf_counter()
    for article in articles:
        with contextlib.suppress(TextTooShort):
            function(article.text)
    seconds = time.perf_counter() - started
    return {"seconds": round(seconds, 2), "articles_per_second": round(len(articles) / seconds, 1)}


def bench_match(app, lsh, texts: list[tuple[str, str, str]]) -> dict:
    from datasketch import MinHash

    client = app.test_client()
    # Warm up: first requests open the database and fill caches.
    for _, _, text in texts[:5]:
        client.post("/api/v1/match", json={"text": text})
    wiretrace: dict[str, list[float]] = {"all": []}
    baseline: list[float] = []
    slowest = []
    for kind, ident, text in texts:
        started = time.perf_counter()
        response = client.post("/api/v1/match", json={"text": text, "limit": 20})
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            raise RuntimeError(f"match failed: {response.get_json()}")
        slowest.append((elapsed, kind, ident, len(text.split()), len(response.get_json()["matches"])))
        wiretrace["all"].append(elapsed)
        wiretrace.setdefault(kind, []).append(elapsed)
        started = time.perf_counter()
        signature = MinHash(num_perm=128)
        signature.update_batch(_shingles(text))
        lsh.query(signature)
        baseline.append(time.perf_counter() - started)
    slowest.sort(reverse=True)
    return {
        "wiretrace": {kind: _percentiles(samples) for kind, samples in wiretrace.items()},
        "datasketch": _percentiles(baseline),
        "wiretrace_slowest": [
            {"ms": round(1000 * ms, 1), "kind": kind, "id": ident, "words": count, "matches": found}
            for ms, kind, ident, count, found in slowest[:10]
        ],
    }


def bench_hashing(articles: list[Article]) -> dict:
    """MinHash signing throughput for one set of shingles, varying only the hash function."""
    import xxhash
    from datasketch import MinHash

    from fingerprints import DEFAULT_PARAMS, tokenize
    from fingerprints.shingles import shingle_hashes, token_hashes
    from fingerprints.signature import minhash

    shingles = [_shingles(article.text) for article in articles]
    token_lists = [tokenize(article.text).words for article in articles]
    numpy_hashes = [
        shingle_hashes(token_hashes(tokens, DEFAULT_PARAMS.seed), DEFAULT_PARAMS.shingle_size) for tokens in token_lists
    ]
    total = sum(len(items) for items in shingles)
    default = MinHash(num_perm=128)
    permutations, scheme = default.permutations, default.scheme

    def timed(run) -> float:
        started = time.perf_counter()
        run()
        return time.perf_counter() - started

    def sha1_default():
        for items in shingles:
            MinHash(num_perm=128).update_batch(items)

    def sha1_shared_permutations():
        for items in shingles:
            MinHash(num_perm=128, permutations=permutations, scheme=scheme).update_batch(items)

    def xxh32():
        for items in shingles:
            signature = MinHash(num_perm=128, permutations=permutations, scheme=scheme, hashfunc=xxhash.xxh32_intdigest)
            signature.update_batch(items)

    def wiretrace_numpy():
        for values in numpy_hashes:
            minhash(values, DEFAULT_PARAMS)

    def wiretrace_from_tokens():
        for tokens in token_lists:
            minhash(shingle_hashes(token_hashes(tokens, DEFAULT_PARAMS.seed), 5), DEFAULT_PARAMS)

    variants = {
        "datasketch_default_sha1": (sha1_default, "MinHash(num_perm=128) per text, default sha1_hash32 on bytes"),
        "sha1_precomputed_permutations": (sha1_shared_permutations, "sha1_hash32, permutations drawn once"),
        "xxh32": (xxh32, "xxhash.xxh32_intdigest as hashfunc, permutations drawn once"),
        "wiretrace_numpy_identity": (
            wiretrace_numpy,
            "fingerprints.signature.minhash on precomputed numpy shingle hashes (identity hashfunc, affine32)",
        ),
        "wiretrace_tokens_to_signature": (
            wiretrace_from_tokens,
            "as above, including token_hashes + shingle_hashes from the token lists",
        ),
    }
    results = {}
    for name, (run, what) in variants.items():
        seconds = min(timed(run) for _ in range(2))
        results[name] = {
            "what": what,
            "seconds": round(seconds, 3),
            "shingles_per_second": round(total / seconds),
            "texts_per_second": round(len(articles) / seconds, 1),
        }
    base = results["datasketch_default_sha1"]["seconds"]
    for figures in results.values():
        figures["speedup_vs_datasketch_default"] = round(base / figures["seconds"], 2)
    return {"texts": len(articles), "shingles": total, "variants": results}


def run(args: argparse.Namespace) -> dict:
    from server import create_app

    corpus = load_corpus()
    rng = random.Random(args.seed)
    articles = rng.sample(corpus, min(len(corpus), 3000)) if args.quick else corpus
    print(f"{len(articles)} articles")
    result: dict = {
        "benchmark": "speed",
        "command": "benchmarks/speed.py " + " ".join(sys.argv[1:]),
        **provenance(),
        "targets": TARGETS,
        "quick": args.quick,
    }
    with tempfile.TemporaryDirectory(prefix="wiretrace-speed-") as workdir:
        app = create_app({"DATABASE": str(Path(workdir) / "bench.db")})
        ingest = bench_ingest(app, articles, Path(workdir))
        print(f"wiretrace ingest: {ingest['articles_per_second']} articles/s ({ingest['seconds']}s)")
        lsh, baseline = bench_datasketch_ingest(articles)
        print(f"datasketch pipeline: {baseline['articles_per_second']} articles/s ({baseline['seconds']}s)")
        fingerprinting = bench_fingerprint_only(articles)
        print(f"wiretrace fingerprint() alone: {fingerprinting['articles_per_second']} articles/s")
        numpy_fingerprinting = bench_fingerprint_only(articles, numpy_path=True)
        print(f"wiretrace fingerprint() alone, numpy path: {numpy_fingerprinting['articles_per_second']} articles/s")
        # The same ingest with fingerprinting in two processes (wiretrace
        # ingest --workers 2), into a second database.
        parallel_app = create_app({"DATABASE": str(Path(workdir) / "bench-parallel.db")})
        parallel = bench_ingest(parallel_app, articles, Path(workdir), workers=2)
        print(f"wiretrace ingest --workers 2: {parallel['articles_per_second']} articles/s ({parallel['seconds']}s)")
        parsing = bench_parse_only(app, Path(workdir))
        print(f"parsing, validating and fingerprinting alone: {parsing['microseconds_per_article']} us an article")
        floor = bench_storage_floor(Path(workdir) / "bench.db", Path(workdir) / "floor.db")
        print(f"SQLite alone, writing the same rows: {floor['microseconds_per_article']} us an article")
        app = create_app({"DATABASE": str(Path(workdir) / "bench.db")})
        result["ingest"] = {
            "wiretrace": ingest,
            "wiretrace_two_workers": parallel,
            "two_workers_speedup_vs_datasketch": round(
                parallel["articles_per_second"] / baseline["articles_per_second"], 2
            ),
            "wiretrace_fingerprint_only": fingerprinting,
            "wiretrace_fingerprint_only_numpy_path": numpy_fingerprinting,
            "datasketch": baseline,
            "speedup_vs_datasketch": round(ingest["articles_per_second"] / baseline["articles_per_second"], 2),
            "speedup_vs_datasketch_sign_and_insert_only": round(
                ingest["articles_per_second"] / baseline["sign_and_insert_articles_per_second"], 2
            ),
            "fingerprint_only_speedup_vs_datasketch": round(
                fingerprinting["articles_per_second"] / baseline["articles_per_second"], 2
            ),
            "fingerprint_only_numpy_path_speedup_vs_datasketch": round(
                numpy_fingerprinting["articles_per_second"] / baseline["articles_per_second"], 2
            ),
            "parse_only": parsing,
            "storage_floor": floor,
            **_ceilings(baseline["seconds"], parsing["seconds"], floor["seconds"]),
        }
        print(
            f"ceilings: one writer {result['ingest']['ceiling_one_writer_vs_datasketch']}x, "
            f"all work split evenly over two cores {result['ingest']['ceiling_two_cores_vs_datasketch']}x"
        )

        half = args.match_queries // 2
        simulation = simulate(corpus, copies=half, partials=0, quote_pairs=0, carriers_per_outlet=0, seed=args.seed)
        in_db = [a for a in articles if len(a.text.split()) >= 20]
        texts = [("real_article", a.id, a.text) for a in rng.sample(in_db, min(len(in_db), args.match_queries - half))]
        texts += [("simulated_copy", query.id, query.text) for query in simulation.queries]
        rng.shuffle(texts)
        match = bench_match(app, lsh, texts)
        wiretrace_all, datasketch_all = match["wiretrace"]["all"], match["datasketch"]
        match["p50_ratio_vs_datasketch"] = round(wiretrace_all["p50_ms"] / datasketch_all["p50_ms"], 2)
        match["p99_ratio_vs_datasketch"] = round(wiretrace_all["p99_ms"] / datasketch_all["p99_ms"], 2)
        result["match"] = match
        print(f"match p50 {wiretrace_all['p50_ms']} ms, p99 {wiretrace_all['p99_ms']} ms "
              f"(datasketch query p50 {datasketch_all['p50_ms']} ms, p99 {datasketch_all['p99_ms']} ms)")  # fmt: skip

    sample = rng.sample(corpus, min(len(corpus), args.hash_texts))
    result["hashing"] = bench_hashing(sample)
    for name, figures in result["hashing"]["variants"].items():
        print(f"  {name:<32} {figures['shingles_per_second']:>10} shingles/s  "
              f"x{figures['speedup_vs_datasketch_default']}")  # fmt: skip
    result["load_average_at_end"] = load_average()
    result["verdict"] = {
        "ingest_speedup_vs_datasketch": result["ingest"]["speedup_vs_datasketch"],
        "ingest_target_met": result["ingest"]["speedup_vs_datasketch"] >= TARGETS["ingest_speedup_vs_datasketch"],
        "match_p99_ms": wiretrace_all["p99_ms"],
        "match_p99_target_met": wiretrace_all["p99_ms"] < TARGETS["match_p99_ms"],
    }
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="wiretrace speed benchmark (see docs/benchmarks.md)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--match-queries", type=int, default=500)
    parser.add_argument("--hash-texts", type=int, default=3000, help="texts signed in the hash-function comparison")
    parser.add_argument("--quick", action="store_true", help="3,000 articles, for a smoke test")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.quick:
        args.match_queries = min(args.match_queries, 100)
        args.hash_texts = min(args.hash_texts, 500)
    if not data_available():
        print("skipped: the shared data directory ../shared/data is not available")
        return 0
    result = run(args)
    print(json.dumps(result["verdict"]))
    out = args.out or RESULTS / ("speed-quick.json" if args.quick else "speed.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
