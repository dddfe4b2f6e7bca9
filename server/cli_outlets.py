"""``wiretrace outlets`` (the registry: import, list, show) and ``wiretrace search-index``."""

from __future__ import annotations

import io
import json
import sys

import click

from .cli import _app, db_option, main


@main.group()
def outlets() -> None:
    """The outlet registry: domains, country, language, ownership and labels of each outlet."""


@outlets.command("import")
@click.argument("source", type=click.File("rb"))
@db_option
@click.option(
    "--replace",
    is_flag=True,
    help="Each row replaces its outlet's whole entry (empty cells clear fields); default: rows are merged in.",
)
def import_command(source, db_path: str, replace: bool) -> None:
    """Import outlets from a CSV file (or - for standard input), upserting by name.

    Bad rows are reported with their line numbers and skipped (they change
    nothing); the exit status is 1 when any row was skipped.
    """
    from .db import database
    from .registry_csv import RegistryFileError, import_registry

    try:
        text = source.read().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise click.ClickException(f"the file is not valid UTF-8 (byte {error.start})") from None
    app = _app(db_path)
    with app.app_context(), database.connection_context():
        try:
            report = import_registry(io.StringIO(text, newline=""), replace=replace)
        except RegistryFileError as error:
            raise click.ClickException(str(error)) from None
    for message in report.errors:
        click.echo(f"skipped {message}", err=True)
    click.echo(report.summary())
    if report.errors:
        sys.exit(1)


def _summaries(label: str | None) -> list[dict]:
    from .outlets import list_outlets, outlet_summaries

    rows: list[dict] = []
    after = None
    while True:
        page, more = list_outlets(label=label, country=None, language=None, prefix=None, after=after, limit=500)
        rows.extend(outlet_summaries(page))
        if not more:
            return rows
        after = page[-1].name


@outlets.command("list")
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON (the API's outlet objects).")
@click.option("--label", default=None, help="Only outlets with this label, e.g. 'wire agency'.")
def list_command(db_path: str, as_json: bool, label: str | None) -> None:
    """List outlets: name, country, language, labels and article count."""
    from .db import database

    app = _app(db_path)
    with app.app_context(), database.connection_context():
        rows = _summaries(label)
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not rows:
        click.echo("no outlets")
    for row in rows:
        click.echo(
            f"{row['name'][:32]:<32} {row['country'] or '-':<3} {row['language'] or '-':<8} "
            f"{row['article_count']:>7}  {'; '.join(row['labels'])}"
        )


@outlets.command("show")
@click.argument("name")
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON (as GET /api/v1/outlets/<name>).")
def show_command(name: str, db_path: str, as_json: bool) -> None:
    """Show one outlet's registry entry, counts and recent articles."""
    from .db import database
    from .errors import ApiError
    from .outlets import get_outlet, outlet_detail

    app = _app(db_path)
    with app.app_context(), database.connection_context():
        try:
            detail = outlet_detail(get_outlet(name))
        except ApiError as error:
            raise click.ClickException(error.message) from None
    if as_json:
        click.echo(json.dumps(detail, indent=2, ensure_ascii=False))
        return
    for key in ("name", "display_name", "country", "language", "ownership", "homepage"):
        click.echo(f"{key:<16} {detail[key] if detail[key] is not None else '-'}")
    click.echo(f"{'domains':<16} {', '.join(detail['domains']) or '-'}")
    click.echo(f"{'labels':<16} {', '.join(detail['labels']) or '-'}")
    span = f" ({detail['first_published']} to {detail['last_published']})" if detail["first_published"] else ""
    click.echo(f"{'articles':<16} {detail['article_count']}{span}")
    for article in detail["recent_articles"]:
        click.echo(f"  {article['published_at'] or '-':<20} {(article['title'] or article['url'])[:90]}")


@main.command("search-index")
@db_option
@click.option("--rebuild", is_flag=True, help="Build the full-text index from every stored article (and keep it live).")
@click.option(
    "--catch-up", "catch_up", is_flag=True, help="Index the articles a bulk load left waiting, and keep it live."
)
@click.option("--drop", is_flag=True, help="Remove the index: search answers 503 until --rebuild.")
def search_index_command(db_path: str, rebuild: bool, catch_up: bool, drop: bool) -> None:
    """Show, rebuild, catch up or drop the full-text search index (GET /api/v1/articles?q=)."""
    from .db import database
    from .search import (
        catch_up_search_index,
        drop_search_index,
        rebuild_search_index,
        search_index_exists,
        waiting_articles,
    )

    if rebuild + catch_up + drop > 1:
        raise click.ClickException("choose one of --rebuild, --catch-up and --drop")
    app = _app(db_path)
    with app.app_context(), database.connection_context():
        if rebuild:
            count = rebuild_search_index()
            click.echo(f"search index rebuilt over {count} articles")
        elif catch_up:
            if not search_index_exists(database.connection()):
                raise click.ClickException("there is no search index: run 'wiretrace search-index --rebuild'")
            count = catch_up_search_index(database)
            click.echo(f"search index caught up: {count} articles indexed")
        elif drop:
            with database.atomic("IMMEDIATE"):
                drop_search_index(database.connection())
            click.echo("search index dropped; 'wiretrace search-index --rebuild' builds it again")
        elif not search_index_exists(database.connection()):
            click.echo("search index: missing (run --rebuild)")
        else:
            waiting = waiting_articles(database.connection())
            state = f"{waiting} articles waiting (run --catch-up)" if waiting else "live"
            click.echo(f"search index: {state}")
