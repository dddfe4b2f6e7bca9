"""``wiretrace keys``: API keys with scopes (see server/access.py)."""

from __future__ import annotations

from .cli import main  # noqa: F401
