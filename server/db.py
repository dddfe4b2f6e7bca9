"""SQLite storage: the models, and the connection's life cycle.

The index lives in the same database as the articles and is written in the
same transaction, so it can never disagree with them and every worker
process sees an article as soon as the request that stored it returns. A
restart rebuilds nothing: opening the file is all it takes.
"""

from __future__ import annotations

from datetime import UTC, datetime

from peewee import (
    BlobField,
    CharField,
    DatabaseProxy,
    ForeignKeyField,
    IntegerField,
    Model,
    SqliteDatabase,
    TextField,
)

__all__ = [
    "database",
    "open_database",
    "init_app",
    "Outlet",
    "Article",
    "ParamsRecord",
    "ArticleFingerprint",
    "ApiKey",
    "ArticleVersion",
    "CrawlSource",
    "CrawlUrl",
    "OutletDomain",
    "OutletLabel",
    "MODELS",
    "ADDED_COLUMNS",
    "utc_now",
]

database = DatabaseProxy()

PRAGMAS = {
    "journal_mode": "wal",
    # WAL with synchronous=NORMAL cannot corrupt the database; a power cut
    # may lose the last transactions, never earlier ones.
    "synchronous": "normal",
    "foreign_keys": 1,
    # Writers from several worker processes wait for each other instead of
    # failing with "database is locked".
    "busy_timeout": 30_000,
    "cache_size": -64_000,
}


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class BaseModel(Model):
    class Meta:
        database = database
        legacy_table_names = False


class Outlet(BaseModel):
    name = CharField(unique=True)
    created_at = CharField(default=utc_now)
    # The registry's facts (server/outlets.py); null until someone records them.
    display_name = TextField(null=True)
    country = CharField(null=True)  # ISO 3166-1 alpha-2
    language = CharField(null=True)  # BCP 47
    ownership = TextField(null=True)
    homepage = TextField(null=True)
    updated_at = CharField(null=True)


class Article(BaseModel):
    url = TextField(unique=True)  # canonical form, see server.urls
    outlet = ForeignKeyField(Outlet, backref="articles", on_delete="RESTRICT")
    title = TextField(null=True)
    published_at = CharField(null=True, index=True)  # ISO 8601, UTC when a time is known
    first_seen_at = CharField(default=utc_now)
    updated_at = CharField(default=utc_now)
    text = TextField()
    content_hash = CharField(index=True)  # SHA-256 of the text as stored
    token_count = IntegerField()
    author = TextField(null=True)  # the byline, when given or extracted (added after the first release)


class ParamsRecord(BaseModel):
    """One row per parameter set that has made fingerprints in this database."""

    key = CharField(unique=True)
    params_json = TextField()

    class Meta:
        table_name = "fingerprint_params"


class ArticleFingerprint(BaseModel):
    """The fingerprint of an article's current text, with the parameters that made it."""

    article = ForeignKeyField(Article, primary_key=True, backref="fingerprint", on_delete="CASCADE")
    params = ForeignKeyField(ParamsRecord, on_delete="RESTRICT")
    shingles = BlobField()
    spans = BlobField()
    quoted = BlobField()
    signature = BlobField()

    class Meta:
        table_name = "fingerprint"


class ApiKey(BaseModel):
    """An API key: its SHA-256 only, never the key itself (see server.access)."""

    name = CharField(unique=True)
    prefix = CharField()  # the first characters, to tell keys apart in listings
    key_hash = CharField(unique=True)
    scopes = CharField()  # comma-separated: read, write, admin
    created_at = CharField(default=utc_now)
    revoked_at = CharField(null=True)

    class Meta:
        table_name = "api_key"


class ArticleVersion(BaseModel):
    """An earlier text of an article, kept when the article's text changed (see server.versions)."""

    article = ForeignKeyField(Article, backref="versions", on_delete="CASCADE")
    title = TextField(null=True)
    published_at = CharField(null=True)
    text = TextField()
    content_hash = CharField()
    token_count = IntegerField()
    stored_at = CharField()  # when this text was stored (the article's updated_at then)
    replaced_at = CharField(default=utc_now)

    class Meta:
        table_name = "article_version"


class CrawlSource(BaseModel):
    """A feed or sitemap the crawler reads, with what it needs for a conditional GET (see server.crawl)."""

    url = TextField(unique=True)
    outlet = CharField(null=True)
    kind = CharField(null=True)  # feed | sitemap | sitemapindex, once read
    parent = TextField(null=True)  # the sitemap index that listed it
    etag = TextField(null=True)
    last_modified = TextField(null=True)
    fetched_at = CharField(null=True)
    last_error = TextField(null=True)

    class Meta:
        table_name = "crawl_source"


class CrawlUrl(BaseModel):
    """A page URL the crawler has discovered, and where it stands.

    Written in the same transaction as the article the page produced, so a
    crawl stopped at any moment resumes without duplicates or losses.
    """

    url = TextField(unique=True)  # canonical form, as articles are stored
    source = ForeignKeyField(CrawlSource, null=True, on_delete="SET NULL")
    outlet = CharField(null=True)
    status = CharField(default="pending", index=True)  # pending | done | alias | failed | gone | skipped
    title_hint = TextField(null=True)  # from the feed or news sitemap
    published_hint = CharField(null=True)
    lastmod = CharField(null=True)
    etag = TextField(null=True)
    last_modified = TextField(null=True)
    attempts = IntegerField(default=0)
    next_attempt_at = CharField(null=True)
    last_error = TextField(null=True)
    discovered_at = CharField(default=utc_now)
    fetched_at = CharField(null=True)
    alias_of = TextField(null=True)  # the canonical URL this page is a copy of
    article = ForeignKeyField(Article, null=True, on_delete="SET NULL")

    class Meta:
        table_name = "crawl_url"


class OutletDomain(BaseModel):
    """A domain an outlet publishes under; articles from it (or its subdomains) are the outlet's."""

    domain = CharField(unique=True)  # lower-case host name, no scheme, port or path
    outlet = ForeignKeyField(Outlet, backref="domains", on_delete="CASCADE")

    class Meta:
        table_name = "outlet_domain"


class OutletLabel(BaseModel):
    """A label such as "wire agency" or "state-affiliated media" (see server/outlets.py)."""

    outlet = ForeignKeyField(Outlet, backref="labels", on_delete="CASCADE")
    label = CharField()

    class Meta:
        table_name = "outlet_label"
        indexes = ((("outlet", "label"), True),)


MODELS = [
    Outlet,
    Article,
    ParamsRecord,
    ArticleFingerprint,
    ApiKey,
    ArticleVersion,
    CrawlSource,
    CrawlUrl,
    OutletDomain,
    OutletLabel,
]


# Columns added to a table after its first release: (model, field name).
# A database made by an earlier version gains them when it is opened; each
# must be nullable or have a default, so rows stored before read sensibly.
# New concepts get new tables (created above by create_tables) rather than
# columns here whenever that reads as well.
ADDED_COLUMNS: list[tuple[type[Model], str]] = [
    (Outlet, "display_name"),
    (Outlet, "country"),
    (Outlet, "language"),
    (Outlet, "ownership"),
    (Outlet, "homepage"),
    (Outlet, "updated_at"),
    (Article, "author"),
]


def _add_missing_columns(sqlite: SqliteDatabase) -> None:
    for model, name in ADDED_COLUMNS:
        table = model._meta.table_name
        present = {column.name for column in sqlite.get_columns(table)}
        column = model._meta.fields[name]
        if column.column_name in present:
            continue
        if not (column.null or column.default is not None):
            raise RuntimeError(f"added column {table}.{column.column_name} must be nullable or have a default")
        # peewee's migrator rebuilds nothing for an added column: one ALTER TABLE.
        from playhouse.migrate import SqliteMigrator, migrate

        migrate(SqliteMigrator(sqlite).add_column(table, column.column_name, column))


def open_database(path: str) -> SqliteDatabase:
    """Open (creating if needed) the database at ``path`` and bind the models to it.

    Opening also brings a database made by an earlier version up to date:
    missing tables are created and :data:`ADDED_COLUMNS` are added, in one
    transaction, so nothing stored is touched.
    """
    sqlite = SqliteDatabase(path, pragmas=PRAGMAS, timeout=30)
    database.initialize(sqlite)
    from .index_tiers import TIER_SCHEMA, migrate_single_tier
    from .search import create_search_index, upgrade_search_index

    with sqlite.connection_context(), sqlite.atomic("IMMEDIATE"):
        # A new database gets the full-text index from the start; an older
        # one gets it from `wiretrace search-index --rebuild` (server/search.py).
        fresh = not sqlite.table_exists("article")
        sqlite.create_tables(MODELS, safe=True)
        # The index tables are plain SQL (server/index_tiers.py): clustered on
        # the hash, in two tiers behind the views ``posting`` and ``band``.
        migrate_single_tier(sqlite.connection())
        for statement in TIER_SCHEMA:
            sqlite.execute_sql(statement)
        _add_missing_columns(sqlite)
        if fresh:
            create_search_index(sqlite.connection())
        else:
            upgrade_search_index(sqlite.connection())
    return sqlite


def init_app(app) -> None:
    """Bind the database named by ``app.config['DATABASE']``; one connection per thread, kept between requests.

    peewee binds models through one module-level proxy, so each request binds
    it to its own app's database: two apps made in one process (tests do
    this) each keep talking to their own file.

    The connection outlives the request. Opening one costs a millisecond of
    pragmas, and closing it empties its page cache: with one connection per
    request an 800-word match took about 12 ms at a million articles, with
    the connection kept 8.6 ms. Keeping it changes nothing anyone sees: in
    WAL mode a connection outside a transaction reads the latest commit at
    its next statement, so another process's article is visible to the next
    request as before.
    """
    sqlite = open_database(app.config["DATABASE"])
    app.extensions["wiretrace_database"] = sqlite

    @app.before_request
    def _connect() -> None:
        if database.obj is not sqlite:
            if database.obj is not None and not database.is_closed():
                database.close()
            database.initialize(sqlite)
        database.connect(reuse_if_open=True)

    @app.teardown_appcontext
    def _end_request(_exception) -> None:
        if database.is_closed():
            return
        # A request that failed inside a transaction must not leave it open
        # for the next one: its writes are undone, and the connection closed
        # so that nothing of its state carries over.
        connection = database.connection()
        if database.in_transaction() or connection.in_transaction:
            connection.rollback()
            database.dispose()  # peewee forgets the connection and any transaction it recorded
            connection.close()


# Stories and reuse links live in their own module; their tables are created
# with the others.
from .story_models import STORY_MODELS  # noqa: E402

MODELS.extend(STORY_MODELS)
from .story_models import LinkState as _LinkState  # noqa: E402
from .story_models import Story as _Story  # noqa: E402

ADDED_COLUMNS.extend([(_Story, "origin_id"), (_Story, "origin_uncertain"), (_LinkState, "published_at")])
