"""``wiretrace crawl``: keep a corpus current from a list of feeds and sitemaps (see server.crawl)."""

from __future__ import annotations

import logging
import os
import re
import sys
import time

import click

from .cli import _app, db_option, main

__all__ = ["parse_duration", "crawl_command"]

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)?\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> float:
    """Seconds in ``30s``, ``15m``, ``1h``, ``1d`` or a bare number of seconds."""
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a duration (e.g. 30s, 15m, 1h)")
    return float(match.group(1)) * _UNIT_SECONDS[(match.group(2) or "s").lower()]


class Duration(click.ParamType):
    name = "duration"

    def convert(self, value, param, ctx):
        if isinstance(value, int | float):
            return float(value)
        try:
            return parse_duration(value)
        except ValueError as error:
            self.fail(str(error), param, ctx)


class _ProgressHandler(logging.Handler):
    """Log lines printed above the progress bar instead of through it."""

    def __init__(self, write) -> None:
        super().__init__()
        self._write = write

    def emit(self, record: logging.LogRecord) -> None:
        self._write(self.format(record))


@main.command("crawl")
@click.argument("sources_file", metavar="SOURCES", type=click.Path(dir_okay=False))
@db_option
@click.option("--once", is_flag=True, help="One pass, then exit (default: keep polling, see --every).")
@click.option("--every", "every", type=Duration(), default="15m", show_default=True, help="Time between passes.")
@click.option("--max-pages", type=click.IntRange(1), default=None, help="Pages fetched per pass at most.")
@click.option(
    "--delay",
    type=Duration(),
    default="1s",
    show_default=True,
    help="Least time between two requests to one host (a longer robots.txt Crawl-delay wins).",
)
@click.option(
    "--timeout",
    type=Duration(),
    default="20s",
    show_default=True,
    help="Connect and read timeout, and the longest one download may take.",
)
@click.option(
    "--retries",
    type=click.IntRange(0, 10),
    default=2,
    show_default=True,
    help="Immediate retries of a 429, 5xx, timeout or dropped connection.",
)
@click.option(
    "--max-attempts",
    type=click.IntRange(1, 100),
    default=5,
    show_default=True,
    help="Passes that try a failing URL again before giving up.",
)
@click.option(
    "--revisit",
    type=Duration(),
    default="1h",
    show_default=True,
    help="A URL a source lists again is fetched again (conditionally) after this long.",
)
@click.option(
    "--max-bytes",
    type=click.IntRange(1024),
    default=5 * 1024 * 1024,
    show_default=True,
    help="Largest page fetched; larger ones are skipped.",
)
@click.option(
    "--contact",
    default=lambda: os.environ.get("WIRETRACE_CRAWL_CONTACT") or None,
    show_default="$WIRETRACE_CRAWL_CONTACT",
    help="A URL or e-mail address for site owners, sent in the User-Agent.",
)
@click.option("--quiet", is_flag=True, help="No progress bar; only failures are logged.")
def crawl_command(
    sources_file,
    db_path,
    once,
    every,
    max_pages,
    delay,
    timeout,
    retries,
    max_attempts,
    revisit,
    max_bytes,
    contact,
    quiet,
):
    """Crawl the feeds and sitemaps listed in SOURCES and store their articles.

    SOURCES has one feed or sitemap URL a line, optionally followed by the
    outlet its articles belong to; '#' starts a comment. Safe to stop at any
    moment and run again: it resumes where it stopped.
    """
    from tqdm import tqdm

    from .crawl import Crawler, CrawlOptions, FetchPolicy, SourcesError, read_sources, user_agent
    from .crawl.crawler import log

    try:
        sources = read_sources(sources_file)
    except SourcesError as error:
        raise click.ClickException(str(error)) from None
    agent = user_agent(contact)
    policy = FetchPolicy(user_agent=agent, delay=delay, timeout=timeout, retries=retries, max_bytes=max_bytes)
    options = CrawlOptions(policy=policy, max_pages=max_pages, max_attempts=max_attempts, revisit=revisit)
    app = _app(db_path)
    progress = tqdm(
        total=None,
        unit=" pages",
        disable=True if quiet else None,  # None: no progress line when stderr is not a terminal
        file=sys.stderr,
        mininterval=0.5,
        bar_format="{desc}{postfix}",
    )
    handler = _ProgressHandler(lambda line: progress.write(line, file=sys.stderr))
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.WARNING if quiet else logging.INFO)
    log.propagate = False
    click.echo(f"crawling {len(sources)} sources into {db_path} as {agent!r}", err=True)
    if not contact:
        log.warning("no contact given (--contact or WIRETRACE_CRAWL_CONTACT): site owners cannot reach you")

    def show(counts) -> None:
        progress.set_description_str(f"sources {counts.sources} | pages {counts.fetched}", refresh=False)
        progress.set_postfix_str(
            f"new {counts.created} | updated {counts.updated} | unchanged {counts.unchanged + counts.not_modified} "
            f"| errors {counts.errors + counts.source_errors}"
        )

    from .cli_stories import link_pending
    from .db import database
    from .index_tiers import merge_if_due

    crawler = Crawler(app, options, on_progress=show)
    failures = 0
    try:
        with app.app_context(), progress:
            while True:
                counts = crawler.run_pass(sources)
                failures = counts.errors + counts.source_errors
                progress.write(f"pass done: {counts.summary()}", file=sys.stdout)
                merge_if_due(database, app.config["INDEX_RECENT_LIMIT"])
                # New pages join their stories now, as an API ingest's would, not at some later run.
                linked = link_pending(app, show_progress=False)
                progress.write(f"linked {linked.linked} articles: {linked.links} links", file=sys.stdout)
                if once:
                    break
                time.sleep(every)
    except KeyboardInterrupt:
        click.echo("stopped; run the same command again to resume", err=True)
        sys.exit(130)
    finally:
        log.removeHandler(handler)
    if once and failures:
        sys.exit(1)
