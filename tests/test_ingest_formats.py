"""``wiretrace ingest`` reads WARC and WARC.gz archives, folders of HTML files, CSV and Parquet beside JSONL.

Every file is generated here (the WARC with warcio, the Parquet with
pyarrow) from the demo corpus's articles, which were written for the project.
"""

from __future__ import annotations

import csv
import io
import sqlite3
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from server.cli import main
from tests.crawl_site import FURNITURE, demo_articles, news_page

ARTICLES = demo_articles()


def ingest(*args: str):
    return CliRunner().invoke(main, ["ingest", *args, "--quiet"], catch_exceptions=False)


def stored(db_path) -> dict[str, tuple]:
    with sqlite3.connect(db_path) as connection:
        rows = connection.execute(
            "SELECT a.url, o.name, a.title, a.published_at, a.text FROM article a JOIN outlet o ON o.id = a.outlet_id"
        )
        return {url: tuple(rest) for url, *rest in rows}


def write_warc(path, *, gzip: bool) -> None:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with open(path, "wb") as handle:
        writer = WARCWriter(handle, gzip=gzip)

        def response(uri: str, body: bytes, content_type: str, status: str = "200 OK", extra=()):
            headers = StatusAndHeaders(status, [("Content-Type", content_type), *extra], protocol="HTTP/1.1")
            record = writer.create_warc_record(
                uri,
                "response",
                payload=io.BytesIO(body),
                length=len(body),  # without it warcio spools the payload to a temporary file it never closes
                http_headers=headers,
                warc_headers_dict={"WARC-Date": "2026-03-09T12:00:00Z"},
            )
            writer.write_record(record)

        request = writer.create_warc_record(
            "https://www.ledger.example/news/one",
            "request",
            payload=io.BytesIO(b""),
            length=0,
            http_headers=StatusAndHeaders(
                "GET /news/one HTTP/1.1", [("Host", "www.ledger.example")], is_http_request=True
            ),
        )
        writer.write_record(request)
        response("https://www.ledger.example/news/one", news_page(ARTICLES[0]).encode(), "text/html; charset=utf-8")
        # The AMP copy names its canonical page: it is the same article, stored once.
        amp = news_page(ARTICLES[0], style="amp", canonical="https://www.ledger.example/news/one")
        response("https://www.ledger.example/news/one/amp", amp.encode(), "text/html")
        # Latin-1 bytes, labelled so in the header.
        latin = news_page({**ARTICLES[1], "text": ARTICLES[1]["text"] + "\n\nThe café reopened."}, charset_meta=None)
        response("https://www.ledger.example/news/two", latin.encode("latin-1"), "text/html; charset=iso-8859-1")
        response("https://www.ledger.example/logo.png", b"\x89PNG not really", "image/png")
        response(
            "https://www.ledger.example/old", b"", "text/html", "301 Moved Permanently", [("Location", "/news/one")]
        )
        response("https://www.ledger.example/", b"<html><body><nav>Home News Sport</nav></body></html>", "text/html")


@pytest.mark.parametrize("gzip", [False, True])
def test_warc_archives_give_the_articles_the_crawler_would_store(tmp_path, db_path, gzip):
    warc = tmp_path / ("crawl.warc.gz" if gzip else "crawl.warc")
    write_warc(warc, gzip=gzip)
    result = ingest(str(warc), "--db", db_path)
    assert result.exit_code == 1  # the front page has no article: reported and skipped
    assert (
        "ingested 2 articles: 2 created, 0 updated, 0 unchanged; 1 records skipped; 4 records ignored" in result.output
    )
    assert "skipped record 7 (https://www.ledger.example/): no article text found in the page" in result.output
    articles = stored(db_path)
    assert set(articles) == {"https://www.ledger.example/news/one", "https://www.ledger.example/news/two"}
    outlet, title, published_at, text = articles["https://www.ledger.example/news/one"]
    assert (outlet, title, published_at) == ("ledger.example", ARTICLES[0]["title"], "2026-03-09")
    assert text.split("\n") == ARTICLES[0]["text"].split("\n\n")
    assert all(phrase not in text for phrase in FURNITURE)
    assert articles["https://www.ledger.example/news/two"][3].endswith("The café reopened.")
    # The byline the page gives is kept with the article.
    with sqlite3.connect(db_path) as connection:
        authors = set(connection.execute("SELECT author FROM article").fetchall())
    assert authors == {("Morgan Ellery",)}


def test_a_folder_of_html_files(tmp_path, db_path):
    folder = tmp_path / "pages"
    (folder / "sport").mkdir(parents=True)
    (folder / "a.html").write_text(news_page(ARTICLES[2], canonical="https://www.ledger.example/a"))
    og = news_page(ARTICLES[3]).replace(
        "<title>", '<meta property="og:url" content="https://www.ledger.example/b"><title>'
    )
    (folder / "b.htm").write_text(og)
    (folder / "sport" / "c.html").write_text(news_page(ARTICLES[4], style="divs"))
    (folder / "notes.txt").write_text("not a page")
    result = ingest(str(folder), "--db", db_path)
    assert result.exit_code == 1
    assert (
        "skipped file sport/c.html: no URL: the page has no rel=canonical or og:url link; give --base-url"
        in result.output
    )
    assert set(stored(db_path)) == {"https://www.ledger.example/a", "https://www.ledger.example/b"}
    result = ingest(str(folder), "--db", db_path, "--base-url", "https://archive.ledger.example/2026/")
    assert result.exit_code == 0, result.output
    assert "1 created, 0 updated, 2 unchanged" in result.output
    assert "https://archive.ledger.example/2026/sport/c.html" in stored(db_path)


def test_csv_with_mapped_columns_and_bad_rows(tmp_path, db_path):
    path = tmp_path / "export.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["link", "body", "headline", "outlet", "published_at"])
        for article in ARTICLES[:3]:
            writer.writerow(
                [article["url"], article["text"], article["title"], article["outlet"], article["published_at"]]
            )
        writer.writerow(["ftp://nowhere.example/x", "some words here", "", "", ""])
        writer.writerow(["https://ok.example/y", "", "", "", ""])
    result = ingest(
        str(path), "--db", db_path, "--column", "url=link", "--column", "text=body", "--column", "title=headline"
    )
    assert result.exit_code == 1
    assert "3 created, 0 updated, 0 unchanged; 2 records skipped" in result.output
    assert "skipped row 4: 'url' must be an http or https URL" in result.output
    assert "skipped row 5: 'text' must not be empty" in result.output
    articles = stored(db_path)
    assert articles[ARTICLES[1]["url"]] == (
        ARTICLES[1]["outlet"],
        ARTICLES[1]["title"],
        ARTICLES[1]["published_at"],
        ARTICLES[1]["text"],
    )
    missing = ingest(str(path), "--db", db_path)
    assert missing.exit_code == 1 and "no column 'url', 'text' (columns: link, body, headline" in missing.output
    bad = ingest(str(path), "--db", db_path, "--column", "body=text")
    assert bad.exit_code != 0 and "expected FIELD=COLUMN" in bad.output


def test_parquet_with_timestamps(tmp_path, db_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table(
        {
            "url": [a["url"] for a in ARTICLES[:4]],
            "text": [a["text"] for a in ARTICLES[:4]],
            "title": [a["title"] for a in ARTICLES[:4]],
            "published_at": [datetime(2026, 3, 9, 8, 30, tzinfo=UTC)] * 4,
        }
    )
    path = tmp_path / "corpus.data"  # no telling suffix: the magic bytes say Parquet
    pq.write_table(table, path)
    result = ingest(str(path), "--db", db_path)
    assert result.exit_code == 0, result.output
    assert "4 created" in result.output
    articles = stored(db_path)
    assert articles[ARTICLES[0]["url"]][2] == "2026-03-09T08:30:00Z"
    assert articles[ARTICLES[3]["url"]][0] == ARTICLES[3]["url"].split("/")[2].removeprefix("www.")
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1 this is not parquet")
    result = ingest(str(broken), "--db", db_path)
    assert result.exit_code == 1 and "is not a readable Parquet file" in result.output


def test_jsonl_still_reads_as_before_and_missing_paths_are_clear(tmp_path, db_path):
    path = tmp_path / "a.jsonl"
    path.write_text('{"url": "https://a.example/1", "text": "one two three four five six"}\n{"url": 5}\n')
    result = ingest(str(path), "--db", db_path)
    assert result.exit_code == 1 and "1 created" in result.output and "1 lines skipped" in result.output
    missing = ingest(str(tmp_path / "nope.warc"), "--db", db_path)
    assert missing.exit_code != 0 and "no such file or folder" in missing.output
