"""Who may call what: API keys with scopes, rate limits and CORS.

Keys are random strings shown once when created; only their SHA-256 is
stored (a key carries 256 random bits, so a slow password hash would add
nothing). Scopes nest: ``write`` includes ``read`` and ``admin`` includes
both.

Reads are public unless ``READ_ACCESS`` is ``key``. Writes need a key as
soon as one exists (in the database or as ``WIRETRACE_API_KEY``), or always
when ``WRITE_ACCESS`` is ``key``: a fresh local install works without keys,
and an operator who creates one has closed the door behind them.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
import secrets
from dataclasses import dataclass

from flask import current_app, g, request
from flask_cors import CORS
from flask_limiter import Limiter
from werkzeug.middleware.proxy_fix import ProxyFix

from .db import ApiKey, utc_now
from .errors import ApiError

__all__ = [
    "SCOPES",
    "Caller",
    "create_key",
    "revoke_key",
    "list_keys",
    "require",
    "current_caller",
    "init_app",
    "key_summary",
]

SCOPES = ("read", "write", "admin")
_IMPLIED = {"read": {"read"}, "write": {"read", "write"}, "admin": {"read", "write", "admin"}}
_KEY_PREFIX = "wt_"
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


@dataclass(frozen=True)
class Caller:
    """The client of this request: a key (with what it may do) or an anonymous address."""

    key_name: str | None
    scopes: frozenset[str]
    address: str

    @property
    def rate_key(self) -> str:
        return f"key:{self.key_name}" if self.key_name else f"address:{self.address}"


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_key(name: str, scopes: list[str]) -> tuple[ApiKey, str]:
    """A new key; the plain key is returned once and never stored."""
    if not _NAME_RE.match(name):
        raise ValueError("a key name is 1-64 letters, digits, '.', '_' or '-'")
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown or not scopes:
        raise ValueError(f"scopes must be some of {', '.join(SCOPES)}; got {', '.join(scopes) or 'none'}")
    if ApiKey.select().where(ApiKey.name == name).exists():
        raise ValueError(f"a key named {name!r} exists already (revoked keys keep their names)")
    plain = _KEY_PREFIX + secrets.token_urlsafe(32)
    record = ApiKey.create(
        name=name, prefix=plain[:10], key_hash=_hash(plain), scopes=",".join(s for s in SCOPES if s in scopes)
    )
    return record, plain


def revoke_key(name: str) -> bool:
    """Revoke the key called ``name``; False when there is no such live key."""
    updated = ApiKey.update(revoked_at=utc_now()).where((ApiKey.name == name) & ApiKey.revoked_at.is_null()).execute()
    return updated > 0


def list_keys() -> list[ApiKey]:
    return list(ApiKey.select().order_by(ApiKey.id))


def key_summary(key: ApiKey) -> dict:
    """What may be shown of a key: never its hash."""
    return {
        "name": key.name,
        "prefix": key.prefix,
        "scopes": key.scopes.split(","),
        "created_at": key.created_at,
        "revoked_at": key.revoked_at,
    }


def _bearer_token() -> str | None:
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise ApiError(401, "the Authorization header must be 'Bearer <key>'")
    return token


def current_caller() -> Caller:
    """The caller of this request, identified once per request."""
    if "wiretrace_caller" in g:
        return g.wiretrace_caller
    address = request.remote_addr or "unknown"
    token = _bearer_token()
    caller = Caller(None, frozenset(), address)
    if token is not None:
        legacy = current_app.config.get("API_KEY")
        if legacy and hmac.compare_digest(token.encode(), legacy.encode()):
            caller = Caller("WIRETRACE_API_KEY", frozenset(_IMPLIED["write"]), address)
        else:
            record = ApiKey.get_or_none((ApiKey.key_hash == _hash(token)) & ApiKey.revoked_at.is_null())
            if record is None:
                raise ApiError(401, "the API key is not valid (unknown or revoked)")
            scopes = set().union(*(_IMPLIED[scope] for scope in record.scopes.split(",")))
            caller = Caller(record.name, frozenset(scopes), address)
    g.wiretrace_caller = caller
    return caller


def _keys_exist() -> bool:
    return bool(current_app.config.get("API_KEY")) or ApiKey.select().where(ApiKey.revoked_at.is_null()).exists()


def require(scope: str) -> Caller:
    """Let the request through if its caller may ``scope``, else a 401 or 403."""
    caller = current_caller()
    config = current_app.config
    if scope == "read" and config["READ_ACCESS"] == "public":
        return caller
    if scope == "write" and config["WRITE_ACCESS"] != "key" and not _keys_exist():
        return caller
    if caller.key_name is None:
        raise ApiError(
            401, f"this endpoint needs an API key with the '{scope}' scope: send 'Authorization: Bearer <key>'"
        )
    if scope not in caller.scopes:
        raise ApiError(403, f"the API key '{caller.key_name}' does not have the '{scope}' scope")
    return caller


def _is_loopback(address: str | None) -> bool:
    try:
        return address is not None and ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def init_app(app) -> None:
    """Rate limits and CORS, configured from ``app.config``."""
    if app.config["PROXY_COUNT"]:
        # Behind a reverse proxy every request comes from the proxy; trust its
        # X-Forwarded-For so that limits apply to the real client.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXY_COUNT"], x_proto=app.config["PROXY_COUNT"])

    def limit_for_caller() -> str:
        keyed = rate_key().startswith("key:")
        return app.config["RATE_LIMIT_KEYED"] if keyed else app.config["RATE_LIMIT"]

    def exempt() -> bool:
        # Requests from this machine (the CLI, local tools, tests, a reverse
        # proxy that is not configured as one) are not limited; see PROXY_COUNT.
        return _is_loopback(request.remote_addr)

    def rate_key() -> str:
        # Counting must not refuse anything itself: an invalid key is the
        # view's to refuse (public pages ignore it), and counts by address.
        try:
            return current_caller().rate_key
        except ApiError:
            return f"address:{request.remote_addr}"

    Limiter(
        key_func=rate_key,
        app=app,
        default_limits=[limit_for_caller],
        default_limits_exempt_when=exempt,
        headers_enabled=True,
        storage_uri=app.config["RATE_LIMIT_STORAGE"],
        enabled=app.config["RATE_LIMIT"] != "off",
        key_prefix="wiretrace",
    )
    origins = [origin for origin in app.config["CORS_ORIGINS"].split(",") if origin.strip()]
    patterns = [re.compile(app.config["EXTENSION_ORIGINS"])] if app.config["EXTENSION_ORIGINS"] else []
    CORS(
        app,
        resources={r"/api/*": {"origins": [o.strip() for o in origins] + patterns}},
        allow_headers=["Authorization", "Content-Type"],
        methods=["GET", "POST", "OPTIONS"],
        max_age=600,
    )
