"""Ingest from archives: WARC.gz, a folder of HTML files, CSV and Parquet, against JSONL in the same run.

The same sample of shared articles is written in each format (the HTML pages
wrap each article in navigation, a cookie banner, related links and
comments, as a news site would), then ingested with the code
``wiretrace ingest`` runs, each into a fresh database. Reported per format:
articles per second and its ratio to the JSONL ingest measured in the same
run, and for the HTML formats the extraction's fidelity: the share of
articles whose stored words are exactly the source's words (so no
furniture came in and no paragraph was lost), and the mean share of the
source's words recovered. Nothing is written to the repository: the files
live in a temporary directory.
"""

from __future__ import annotations

import argparse
import csv
import html
import io
import json
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import Article, article_json, data_available, load_corpus, paragraphs, words  # noqa: E402
from provenance import load_average, provenance  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
FURNITURE = (
    '<div class="cookie-banner"><p>We use cookies to give you the best experience.</p><button>Accept</button></div>'
    '<nav><a href="/">Home</a> <a href="/world">World</a> <a href="/business">Business</a>'
    ' <a href="/sport">Sport</a></nav>'
)
AFTER = (
    '<aside class="related"><h3>Related stories</h3><ul><li><a href="/r/1">Markets close higher after a quiet '
    'session of trading</a></li><li><a href="/r/2">Weather warning issued for the weekend</a></li></ul></aside>'
    '<section class="comments"><h3>Comments</h3><p>First! Great article, thanks for writing it up.</p></section>'
    "<footer><p>Copyright The Benchmark Gazette. All rights reserved.</p></footer>"
)


def page(article: Article) -> str:
    title = html.escape(article.title or "Untitled")
    body = "".join(f"<p>{html.escape(paragraph)}</p>" for paragraph in paragraphs(article))
    date = article.published_at or ""
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        f'<link rel="canonical" href="{html.escape(article.url)}">'
        f'<meta property="article:published_time" content="{date}"></head><body>{FURNITURE}'
        f"<main><article><h1>{title}</h1>{body}</article>{AFTER}</main></body></html>"
    )


def write_files(articles: list[Article], workdir: Path) -> dict[str, Path]:
    import pyarrow as pa
    import pyarrow.parquet as pq
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    records = [article_json(article) for article in articles]
    paths = {"jsonl": workdir / "a.jsonl", "csv": workdir / "a.csv", "parquet": workdir / "a.parquet"}
    paths["warc"], paths["html"] = workdir / "a.warc.gz", workdir / "pages"
    paths["jsonl"].write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    with paths["csv"].open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(records[0]))
        writer.writeheader()
        writer.writerows(records)
    pq.write_table(pa.Table.from_pylist(records), paths["parquet"])
    paths["html"].mkdir()
    with paths["warc"].open("wb") as handle:
        writer = WARCWriter(handle, gzip=True)
        for number, article in enumerate(articles):
            body = page(article).encode()
            (paths["html"] / f"{number:06d}.html").write_bytes(body)
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
            writer.write_record(
                writer.create_warc_record(
                    article.url, "response", payload=io.BytesIO(body), length=len(body), http_headers=headers
                )
            )
    return paths


def ingest(fmt: str, path: Path, db_path: Path) -> tuple[dict, float]:
    import pyarrow.parquet  # noqa: F401 (imported before the clock starts, like the extraction libraries)
    import warcio  # noqa: F401

    import server.crawl.extract  # noqa: F401
    from server import create_app
    from server.cli import BULK_BATCH_SIZE, ingest_lines
    from server.ingest_formats import ingest_records, read_records

    app = create_app({"DATABASE": str(db_path)})
    started = time.perf_counter()
    with app.app_context():
        if fmt == "jsonl":
            with path.open("rb") as stream:
                summary = ingest_lines(app, stream, show_progress=False)
        else:
            summary = ingest_records(app, read_records(str(path), fmt), batch_size=BULK_BATCH_SIZE, show_progress=False)
    seconds = time.perf_counter() - started
    return {"stored": summary.stored, "skipped": len(summary.skipped), "seconds": round(seconds, 2)}, seconds


def fidelity(articles: list[Article], db_path: Path) -> dict:
    import sqlite3

    with sqlite3.connect(db_path) as connection:
        stored = dict(connection.execute("SELECT url, text FROM article"))
    from server.validation import canonical_url

    exact, recovered = 0, []
    for article in articles:
        source = words(article.text)
        text = stored.get(canonical_url(article.url))
        if text is None:
            recovered.append(0.0)
            continue
        got = words(text)
        title = words(article.title or "")
        if got[: len(title)] == title and got[len(title) :] == source:
            got = got[len(title) :]  # the headline inside <article> is part of the article
        exact += got == source
        recovered.append(len(set(got) & set(source)) / max(1, len(set(source))))
    return {
        "exact_share": round(exact / len(articles), 4),
        "mean_word_recall": round(sum(recovered) / len(recovered), 4),
    }


def run(args: argparse.Namespace) -> dict:
    corpus = [article for article in load_corpus() if article.title and len(words(article.text)) >= 40]
    # URLs must be unique for the comparison; the shared files have a few repeats.
    unique = list({article.url: article for article in corpus}.values())
    articles = random.Random(args.seed).sample(unique, min(len(unique), args.articles))
    print(f"{len(articles)} articles")
    result: dict = {
        "benchmark": "archives",
        "command": "benchmarks/archives.py " + " ".join(sys.argv[1:]),
        **provenance(),
    }
    with tempfile.TemporaryDirectory(prefix="wiretrace-archives-") as workdir:
        paths = write_files(articles, Path(workdir))
        # The extraction libraries build caches on first use: warm them, so the first HTML format is not charged.
        from server.crawl.extract import extract_article

        for article in articles[:20]:
            extract_article(page(article), article.url)
        formats: dict = {}
        for fmt in ("jsonl", "csv", "parquet", "warc", "html"):
            db_path = Path(workdir) / f"{fmt}.db"
            figures, seconds = ingest(fmt, paths[fmt], db_path)
            figures["articles_per_second"] = round(len(articles) / seconds, 1)
            if fmt in ("warc", "html"):
                figures["extraction"] = fidelity(articles, db_path)
            formats[fmt] = figures
        for figures in formats.values():
            figures["ratio_vs_jsonl"] = round(
                figures["articles_per_second"] / formats["jsonl"]["articles_per_second"], 3
            )
        for fmt, figures in formats.items():
            print(f"{fmt:<8} {figures['articles_per_second']:>8} articles/s  x{figures['ratio_vs_jsonl']:<6} "
                  f"{json.dumps(figures.get('extraction', ''))}")  # fmt: skip
    result["articles"] = len(articles)
    result["formats"] = formats
    result["load_average_at_end"] = load_average()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="wiretrace archive-ingest benchmark")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--quick", action="store_true", help="200 articles, for a smoke test")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.quick:
        args.articles = min(args.articles, 200)
    if not data_available():
        print("skipped: the shared data directory ../shared/data is not available")
        return 0
    result = run(args)
    out = args.out or RESULTS / ("archives-quick.json" if args.quick else "archives.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
