"""The wiretrace command, invoked as a user invokes it and read from its output."""

from __future__ import annotations

import json
import sqlite3

import pytest
from click.testing import CliRunner

from server.cli import main
from tests.texts import UNRELATED_STORY, WIRE_PARAGRAPHS, WIRE_STORY


def run(*args, input=None):
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def write_jsonl(path, lines):
    path.write_bytes(b"\n".join(line if isinstance(line, bytes) else line.encode() for line in lines) + b"\n")
    return str(path)


def good(url, text, **extra):
    return json.dumps({"url": url, "text": text, **extra})


def test_ingest_reports_bad_lines_by_number_and_keeps_the_good_ones(tmp_path, db_path):
    source = write_jsonl(
        tmp_path / "in.jsonl",
        [
            good("https://wire.example/1", WIRE_STORY, title="Pumps", published_at="2026-03-01"),
            "{not json",
            good("ftp://wire.example/2", WIRE_STORY),
            b'{"url": "https://x.example/3", "text": "caf\xe9"}',
            "",
            good("https://copy.example/4", "\n\n".join(WIRE_PARAGRAPHS[:5])),
            good("https://sport.example/5", UNRELATED_STORY),
            good("https://x.example/6", "  "),
        ],
    )
    result = CliRunner().invoke(main, ["ingest", source, "--db", db_path, "--quiet"])
    assert result.exit_code == 1
    assert "ingested 3 articles: 3 created, 0 updated, 0 unchanged; 4 lines skipped" in result.output
    for expected in (
        "line 2: not valid JSON",
        "line 3: 'url' must be an http or https URL",
        "line 4: invalid UTF-8",
        "line 8: 'text' must not be empty",
    ):
        assert expected in result.output
    again = CliRunner().invoke(main, ["ingest", source, "--db", db_path, "--quiet"])
    assert "0 created, 0 updated, 3 unchanged" in again.output
    with sqlite3.connect(db_path) as connection:
        assert connection.execute("SELECT COUNT(*) FROM article").fetchone()[0] == 3


def test_ingest_from_standard_input_with_batches(db_path):
    lines = "\n".join(good(f"https://wire.example/{n}", f"{WIRE_STORY} Update number {n}.") for n in range(7))
    result = run("ingest", "-", "--db", db_path, "--batch-size", "3", "--quiet", input=lines)
    assert result.exit_code == 0, result.output
    assert "ingested 7 articles: 7 created" in result.output


def test_match_prints_a_table_and_json(tmp_path, db_path):
    source = write_jsonl(
        tmp_path / "in.jsonl", [good("https://wire.example/1", WIRE_STORY, title="Pumps to be replaced")]
    )
    run("ingest", source, "--db", db_path, "--quiet")
    query = tmp_path / "query.txt"
    query.write_text("\n\n".join(WIRE_PARAGRAPHS[2:6]), encoding="utf-8")
    table = run("match", str(query), "--db", db_path)
    assert table.exit_code == 0
    assert "contained_in" in table.output and "wire.example" in table.output and "Pumps to be replaced" in table.output
    as_json = json.loads(run("match", str(query), "--db", db_path, "--json").output)
    assert as_json["ok"] is True and as_json["matches"][0]["containment_query"] == 1.0
    excluded = run("match", str(query), "--db", db_path, "--url", "https://wire.example/1")
    assert "no matches" in excluded.output


def test_match_errors_exit_non_zero(tmp_path, db_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("...", encoding="utf-8")
    result = CliRunner().invoke(main, ["match", str(empty), "--db", db_path])
    assert result.exit_code != 0 and "no words" in result.output
    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"\xff\xfe\xfa")
    result = CliRunner().invoke(main, ["match", str(binary), "--db", db_path])
    assert result.exit_code != 0 and "not valid UTF-8" in result.output


def test_stats_and_reindex(tmp_path, db_path):
    missing = CliRunner().invoke(main, ["stats", "--db", str(tmp_path / "missing.db")])
    assert missing.exit_code != 0 and "no database" in missing.output
    source = write_jsonl(tmp_path / "in.jsonl", [good("https://wire.example/1", WIRE_STORY)])
    run("ingest", source, "--db", db_path, "--quiet")
    figures = json.loads(run("stats", "--db", db_path, "--json").output)
    assert figures["articles"] == 1 and figures["outlets"] == 1
    assert "re-fingerprinted 0 articles" in run("reindex", "--db", db_path).output
    assert "re-fingerprinted 1 articles" in run("reindex", "--db", db_path, "--all").output
    query = tmp_path / "q.txt"
    query.write_text(WIRE_STORY, encoding="utf-8")
    assert "duplicate" in run("match", str(query), "--db", db_path).output


def test_parallel_ingest_stores_the_same_articles_in_file_order(tmp_path):
    lines = [good(f"https://wire.example/{n}", f"{WIRE_STORY} Update number {n}.") for n in range(150)]
    lines.insert(70, "{broken")
    source = write_jsonl(tmp_path / "in.jsonl", lines)
    serial, parallel = str(tmp_path / "serial.db"), str(tmp_path / "parallel.db")
    first = CliRunner().invoke(main, ["ingest", source, "--db", serial, "--quiet", "--workers", "1"])
    second = CliRunner().invoke(main, ["ingest", source, "--db", parallel, "--quiet", "--workers", "2"])
    assert first.output == second.output
    assert "150 created" in second.output and "line 71: not valid JSON" in second.output
    query = "SELECT id, url, content_hash FROM article ORDER BY id"
    with sqlite3.connect(serial) as one, sqlite3.connect(parallel) as two:
        assert one.execute(query).fetchall() == two.execute(query).fetchall()
        postings = "SELECT hash, article_id FROM posting ORDER BY hash, article_id"
        assert one.execute(postings).fetchall() == two.execute(postings).fetchall()


@pytest.mark.parametrize("source_format", ["jsonl", "csv"])
def test_a_bulk_batch_is_written_early_once_its_texts_are_large(tmp_path, db_path, monkeypatch, source_format):
    # Seven articles of equal length, a text budget of three: batches of
    # 3, 3 and 1 however large --batch-size is, so that long documents never
    # pile up in memory by the thousand.
    import csv

    import server.cli
    import server.store

    texts = [f"{WIRE_STORY} Update number {n}." for n in range(7)]
    urls = [f"https://wire.example/{n}" for n in range(7)]
    if source_format == "jsonl":
        source = write_jsonl(tmp_path / "in.jsonl", [good(url, text) for url, text in zip(urls, texts, strict=True)])
    else:
        source = tmp_path / "in.csv"
        with source.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["url", "text"])
            writer.writerows(zip(urls, texts, strict=True))
    written: list[int] = []
    store_batch = server.store.ingest

    def counting(articles, *rest, **options):
        written.append(len(articles))
        return store_batch(articles, *rest, **options)

    monkeypatch.setattr(server.store, "ingest", counting)
    monkeypatch.setattr(server.cli, "BULK_BATCH_TEXT_CHARS", 3 * max(map(len, texts)))
    result = run("ingest", str(source), "--db", db_path, "--quiet", "--no-link")
    assert result.exit_code == 0, result.output
    assert written == [3, 3, 1]
    with sqlite3.connect(db_path) as connection:
        assert connection.execute("SELECT COUNT(*) FROM article").fetchone()[0] == 7


def test_workers_may_run_two_batches_ahead_of_the_writer():
    from server.cli import CHUNK_LINES, _read_ahead_chunks

    assert _read_ahead_chunks(2, 5_000) * CHUNK_LINES >= 10_000
    assert _read_ahead_chunks(2, 5_000) * CHUNK_LINES < 10_000 + CHUNK_LINES
    # Small batches still keep every worker busy with several chunks.
    assert _read_ahead_chunks(4, 10) == 32


def _own_niceness(_: int) -> int:
    import os

    return os.nice(0)


def test_the_workers_yield_the_cpu_to_the_writer():
    import multiprocessing
    import os

    from server.cli import _lower_priority

    with multiprocessing.get_context("spawn").Pool(1, initializer=_lower_priority) as pool:
        worker_niceness = pool.map(_own_niceness, [0])[0]
    assert worker_niceness == min(os.nice(0) + 10, 19)


def test_serve_loads_the_compiled_kernel_in_its_workers_not_in_the_master(tmp_path):
    # A kernel loading in the master's thread when gunicorn forks leaves its
    # lock held in every worker, which then never loads it; and a master
    # that never answers has no use for numba's 80 MiB.
    import time
    from pathlib import Path

    from tests.synthetic import Server

    proc = Path("/proc")
    if not (proc / "self" / "maps").exists():
        pytest.skip("reads process memory maps from /proc (Linux)")

    def maps_llvm(pid: int) -> bool:
        return "llvmlite" in (proc / str(pid) / "maps").read_text()

    server = Server(tmp_path / "wiretrace.db", tmp_path / "server.log", workers=2)
    server.start()
    try:
        master = server.process.pid
        deadline = time.monotonic() + 60
        workers: list[int] = []
        while time.monotonic() < deadline:
            workers = [int(pid) for pid in (proc / str(master) / "task" / str(master) / "children").read_text().split()]
            if len(workers) == 2 and all(maps_llvm(pid) for pid in workers):
                break
            time.sleep(0.2)
        assert len(workers) == 2 and all(maps_llvm(pid) for pid in workers), server.log()
        assert not maps_llvm(master)
    finally:
        server.stop()
