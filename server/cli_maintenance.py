"""``wiretrace check`` and ``wiretrace backup``: keeping a corpus sound."""

from __future__ import annotations

import os
import sqlite3
import sys

import click

from .cli import _app, db_option, main


def _open_existing(db_path: str):
    """The app for an existing wiretrace database; never creates or alters a file that is not one."""
    if not os.path.isfile(db_path):
        raise click.ClickException(f"no database at {db_path}")
    try:
        probe = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
        try:
            tables = {
                name for (name,) in probe.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")
            }
        finally:
            probe.close()
    except sqlite3.DatabaseError as error:
        raise click.ClickException(f"{db_path} cannot be read as SQLite: {error}") from None
    if not {"article", "fingerprint", "posting", "band"} <= tables:
        raise click.ClickException(f"{db_path} is not a wiretrace database")
    return _app(db_path)


@main.command("check")
@db_option
@click.option("--repair", is_flag=True, help="Rebuild the fingerprints and index rows of the articles at fault.")
@click.option("--deep", is_flag=True, help="Also fingerprint every text again and compare (slow).")
def check_command(db_path: str, repair: bool, deep: bool) -> None:
    """Verify a database: SQLite integrity, fingerprints, content hashes, and that the index agrees exactly.

    Exit status 1 when problems are found (or remain after --repair).
    """
    from . import maintenance
    from .db import database

    app = _open_existing(db_path)
    params = app.config["FINGERPRINT_PARAMS"]
    with app.app_context(), database.connection_context():
        report = maintenance.check(database.connection(), params, deep=deep)
        for line in report.lines():
            click.echo(line)
        if repair and report.at_fault() and not report.damaged:
            count = maintenance.repair(database, report, params)
            click.echo(f"repaired {count} articles; checking again")
            report = maintenance.check(database.connection(), params, deep=deep)
            for line in report.lines():
                click.echo(line)
    if not report.ok:
        if report.damaged:
            click.echo("the file itself is damaged: restore a backup (see 'wiretrace backup'); nothing was repaired")
        elif not repair and report.at_fault():
            click.echo("run 'wiretrace check --repair' to rebuild the rows at fault")
        sys.exit(1)


@main.command("backup")
@click.argument("destination", type=click.Path(dir_okay=True, writable=True))
@db_option
def backup_command(destination: str, db_path: str) -> None:
    """Copy the database to DESTINATION (a new file, or a directory) while it stays in use.

    SQLite's online backup API takes one consistent snapshot; a server can
    keep writing meanwhile. The copy is checked with PRAGMA integrity_check
    before it is renamed into place.
    """
    from .maintenance import backup

    try:
        written = backup(db_path, destination)
    except (FileNotFoundError, FileExistsError, sqlite3.DatabaseError) as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"backed up {db_path} to {written} ({os.path.getsize(written)} bytes, integrity ok)")
