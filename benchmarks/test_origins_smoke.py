"""Smoke test for benchmarks/origins.py: the quick run finishes, writes its JSON and finds the true origins."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from corpus import data_available  # noqa: E402

pytestmark = pytest.mark.skipif(not data_available(), reason="../shared/data is not available")


def test_origins_quick(tmp_path):
    out = tmp_path / "origins.json"
    completed = subprocess.run(
        [sys.executable, str(HERE / "origins.py"), "--quick", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["stories_counted"] >= 20
    assert result["stories_unlinked"] == 0
    assert result["accuracy_all_dated"] >= 0.9
    assert result["accuracy_not_uncertain"] >= 0.95
