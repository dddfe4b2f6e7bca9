"""``wiretrace check`` and ``wiretrace backup``: keeping a corpus sound."""

from __future__ import annotations

from .cli import main  # noqa: F401
