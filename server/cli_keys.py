"""``wiretrace keys``: create, list and revoke API keys (see server/access.py)."""

from __future__ import annotations

import json

import click

from .cli import _app, db_option, main


@main.group()
def keys() -> None:
    """API keys with scopes: read, write (includes read), admin (includes both)."""


@keys.command("create")
@click.argument("name")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    type=click.Choice(["read", "write", "admin"]),
    default=("read",),
    show_default=True,
    help="A scope to grant; repeat for several.",
)
@db_option
def create_command(name: str, scopes: tuple[str, ...], db_path: str) -> None:
    """Create a key called NAME and print it (it is shown only this once)."""
    from .access import create_key
    from .db import database

    app = _app(db_path)
    with app.app_context(), database.connection_context():
        try:
            record, plain = create_key(name, list(scopes))
        except ValueError as error:
            raise click.ClickException(str(error)) from None
    click.echo(plain)
    click.echo(f"created key {record.name!r} with scopes {record.scopes}; store it now, it is not kept", err=True)


@keys.command("list")
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_command(db_path: str, as_json: bool) -> None:
    """List keys: name, first characters, scopes, created and revoked dates."""
    from .access import key_summary, list_keys
    from .db import database

    app = _app(db_path)
    with app.app_context(), database.connection_context():
        summaries = [key_summary(key) for key in list_keys()]
    if as_json:
        click.echo(json.dumps(summaries, indent=2))
        return
    if not summaries:
        click.echo("no keys")
    for key in summaries:
        state = f"revoked {key['revoked_at']}" if key["revoked_at"] else "live"
        click.echo(f"{key['name']:<24} {key['prefix']}...  {','.join(key['scopes']):<18} {key['created_at']}  {state}")


@keys.command("revoke")
@click.argument("name")
@db_option
def revoke_command(name: str, db_path: str) -> None:
    """Revoke the key called NAME; requests with it get 401 from then on."""
    from .access import revoke_key
    from .db import database

    app = _app(db_path)
    with app.app_context(), database.connection_context():
        if not revoke_key(name):
            raise click.ClickException(f"no live key called {name!r}")
    click.echo(f"revoked key {name!r}")
