"""What a benchmark result was measured on: code, machine, library versions, load.

Several people work in the same tree, so the commit alone does not name the
code that ran: the result also says whether ``fingerprints/`` or ``server/``
differed from the commit, with a digest of that difference.
"""

from __future__ import annotations

import hashlib
import os
import platform
import subprocess
import time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

__all__ = ["provenance", "machine", "versions", "load_average"]

_REPO = Path(__file__).resolve().parents[1]


def _git(*args: str) -> str | None:
    try:
        completed = subprocess.run(["git", *args], capture_output=True, text=True, cwd=_REPO, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return completed.stdout


def machine() -> dict:
    cpu = platform.processor() or None
    memory = None
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            cpu = next((line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")), cpu)
        with open("/proc/meminfo", encoding="utf-8") as handle:
            kib = next((int(line.split()[1]) for line in handle if line.startswith("MemTotal")), None)
            memory = round(kib / 2**20, 1) if kib else None
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "ram_gib": memory, "platform": platform.platform()}


def _version(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def versions() -> dict:
    return {
        "python": platform.python_version(),
        **{name: _version(name) for name in ("numpy", "datasketch", "xxhash", "flask", "peewee", "wiretrace")},
    }


def load_average() -> list[float] | None:
    try:
        return [round(value, 2) for value in os.getloadavg()]
    except OSError:
        return None


def provenance() -> dict:
    diff = _git("diff", "HEAD", "--", "fingerprints", "server") or ""
    commit = (_git("rev-parse", "HEAD") or "").strip() or None
    return {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "commit": commit,
        "library_modified": bool(diff),
        "library_diff_sha256": hashlib.sha256(diff.encode()).hexdigest()[:16] if diff else None,
        "machine": machine(),
        "versions": versions(),
        "load_average_at_start": load_average(),
    }
