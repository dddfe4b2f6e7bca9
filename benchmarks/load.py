"""Load: match throughput and latency of ``wiretrace serve --workers N`` over loopback HTTP.

1. A database is loaded once from ``../shared/data`` (all of it, or
   ``--articles N``) or, with ``--demo`` or when the data is absent, from the
   demo corpus. ``--db PATH`` keeps the loaded database and reuses it on the
   next run.
2. For each ``--workers`` value a real ``wiretrace serve`` is started on
   127.0.0.1 (never another address) and ``--concurrency`` client processes
   send ``POST /api/v1/match`` requests back to back for ``--duration``
   seconds, after a short warm-up, up to ``--max-requests`` in all. Queries are
   stored texts, whole or cut to a run of their paragraphs (so they find their
   sources as copies and as partial reuse), drawn from a seeded generator.
3. Every request must answer 200: the run fails (exit 1) on any error. It
   reports matches per second and latency percentiles as the client sees them
   (queueing included) in ``benchmarks/results/load.json``.

The clients run on the same machine as the server and take some of its CPU:
the figures are for the whole box, as a reverse proxy on the same host would
see them.

Usage::

    .venv/bin/python benchmarks/load.py                      # workers 2 and 4, 60 s each, 8 clients
    .venv/bin/python benchmarks/load.py --quick              # demo corpus, 5 s each: a smoke test
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
from corpus import article_json, data_available, load_corpus, paragraphs  # noqa: E402
from provenance import load_average, provenance  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
HOST = "127.0.0.1"  # the load never leaves this machine
WIRETRACE = str(Path(sys.executable).with_name("wiretrace"))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def load_database(db: Path, articles: int | None, demo: bool) -> dict:
    """Ingest the corpus into ``db`` unless it exists already; returns what it holds and the query texts."""
    fresh = not db.exists()
    if demo or not data_available():
        if not demo:
            print("../shared/data is absent: loading the demo corpus instead")
        source = ROOT / "server" / "demo" / "corpus.jsonl"
        texts = [json.loads(line)["text"] for line in source.read_text(encoding="utf-8").splitlines() if line]
        if fresh:
            subprocess.run([WIRETRACE, "ingest", str(source), "--db", str(db), "--quiet"], check=True)
        return {"corpus": "demo", "articles": len(texts), "queries": texts}
    corpus = load_corpus()
    if articles:
        corpus = random.Random(0).sample(corpus, min(articles, len(corpus)))
    if fresh:
        source = db.with_suffix(".jsonl")
        with open(source, "w", encoding="utf-8") as handle:
            for article in corpus:
                handle.write(json.dumps(article_json(article), ensure_ascii=False) + "\n")
        started = time.perf_counter()
        subprocess.run([WIRETRACE, "ingest", str(source), "--db", str(db), "--quiet", "--workers", "2"], check=True)
        print(f"loaded {len(corpus)} articles in {time.perf_counter() - started:.0f} s")
        source.unlink()
    rng = random.Random(1)
    queries = []
    for article in rng.sample(corpus, min(2000, len(corpus))):
        pieces = paragraphs(article)
        if len(pieces) > 3 and rng.random() < 0.5:
            start = rng.randrange(len(pieces) - 2)
            queries.append("\n\n".join(pieces[start : start + rng.randint(2, 4)]))
        else:
            queries.append(article.text)
    return {"corpus": "shared/data", "articles": len(corpus), "queries": queries}


def client(number: int, port: int, queries: list[str], start: float, deadline: float, budget: int, out) -> None:
    """Send matches back to back; latencies of the requests sent after ``start`` are kept."""
    rng = random.Random(number)
    latencies, errors, matches, sent = [], [], 0, 0
    while time.monotonic() < deadline and sent < budget:
        body = json.dumps({"text": rng.choice(queries), "limit": 20}).encode()
        began = time.monotonic()
        try:
            connection = http.client.HTTPConnection(HOST, port, timeout=60)
            connection.request("POST", "/api/v1/match", body, {"Content-Type": "application/json"})
            response = connection.getresponse()
            payload = response.read()
            connection.close()
        except (OSError, http.client.HTTPException) as error:
            errors.append(repr(error))
            continue
        finished = time.monotonic()
        if response.status != 200:
            errors.append(f"{response.status}: {payload[:200]!r}")
            continue
        if began >= start:
            sent += 1
            latencies.append(finished - began)
            matches += len(json.loads(payload)["matches"])
    out.put({"latencies": latencies, "errors": errors, "matches": matches})


def start_server(db: Path, workers: int, port: int, log: Path) -> subprocess.Popen:
    """``wiretrace serve --workers N`` on loopback, its output appended to ``log``.

    In a session of its own, so the whole gunicorn process tree can be
    signalled (and measured) as one; without a key, so the load needs none.
    """
    with open(log, "ab") as handle:
        return subprocess.Popen(
            [WIRETRACE, "serve", "--db", str(db), "--host", HOST, "--port", str(port), "--workers", str(workers)],
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, "WIRETRACE_API_KEY": ""},
        )


def stop_server(server: subprocess.Popen) -> None:
    """SIGTERM to the server's whole process group (gunicorn and its workers), then wait for it."""
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=60)


def pooled(collected: list[dict]) -> tuple[np.ndarray, list]:
    """The client processes' results together: latencies in ms, and the errors."""
    latencies = np.asarray([value for part in collected for value in part["latencies"]]) * 1000
    return latencies, [error for part in collected for error in part["errors"]]


def run_load(db: Path, workers: int, args, queries: list[str], log: Path) -> dict:
    port = _free_port()
    server = start_server(db, workers, port, log)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection((HOST, port), timeout=1):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the server did not start: " + log.read_text(errors="replace")) from None
                time.sleep(0.1)
        context = multiprocessing.get_context("spawn")
        results = context.Queue()
        start = time.monotonic() + args.warmup
        end = start + args.duration
        budget = max(1, args.max_requests // args.concurrency)
        load_at_start = load_average()
        clients = [
            context.Process(target=client, args=(n, port, queries, start, end, budget, results))
            for n in range(args.concurrency)
        ]
        for process in clients:
            process.start()
        collected = [results.get(timeout=args.warmup + args.duration + 120) for _ in clients]
        for process in clients:
            process.join()
        elapsed = min(time.monotonic(), end) - start
    finally:
        stop_server(server)
    latencies, errors = pooled(collected)
    requests = len(latencies)
    return {
        "workers": workers,
        "concurrency": args.concurrency,
        "seconds": round(elapsed, 1),
        "requests": requests,
        "errors": len(errors),
        "error_samples": errors[:5],
        "matches_per_second": round(requests / elapsed, 1),
        "matches_found_per_request": round(sum(part["matches"] for part in collected) / max(requests, 1), 2),
        "p50_ms": round(float(np.percentile(latencies, 50)), 1) if requests else None,
        "p90_ms": round(float(np.percentile(latencies, 90)), 1) if requests else None,
        "p99_ms": round(float(np.percentile(latencies, 99)), 1) if requests else None,
        "max_ms": round(float(latencies.max()), 1) if requests else None,
        "load_average_at_start": load_at_start,
        "load_average_at_end": load_average(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="wiretrace load benchmark (see docs/benchmarks.md)")
    parser.add_argument("--workers", type=int, nargs="+", default=[2, 4], help="server worker counts to measure")
    parser.add_argument("--concurrency", type=int, default=8, help="client processes sending back to back")
    parser.add_argument("--duration", type=float, default=60, help="measured seconds per worker count")
    parser.add_argument("--warmup", type=float, default=3, help="seconds of requests before measuring")
    parser.add_argument("--max-requests", type=int, default=100_000, help="most measured requests per run")
    parser.add_argument("--articles", type=int, default=None, help="load only this many articles (default all)")
    parser.add_argument(
        "--db", type=Path, default=None, help="load into this file and keep it; an existing one is used as it is"
    )
    parser.add_argument("--demo", action="store_true", help="load the demo corpus, not ../shared/data")
    parser.add_argument("--quick", action="store_true", help="demo corpus, workers 2, 5 s: a smoke test")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.quick:
        args.demo, args.workers, args.duration, args.warmup, args.concurrency = True, [2], 5, 1, 4
    out = args.out or RESULTS / ("load-quick.json" if args.quick else "load.json")
    result = {"benchmark": "load", **provenance(), "cpus": os.cpu_count(), "runs": []}
    with tempfile.TemporaryDirectory(prefix="wiretrace-load-") as workdir:
        db = args.db or Path(workdir) / "load.db"
        loaded = load_database(db, args.articles, args.demo)
        queries = loaded.pop("queries")
        result["database"] = {**loaded, "queries": len(queries), "mib": round(db.stat().st_size / 2**20, 1)}
        for workers in args.workers:
            run = run_load(db, workers, args, queries, Path(workdir) / "server.log")
            result["runs"].append(run)
            print(f"--workers {workers}: {run['matches_per_second']} matches/s, p50 {run['p50_ms']} ms, "
                  f"p99 {run['p99_ms']} ms, {run['requests']} requests, {run['errors']} errors, "
                  f"load {run['load_average_at_start']} -> {run['load_average_at_end']}")  # fmt: skip
        log = (Path(workdir) / "server.log").read_text(errors="replace")
        result["server_tracebacks"] = log.count("Traceback")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    failed = result["server_tracebacks"] or any(run["errors"] or not run["requests"] for run in result["runs"])
    print(f"written to {out}" + ("; FAILED: errors above" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
