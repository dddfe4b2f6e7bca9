"""Scale: a corpus of up to a million articles, ingested by ``wiretrace ingest``, then measured.

1. **Corpus** (deterministic from ``--seed``), written as JSONL to a work
   directory outside the repository:

   * the shared news corpora (``../shared/data``, about 23,000 articles; at
     10k a seeded sample of them);
   * an *evaluation set*, the same at every size: copies and partial copies
     of shared articles made by the syndication simulator (``simulate.py``,
     with its page furniture and furniture carriers), stored with their
     ground truth, and one *wire story*: a shared article of 800-1,500 words
     with ``--wire-copies`` (500) edited copies, each at its own outlet;
   * synthetic articles (``synthetic_corpus.py``: the shared corpora's word
     frequencies and article lengths, never their sentences) up to
     ``--size``.

2. **Ingest** through ``wiretrace ingest --workers N`` in a subprocess, end
   to end, and the plain datasketch pipeline (wiretrace's tokens as 5-word
   shingles, ``MinHash`` with ``update_batch`` and its default hash,
   ``MinHashLSH`` in memory) on a sample of at most 100,000 of the same
   articles, in the same run.

3. **Measures**: disk per article beyond its text; then, once the kernel has
   written the build back to disk (``os.sync()``), for each ``--serve-workers``
   count a real ``wiretrace serve`` (gunicorn) on 127.0.0.1: restart to first
   answered match, matches per second under a loopback load generator
   (``load.py``'s client), errors, and the RSS of the whole process tree;
   server-side match latency (``app.test_client()``) for 800-word texts and
   for fresh copies of the wire story; recall and precision on the
   evaluation set (the same queries at every size).

It prints a table and writes JSON (``benchmarks/results/scale-<size>.json``)
with the machine, date, commit and load averages.

Usage::

    .venv/bin/python benchmarks/scale.py --size 10k
    .venv/bin/python benchmarks/scale.py --size 1M --workers 2 --workdir /tmp/wiretrace-scale --keep
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import resource
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
from corpus import Article, article_json, data_available, load_corpus, paragraphs, word_count  # noqa: E402
from load import HOST, WIRETRACE, client, pooled, start_server, stop_server  # noqa: E402
from provenance import load_average, provenance  # noqa: E402
from reference import ExactReference, shares_enough  # noqa: E402
from simulate import _Simulator  # noqa: E402
from speed import _percentiles, _shingles  # noqa: E402
from synthetic_corpus import synthetic_articles, word_model  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
SIZES = {"10k": 10_000, "100k": 100_000, "1M": 1_000_000}
BASELINE_SAMPLE = 100_000
MATCH_LIMIT = 20
TARGETS = {
    "ingest_articles_per_second": 2_000,
    "ingest_speedup_vs_datasketch": 5.0,
    "match_800_words_p50_ms": 5.0,
    "match_800_words_p99_ms": 20.0,
    "match_wire_story_p99_ms": 100.0,
    "server_rss_gib": 1.5,
    "restart_to_first_match_s": 2.0,
}


def parse_size(value: str) -> int:
    if value in SIZES:
        return SIZES[value]
    try:
        return int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--size must be one of {', '.join(SIZES)} or a number") from None


@dataclass
class EvaluationSet:
    stored: list[Article]  # copies, partial copies, wire copies, furniture carriers
    # Stored copy -> (its text without furniture, {source url: "copy" | "partial" | "host"}).
    truth: dict[str, tuple[str, dict[str, str]]]
    wire_family: set[str]  # the wire source's URL and every stored copy's
    wire_queries: list[str]  # fresh copies of the wire story, never stored
    shared_used: set[str]  # ids of shared articles the evaluation set relies on
    wire_source: Article | None = None
    counts: dict = field(default_factory=dict)


def build_evaluation_set(corpus: list[Article], args) -> EvaluationSet:
    """The labelled part of the corpus: identical at every ``--size`` for a given seed."""
    simulator = _Simulator(corpus, args.seed)
    by_id = {article.id: article for article in corpus}
    stored = simulator.carriers(10)
    truth: dict[str, tuple[str, dict[str, str]]] = {}
    queries = [simulator.copy(n) for n in range(args.eval_copies)]
    queries += [simulator.partial(n) for n in range(args.eval_partials)]
    for query in queries:
        article = Article(query.id, "copy", query.outlet, query.url, None, None, query.text)
        stored.append(article)
        truth[query.url] = (query.body, {by_id[source].url: kind for source, kind in query.sources.items()})

    wire = simulator._pick(simulator.long)
    family = {wire.url}
    wire_queries: list[str] = []
    number = 0
    while len(family) <= args.wire_copies or len(wire_queries) < args.wire_queries:
        number += 1
        copy = simulator._copy_from(wire, 1_000_000 + number)
        if copy is None:
            continue
        if len(family) <= args.wire_copies:
            outlet = f"wire-partner-{number}.example"
            url = f"https://{outlet}/story/{number}"
            stored.append(Article(f"wire-{number}", "copy", outlet, url, wire.title, wire.published_at, copy.text))
            family.add(url)
        else:
            wire_queries.append(copy.text)
    return EvaluationSet(
        stored=stored,
        truth=truth,
        wire_family=family,
        wire_queries=wire_queries,
        shared_used=set(simulator.used),
        wire_source=wire,
        counts={
            "copies": args.eval_copies,
            "partials": args.eval_partials,
            "wire_copies": len(family) - 1,
            "furniture_carriers": len(stored) - len(queries) - (len(family) - 1),
        },
    )


def write_corpus(path: Path, corpus: list[Article], evaluation: EvaluationSet, args) -> dict:
    """The JSONL to ingest: shared, evaluation and synthetic articles, interleaved deterministically.

    Returns counts and the baseline sample (every k-th article's text).
    """
    rng = random.Random(args.seed)
    room = args.size - len(evaluation.stored)
    if room < 0:
        raise SystemExit(f"--size {args.size} is smaller than the evaluation set ({len(evaluation.stored)})")
    needed = [a for a in corpus if a.id in evaluation.shared_used]
    others = [a for a in corpus if a.id not in evaluation.shared_used]
    shared = needed + rng.sample(others, min(len(others), max(0, room - len(needed))))
    fixed = shared + evaluation.stored
    rng.shuffle(fixed)
    synthetic_count = args.size - len(fixed)
    slots = set(rng.sample(range(args.size), len(fixed))) if synthetic_count > 0 else set(range(len(fixed)))
    model = word_model(corpus)
    generated = synthetic_articles(model, max(synthetic_count, 0), args.seed)
    every = max(1, args.size // BASELINE_SAMPLE)
    sample: list[str] = []
    text_bytes = 0
    words = 0
    fixed_iter = iter(fixed)
    with open(path, "w", encoding="utf-8") as handle:
        for position in range(len(fixed) + max(synthetic_count, 0)):
            article = next(fixed_iter) if position in slots else next(generated)
            text_bytes += len(article.text.encode("utf-8"))
            if position % every == 0 and len(sample) < BASELINE_SAMPLE:
                sample.append(article.text)
                words += word_count(article.text)
            handle.write(json.dumps(article_json(article), ensure_ascii=False) + "\n")
    return {
        "articles": len(fixed) + max(synthetic_count, 0),
        "shared": len(shared),
        "evaluation": len(evaluation.stored),
        "synthetic": max(synthetic_count, 0),
        "text_bytes": text_bytes,
        "jsonl_bytes": path.stat().st_size,
        "mean_words_in_baseline_sample": round(words / max(len(sample), 1), 1),
        "sample": sample,
    }


def ingest(path: Path, db: Path, workers: int) -> dict:
    help_text = subprocess.run([WIRETRACE, "ingest", "--help"], capture_output=True, text=True).stdout
    command = [WIRETRACE, "ingest", str(path), "--db", str(db), "--quiet", "--workers", str(workers)]
    if "--no-link" in help_text:
        command.append("--no-link")  # story linking is measured on its own
    started = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if completed.returncode != 0:
        raise RuntimeError(f"wiretrace ingest failed ({completed.returncode}): {completed.stderr[-2000:]}")
    return {
        "command": " ".join(command[:1] + ["ingest", "<corpus.jsonl>"] + command[3:]),
        "seconds": round(seconds, 1),
        "output": completed.stdout.strip(),
        "peak_rss_mib_largest_process": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
        "no_link": "--no-link" in command,
    }


def datasketch_baseline(texts: list[str]) -> dict:
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=0.5, num_perm=128)
    started = time.perf_counter()
    for index, text in enumerate(texts):
        signature = MinHash(num_perm=128)
        signature.update_batch(_shingles(text))
        lsh.insert(index, signature)
    seconds = time.perf_counter() - started
    return {"articles": len(texts), "seconds": round(seconds, 1), "articles_per_second": round(len(texts) / seconds, 1)}


def disk_usage(db: Path, text_bytes: int, articles: int) -> dict:
    files = {p.name: p.stat().st_size for p in db.parent.glob(db.name + "*")}
    total = sum(files.values())
    tables: dict[str, int] = {}
    with sqlite3.connect(db) as connection:
        try:
            rows = connection.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name").fetchall()
            tables = {name: size for name, size in sorted(rows, key=lambda row: -row[1])}
        except sqlite3.OperationalError:
            tables = {}
    return {
        "files_bytes": files,
        "total_bytes": total,
        "text_bytes": text_bytes,
        "bytes_per_article": round(total / articles),
        "bytes_per_article_beyond_text": round((total - text_bytes) / articles),
        "bytes_by_table": tables,
    }


def _tree_rss(pid: int) -> tuple[int, int]:
    """(RSS, PSS) in bytes of ``pid`` and all its descendants."""
    pids, queue = [], [pid]
    while queue:
        current = queue.pop()
        pids.append(current)
        try:
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        queue.extend(int(child) for child in children)
    rss = pss = 0
    for current in pids:
        try:
            for line in Path(f"/proc/{current}/smaps_rollup").read_text().splitlines():
                if line.startswith("Rss:"):
                    rss += int(line.split()[1]) * 1024
                elif line.startswith("Pss:"):
                    pss += int(line.split()[1]) * 1024
        except OSError:
            continue
    return rss, pss


def _dirty_kib() -> int | None:
    """Bytes waiting to be written back to disk, in KiB (Linux), or None."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("Dirty:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def _post_match(port: int, text: str, timeout: float = 30) -> int:
    request = urllib.request.Request(
        f"http://{HOST}:{port}/api/v1/match",
        data=json.dumps({"text": text, "limit": MATCH_LIMIT}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        response.read()
        return response.status


def serve_and_load(db: Path, workers: int, queries: list[str], seconds: float, concurrency: int, log: Path) -> dict:
    """Start ``wiretrace serve``; time to the first answered match; load it; RSS of the process tree."""
    port = _free_port()
    started = time.monotonic()
    server = start_server(db, workers, port, log)
    peak = [0, 0]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            rss, pss = _tree_rss(server.pid)
            peak[0], peak[1] = max(peak[0], rss), max(peak[1], pss)
            stop.wait(0.25)

    try:
        while True:
            try:
                if _post_match(port, queries[0], timeout=5) == 200:
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() - started > 120:
                    raise RuntimeError("the server did not start: " + log.read_text(errors="replace")) from None
                time.sleep(0.02)
        first_match = time.monotonic() - started
        idle_rss, idle_pss = _tree_rss(server.pid)
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        context = multiprocessing.get_context("spawn")
        results = context.Queue()
        begin = time.monotonic() + 2
        end = begin + seconds
        load_at_start = load_average()
        clients = [
            context.Process(target=client, args=(n, port, queries, begin, end, 10**9, results))
            for n in range(concurrency)
        ]
        for process in clients:
            process.start()
        collected = [results.get(timeout=seconds + 180) for _ in clients]
        for process in clients:
            process.join()
        elapsed = min(time.monotonic(), end) - begin
        stop.set()
        sampler.join()
    finally:
        stop.set()
        stop_server(server)
    latencies, errors = pooled(collected)
    requests = len(latencies)
    return {
        "workers": workers,
        "restart_to_first_match_s": round(first_match, 2),
        "rss_mib_idle": round(idle_rss / 2**20, 1),
        "pss_mib_idle": round(idle_pss / 2**20, 1),
        "rss_mib_peak_under_load": round(peak[0] / 2**20, 1),
        "pss_mib_peak_under_load": round(peak[1] / 2**20, 1),
        "concurrency": concurrency,
        "seconds": round(elapsed, 1),
        "requests": requests,
        "errors": len(errors),
        "error_samples": errors[:5],
        "matches_per_second": round(requests / elapsed, 1) if elapsed > 0 else None,
        "client_p50_ms": round(float(np.percentile(latencies, 50)), 1) if requests else None,
        "client_p99_ms": round(float(np.percentile(latencies, 99)), 1) if requests else None,
        "load_average_at_start": load_at_start,
        "load_average_at_end": load_average(),
    }


def _cut_to_words(article: Article, target: int) -> str:
    kept, count = [], 0
    for piece in paragraphs(article):
        kept.append(piece)
        count += word_count(piece)
        if count >= target:
            break
    return "\n\n".join(kept)


def latency_queries(corpus: list[Article], stored_urls: set[str], count: int, seed: int) -> list[tuple[str, str]]:
    """About 800-word texts: half cut from stored shared articles (they match), half new synthetic (they do not)."""
    rng = random.Random(seed + 1)
    long = [a for a in corpus if a.url in stored_urls and word_count(a.text) >= 800]
    chosen = rng.sample(long, min(len(long), count // 2))
    texts = [("stored_article_cut_to_800_words", _cut_to_words(a, 800)) for a in chosen]
    fresh = synthetic_articles(word_model(corpus), count - len(texts), seed + 99, words=800, prefix="query")
    texts += [("new_800_word_text", a.text) for a in fresh]
    rng.shuffle(texts)
    return texts


def measure_latency(client_, texts: list[tuple[str, str]]) -> dict:
    for _, text in texts[:5]:
        client_.post("/api/v1/match", json={"text": text, "limit": MATCH_LIMIT})
    samples: dict[str, list[float]] = {"all": []}
    # CPU time of the request too: the machine may be shared, and then wall
    # time includes waiting for a core; CPU time does not.
    cpu: list[float] = []
    found = 0
    for kind, text in texts:
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client_.post("/api/v1/match", json={"text": text, "limit": MATCH_LIMIT})
        elapsed = time.perf_counter() - started
        cpu.append(time.process_time() - started_cpu)
        if response.status_code != 200:
            raise RuntimeError(f"match failed: {response.get_json()}")
        found += len(response.get_json()["matches"])
        samples["all"].append(elapsed)
        samples.setdefault(kind, []).append(elapsed)
    result = {kind: _percentiles(values) for kind, values in samples.items()}
    result["cpu_time"] = _percentiles(cpu)
    result["matches_per_query"] = round(found / max(len(texts), 1), 2)
    result["mean_words"] = round(float(np.mean([word_count(text) for _, text in texts])), 1)
    return result


def evaluate(client_, db: Path, evaluation: EvaluationSet, partial_ok: bool = False) -> dict:
    """Recall and precision over the stored evaluation copies, each queried with its own text and URL."""
    tallies = {"copy": [0, 0], "partial": [0, 0]}
    reported = correct = 0
    false_positives = []
    misses = []
    not_stored = 0
    with sqlite3.connect(db) as connection:
        for url, (body, sources) in evaluation.truth.items():
            cursor = connection.execute("SELECT text FROM article WHERE url = ?", (url,)).fetchone()
            if cursor is None:
                if not partial_ok:
                    raise RuntimeError(f"evaluation article {url} was not stored")
                not_stored += 1
                continue
            response = client_.post("/api/v1/match", json={"text": cursor[0], "url": url, "limit": 50})
            found = {match["article"]["url"] for match in response.get_json()["matches"]}
            for source, kind in sources.items():
                stored = connection.execute("SELECT 1 FROM article WHERE url = ?", (source,)).fetchone()
                if partial_ok and stored is None:
                    continue  # a partly built database may lack the source
                if kind in tallies:
                    tallies[kind][1] += 1
                    if source in found:
                        tallies[kind][0] += 1
                    else:
                        misses.append({"query": url, "source": source, "kind": kind})
            for match_url in found:
                reported += 1
                if match_url in sources:
                    correct += 1
                    continue
                text = connection.execute("SELECT text FROM article WHERE url = ?", (match_url,)).fetchone()[0]
                overlap = ExactReference([text]).overlaps(body).get(0)
                if overlap and shares_enough(overlap.shared, word_count(body), overlap.match_words):
                    correct += 1  # a real duplicate in the background (a re-issue, another copy)
                else:
                    false_positives.append({"query": url, "match": match_url})
    return {
        "queries": len(evaluation.truth) - not_stored,
        "not_stored": not_stored,
        "copy_recall": round(tallies["copy"][0] / max(tallies["copy"][1], 1), 4),
        "copy_pairs": tallies["copy"][1],
        "partial_recall": round(tallies["partial"][0] / max(tallies["partial"][1], 1), 4),
        "partial_pairs": tallies["partial"][1],
        "precision": round(correct / max(reported, 1), 4),
        "reported": reported,
        "false_positives": false_positives[:50],
        "misses": misses[:50],
    }


def build_and_ingest(args, corpus, evaluation, source: Path, db: Path, result: dict, phases: dict) -> None:
    clock = time.perf_counter()
    for stale in db.parent.glob(db.name + "*"):
        stale.unlink()
    written = write_corpus(source, corpus, evaluation, args)
    sample = written.pop("sample")
    result["corpus"] = {**written, "evaluation_set": evaluation.counts}
    phases["build_corpus_s"] = round(time.perf_counter() - clock, 1)
    print(f"corpus: {written['articles']} articles ({written['synthetic']} synthetic) in {phases['build_corpus_s']} s")

    load_before = load_average()
    ingested = ingest(source, db, args.workers)
    ingested["articles_per_second"] = round(written["articles"] / ingested["seconds"], 1)
    ingested["load_average_before"], ingested["load_average_after"] = load_before, load_average()
    print(f"wiretrace ingest --workers {args.workers}: {ingested['articles_per_second']} articles/s "
          f"({ingested['seconds']} s); {ingested['output']}")  # fmt: skip
    baseline = datasketch_baseline(sample)
    baseline["load_average_after"] = load_average()
    del sample
    print(f"datasketch on {baseline['articles']} of them: {baseline['articles_per_second']} articles/s")
    result["ingest"] = {
        "wiretrace": ingested,
        "datasketch_sample": baseline,
        "speedup_vs_datasketch": round(ingested["articles_per_second"] / baseline["articles_per_second"], 2),
    }

    result["disk"] = disk_usage(db, written["text_bytes"], written["articles"])
    print(f"disk: {result['disk']['bytes_per_article_beyond_text']} bytes per article beyond its text")


def run(args) -> dict:
    from server import create_app

    result: dict = {
        "benchmark": "scale",
        "command": "benchmarks/scale.py " + " ".join(sys.argv[1:]),
        **provenance(),
        "targets": TARGETS,
        "size": args.size,
        "seed": args.seed,
    }
    phases: dict[str, float] = {}
    clock = time.perf_counter()
    corpus = load_corpus()
    evaluation = build_evaluation_set(corpus, args)
    workdir = args.workdir
    workdir.mkdir(parents=True, exist_ok=True)
    source = workdir / f"corpus-{args.size}-seed{args.seed}.jsonl"
    db = workdir / f"scale-{args.size}-seed{args.seed}.db"
    if args.reuse and db.exists():
        # Measure again an existing database (after a change to matching, or
        # on a quieter machine); corpus, ingest and disk figures are those of
        # the run that built it.
        previous = json.loads(args.out.read_text(encoding="utf-8")) if args.out.exists() else {}
        for key in ("corpus", "ingest", "disk", "ingest_commit"):
            result[key] = previous.get(key)
        result["ingest_commit"] = result["ingest_commit"] or previous.get("commit")
        result["reused_database"] = True
        if result["disk"] is None:  # the building run did not finish: measure what it stored
            with sqlite3.connect(db) as connection:
                count, text_bytes = connection.execute(
                    "SELECT COUNT(*), SUM(LENGTH(CAST(text AS BLOB))) FROM article"
                ).fetchone()
            result["corpus"] = {"articles": count, "note": "counted in the reused database"}
            result["disk"] = disk_usage(db, text_bytes, count)
            # The datasketch baseline of this run, on stored texts, so that an
            # ingest rate measured outside it can still be set against it.
            every = max(1, count // 20_000)
            with sqlite3.connect(db) as connection:
                texts = [t for (t,) in connection.execute("SELECT text FROM article WHERE id % ? = 0", (every,))]
            result["ingest"] = {
                "datasketch_sample": {**datasketch_baseline(texts[:20_000]), "load_average_after": load_average()}
            }
    else:
        build_and_ingest(args, corpus, evaluation, source, db, result, phases)
        result["ingest_commit"] = result["commit"]
    phases["build_and_ingest_s"] = round(time.perf_counter() - clock, 1)
    # A build leaves gigabytes for the kernel to write back; the restart
    # figure is about starting the server, not about reading past that
    # write-back, so wait for it (how much there was is recorded).
    result["dirty_kib_before_sync"] = _dirty_kib()
    clock = time.perf_counter()
    os.sync()
    phases["sync_s"] = round(time.perf_counter() - clock, 1)

    with sqlite3.connect(db) as connection:
        stored_urls = {url for (url,) in connection.execute("SELECT url FROM article WHERE url NOT LIKE '%syn-%'")}
    latency_texts = latency_queries(corpus, stored_urls, args.latency_queries, args.seed)
    result["serve"] = []
    for workers in args.serve_workers:
        figures = serve_and_load(
            db, workers, [text for _, text in latency_texts], args.load_seconds, args.concurrency,
            workdir / "server.log",
        )  # fmt: skip
        result["serve"].append(figures)
        print(f"serve --workers {workers}: first match {figures['restart_to_first_match_s']} s after start, "
              f"{figures['matches_per_second']} matches/s, {figures['errors']} errors, "
              f"RSS {figures['rss_mib_peak_under_load']} MiB (PSS {figures['pss_mib_peak_under_load']})")  # fmt: skip

    app = create_app({"DATABASE": str(db)})
    test_client = app.test_client()
    result["match_800_words"] = measure_latency(test_client, latency_texts)
    wire_texts = [("wire_story_copy", text) for text in evaluation.wire_queries]
    result["match_wire_story"] = measure_latency(test_client, wire_texts)
    result["match_wire_story"]["stored_copies"] = len(evaluation.wire_family) - 1
    result["accuracy"] = evaluate(test_client, db, evaluation, partial_ok=bool(args.reuse))
    result["load_average_at_end"] = load_average()
    result["phases"] = phases
    result["database"] = str(db)
    if not (args.keep or args.reuse):
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        source.unlink(missing_ok=True)
    result["verdict"] = verdict(result)
    return result


def verdict(result: dict) -> dict:
    ingest = result.get("ingest") or {}  # absent when a partly built database was reused
    ingest_rate = ingest.get("wiretrace", {}).get("articles_per_second")
    serve = result["serve"]
    return {
        "ingest_articles_per_second": ingest_rate,
        "ingest_target_met": ingest_rate is not None and ingest_rate >= TARGETS["ingest_articles_per_second"],
        "ingest_speedup_vs_datasketch": ingest.get("speedup_vs_datasketch"),
        "match_800_words_p50_ms": result["match_800_words"]["all"]["p50_ms"],
        "match_800_words_p99_ms": result["match_800_words"]["all"]["p99_ms"],
        "match_wire_story_p99_ms": result["match_wire_story"]["all"]["p99_ms"],
        "server_rss_mib_max": max((run["rss_mib_peak_under_load"] for run in serve), default=None),
        "restart_to_first_match_s_max": max((run["restart_to_first_match_s"] for run in serve), default=None),
        "load_errors": sum(run["errors"] for run in serve),
        "copy_recall": result["accuracy"]["copy_recall"],
        "partial_recall": result["accuracy"]["partial_recall"],
        "precision": result["accuracy"]["precision"],
    }


def print_table(result: dict) -> None:
    v = result["verdict"]
    rows = [
        ("articles", f"{result['corpus']['articles']:,}", ""),
        ("ingest articles/s", v["ingest_articles_per_second"], ">= 2,000"),
        ("ingest vs datasketch (same run)", f"{v['ingest_speedup_vs_datasketch']}x", ">= 5x"),
        ("disk bytes/article beyond text", result["disk"]["bytes_per_article_beyond_text"], "reported"),
        ("match 800 words p50 ms", v["match_800_words_p50_ms"], "< 5"),
        ("match 800 words p99 ms", v["match_800_words_p99_ms"], "< 20"),
        ("  CPU time p50 / p99 ms", "{p50_ms} / {p99_ms}".format(**result["match_800_words"]["cpu_time"]), ""),
        ("match wire story (500 copies) p99 ms", v["match_wire_story_p99_ms"], "< 100"),
        ("  CPU time p50 / p99 ms", "{p50_ms} / {p99_ms}".format(**result["match_wire_story"]["cpu_time"]), ""),
        ("load average start / end", f"{result['load_average_at_start']} / {result['load_average_at_end']}", ""),
    ]
    for run in result["serve"]:
        rows.append((f"serve --workers {run['workers']} matches/s", run["matches_per_second"], "errors 0"))
        rows.append((f"serve --workers {run['workers']} errors", run["errors"], "0"))
        rows.append((f"serve --workers {run['workers']} RSS MiB (peak)", run["rss_mib_peak_under_load"], "< 1536"))
        rows.append((f"serve --workers {run['workers']} restart to match s", run["restart_to_first_match_s"], "< 2"))
    rows += [
        ("copy recall", v["copy_recall"], "= at 10k"),
        ("partial recall", v["partial_recall"], "= at 10k"),
        ("precision", v["precision"], "= at 10k"),
    ]
    print(f"\n{'figure':<40} {'value':>12}  target")
    for name, value, target in rows:
        print(f"{name:<40} {value!s:>12}  {target}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="wiretrace scale benchmark (see docs/benchmarks.md)")
    parser.add_argument("--size", type=parse_size, default=SIZES["10k"], help="10k, 100k, 1M or a number")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=2, help="wiretrace ingest --workers")
    parser.add_argument("--serve-workers", type=int, nargs="+", default=[2, 4])
    parser.add_argument("--load-seconds", type=float, default=20)
    parser.add_argument("--concurrency", type=int, default=8, help="load generator client processes")
    parser.add_argument("--latency-queries", type=int, default=200)
    parser.add_argument("--eval-copies", type=int, default=300)
    parser.add_argument("--eval-partials", type=int, default=100)
    parser.add_argument("--wire-copies", type=int, default=500)
    parser.add_argument("--wire-queries", type=int, default=100)
    parser.add_argument("--workdir", type=Path, default=None, help="for the JSONL and database (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the database in --workdir")
    parser.add_argument(
        "--reuse", action="store_true", help="measure the database --workdir holds from an earlier --keep run"
    )
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    if not data_available():
        print("skipped: the shared data directory ../shared/data is not available")
        return 0
    if args.workdir is None:
        args.workdir = Path(tempfile.mkdtemp(prefix="wiretrace-scale-"))
    label = next((name for name, value in SIZES.items() if value == args.size), str(args.size))
    out = args.out = args.out or RESULTS / f"scale-{label}.json"
    result = run(args)
    print_table(result)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out}")
    return 1 if result["verdict"]["load_errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
