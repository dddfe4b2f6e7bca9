"""Smoke tests for the benchmarks: the quick runs finish and write the promised JSON.

Part of the README's test command (``testpaths`` includes ``benchmarks``),
so CI runs both benchmark scripts on every change. Skipped, with the reason,
when the shared data directory is absent.
"""

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


def _run(script: str, out: Path) -> dict:
    completed = subprocess.run(
        [sys.executable, str(HERE / script), "--quick", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    return json.loads(out.read_text(encoding="utf-8"))


def test_accuracy_quick(tmp_path):
    result = _run("accuracy.py", tmp_path / "accuracy.json")
    for system in ("wiretrace", "datasketch", "exact"):
        metrics = result["metrics"][system]
        assert {"copy_recall", "partial_recall", "precision"} <= set(metrics)
    # The exact reference is the yardstick: it must find every labelled source.
    assert result["metrics"]["exact"]["copy_recall"] == 1.0
    assert result["metrics"]["exact"]["partial_recall"] == 1.0


def test_speed_quick(tmp_path):
    result = _run("speed.py", tmp_path / "speed.json")
    ingest = result["ingest"]
    assert ingest["speedup_vs_datasketch"] > 0
    # The storage floor rewrote every row (it raises otherwise) in less time than the ingest those rows came from.
    assert ingest["storage_floor"]["articles"] == ingest["wiretrace"]["stored"]
    assert 0 < ingest["storage_floor"]["seconds"] < ingest["wiretrace"]["seconds"]
    assert ingest["ceiling_one_writer_vs_datasketch"] > ingest["speedup_vs_datasketch"]
    assert result["match"]["wiretrace"]["all"]["count"] > 0
    assert set(result["machine"]) >= {"cpu", "cores", "ram_gib"}


def test_archives_quick(tmp_path):
    result = _run("archives.py", tmp_path / "archives.json")
    assert set(result["formats"]) == {"jsonl", "csv", "parquet", "warc", "html"}
    for figures in result["formats"].values():
        assert figures["stored"] == result["articles"] and figures["skipped"] == 0
    # Extraction from the news pages gives back the articles: no furniture in, no paragraph lost.
    for fmt in ("warc", "html"):
        assert result["formats"][fmt]["extraction"]["exact_share"] >= 0.98


def test_simulation_is_deterministic():
    from corpus import load_corpus
    from simulate import simulate

    corpus = load_corpus()
    first = simulate(corpus, copies=5, partials=2, quote_pairs=2, carriers_per_outlet=1, seed=7)
    second = simulate(corpus, copies=5, partials=2, quote_pairs=2, carriers_per_outlet=1, seed=7)
    assert [q.text for q in first.queries] == [q.text for q in second.queries]
    assert [q.sources for q in first.queries] == [q.sources for q in second.queries]


def test_search_index_quick(tmp_path):
    result = _run("search_index.py", tmp_path / "search_index.json")
    ingest = result["ingest"]
    assert ingest["articles"] == 3000 and ingest["live_articles_per_second"] > 0 and ingest["rebuild_seconds"] > 0
    assert ingest["index_bytes"] > 0
    assert result["match"]["queries"] == 200


def test_scale_tiny(tmp_path):
    """The scale benchmark end to end at a tiny size: ingest subprocess, gunicorn, load, accuracy."""
    out = tmp_path / "scale.json"
    completed = subprocess.run(
        [
            sys.executable, str(HERE / "scale.py"), "--size", "2500", "--eval-copies", "20", "--eval-partials", "5",
            "--wire-copies", "40", "--wire-queries", "5", "--latency-queries", "10", "--serve-workers", "2",
            "--load-seconds", "1", "--concurrency", "2", "--workdir", str(tmp_path / "work"), "--out", str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr[-3000:]
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["corpus"]["articles"] == 2500
    assert result["corpus"]["evaluation_set"]["wire_copies"] == 40
    assert result["ingest"]["wiretrace"]["output"].startswith("ingested 2500 articles: 2500 created")
    assert result["disk"]["bytes_per_article_beyond_text"] > 0
    serve = result["serve"][0]
    assert serve["requests"] > 0 and serve["errors"] == 0 and serve["rss_mib_peak_under_load"] > 0
    # Every fresh copy of the wire story finds a full page of its stored copies.
    assert result["match_wire_story"]["matches_per_query"] == 20
    assert result["accuracy"]["copy_recall"] >= 0.9 and result["accuracy"]["precision"] >= 0.9
    assert not (tmp_path / "work").exists()  # the corpus and database are removed unless --keep


def test_fts_settings_quick(tmp_path):
    result = _run("fts_settings.py", tmp_path / "fts_settings.json")
    for name in ("fts5_defaults", "bulk_settings"):
        (run,) = result["runs"][name]
        assert run["articles"] == 3_000 and run["segments"] >= 1
    assert result["speedup_vs_fts5_defaults"] > 0
