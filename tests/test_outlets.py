"""The outlet registry: CSV import, the outlets API, resolution of outlets at ingest, labels in matches."""

from __future__ import annotations

import csv
import io
import json
from urllib.parse import quote

import pytest
from click.testing import CliRunner

from server.cli import main
from tests.conftest import assert_error
from tests.texts import UNRELATED_STORY, WIRE_STORY

REGISTRY = """\
# A registry written for these tests; every outlet is fictional.
name,display_name,domains,country,language,ownership,labels,homepage
coastline wire,Coastline Wire Service,coastlinewire.example;cws-news.example,GB,en-GB,Coastline Cooperative,Wire Agency,https://coastlinewire.example/
harbour.gazette,The Harbour Gazette,harbourgazette.example.co.uk,IE,en,,,
state voice,State Voice,statevoice.example,FR,fr,Ministry of Voices,state-affiliated media;  Public   Broadcaster ,
"""


def run(*args: str, stdin: str | None = None):
    return CliRunner().invoke(main, list(args), input=stdin, catch_exceptions=False)


def import_csv(tmp_path, db_path, text: str, *extra: str):
    source = tmp_path / f"registry-{abs(hash(text))}.csv"
    source.write_text(text, encoding="utf-8")
    return run("outlets", "import", str(source), "--db", db_path, *extra)


def outlet_json(db_path, name: str) -> dict:
    result = run("outlets", "show", name, "--db", db_path, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


# ---- import ---------------------------------------------------------------------------------------


def test_import_stores_every_field_normalised(tmp_path, db_path):
    result = import_csv(tmp_path, db_path, REGISTRY)
    assert result.exit_code == 0, result.output
    assert "3 created, 0 updated, 0 unchanged; 0 rows skipped" in result.output
    wire = outlet_json(db_path, "Coastline Wire")
    assert wire["display_name"] == "Coastline Wire Service"
    assert wire["domains"] == ["coastlinewire.example", "cws-news.example"]
    assert (wire["country"], wire["language"], wire["labels"]) == ("GB", "en-GB", ["wire agency"])
    assert wire["homepage"] == "https://coastlinewire.example/"
    voice = outlet_json(db_path, "state voice")
    assert voice["labels"] == ["public broadcaster", "state-affiliated media"]
    listed = json.loads(run("outlets", "list", "--db", db_path, "--json", "--label", "state-affiliated media").output)
    assert [row["name"] for row in listed] == ["state voice"]


def test_reimport_is_idempotent(tmp_path, db_path):
    import_csv(tmp_path, db_path, REGISTRY)
    before = outlet_json(db_path, "coastline wire")
    again = import_csv(tmp_path, db_path, REGISTRY)
    assert again.exit_code == 0
    assert "0 created, 0 updated, 3 unchanged" in again.output
    assert outlet_json(db_path, "coastline wire") == before  # updated_at included


def test_bad_rows_are_reported_by_line_and_change_nothing(tmp_path, db_path):
    import_csv(tmp_path, db_path, REGISTRY)
    before = outlet_json(db_path, "harbour.gazette")
    bad = (
        "name,domains,country,language,labels\n"
        "harbour.gazette,coastlinewire.example,DE,de,aggregator\n"  # line 2: domain owned by coastline wire
        "new one,newone.example,XQ,en,\n"  # line 3: no such country
        "new two,https://newtwo.example/path,GB,en,\n"  # line 4: a URL, not a domain
        "new three,newthree.example,GB,english,\n"  # line 5: not a language tag
        ",nameless.example,GB,en,\n"  # line 6: no name
        "good one,goodone.example,gb,EN-us,aggregator\n"  # line 7: fine, normalised
        "too,many,cells,here,x,y\n"  # line 8
    )
    result = import_csv(tmp_path, db_path, bad)
    assert result.exit_code == 1
    for line, words in [
        (2, "belongs to outlet 'coastline wire'"),
        (3, "ISO 3166-1"),
        (4, "not a domain name"),
        (5, "BCP 47"),
        (6, "'name' must not be empty"),
        (8, "6 cells for 5 columns"),
    ]:
        assert f"line {line}: " in result.output and words in result.output, (line, result.output)
    assert "1 created, 0 updated, 0 unchanged; 6 rows skipped" in result.output
    assert outlet_json(db_path, "harbour.gazette") == before
    good = outlet_json(db_path, "good one")
    assert (good["country"], good["language"], good["labels"]) == ("GB", "en-US", ["aggregator"])
    assert run("outlets", "show", "new one", "--db", db_path).exit_code == 1


def test_merge_adds_and_replace_replaces(tmp_path, db_path):
    import_csv(tmp_path, db_path, REGISTRY)
    merged = import_csv(tmp_path, db_path, "name,domains,labels\ncoastline wire,coastline.example,aggregator\n")
    assert "1 updated" in merged.output
    wire = outlet_json(db_path, "coastline wire")
    assert wire["domains"] == ["coastline.example", "coastlinewire.example", "cws-news.example"]
    assert wire["labels"] == ["aggregator", "wire agency"]
    assert wire["country"] == "GB"  # an absent column leaves the field alone
    replaced = import_csv(tmp_path, db_path, "name,domains,country\ncoastline wire,coastline.example,\n", "--replace")
    assert replaced.exit_code == 0, replaced.output
    wire = outlet_json(db_path, "coastline wire")
    assert wire["domains"] == ["coastline.example"]
    assert (wire["labels"], wire["country"], wire["display_name"]) == ([], None, None)


@pytest.mark.parametrize(
    "text",
    ["", "# only a comment\n", "domains,country\nx.example,GB\n", "name,colour\nx,red\n", "name,name\nx,y\n"],
)
def test_a_file_that_cannot_be_read_imports_nothing(tmp_path, db_path, text):
    result = import_csv(tmp_path, db_path, text)
    assert result.exit_code == 1
    assert "Error:" in result.output
    assert run("outlets", "list", "--db", db_path).output.strip() == "no outlets"


def test_import_refuses_invalid_utf8(tmp_path, db_path):
    source = tmp_path / "latin1.csv"
    source.write_bytes("name,ownership\ncaf\xe9,x\n".encode("latin-1"))
    result = run("outlets", "import", str(source), "--db", db_path)
    assert result.exit_code == 1 and "not valid UTF-8" in result.output


def test_the_demo_registry_names_every_demo_outlet(tmp_path, db_path):
    from server.demo import demo_articles

    result = run("outlets", "import", "server/demo/outlets.csv", "--db", db_path)
    assert result.exit_code == 0, result.output
    listed = {row["name"] for row in json.loads(run("outlets", "list", "--db", db_path, "--json").output)}
    assert listed == {article.outlet for article in demo_articles()}


# ---- API ------------------------------------------------------------------------------------------


def test_put_creates_replaces_and_refuses(client):
    body = {"display_name": "Coastline Wire Service", "country": "gb", "language": "en_GB", "labels": ["Wire agency"]}
    created = client.put("/api/v1/outlets/coastline wire", json={**body, "domains": ["coastlinewire.example"]})
    assert created.status_code == 201, created.get_json()
    outlet = created.get_json()["outlet"]
    assert (outlet["name"], outlet["country"], outlet["language"]) == ("coastline wire", "GB", "en-GB")
    assert outlet["labels"] == ["wire agency"]
    assert outlet["copying"] == {
        "outlet": "coastline wire",
        "articles": 0,
        "copied": 0,
        "copied_share": 0.0,
        "copied_from": [],
        "republished_by": [],
    }
    replaced = client.put("/api/v1/outlets/Coastline%20Wire", json={"ownership": "A cooperative"})
    assert replaced.status_code == 200
    assert replaced.get_json()["outlet"]["domains"] == [] and replaced.get_json()["outlet"]["country"] is None
    client.put("/api/v1/outlets/coastline wire", json={"domains": ["coastlinewire.example"]})
    assert_error(client.put("/api/v1/outlets/other", json={"domains": ["CoastlineWire.example"]}), 409, "belongs to")
    assert_error(client.get("/api/v1/outlets/other"), 404)  # the refused PUT created nothing
    for bad, words in [
        ({"country": "Narnia"}, "ISO 3166-1"),
        ({"language": "elvish!"}, "BCP 47"),
        ({"domains": ["http://x.example"]}, "not a domain"),
        ({"domains": "x.example"}, "'domains'"),
        ({"labels": ["a;b"]}, "';'"),
        ({"homepage": "ftp://x.example"}, "http or https"),
        ({"display_name": 5}, "'display_name'"),
    ]:
        assert_error(client.put("/api/v1/outlets/x", json=bad), 400, words)
    assert_error(client.put("/api/v1/outlets/x", data="{}", content_type="text/plain"), 415)


def test_names_with_dots_spaces_and_slashes_round_trip(client):
    for name in ("harbour.gazette", "the daily ledger", "news/world", "café crème"):
        path = "/api/v1/outlets/" + quote(name, safe="")
        assert client.put(path, json={"ownership": "x"}).status_code == 201, name
        assert client.get(path).get_json()["outlet"]["name"] == name
        assert client.get("/api/v1/outlets/" + quote(name, safe="/")).status_code == 200
    assert_error(client.get("/api/v1/outlets/no.such.outlet"), 404, "no outlet")


def _seed_outlets(client, count: int) -> list[str]:
    names = []
    for number in range(count):
        name = f"outlet {number:02d}.example"
        body = {"country": "GB" if number % 2 else "FR", "language": "en-GB" if number % 3 else "fr"}
        if number % 4 == 0:
            body["labels"] = ["wire agency"]
        assert client.put("/api/v1/outlets/" + quote(name), json=body).status_code == 201
        names.append(name)
    return names


def test_paging_through_every_outlet_loses_and_repeats_nothing(client):
    names = _seed_outlets(client, 23)
    seen, cursor, pages = [], None, 0
    while True:
        url = "/api/v1/outlets?limit=5" + (f"&cursor={cursor}" if cursor else "")
        body = client.get(url).get_json()
        seen.extend(row["name"] for row in body["outlets"])
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(names) and pages == 5
    assert_error(client.get("/api/v1/outlets?cursor=bm9wZQ"), 400, "cursor")


def test_outlet_filters(client):
    _seed_outlets(client, 12)

    def names(query: str) -> list[str]:
        return [row["name"] for row in client.get(f"/api/v1/outlets?{query}").get_json()["outlets"]]

    assert names("label=Wire%20Agency") == ["outlet 00.example", "outlet 04.example", "outlet 08.example"]
    assert names("country=gb") == [f"outlet {n:02d}.example" for n in range(1, 12, 2)]
    assert names("language=en") == [f"outlet {n:02d}.example" for n in range(12) if n % 3]
    assert names("language=fr&country=FR") == ["outlet 00.example", "outlet 06.example"]
    assert names("q=OUTLET%201") == ["outlet 10.example", "outlet 11.example"]
    assert names("label=nothing") == []


def test_csv_and_ndjson_parse_back_to_the_json_rows(client):
    _seed_outlets(client, 7)
    rows = client.get("/api/v1/outlets?limit=4").get_json()["outlets"]
    as_csv = client.get("/api/v1/outlets?limit=4&format=csv")
    assert as_csv.mimetype == "text/csv" and as_csv.headers["X-Next-Cursor"]
    parsed = list(csv.DictReader(io.StringIO(as_csv.get_data(as_text=True))))
    assert [row["name"] for row in parsed] == [row["name"] for row in rows]
    assert parsed[0]["labels"] == "; ".join(rows[0]["labels"]) and parsed[0]["article_count"] == "0"
    as_ndjson = client.get("/api/v1/outlets?limit=4&format=ndjson")
    assert as_ndjson.mimetype == "application/x-ndjson"
    assert [json.loads(line) for line in as_ndjson.get_data(as_text=True).splitlines()] == rows
    following = client.get(f"/api/v1/outlets?limit=4&format=csv&cursor={as_csv.headers['X-Next-Cursor']}")
    assert len(list(csv.DictReader(io.StringIO(following.get_data(as_text=True))))) == 3
    assert "X-Next-Cursor" not in following.headers


# ---- resolution at ingest, counts, labels in matches -----------------------------------------------


def test_ingest_gives_an_article_the_registry_outlet_of_its_host_or_parent_domain(client):
    client.put("/api/v1/outlets/harbour.gazette", json={"domains": ["harbourgazette.example.co.uk"]})
    articles = [
        {"url": "https://www.edition.harbourgazette.example.co.uk/a", "text": WIRE_STORY},  # parent domain
        {"url": "https://harbourgazette.example.co.uk/b", "text": UNRELATED_STORY},  # the domain itself
        {"url": "https://www.elsewhere.example/c", "text": UNRELATED_STORY + " More."},  # not registered
        {"url": "https://harbourgazette.example.co.uk/d", "text": WIRE_STORY + " Extra.", "outlet": "Syndicator"},
        {"url": "https://notharbourgazette.example.co.uk/e", "text": WIRE_STORY + " Else."},  # not a subdomain
    ]
    stored = client.post("/api/v1/articles", json={"articles": articles}).get_json()["articles"]
    outlets = [client.get(f"/api/v1/articles/{row['id']}").get_json()["article"]["outlet"] for row in stored]
    assert outlets == [
        "harbour.gazette",
        "harbour.gazette",
        "elsewhere.example",
        "syndicator",
        "notharbourgazette.example.co.uk",
    ]
    detail = client.get("/api/v1/outlets/harbour.gazette").get_json()["outlet"]
    assert detail["article_count"] == 2 and len(detail["recent_articles"]) == 2
    listed = client.get("/api/v1/outlets?q=harbour").get_json()["outlets"]
    assert [(row["name"], row["article_count"]) for row in listed] == [("harbour.gazette", 2)]


def test_article_counts_and_dates_follow_since_and_until(client):
    client.post(
        "/api/v1/articles",
        json={
            "articles": [
                {"url": "https://a.example/1", "text": WIRE_STORY, "published_at": "2026-03-01T10:00:00Z"},
                {"url": "https://a.example/2", "text": UNRELATED_STORY, "published_at": "2026-03-05"},
            ]
        },
    )
    detail = client.get("/api/v1/outlets/a.example").get_json()["outlet"]
    assert (detail["first_published"], detail["last_published"]) == ("2026-03-01T10:00:00Z", "2026-03-05")
    assert detail["recent_articles"][0]["url"] == "https://a.example/2"

    def count(query: str) -> int:
        return client.get(f"/api/v1/outlets?{query}").get_json()["outlets"][0]["article_count"]

    assert count("") == 2
    assert count("until=2026-03-01") == 1  # a date is the whole day
    assert count("since=2026-03-02") == 1
    assert_error(client.get("/api/v1/outlets?since=never"), 400, "since")


def test_matches_carry_the_outlets_labels(client):
    client.put(
        "/api/v1/outlets/coastline wire",
        json={"display_name": "Coastline Wire Service", "domains": ["coastlinewire.example"], "labels": ["wire agency"]},
    )
    client.post("/api/v1/articles", json={"url": "https://coastlinewire.example/story", "text": WIRE_STORY})
    client.post("/api/v1/articles", json={"url": "https://plain.example/copy", "text": WIRE_STORY + "\n\nAnd more."})
    matches = client.post("/api/v1/match", json={"text": WIRE_STORY}).get_json()["matches"]
    by_outlet = {match["article"]["outlet"]: match["article"] for match in matches}
    assert by_outlet["coastline wire"]["outlet_labels"] == ["wire agency"]
    assert by_outlet["coastline wire"]["outlet_display_name"] == "Coastline Wire Service"
    assert by_outlet["plain.example"]["outlet_labels"] == [] and by_outlet["plain.example"]["outlet_display_name"] is None


def test_an_older_database_gains_the_registry_columns(tmp_path):
    import sqlite3

    from server import create_app

    path = tmp_path / "old.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE outlet (id INTEGER PRIMARY KEY, name VARCHAR(255) NOT NULL UNIQUE, created_at)")
        connection.execute("INSERT INTO outlet (name, created_at) VALUES ('kept.example', '2020-01-01T00:00:00Z')")
    client = create_app({"DATABASE": str(path)}).test_client()
    outlet = client.get("/api/v1/outlets/kept.example").get_json()["outlet"]
    assert (outlet["country"], outlet["labels"], outlet["updated_at"]) == (None, [], None)
    assert client.put("/api/v1/outlets/kept.example", json={"country": "DE"}).status_code == 200


def test_articles_stored_before_a_domain_was_registered_move_when_ingested_again(app, client):
    from server.db import database
    from server.maintenance import check

    article = {"url": "https://www.late.example/story", "text": WIRE_STORY}
    first = client.post("/api/v1/articles", json=article).get_json()["articles"][0]
    assert client.get(f"/api/v1/articles/{first['id']}").get_json()["article"]["outlet"] == "late.example"
    client.put("/api/v1/outlets/late registry", json={"domains": ["late.example"]})
    again = client.post("/api/v1/articles", json=article).get_json()["articles"][0]
    assert (again["id"], again["status"]) == (first["id"], "unchanged")
    assert client.get(f"/api/v1/articles/{first['id']}").get_json()["article"]["outlet"] == "late registry"
    with app.app_context(), database.connection_context():
        report = check(database.connection(), app.config["FINGERPRINT_PARAMS"])
    assert report.ok, report.lines()
