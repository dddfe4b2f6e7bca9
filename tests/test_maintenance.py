"""``wiretrace check`` finds each kind of damage, ``--repair`` undoes it exactly; ``backup`` works under load."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import time

import pytest
from click.testing import CliRunner

from server.cli import main
from tests.synthetic import WIRETRACE, article, write_jsonl


def run(*args, input=None):
    return CliRunner().invoke(main, list(args), input=input)


@pytest.fixture
def corpus(tmp_path, db_path):
    articles = [article(f"https://m{number % 3}.example/{number}", words=40 + 13 * number) for number in range(30)]
    articles.append(article("https://m0.example/3", version=1))  # an update: its old rows must be gone
    source = tmp_path / "corpus.jsonl"
    write_jsonl(source, articles)
    assert run("ingest", str(source), "--db", db_path, "--quiet").exit_code == 0
    return db_path


def snapshot(db_path) -> dict:
    with sqlite3.connect(db_path) as connection:
        return {
            table: connection.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()
            for table in ("posting", "band", "fingerprint", "article")
        }


def damage(db_path, *statements):
    connection = sqlite3.connect(db_path)
    connection.execute("PRAGMA foreign_keys = OFF")
    for statement in statements:
        if callable(statement):
            statement(connection)
        elif isinstance(statement, tuple):
            connection.execute(*statement)
        else:
            connection.execute(statement)
    connection.commit()
    connection.close()


def test_a_sound_database_passes(corpus):
    result = run("check", "--db", corpus, "--deep")
    assert result.exit_code == 0, result.output
    assert "31 articles" not in result.output  # the update replaced an article, it did not add one
    assert "30 articles, 30 fingerprints" in result.output
    assert "ok: no problems found" in result.output


def _flip(column, everywhere=False):
    """Change article 8's ``column`` (one byte, or every byte): same length, still decodes."""

    def change(connection):
        (blob,) = connection.execute(f"SELECT {column} FROM fingerprint WHERE article_id = 8").fetchone()
        changed = bytearray(blob)
        for position in range(len(changed)) if everywhere else [4]:
            changed[position] ^= 1
        connection.execute(f"UPDATE fingerprint SET {column} = ? WHERE article_id = 8", (bytes(changed),))

    return change


DAMAGE = {
    "missing postings": (["DELETE FROM posting_recent WHERE article_id = 3 AND hash % 2 = 0"], "index"),
    "extra posting": (["INSERT INTO posting_main VALUES (12345, 1, 4)"], "index"),
    "posting in both tiers": (["INSERT INTO posting_main SELECT * FROM posting_recent WHERE article_id = 4"], "index"),
    "posting under the wrong outlet": (
        ["UPDATE posting_recent SET outlet_id = outlet_id + 1 WHERE article_id = 5"],
        "index",
    ),
    "missing band key": (["DELETE FROM band_recent WHERE article_id = 6 AND key % 3 = 0"], "index"),
    "rows for a missing article": (
        ["INSERT INTO posting_recent VALUES (777, 1, 999)", "INSERT INTO band_main VALUES (888, 999)"],
        "orphan_index",
    ),
    "missing fingerprint": (["DELETE FROM fingerprint WHERE article_id = 7"], "fingerprint_missing"),
    "truncated fingerprint": (
        ["UPDATE fingerprint SET signature = SUBSTR(signature, 1, 100) WHERE article_id = 8"],
        "fingerprint_corrupt",
    ),
    "changed shingles": ([_flip("shingles", everywhere=True)], "index"),
    "content hash": (["UPDATE article SET content_hash = 'x' WHERE id = 9"], "content_hash"),
    "unrecorded parameters": (["UPDATE fingerprint SET params_id = 99 WHERE article_id = 10"], "fingerprint_params"),
    "fingerprint of a missing article": (
        [
            "INSERT INTO fingerprint SELECT 999, params_id, shingles, spans, quoted, signature FROM fingerprint "
            "WHERE article_id = 1"
        ],
        "orphan_fingerprint",
    ),
}


@pytest.mark.parametrize("name", sorted(DAMAGE))
def test_check_finds_the_damage_and_repair_restores_the_exact_rows(corpus, name):
    statements, kind = DAMAGE[name]
    before = snapshot(corpus)
    damage(corpus, *statements)
    result = run("check", "--db", corpus)
    assert result.exit_code == 1, result.output
    assert f"{kind}: " in result.output
    assert "wiretrace check --repair" in result.output
    repaired = run("check", "--db", corpus, "--repair")
    assert repaired.exit_code == 0, repaired.output
    assert repaired.output.rstrip().endswith("ok: no problems found")
    # Deterministic: the rows are those ingest wrote, byte for byte.
    assert snapshot(corpus) == before


def test_only_a_deep_check_sees_a_fingerprint_that_is_not_its_texts(corpus):
    before = snapshot(corpus)
    damage(corpus, _flip("spans"))  # one token offset: the index cannot tell, only the text
    assert run("check", "--db", corpus).exit_code == 0
    result = run("check", "--db", corpus, "--deep")
    assert result.exit_code == 1 and "fingerprint_mismatch: article 8" in result.output
    assert run("check", "--db", corpus, "--deep", "--repair").exit_code == 0
    assert snapshot(corpus) == before


def test_fingerprints_stored_in_the_first_form_are_sound_and_kept(corpus):
    # Token spans were first stored as two 32-bit offsets a token: such a
    # database is read as it is, checks clean, and a repair leaves it be.
    import numpy as np

    from fingerprints.fingerprint import decode_spans

    with sqlite3.connect(corpus) as connection:
        rows = connection.execute("SELECT article_id, spans FROM fingerprint").fetchall()
        connection.executemany(
            "UPDATE fingerprint SET spans = ? WHERE article_id = ?",
            [(np.stack(decode_spans(spans)).astype("<u4").tobytes(), article_id) for article_id, spans in rows],
        )
    before = snapshot(corpus)
    assert all(len(spans) % 8 == 0 for spans in [row[3] for row in before["fingerprint"]])
    result = run("check", "--db", corpus, "--deep", "--repair")
    assert result.exit_code == 0 and "ok: no problems found" in result.output, result.output
    assert snapshot(corpus) == before


def test_a_changed_text_is_taken_as_the_truth(corpus):
    damage(corpus, ("UPDATE article SET text = ? WHERE id = 11", (article("https://other.example/", 5)["text"],)))
    result = run("check", "--db", corpus)
    assert result.exit_code == 1 and "content_hash: article 11" in result.output
    assert run("check", "--db", corpus, "--repair").exit_code == 0
    assert run("check", "--db", corpus, "--deep").exit_code == 0
    found = run("match", "-", "--db", corpus, "--json", input=article("https://other.example/", 5)["text"])
    assert [m["article"]["id"] for m in json.loads(found.output)["matches"]] == [11]


def test_page_damage_is_reported_and_not_repaired(corpus):
    with sqlite3.connect(corpus) as connection:
        (root,) = connection.execute("SELECT rootpage FROM sqlite_master WHERE name = 'posting_recent'").fetchone()
        (page_size,) = connection.execute("PRAGMA page_size").fetchone()
    with open(corpus, "r+b") as handle:
        handle.seek((root - 1) * page_size)
        handle.write(b"\x07" * 64)
    result = run("check", "--db", corpus, "--repair")
    assert result.exit_code == 1
    assert "integrity: " in result.output
    assert "restore a backup" in result.output


def test_check_refuses_files_that_are_not_wiretrace_databases(tmp_path):
    assert "no database at" in run("check", "--db", str(tmp_path / "missing.db")).output
    assert not (tmp_path / "missing.db").exists()
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as connection:
        connection.execute("CREATE TABLE t (x)")
    result = run("check", "--db", str(other))
    assert result.exit_code == 1 and "not a wiretrace database" in result.output
    with sqlite3.connect(other) as connection:
        assert connection.execute("SELECT name FROM sqlite_master").fetchall() == [("t",)]


def test_backup_refuses_to_overwrite_and_needs_a_database(corpus, tmp_path):
    assert run("backup", str(tmp_path / "b.db"), "--db", corpus).exit_code == 0
    again = run("backup", str(tmp_path / "b.db"), "--db", corpus)
    assert again.exit_code == 1 and "already exists" in again.output
    missing = run("backup", str(tmp_path / "c.db"), "--db", str(tmp_path / "none.db"))
    assert missing.exit_code == 1 and "no database" in missing.output
    assert not (tmp_path / "none.db").exists()


def test_backups_and_checks_taken_during_an_ingest_are_consistent_snapshots(tmp_path, db_path):
    batch = 20
    articles = [article(f"https://live.example/{number}", words=120 + number % 200) for number in range(3000)]
    source = tmp_path / "big.jsonl"
    write_jsonl(source, articles)
    ingest = subprocess.Popen(
        [WIRETRACE, "ingest", str(source), "--db", db_path, "--batch-size", str(batch), "--quiet"],
        stdout=subprocess.DEVNULL,
    )
    copies = []
    try:
        while not os.path.exists(db_path + "-wal") and ingest.poll() is None:
            time.sleep(0.05)
        while len(copies) < 3 and ingest.poll() is None:
            time.sleep(0.3)
            copy = tmp_path / f"copy-{len(copies)}.db"
            backed = subprocess.run([WIRETRACE, "backup", str(copy), "--db", db_path], capture_output=True, text=True)
            assert backed.returncode == 0, backed.stderr
            copies.append(copy)
            live = subprocess.run([WIRETRACE, "check", "--db", db_path], capture_output=True, text=True)
            assert live.returncode == 0, live.stdout + live.stderr
        assert ingest.wait(timeout=300) == 0
    finally:
        if ingest.poll() is None:
            ingest.kill()
    assert copies, "the ingest finished before a backup was taken"
    counts = []
    for copy in copies:
        assert not copy.with_name(copy.name + "-wal").exists()
        checked = subprocess.run([WIRETRACE, "check", "--db", str(copy)], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stdout
        with sqlite3.connect(copy) as connection:
            (count,) = connection.execute("SELECT COUNT(*) FROM article").fetchone()
        counts.append(count)
        # A snapshot between two committed batches, in file order.
        assert count % batch == 0
        if count:
            last = articles[count - 1]
            found = run("match", "-", "--db", str(copy), "--json", input=last["text"])
            assert [m["article"]["url"] for m in json.loads(found.output)["matches"]][:1] == [last["url"]], (
                count,
                found.output[:500],
            )
    assert counts == sorted(counts) and counts[0] < len(articles)
