"""``wiretrace link`` and ``wiretrace export``: stories for researchers, from the command line."""

from __future__ import annotations

import os
import sys

import click

from .cli import _app, db_option, main


def link_pending(app, *, workers: int = 1, show_progress: bool = True, db_path: str | None = None):
    """Link every article with no link record for its current text; returns a LinkSummary."""
    from tqdm import tqdm

    from .db import database
    from .linking import LinkSummary, link_articles, pending_articles
    from .store import params_id

    settings = app.extensions["wiretrace"]
    with database.connection_context():
        pending = pending_articles()
        params_row = params_id(settings.params)
    summary = LinkSummary()
    if not pending:
        return summary
    progress = tqdm(
        total=len(pending),
        unit=" articles",
        desc="linking",
        disable=not show_progress,
        file=sys.stderr,
        mininterval=0.5,
    )
    with progress:
        if workers > 1 and db_path is not None:
            import multiprocessing

            # Several chunks per worker, so the work is shared even for a small backlog.
            size = max(1, min(100, len(pending) // (workers * 4)))
            chunks = [pending[start : start + size] for start in range(0, len(pending), size)]
            with multiprocessing.get_context("spawn").Pool(workers) as pool:
                for done, linked, links, skipped in pool.imap_unordered(
                    _link_chunk, [(db_path, chunk) for chunk in chunks]
                ):
                    progress.update(done)
                    summary.linked += linked
                    summary.links += links
                    summary.skipped += skipped
        else:
            with database.connection_context():
                summary = link_articles(pending, settings, params_row, progress=progress.update)
    return summary


def _link_chunk(job):
    """Worker side of ``wiretrace link --workers N``: its own app and connection; writes in its own transactions."""
    db_path, chunk = job
    from .db import database
    from .linking import link_articles
    from .store import params_id

    app = _app(db_path)
    settings = app.extensions["wiretrace"]
    with app.app_context(), database.connection_context():
        summary = link_articles(chunk, settings, params_id(settings.params))
    return len(chunk), summary.linked, summary.links, summary.skipped


@main.command("link")
@db_option
@click.option(
    "--workers",
    default=1,
    type=click.IntRange(1, 64),
    show_default=True,
    help="Processes that match and link at once (each writes its own transactions).",
)
@click.option("--quiet", is_flag=True, help="No progress bar.")
def link_command(db_path: str, workers: int, quiet: bool) -> None:
    """Link every article not yet linked (or whose text changed) and update the stories."""
    if not os.path.exists(db_path):
        raise click.ClickException(f"no database at {db_path}")
    app = _app(db_path)
    with app.app_context():
        summary = link_pending(app, workers=workers, show_progress=not quiet, db_path=db_path)
    click.echo(f"linked {summary.linked} articles: {summary.links} links; {summary.skipped} skipped")


@main.command("export")
@click.argument("kind", type=click.Choice(["stories", "articles", "network"]))
@db_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "ndjson", "parquet", "graphml", "gexf"]),
    default="csv",
    show_default=True,
    help="graphml and gexf: for network (outlets) and articles (reuse links).",
)
@click.option("--out", "out_path", default="-", show_default=True, help="Output file; - for standard output.")
@click.option("--since", default=None, help="Only from this date (ISO 8601; a copy's date for the network).")
@click.option("--until", default=None, help="Only up to this date, inclusive.")
def export_command(kind: str, db_path: str, fmt: str, out_path: str, since: str | None, until: str | None) -> None:
    """Export stories, articles or the copying network for analysis (pandas, networkx, Gephi)."""
    from .db import database
    from .errors import ApiError
    from .export import export
    from .validation import parse_published_at

    if not os.path.exists(db_path):
        raise click.ClickException(f"no database at {db_path}")
    if kind == "stories" and fmt in ("graphml", "gexf"):
        raise click.ClickException(
            "graphml and gexf are for 'network' and 'articles'; export stories as csv, ndjson or parquet"
        )
    try:
        since = parse_published_at(since) if since else None
        until = parse_published_at(until) if until else None
    except ApiError:
        raise click.ClickException("--since and --until must be ISO 8601 dates or datetimes") from None
    if out_path == "-" and fmt == "parquet":
        raise click.ClickException("parquet is binary: give --out FILE")
    app = _app(db_path)
    with app.app_context(), database.connection_context():
        if out_path == "-":
            count = export(kind, fmt, sys.stdout.buffer, since=since, until=until)
            sys.stdout.buffer.flush()
        else:
            with open(out_path, "wb") as handle:
                count = export(kind, fmt, handle, since=since, until=until)
    click.echo(f"exported {count} {'edges' if fmt in ('graphml', 'gexf') else 'rows'} of {kind}", err=True)
