"""The README documents every route, CLI command, option and setting (sqlite-utils' habit)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from server import create_app
from server.cli import main

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def api_routes():
    app = create_app({"DATABASE": ":memory:"})
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield method, re.sub(r"<(?:\w+:)?\w*id>", "<id>", rule.rule)


@pytest.mark.parametrize(("method", "path"), sorted(set(api_routes())))
def test_every_api_route_is_documented(method, path):
    assert f"`{method} {path}" in README


def cli_commands():
    for name, command in main.commands.items():
        yield name, command
        for sub_name, sub_command in getattr(command, "commands", {}).items():
            yield f"{name} {sub_name}", sub_command


@pytest.mark.parametrize(("name", "command"), sorted(cli_commands(), key=lambda item: item[0]))
def test_every_cli_command_and_option_is_documented(name, command):
    assert f"`wiretrace {name}" in README
    for parameter in command.params:
        for option in parameter.opts:
            if option.startswith("--"):
                assert option in README, f"{name} {option}"


@pytest.mark.parametrize(
    "variable",
    [
        "WIRETRACE_DB",
        "WIRETRACE_API_KEY",
        "WIRETRACE_MAX_TEXT_BYTES",
        "WIRETRACE_BOILERPLATE_MIN_STORIES",
        "WIRETRACE_READ_ACCESS",
        "WIRETRACE_WRITE_ACCESS",
        "WIRETRACE_RATE_LIMIT",
        "WIRETRACE_RATE_LIMIT_KEYED",
        "WIRETRACE_RATE_LIMIT_STORAGE",
        "WIRETRACE_PROXY_COUNT",
        "WIRETRACE_CORS_ORIGINS",
        "WIRETRACE_EXTENSION_ORIGINS",
        "WIRETRACE_ALLOW_PRIVATE_URLS",
        "WIRETRACE_CRAWL_CONTACT",
    ],
)
def test_every_setting_is_documented(variable):
    assert variable in README
    # Read somewhere in the server (a setting nobody reads is not a setting).
    sources = (Path(__file__).resolve().parents[1] / "server").rglob("*.py")
    assert any(variable in source.read_text() for source in sources)


def test_every_fingerprint_parameter_is_documented():
    from dataclasses import fields

    from fingerprints import FingerprintParams

    for field in fields(FingerprintParams):
        assert f"`{field.name}`" in README
