"""The wiretrace server: a Flask app factory over an SQLite store."""

from __future__ import annotations

import os

from flask import Flask

__version__ = "0.1.0"

DEFAULT_MAX_TEXT_BYTES = 2 * 1024 * 1024
# Any browser extension's pages may call the API (see server/access.py).
DEFAULT_EXTENSION_ORIGINS = r"^(chrome-extension|moz-extension|safari-web-extension)://[A-Za-z0-9-]+$"


def create_app(config: dict | None = None) -> Flask:
    """Build the app. ``config`` overrides defaults and the ``WIRETRACE_*`` environment."""
    from fingerprints import DEFAULT_PARAMS, VerifyOptions

    from . import access, api, api_outlets, db, demo, errors, openapi, pages_research, pages_stories, story_api
    from .index_tiers import DEFAULT_RECENT_LIMIT
    from .matching import MatchSettings

    app = Flask(__name__)
    max_text = int(os.environ.get("WIRETRACE_MAX_TEXT_BYTES", DEFAULT_MAX_TEXT_BYTES))
    app.config.from_mapping(
        DATABASE=os.environ.get("WIRETRACE_DB", "wiretrace.db"),
        API_KEY=os.environ.get("WIRETRACE_API_KEY") or None,
        MAX_TEXT_BYTES=max_text,
        FINGERPRINT_PARAMS=DEFAULT_PARAMS,
        BOILERPLATE_MIN_STORIES=int(os.environ.get("WIRETRACE_BOILERPLATE_MIN_STORIES", 5)),
        # Access (server/access.py): "public" or "key"; writes: "auto" (a key
        # is needed once one exists) or "key".
        READ_ACCESS=os.environ.get("WIRETRACE_READ_ACCESS", "public"),
        WRITE_ACCESS=os.environ.get("WIRETRACE_WRITE_ACCESS", "auto"),
        RATE_LIMIT=os.environ.get("WIRETRACE_RATE_LIMIT", "300 per minute"),
        RATE_LIMIT_KEYED=os.environ.get("WIRETRACE_RATE_LIMIT_KEYED", "3000 per minute"),
        RATE_LIMIT_STORAGE=os.environ.get("WIRETRACE_RATE_LIMIT_STORAGE", "memory://"),
        PROXY_COUNT=int(os.environ.get("WIRETRACE_PROXY_COUNT", 0)),
        CORS_ORIGINS=os.environ.get("WIRETRACE_CORS_ORIGINS", ""),
        EXTENSION_ORIGINS=os.environ.get("WIRETRACE_EXTENSION_ORIGINS", DEFAULT_EXTENSION_ORIGINS),
        # Index rows the recent tier may hold before it is merged into the
        # main one (server/index_tiers.py).
        INDEX_RECENT_LIMIT=int(os.environ.get("WIRETRACE_INDEX_RECENT_LIMIT", DEFAULT_RECENT_LIMIT)),
        JSON_SORT_KEYS=False,
    )
    if config:
        app.config.update(config)
    # JSON escapes can make a body several times the size of its text; the
    # text limit itself is checked on the decoded string.
    app.config.setdefault("MAX_CONTENT_LENGTH", None)
    if app.config["MAX_CONTENT_LENGTH"] is None:
        app.config["MAX_CONTENT_LENGTH"] = 8 * app.config["MAX_TEXT_BYTES"] + 65536
    app.json.sort_keys = False
    app.json.ensure_ascii = False

    app.extensions["wiretrace"] = MatchSettings(
        params=app.config["FINGERPRINT_PARAMS"],
        verify=VerifyOptions(),
        boilerplate_min_stories=app.config["BOILERPLATE_MIN_STORIES"],
    )
    if app.config["READ_ACCESS"] not in ("public", "key") or app.config["WRITE_ACCESS"] not in ("auto", "key"):
        raise ValueError("READ_ACCESS must be 'public' or 'key'; WRITE_ACCESS must be 'auto' or 'key'")
    errors.init_app(app)
    db.init_app(app)
    access.init_app(app)
    app.register_blueprint(api.api)
    app.register_blueprint(api_outlets.outlets_api)
    app.register_blueprint(openapi.openapi)
    app.register_blueprint(demo.demo)
    app.register_blueprint(story_api.stories_api)
    app.register_blueprint(pages_stories.pages)
    app.register_blueprint(pages_research.research)
    return app
