"""``wiretrace ingest`` beyond JSONL: WARC archives, folders of HTML files, CSV and Parquet.

Each reader yields ``(where, record)`` pairs: ``where`` names the record
for messages (``record 12 (https://...)``, ``file a/b.html``, ``row 7``),
``record`` is an ARTICLE dict for :func:`server.validation.parse_article`
or a string saying why the record cannot be one. HTML (from WARC responses
and from files) goes through the crawler's extraction, so an archive gives
the same articles the crawler would have stored. The JSONL path stays in
:func:`server.cli.ingest_lines`, untouched and as fast as before.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin

__all__ = ["FORMATS", "FIELDS", "FormatError", "detect_format", "read_records", "ingest_records", "parse_columns"]

FORMATS = ("jsonl", "warc", "html", "csv", "parquet")
FIELDS = ("url", "text", "title", "outlet", "published_at")
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_COPY = "_copy_of_another_url"


class FormatError(ValueError):
    """A file that cannot be read in the format asked for; the message says which and why."""


def detect_format(path: str) -> str:
    """The format of ``path``: a folder is HTML files; otherwise the suffix, else the first bytes."""
    if path == "-":
        return "jsonl"
    source = Path(path)
    if source.is_dir():
        return "html"
    name = source.name.lower()
    for suffixes, fmt in (
        ((".warc", ".warc.gz"), "warc"),
        ((".csv",), "csv"),
        ((".parquet", ".pq"), "parquet"),
        ((".jsonl", ".ndjson", ".json"), "jsonl"),
        ((".html", ".htm"), "html"),
    ):
        if name.endswith(suffixes):
            return fmt
    try:
        with source.open("rb") as handle:
            head = handle.read(4)
    except OSError:
        return "jsonl"
    if head == b"PAR1":
        return "parquet"
    if head == b"WARC":
        return "warc"
    return "jsonl"


def parse_columns(mappings: tuple[str, ...]) -> dict[str, str]:
    """``--column title=headline`` options as {field: column}."""
    columns = {name: name for name in FIELDS}
    for mapping in mappings:
        field, sep, column = mapping.partition("=")
        if not sep or field not in FIELDS or not column:
            raise FormatError(f"--column {mapping!r}: expected FIELD=COLUMN with FIELD one of {', '.join(FIELDS)}")
        columns[field] = column
    return columns


def _from_html(raw: bytes, charset: str | None, url: str | None, fallback_date: str | None = None):
    # Imported here: extraction's libraries take a while to load, and the JSONL path never needs them.
    from .crawl.canonical import same_site
    from .crawl.extract import decode_html, extract_article

    html = decode_html(raw, charset)
    extracted = extract_article(html, url or "about:blank")
    if extracted is None:
        return "no article text found in the page"
    record = {"url": url, "text": extracted.text, "title": extracted.title, "author": extracted.author}
    record["published_at"] = extracted.published_at or fallback_date
    if extracted.canonical_url and url and same_site(extracted.canonical_url, url):
        # An AMP or mobile copy: stored under its page's URL, and only when that page is not stored
        # already, so a copy never replaces the page's own text (see ingest_records).
        record["url"] = extracted.canonical_url
        record[_COPY] = True
    return record


def _warc(path: str) -> Iterator[tuple[str, dict | str | None]]:
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    try:
        with open(path, "rb") as stream:
            for number, record in enumerate(ArchiveIterator(stream), start=1):
                if record.rec_type != "response" or record.http_headers is None:
                    yield f"record {number}", None  # requests, metadata, DNS: not pages
                    continue
                uri = record.rec_headers.get_header("WARC-Target-URI")
                where = f"record {number} ({uri})"
                content_type = record.http_headers.get_header("Content-Type") or ""
                status = record.http_headers.get_statuscode()
                if status != "200" or content_type.split(";")[0].strip().lower() not in _HTML_TYPES:
                    yield where, None  # redirects, errors, images, scripts: not articles
                    continue
                charset = None
                if "charset=" in content_type.lower():
                    charset = content_type.lower().split("charset=", 1)[1].split(";")[0].strip(" \"'")
                date = record.rec_headers.get_header("WARC-Date")
                yield where, _from_html(record.content_stream().read(), charset, uri, date)
    except ArchiveLoadFailed as error:
        raise FormatError(f"{path} is not a readable WARC file: {error}") from None


def _html_folder(path: str, base_url: str | None) -> Iterator[tuple[str, dict | str | None]]:
    root = Path(path)
    files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.suffix.lower() in (".html", ".htm"))
    if not files:
        raise FormatError(f"no .html or .htm files in {path}")
    from lxml import html as lxml_html

    from .crawl.canonical import declared_url
    from .crawl.extract import decode_html

    for file in files:
        relative = file.name if file == root else file.relative_to(root).as_posix()
        where = f"file {relative}"
        try:
            raw = file.read_bytes()
        except OSError as error:
            yield where, f"cannot read: {error.strerror}"
            continue
        fallback = urljoin(base_url.rstrip("/") + "/", relative) if base_url else None
        try:
            declared = declared_url(lxml_html.document_fromstring(decode_html(raw)), fallback or "")
        except (ValueError, lxml_html.etree.ParserError):
            declared = None
        if declared and not declared.startswith(("http://", "https://")):
            declared = None  # a relative canonical link and no --base-url to resolve it
        url = declared or fallback
        if url is None:
            yield where, "no URL: the page has no rel=canonical or og:url link; give --base-url to derive one"
            continue
        yield where, _from_html(raw, None, url)


def _csv(path: str, columns: dict[str, str]) -> Iterator[tuple[str, dict | str | None]]:
    csv.field_size_limit(sys.maxsize)
    try:
        handle = open(path, encoding="utf-8-sig", newline="")  # noqa: SIM115 (closed by the with below)
    except OSError as error:
        raise FormatError(f"cannot open {path}: {error.strerror}") from None
    with handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        missing = [columns[name] for name in ("url", "text") if columns[name] not in header]
        if missing:
            raise FormatError(f"{path}: no column {', '.join(map(repr, missing))} (columns: {', '.join(header)})")
        try:
            # Rows are numbered from 1 after the header (a text with line breaks spans several lines).
            for number, row in enumerate(reader, start=1):
                record = {field: row.get(column) for field, column in columns.items() if column in header}
                # An empty optional cell is a missing value; an empty url or text is an error to report.
                yield f"row {number}", {key: value for key, value in record.items() if value or key in ("url", "text")}
        except (csv.Error, UnicodeDecodeError) as error:
            raise FormatError(f"{path}: unreadable CSV after line {reader.line_num}: {error}") from None


def _parquet(path: str, columns: dict[str, str]) -> Iterator[tuple[str, dict | str | None]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.ParquetFile(path)
    except (OSError, pa.ArrowException) as error:
        raise FormatError(f"{path} is not a readable Parquet file: {error}") from None
    header = table.schema_arrow.names
    missing = [columns[name] for name in ("url", "text") if columns[name] not in header]
    if missing:
        raise FormatError(f"{path}: no column {', '.join(map(repr, missing))} (columns: {', '.join(header)})")
    wanted = {field: column for field, column in columns.items() if column in header}
    number = 0
    for batch in table.iter_batches(batch_size=1000, columns=sorted(set(wanted.values()))):
        for row in batch.to_pylist():
            number += 1
            record = {}
            for field, column in wanted.items():
                value = row.get(column)
                # Parquet timestamps and dates arrive as Python objects.
                record[field] = value.isoformat() if hasattr(value, "isoformat") else value
            yield f"row {number}", record


def read_records(path: str, fmt: str, *, base_url: str | None = None, columns: dict[str, str] | None = None):
    """The records of ``path`` in format ``fmt`` (not JSONL, which ``ingest_lines`` reads)."""
    columns = columns or {name: name for name in FIELDS}
    if fmt == "warc":
        return _warc(path)
    if fmt == "html":
        return _html_folder(path, base_url)
    if fmt == "csv":
        return _csv(path, columns)
    if fmt == "parquet":
        return _parquet(path, columns)
    raise FormatError(f"no reader for format {fmt!r}")


def _stored_or_waiting(url: str, batch: list) -> bool:
    from .db import Article

    return any(article.url == url for article, _ in batch) or Article.select().where(Article.url == url).exists()


def ingest_records(app, records, *, batch_size: int, show_progress: bool = True, summary=None):
    """Check, fingerprint and store records in batches, as ``ingest_lines`` does for JSONL lines."""
    from tqdm import tqdm

    from fingerprints import TextTooShort, fingerprint

    from .cli import BulkBatch, IngestSummary
    from .db import database
    from .errors import ApiError
    from .search import search_index_paused
    from .validation import parse_article

    params = app.extensions["wiretrace"].params
    max_text_bytes = app.config["MAX_TEXT_BYTES"]
    summary = summary or IngestSummary()
    batch = BulkBatch(app, summary, batch_size)

    progress = tqdm(unit=" records", disable=not show_progress, file=sys.stderr, mininterval=0.5)
    with progress, database.connection_context(), search_index_paused(database):
        for where, record in records:
            progress.update(1)
            if record is None:
                summary.ignored += 1
                continue
            if isinstance(record, str):
                message = f"{where}: {record}"
            else:
                try:
                    article = parse_article(record, max_text_bytes)
                    if record.get(_COPY) and _stored_or_waiting(article.url, batch.waiting):
                        summary.ignored += 1
                        continue
                    batch.add(article, fingerprint(article.text, params))
                    message = None
                except ApiError as error:
                    message = f"{where}: {error.message}"
                except TextTooShort:
                    message = f"{where}: 'text' has no words to match"
            if message is not None:
                summary.skipped.append(message)
                if show_progress:
                    progress.write(f"skipped {message}", file=sys.stderr)
        batch.write()
    return summary
