"""The ``wiretrace`` command: serve, ingest, match, stats.

Every command goes through the same functions as the HTTP API (validation,
store, matching), so the CLI and the API cannot disagree.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field

import click

from . import create_app
from .errors import ApiError

DEFAULT_DB = "wiretrace.db"
db_option = click.option(
    "--db",
    "db_path",
    default=lambda: os.environ.get("WIRETRACE_DB", DEFAULT_DB),
    show_default=f"$WIRETRACE_DB or {DEFAULT_DB}",
    help="SQLite database file (created if missing).",
)


def _app(db_path: str):
    return create_app({"DATABASE": db_path})


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="wiretrace")
def main() -> None:
    """wiretrace: trace copied news text across outlets."""


@main.command()
@db_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=int, help="Port to listen on.")
@click.option("--demo", is_flag=True, help="Load the demo corpus first if the database is empty.")
@click.option(
    "--workers",
    default=1,
    type=click.IntRange(1, 64),
    show_default=True,
    help="Worker processes. 1: one process with a thread per request (werkzeug); more: gunicorn.",
)
@click.option(
    "--timeout",
    default=120,
    type=click.IntRange(1),
    show_default=True,
    help="With --workers > 1: seconds a request may take before gunicorn restarts its worker.",
)
def serve(db_path: str, host: str, port: int, demo: bool, workers: int, timeout: int) -> None:
    """Run the HTTP API (and the demo pages under /demo/)."""
    from fingerprints.compiled_path import warm_in_background

    app = _app(db_path)
    if demo:
        from .db import database
        from .registry_csv import load_demo_registry

        with app.app_context():
            # The registry first, so that the demo articles resolve to its outlets.
            with database.connection_context():
                load_demo_registry()
            loaded = load_demo_if_empty(app)
        click.echo(f"demo corpus: {loaded} articles loaded" if loaded else "demo corpus: database not empty, skipped")
    click.echo(
        f"wiretrace serving {db_path} on http://{host}:{port}/ with {workers} worker process"
        f"{'es' if workers > 1 else ''} (API under /api/v1/, demo pages under /demo/, research pages at /outlets, "
        "/stories/<id>, /search and /api/docs)"
    )
    if workers == 1:
        from werkzeug.serving import run_simple

        # Answer from the first request: fingerprints take the numpy path
        # until the compiled one has loaded (fingerprints/compiled_path.py).
        warm_in_background()
        run_simple(host, port, app, threaded=True, use_reloader=False, use_debugger=False)
        return

    from gunicorn.app.base import BaseApplication

    class Gunicorn(BaseApplication):
        # Not preloaded: each worker builds its own app, so no SQLite
        # connection ever crosses a fork; all of them share the one file.
        def load_config(self) -> None:
            options = {
                "bind": f"{host}:{port}",
                "workers": workers,
                "worker_class": "sync",
                "timeout": timeout,
                "graceful_timeout": 30,
                "preload_app": False,
                "accesslog": None,
                "errorlog": "-",
                "loglevel": "warning",
            }
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self):
            # In each worker, not in the master: a thread does not survive
            # the fork, and a master that never answers needs no kernel.
            warm_in_background()
            return _app(db_path)

    Gunicorn().run()


def load_demo_if_empty(app) -> int:
    """Ingest the demo corpus into an empty database; returns how many articles were stored."""
    from .db import Article, database
    from .demo import DEMO_CORPUS

    with database.connection_context():
        if Article.select().exists():
            return 0
    with DEMO_CORPUS.open("rb") as stream:
        summary = ingest_lines(app, stream, show_progress=False)
    from .cli_stories import link_pending

    link_pending(app, show_progress=False)
    return summary.stored


@dataclass
class IngestSummary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: list[str] = field(default_factory=list)
    ignored: int = 0  # archive records that are not articles' pages (WARC requests, images, redirects, AMP copies)

    @property
    def stored(self) -> int:
        return self.created + self.updated + self.unchanged


class BulkBatch:
    """Articles of a bulk ingest (with their fingerprints) waiting for their transaction.

    Written once ``batch_size`` of them wait, or fewer once their texts reach
    ``BULK_BATCH_TEXT_CHARS``; the counts go into ``summary``. Shared by
    every ingest format, so that they batch alike.
    """

    def __init__(self, app, summary: IngestSummary, batch_size: int) -> None:
        self._params = app.extensions["wiretrace"].params
        self._recent_limit = app.config["INDEX_RECENT_LIMIT"]
        self._summary = summary
        self._batch_size = batch_size
        self.waiting: list[tuple] = []
        self._chars = 0

    def add(self, article, print_) -> None:
        self.waiting.append((article, print_))
        self._chars += len(article.text)
        if len(self.waiting) >= self._batch_size or self._chars >= BULK_BATCH_TEXT_CHARS:
            self.write()

    def write(self) -> None:
        from . import store
        from .db import database
        from .index_tiers import merge_if_due
        from .search import CATCH_UP_CHUNK, index_waiting_chunk

        if not self.waiting:
            return
        results = store.ingest([a for a, _ in self.waiting], self._params, [p for _, p in self.waiting])
        for result in results:
            setattr(self._summary, result.status, getattr(self._summary, result.status) + 1)
        self.waiting.clear()
        self._chars = 0
        merge_if_due(database, self._recent_limit)
        # The paused search index catches up a full chunk at a time as the
        # load goes, while the fingerprinting processes keep working: left
        # to the end, it ran on one core with the other idle (114 of the
        # 634 s of the 1M benchmark's ingest).
        index_waiting_chunk(database, at_least=CATCH_UP_CHUNK)


def _parse_line(raw: bytes, number: int, max_text_bytes: int, params):
    """One line of an ingest file -> (article, fingerprint), or an error message naming the line."""
    from fingerprints import TextTooShort, fingerprint

    from .validation import parse_article

    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        return f"line {number}: invalid UTF-8 at byte {error.start}"
    if not line.strip():
        return None
    try:
        payload = json.loads(line)
    except json.JSONDecodeError as error:
        return f"line {number}: not valid JSON ({error.msg} at column {error.colno})"
    try:
        article = parse_article(payload, max_text_bytes)
        return article, fingerprint(article.text, params).storage_record()
    except ApiError as error:
        return f"line {number}: {error.message}"
    except TextTooShort:
        return f"line {number}: 'text' has no words to match"


def _parse_chunk(job):
    """Worker side of a parallel ingest: parse, validate and fingerprint numbered lines."""
    lines, max_text_bytes, params = job
    return [(number, _parse_line(raw, number, max_text_bytes, params)) for number, raw in lines]


def _numbered_chunks(stream, size: int):
    chunk = []
    for number, raw in enumerate(stream, start=1):
        chunk.append((number, raw))
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# Articles per transaction of a bulk ingest. The recent index tier is
# clustered on random hashes, so a batch dirties most of its pages whatever
# its size, and every commit writes those pages to the WAL again: on the
# first 200,000 articles of the 1M scale corpus (--workers 2), batches of
# 500 wrote 22.5 GB and took 138 s, batches of 5,000 wrote 6.8 GB and took
# 104 s (2,000: 103 s; 10,000: 100 s, with 100 MiB more memory).
BULK_BATCH_SIZE = 5_000
# ... or fewer, once their texts reach this many characters: 5,000 news
# articles are 20-40 million, but 5,000 long reports could be gigabytes,
# held in memory until their transaction.
BULK_BATCH_TEXT_CHARS = 64_000_000

# For the connection of a bulk ingest only (see _bulk_pragmas).
BULK_CACHE_MIB = 512
BULK_CHECKPOINT_PAGES = 50_000


def _bulk_pragmas(database) -> None:
    """Settings for this connection only, for a long run of large write transactions.

    The index tables are clustered on random hashes, so every batch dirties
    pages all over them. Checkpointing the WAL every 50,000 pages (about
    200 MB) instead of SQLite's 1,000 writes a page that many batches changed
    once rather than once per batch: at 100,000 articles that took ingest
    from about 780 to 1,130 articles/s, with commits half as long. A larger
    page cache keeps the index pages a batch touches from being read again.
    Durability is unchanged: every commit is in the WAL, which readers see.
    """
    database.execute_sql(f"PRAGMA cache_size = {-1024 * BULK_CACHE_MIB}")
    database.execute_sql(f"PRAGMA wal_autocheckpoint = {BULK_CHECKPOINT_PAGES}")


CHUNK_LINES = 64  # lines a worker parses and fingerprints per task


def _read_ahead_chunks(workers: int, batch_size: int) -> int:
    """Chunks the workers may finish ahead of the writer: two batches' worth.

    While the writer stores one batch, the workers go on with the next two.
    With a window smaller than a batch (16 chunks of 64 lines against
    batches of 5,000) they stopped soon after each batch began and waited
    for it, and the writer then waited for them: on the 1M corpus's first
    200,000 articles the writer spent 50 of 114 s waiting.
    """
    return max(8 * workers, -(-2 * batch_size // CHUNK_LINES))


def _lower_priority() -> None:
    """In each worker: yield the CPU to the writing process whenever it has work.

    The writer is the one process that cannot run in parallel with itself;
    with three processes on two cores, a worker that takes the CPU from it
    delays every worker's results. The workers use whatever it leaves.
    """
    import os

    if hasattr(os, "nice"):
        os.nice(10)


def _bounded_imap(pool, function, jobs, window: int):
    """``pool.imap`` in order, with at most ``window`` chunks read ahead.

    ``Pool.imap`` reads its whole input at once and keeps every result the
    writer has not taken yet: when the writer is the slower side, as it is
    at a million articles, the parsed fingerprints of the whole file pile
    up in memory (9 GiB at 1M). Here reading waits for writing.
    """
    from collections import deque

    pending: deque = deque()
    for job in jobs:
        pending.append(pool.apply_async(function, (job,)))
        if len(pending) >= window:
            yield pending.popleft().get()
    while pending:
        yield pending.popleft().get()


def ingest_lines(
    app, stream, *, batch_size: int = BULK_BATCH_SIZE, show_progress: bool = True, workers: int = 1
) -> IngestSummary:
    """Ingest JSONL lines: the CLI's ``ingest`` and the demo loader.

    With ``workers`` > 1, parsing and fingerprinting (the CPU-bound part) run
    in that many processes while this one writes to SQLite; lines are stored
    in file order either way.
    """
    from tqdm import tqdm

    from .db import database
    from .search import search_index_paused

    settings = app.extensions["wiretrace"]
    max_text_bytes = app.config["MAX_TEXT_BYTES"]
    summary = IngestSummary()
    batch = BulkBatch(app, summary, batch_size)

    jobs = ((chunk, max_text_bytes, settings.params) for chunk in _numbered_chunks(stream, CHUNK_LINES))
    pool = None
    if workers > 1:
        import multiprocessing

        pool = multiprocessing.get_context("spawn").Pool(workers, initializer=_lower_priority)
        parsed_chunks = _bounded_imap(pool, _parse_chunk, jobs, _read_ahead_chunks(workers, batch_size))
    else:
        parsed_chunks = map(_parse_chunk, jobs)
    progress = tqdm(unit=" lines", disable=not show_progress, file=sys.stderr, mininterval=0.5)
    # One connection for the whole run: opening one per batch repeats the
    # pragmas, and closing the last one checkpoints the WAL every time.
    try:
        with progress, database.connection_context(), search_index_paused(database):
            _bulk_pragmas(database)
            for parsed_chunk in parsed_chunks:
                progress.update(len(parsed_chunk))
                for _number, parsed in parsed_chunk:
                    if parsed is None:
                        continue
                    if isinstance(parsed, str):
                        summary.skipped.append(parsed)
                        if show_progress:
                            progress.write(f"skipped {parsed}", file=sys.stderr)
                        continue
                    batch.add(*parsed)
            batch.write()
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()
    return summary


@main.command("ingest")
@click.argument("source", type=click.Path(allow_dash=True))
@db_option
@click.option("--batch-size", default=BULK_BATCH_SIZE, show_default=True, help="Articles per transaction.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option(
    "--workers",
    default=1,
    type=click.IntRange(1, 64),
    show_default=True,
    help="Processes that parse and fingerprint while this one writes (worth it for large files; JSONL only).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["auto", "jsonl", "warc", "html", "csv", "parquet"]),
    default="auto",
    show_default=True,
    help="The input's format; auto: a folder is HTML files, else the suffix, else the first bytes.",
)
@click.option("--base-url", default=None, help="HTML files: the URL of the folder, for pages that name no URL.")
@click.option(
    "--column",
    "columns",
    multiple=True,
    metavar="FIELD=COLUMN",
    help="CSV and Parquet: read FIELD (url, text, title, outlet, published_at) from COLUMN. Repeatable.",
)
@click.option("--no-link", "no_link", is_flag=True, help="Do not link into stories (bulk loads; run 'wiretrace link').")
def ingest_command(
    source: str, db_path: str, batch_size: int, quiet: bool, workers: int, fmt: str, base_url, columns, no_link: bool
) -> None:
    """Ingest articles from SOURCE: a JSONL file (or - for standard input), a WARC or WARC.gz archive, a folder
    of HTML files, a CSV or a Parquet file.

    Bad records are reported with their line, record, file or row and skipped; the exit status is 1 when any
    was skipped, 0 otherwise. Then links what is not linked yet into stories, unless --no-link.
    """
    from .ingest_formats import FormatError, detect_format, ingest_records, parse_columns, read_records

    if source != "-" and not os.path.exists(source):
        raise click.ClickException(f"no such file or folder: {source}")
    if fmt == "auto":
        fmt = detect_format(source)
    app = _app(db_path)
    if fmt == "jsonl":
        if os.path.isdir(source):
            raise click.ClickException(f"{source} is a folder, not a JSONL file (use --format html for HTML files)")
        with app.app_context(), click.open_file(source, "rb") as stream:
            summary = ingest_lines(app, stream, batch_size=batch_size, show_progress=not quiet, workers=workers)
        unit = "lines"
    else:
        unit = "records"
        summary = IngestSummary()
        try:
            records = read_records(source, fmt, base_url=base_url, columns=parse_columns(columns))
            with app.app_context():
                ingest_records(app, records, batch_size=batch_size, show_progress=not quiet, summary=summary)
        except FormatError as error:
            summary.skipped.append(str(error))
            click.echo(f"error: {error}", err=True)
    ignored = f"; {summary.ignored} records ignored (not pages, or copies of stored pages)" if summary.ignored else ""
    click.echo(
        f"ingested {summary.stored} articles: {summary.created} created, {summary.updated} updated, "
        f"{summary.unchanged} unchanged; {len(summary.skipped)} {unit} skipped{ignored}"
    )
    if not no_link:
        from .cli_stories import link_pending

        with app.app_context():
            linked = link_pending(app, workers=workers, show_progress=not quiet, db_path=db_path)
        click.echo(f"linked {linked.linked} articles: {linked.links} links")
    if summary.skipped:
        if quiet:
            for message in summary.skipped:
                click.echo(f"skipped {message}", err=True)
        sys.exit(1)


@main.command("match")
@click.argument("source", type=click.File("rb"))
@db_option
@click.option("--url", default=None, help="The text's own URL: a stored article at this URL is not reported.")
@click.option("--limit", default=20, show_default=True, help="Most matches to report (1-200).")
@click.option("--json", "as_json", is_flag=True, help="Print the API's JSON instead of a table.")
def match_command(source, db_path: str, url: str | None, limit: int, as_json: bool) -> None:
    """Find stored articles that share text with FILE (or - for standard input)."""
    raw = source.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise click.ClickException(f"the input is not valid UTF-8 (byte {error.start})") from None
    app = _app(db_path)
    client = app.test_client()
    response = client.post("/api/v1/match", json={"text": text, "url": url, "limit": limit})
    body = response.get_json()
    if not body.get("ok"):
        raise click.ClickException(body.get("error", "match failed"))
    if as_json:
        click.echo(json.dumps(body, indent=2, ensure_ascii=False))
        return
    click.echo(_match_table(body["matches"]))


def _match_table(matches: list[dict]) -> str:
    if not matches:
        return "no matches"
    header = f"{'query%':>6} {'match%':>6} {'relation':<12} {'published':<20} {'outlet':<24} title"
    lines = [header, "-" * len(header)]
    for match in matches:
        article = match["article"]
        lines.append(
            f"{match['containment_query'] * 100:>5.0f}% {match['containment_match'] * 100:>5.0f}% "
            f"{match['relation']:<12} {(article['published_at'] or '-'):<20} {article['outlet'][:24]:<24} "
            f"{(article['title'] or article['url'])[:70]}"
        )
    lines.append(
        f"{len(matches)} matches (query% = share of your text in the match; match% = share of the match in yours)"
    )
    return "\n".join(lines)


@main.command("stats")
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def stats_command(db_path: str, as_json: bool) -> None:
    """Counts and sizes for a database."""
    from .db import database
    from .store import stats

    if not os.path.exists(db_path):
        raise click.ClickException(f"no database at {db_path}")
    app = _app(db_path)
    with app.app_context(), database.connection_context():
        figures = stats(app.config["FINGERPRINT_PARAMS"])
    if as_json:
        click.echo(json.dumps(figures, indent=2))
        return
    for key, value in figures.items():
        click.echo(f"{key:<20} {value}")


@main.command("reindex")
@db_option
@click.option("--all", "everything", is_flag=True, help="Rebuild every fingerprint, not only stale ones.")
def reindex_command(db_path: str, everything: bool) -> None:
    """Rebuild fingerprints and index rows from the stored texts.

    Needed only after the fingerprint parameters change; the rebuild is
    deterministic, so running it twice changes nothing.
    """
    from .db import database
    from .store import reindex

    if not os.path.exists(db_path):
        raise click.ClickException(f"no database at {db_path}")
    app = _app(db_path)
    with app.app_context(), database.connection_context():
        count = reindex(app.config["FINGERPRINT_PARAMS"], everything=everything)
    click.echo(f"re-fingerprinted {count} articles")


# Command groups that live in modules of their own register themselves on
# ``main`` when imported.
from . import cli_crawl, cli_keys, cli_maintenance, cli_outlets, cli_stories  # noqa: E402, F401

if __name__ == "__main__":
    main()
