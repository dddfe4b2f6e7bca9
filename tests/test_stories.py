"""Stories: links, stable ids through merges, splits and re-ingest, origins, the API, and the exports.

Real SQLite files, the real app and CLI; exports are loaded with pandas and networkx.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from server.cli import main
from server.demo import DEMO_CORPUS
from tests.conftest import assert_error
from tests.synthetic import article_text

EXPECTED = json.loads((DEMO_CORPUS.parent / "expected.json").read_text(encoding="utf-8"))
DEMO = [json.loads(line) for line in DEMO_CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]


def _post(client, articles):
    response = client.post("/api/v1/articles", json={"articles": articles})
    assert response.status_code in (200, 201), response.get_data(as_text=True)
    return response.get_json()["articles"]


def _story_of(client, ids: dict[str, int]) -> dict[str, int | None]:
    """url -> story id, read through the match API's story_id of each article's matches."""
    from server.db import database

    with client.application.app_context(), database.connection_context():
        rows = dict(database.execute_sql("SELECT article_id, story_id FROM article_story").fetchall())
    return {url: rows.get(article_id) for url, article_id in ids.items()}


@pytest.fixture
def demo_client(client):
    results = _post(client, DEMO)
    client.ids = {result["url"]: result["id"] for result in results}
    return client


def test_demo_stories_have_the_true_origin(demo_client):
    stories = _story_of(demo_client, demo_client.ids)
    for expected in EXPECTED["stories"]:
        story_id = stories[expected["origin"]]
        assert story_id is not None, expected["name"]
        for copy in expected["copies"]:
            assert stories[copy] == story_id, (expected["name"], copy)
        body = demo_client.get(f"/api/v1/stories/{story_id}").get_json()["story"]
        assert body["origin"]["url"] == expected["origin"], expected["name"]
        copies = {copy["article"]["url"]: copy for copy in body["copies"]}
        for url in expected["copies"]:
            assert copies[url]["share_of_origin"] > 0.2
            assert copies[url]["attribution"]["status"] in ("credited", "uncredited")
    # Independent reports of one event are not one story.
    for first, second in EXPECTED["independent"]:
        assert stories[first] is None or stories[first] != stories[second]


def test_story_ids_survive_a_full_reingest_and_edited_texts(demo_client):
    before = _story_of(demo_client, demo_client.ids)
    again = _post(demo_client, DEMO)
    assert {result["status"] for result in again} == {"unchanged"}
    assert _story_of(demo_client, demo_client.ids) == before
    edited = []
    for number, item in enumerate(DEMO):
        item = dict(item)
        if number % 3 == 1:
            item["text"] = item["text"] + "\n\nThis report was updated with a correction to a spelling."
        edited.append(item)
    statuses = {result["status"] for result in _post(demo_client, edited)}
    assert "updated" in statuses
    assert _story_of(demo_client, demo_client.ids) == before


def test_match_response_names_the_story_and_attribution(demo_client):
    origin_url = EXPECTED["stories"][0]["origin"]
    copy_url = EXPECTED["stories"][0]["copies"][0]
    text = next(item["text"] for item in DEMO if item["url"] == copy_url)
    body = demo_client.post("/api/v1/match", json={"text": text, "url": copy_url}).get_json()
    story = body["story"]
    assert story["origin"]["url"] == origin_url
    assert story["size"] >= 4
    assert all(match["story_id"] == story["id"] for match in body["matches"])
    statuses = {match["article"]["url"]: match["attribution"]["status"] for match in body["matches"]}
    assert statuses[origin_url] == "origin"
    assert set(statuses.values()) <= {"origin", "credited", "uncredited"}
    unrelated = demo_client.post("/api/v1/match", json={"text": article_text("nothing like it", 200)}).get_json()
    assert unrelated["story"] is None and unrelated["matches"] == []
    own = demo_client.get(f"/api/v1/articles/{demo_client.ids[copy_url]}/matches").get_json()
    assert own["story"]["id"] == story["id"]


def _pieces():
    shared_one, shared_two = article_text("stories-shared-one", 160), article_text("stories-shared-two", 160)
    own = {name: article_text(f"stories-own-{name}", 160) for name in "abcdefg"}
    return shared_one, shared_two, own


def test_stories_merge_into_the_older_id_and_split_keeping_it(client):
    one, two, own = _pieces()
    first = _post(
        client,
        [
            {"url": "https://one.example/a", "text": one + "\n\n" + own["a"], "published_at": "2026-01-01T08:00:00Z"},
            {"url": "https://two.example/b", "text": one + "\n\n" + own["b"], "published_at": "2026-01-01T10:00:00Z"},
            {"url": "https://three.example/c", "text": two + "\n\n" + own["c"], "published_at": "2026-01-02"},
            {"url": "https://four.example/d", "text": two + "\n\n" + own["d"], "published_at": "2026-01-03"},
        ],
    )
    ids = {item["url"]: item["id"] for item in first}
    stories = _story_of(client, ids)
    story_one, story_two = stories["https://one.example/a"], stories["https://three.example/c"]
    assert story_one is not None and story_two is not None and story_one < story_two
    assert stories["https://two.example/b"] == story_one and stories["https://four.example/d"] == story_two

    bridge = _post(client, [{"url": "https://five.example/e", "text": one + "\n\n" + two}])[0]
    ids[bridge["url"]] = bridge["id"]
    assert set(_story_of(client, ids).values()) == {story_one}
    merged = client.get(f"/api/v1/stories/{story_two}").get_json()["story"]
    assert merged["id"] == story_one and merged["requested_id"] == story_two and merged["merged_into"] == story_one
    assert merged["size"] == 5

    # The bridge's text changes: the two groups part; the one with the lowest article id keeps the id.
    _post(client, [{"url": "https://five.example/e", "text": own["e"] + "\n\n" + own["f"]}])
    after = _story_of(client, ids)
    assert after["https://one.example/a"] == after["https://two.example/b"] == story_one
    assert after["https://five.example/e"] is None
    new = after["https://three.example/c"]
    assert new == after["https://four.example/d"] and new not in (story_one, story_two, None)
    split = client.get(f"/api/v1/stories/{new}").get_json()["story"]
    assert split["split_from"] == story_one
    assert split["origin"]["url"] == "https://three.example/c"
    # Dates a day apart without times are not too close to call; same-day date-only ones would be.
    assert split["origin_uncertain"] is False


def test_an_article_that_loses_its_links_leaves_and_the_story_dissolves(client):
    one, _, own = _pieces()
    made = _post(
        client,
        [
            {"url": "https://one.example/x", "text": one + "\n\n" + own["a"]},
            {"url": "https://two.example/y", "text": one + "\n\n" + own["b"]},
        ],
    )
    story = _story_of(client, {"x": made[0]["id"]})["x"]
    assert story is not None
    _post(client, [{"url": "https://two.example/y", "text": own["g"]}])
    assert _story_of(client, {"x": made[0]["id"], "y": made[1]["id"]}) == {"x": None, "y": None}
    assert_error(client.get(f"/api/v1/stories/{story}"), 404, "dissolved")
    assert_error(client.get("/api/v1/stories/999999"), 404)


def test_story_list_filters_formats_and_pages(demo_client):
    body = demo_client.get("/api/v1/stories?limit=2").get_json()
    assert len(body["stories"]) == 2 and body["next_cursor"]
    rest = demo_client.get(f"/api/v1/stories?limit=100&cursor={body['next_cursor']}").get_json()
    ids = [s["id"] for s in body["stories"] + rest["stories"]]
    assert ids == sorted(set(ids)) and len(ids) >= 6
    northline = demo_client.get("/api/v1/stories?outlet=northlinewire.example").get_json()["stories"]
    assert northline and all("northlinewire.example" in s["outlets"] for s in northline)
    assert demo_client.get("/api/v1/stories?min_size=50").get_json()["stories"] == []
    march = demo_client.get("/api/v1/stories?since=2026-03-16&until=2026-03-18").get_json()["stories"]
    assert {s["origin"]["outlet"] for s in march} == {"northlinewire.example"}
    csv_answer = demo_client.get("/api/v1/stories?format=csv&limit=2")
    assert csv_answer.mimetype == "text/csv" and csv_answer.headers["X-Next-Cursor"]
    assert csv_answer.get_data(as_text=True).splitlines()[0].startswith("id,size,origin.id")
    lines = demo_client.get("/api/v1/stories?format=ndjson").get_data(as_text=True).splitlines()
    assert len(lines) == len(ids) and json.loads(lines[0])["id"] == ids[0]
    assert_error(demo_client.get("/api/v1/stories?min_size=0"), 400, "min_size")
    assert_error(demo_client.get("/api/v1/stories?cursor=nonsense"), 400, "cursor")


def test_network_edges_point_from_the_first_publisher(demo_client):
    edges = demo_client.get("/api/v1/network?limit=1000").get_json()["edges"]
    assert edges
    sources = {edge["source"] for edge in edges}
    assert {"meridianpress.example", "northlinewire.example"} <= sources
    assert all(edge["target"] not in ("meridianpress.example",) or edge["source"] != edge["target"] for edge in edges)
    assert not any(e["source"] == "harbourtimes.example" and e["target"] == "meridianpress.example" for e in edges)
    page = demo_client.get("/api/v1/network?limit=3").get_json()
    following = demo_client.get(f"/api/v1/network?limit=1000&cursor={page['next_cursor']}").get_json()["edges"]
    assert page["edges"] + following == edges
    heavy = demo_client.get("/api/v1/network?min_articles=3").get_json()["edges"]
    assert heavy and all(edge["articles"] >= 3 for edge in heavy)
    from server.db import database
    from server.stories import outlet_copying

    with demo_client.application.app_context(), database.connection_context():
        copying = outlet_copying("harbourtimes.example")
        source = outlet_copying("meridianpress.example")
    assert copying["copied"] >= 2 and copying["copied_from"][0]["outlet"] in ("meridianpress.example",
                                                                              "northlinewire.example")
    assert {row["outlet"] for row in source["republished_by"]} >= {"harbourtimes.example"}


@pytest.fixture
def demo_db(tmp_path):
    path = str(tmp_path / "demo.db")
    result = CliRunner().invoke(main, ["ingest", str(DEMO_CORPUS), "--db", path, "--quiet"])
    assert result.exit_code == 0, result.output
    assert "linked 43 articles" in result.output
    return path


def _export(db: str, kind: str, fmt: str, out: Path) -> Path:
    result = CliRunner().invoke(main, ["export", kind, "--db", db, "--format", fmt, "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_exports_load_in_pandas_and_networkx(demo_db, tmp_path):
    import networkx as nx
    import pandas as pd

    stories = pd.read_csv(_export(demo_db, "stories", "csv", tmp_path / "s.csv"))
    assert len(stories) >= 6 and {"id", "size", "origin.url", "origin_uncertain"} <= set(stories.columns)
    lines = pd.read_json(_export(demo_db, "articles", "ndjson", tmp_path / "a.ndjson"), lines=True)
    assert len(lines) == 43 and lines["is_origin"].sum() >= 6
    parquet = pd.read_parquet(_export(demo_db, "network", "parquet", tmp_path / "n.parquet"))
    assert list(parquet.columns) == ["source", "target", "articles", "words"] and parquet["articles"].min() >= 1
    graph = nx.read_graphml(_export(demo_db, "network", "graphml", tmp_path / "n.graphml"))
    assert graph.is_directed() and graph.number_of_edges() == len(parquet)
    edge = graph.edges["meridianpress.example", "harbourtimes.example"]
    assert isinstance(edge["articles"], int) and isinstance(edge["words"], int)
    gexf = nx.read_gexf(_export(demo_db, "network", "gexf", tmp_path / "n.gexf"))
    assert gexf.number_of_edges() == graph.number_of_edges()
    articles = nx.read_gexf(_export(demo_db, "articles", "gexf", tmp_path / "a.gexf"))
    assert articles.number_of_nodes() == 43 and articles.number_of_edges() > 40
    articles_graphml = nx.read_graphml(_export(demo_db, "articles", "graphml", tmp_path / "a.graphml"))
    assert articles_graphml.nodes["1"]["outlet"] == "meridianpress.example"


def test_export_refuses_what_it_cannot_do(demo_db, tmp_path):
    runner = CliRunner()
    graph = runner.invoke(main, ["export", "stories", "--db", demo_db, "--format", "graphml"])
    assert graph.exit_code != 0 and "network" in graph.output
    binary = runner.invoke(main, ["export", "stories", "--db", demo_db, "--format", "parquet"])
    assert binary.exit_code != 0 and "--out" in binary.output
    date = runner.invoke(main, ["export", "network", "--db", demo_db, "--since", "yesterday"])
    assert date.exit_code != 0 and "ISO 8601" in date.output
    missing = runner.invoke(main, ["export", "network", "--db", str(tmp_path / "none.db")])
    assert missing.exit_code != 0


def test_no_link_then_link_command(tmp_path):
    path = str(tmp_path / "bulk.db")
    runner = CliRunner()
    loaded = runner.invoke(main, ["ingest", str(DEMO_CORPUS), "--db", path, "--quiet", "--no-link"])
    assert loaded.exit_code == 0 and "linked" not in loaded.output
    stories = runner.invoke(main, ["export", "stories", "--db", path, "--format", "ndjson"])
    assert stories.output.strip().splitlines()[-1].startswith("exported 0")
    linked = runner.invoke(main, ["link", "--db", path, "--quiet"])
    assert linked.exit_code == 0 and "linked 43 articles" in linked.output
    again = runner.invoke(main, ["link", "--db", path, "--quiet"])
    assert "linked 0 articles" in again.output
    out = io.BytesIO()
    from server import create_app
    from server.db import database
    from server.export import export

    app = create_app({"DATABASE": path})
    with app.app_context(), database.connection_context():
        assert export("stories", "ndjson", out) >= 6


def _groups(path: str) -> tuple[set[frozenset[int]], set[frozenset[int]]]:
    """(story groups, connected groups of the link graph) read straight from the file."""
    import sqlite3

    with sqlite3.connect(path) as connection:
        stories: dict[int, set[int]] = {}
        for article_id, story_id in connection.execute("SELECT article_id, story_id FROM article_story"):
            stories.setdefault(story_id, set()).add(article_id)
        links = connection.execute("SELECT article_a, article_b FROM reuse_link").fetchall()
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    for a, b in links:
        parent[find(a)] = find(b)
    components: dict[int, set[int]] = {}
    for node in list(parent):
        components.setdefault(find(node), set()).add(node)
    return {frozenset(g) for g in stories.values()}, {frozenset(g) for g in components.values()}


def test_linking_in_parallel_processes_gives_the_same_stories(tmp_path):
    runner = CliRunner()
    groups = []
    for workers in (1, 2):
        path = str(tmp_path / f"w{workers}.db")
        assert runner.invoke(main, ["ingest", str(DEMO_CORPUS), "--db", path, "--quiet", "--no-link"]).exit_code == 0
        result = runner.invoke(main, ["link", "--db", path, "--quiet", "--workers", str(workers)])
        assert result.exit_code == 0 and "linked 43 articles" in result.output, result.output
        stories, components = _groups(path)
        # Every story is exactly one connected group of links, and every group is a story.
        assert stories == components
        groups.append(stories)
    assert groups[0] == groups[1] and len(groups[0]) >= 6


def test_each_copy_has_one_source_its_likeliest(client):
    """A late copy is linked to the origin and to every copy before it; only its likeliest source counts.

    The first copy carries the origin word for word: it ties with the origin for any later copy, and
    the tie goes to the earlier. The late copy carries a sentence only the trimmer added, so it shares
    most with the trimmer's copy.
    """
    base = article_text("likeliest-source", words=400)
    paragraphs = base.split("\n\n")
    extra = "Officials at the harbour added a sentence of their own that only this trimmed copy carries today."
    trimmed = "\n\n".join(paragraphs[:-1] + [extra])
    _post(
        client,
        [
            {"url": "https://origin.example/a", "text": base, "published_at": "2026-05-01T08:00:00Z"},
            {"url": "https://first.example/a", "text": base, "published_at": "2026-05-01T09:00:00Z"},
            {"url": "https://trimmer.example/a", "text": trimmed, "published_at": "2026-05-01T10:00:00Z"},
            {"url": "https://late.example/a", "text": trimmed, "published_at": "2026-05-01T12:00:00Z"},
        ],
    )
    edges = {(e["source"], e["target"]): e["articles"] for e in client.get("/api/v1/network").get_json()["edges"]}
    assert edges == {
        ("origin.example", "first.example"): 1,
        ("origin.example", "trimmer.example"): 1,
        ("trimmer.example", "late.example"): 1,
    }


def test_a_corrected_date_moves_the_story_origin_in_match_answers(client):
    """Match answers read the origin linking recorded; a corrected date must still move it."""
    base = article_text("corrected-date", words=400)
    first = {"url": "https://early.example/a", "text": base, "published_at": "2026-06-01T08:00:00Z"}
    second = {"url": "https://late.example/a", "text": base, "published_at": "2026-06-01T12:00:00Z"}
    _post(client, [first, second])
    query = {"text": base}
    assert client.post("/api/v1/match", json=query).get_json()["story"]["origin"]["url"] == first["url"]
    # The first date was wrong: the same text, now dated a day later.
    [result] = _post(client, [{**first, "published_at": "2026-06-02T08:00:00Z"}])
    assert result["status"] == "unchanged"
    story = client.post("/api/v1/match", json=query).get_json()["story"]
    assert story["origin"]["url"] == second["url"] and story["size"] == 2
