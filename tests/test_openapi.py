"""The OpenAPI document: made from the validating schemas, covering every route, and true of the running app.

The property-based part drives the real app in-process (WSGI, a fresh SQLite
file) with schemathesis over every documented operation: no answer may be a
5xx, and every answer must have a documented status, content type and body.
"""

from __future__ import annotations

import re

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from server import create_app
from server.openapi import OPERATIONS, build_document
from tests.texts import UNRELATED_STORY, WIRE_STORY


def test_the_document_is_served_and_covers_every_api_route(client, app):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.is_json
    document = response.get_json()
    assert document["openapi"].startswith("3.1")
    documented = {(method.upper(), path) for path, item in document["paths"].items() for method in item}
    routes = {
        (method, re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule))
        for rule in app.url_map.iter_rules()
        # /api/docs is the HTML page rendered from this document, not an API route.
        if rule.rule.startswith("/api/v1/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert documented == routes


def test_the_bodies_are_the_validating_models():
    from server import schemas

    document = build_document()
    components = document["components"]["schemas"]
    assert components["ArticleBody"] == schemas.ArticleBody.model_json_schema(
        ref_template="#/components/schemas/{model}"
    )
    match = document["paths"]["/api/v1/match"]["post"]
    assert match["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/MatchBody"}
    assert components["MatchBody"]["properties"]["limit"]["maximum"] == 200


def test_every_operation_documents_its_errors_and_the_bearer_scheme():
    document = build_document()
    assert document["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": document["components"]["securitySchemes"]["bearerAuth"]["description"],
    }
    for operation in OPERATIONS:
        responses = document["paths"][operation.openapi_path][operation.method]["responses"]
        assert {"401", "429", "500"} <= set(responses), operation.path
        if operation.method == "post":
            assert {"400", "413", "415", "422"} <= set(responses), operation.path
        if operation.scope:
            assert "403" in responses
        if "{" in operation.openapi_path:
            assert "404" in responses
    error = document["components"]["schemas"]["ErrorBody"]
    assert error["required"] == ["ok", "error", "status"]


def test_documented_error_statuses_match_the_readme():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert "`GET /api/v1/openapi.json`" in readme
    document = build_document()
    for name in document["components"]["responses"]:
        assert f"| {name.removeprefix('Error')} |" in readme, name


@pytest.fixture
def api_schema(tmp_path):
    """The document as schemathesis loads it from a fresh app with two stored articles."""
    # A small text limit keeps generated bodies quick to fingerprint; a seeded
    # corpus lets article ids and matches be found, not only refused.
    app = create_app({"DATABASE": str(tmp_path / "wiretrace.db"), "MAX_TEXT_BYTES": 50_000})
    seeded = app.test_client().post(
        "/api/v1/articles",
        json={
            "articles": [
                {"url": "https://a.example/wire", "text": WIRE_STORY},
                {"url": "https://b.example/sport", "text": UNRELATED_STORY},
            ]
        },
    )
    assert seeded.status_code == 201
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


def test_an_id_beyond_64_bits_is_a_404(client):
    assert client.get(f"/api/v1/articles/{2**64}").status_code == 404


# schemathesis's own pytest integration (schema.parametrize) does not run
# under pytest 9, so each operation's strategy is driven by hypothesis here.
@pytest.mark.parametrize(("method", "path"), [(op.method.upper(), op.openapi_path) for op in OPERATIONS])
def test_every_answer_is_one_the_document_promises(api_schema, method, path):
    operation = api_schema[path][method]
    cases = st.one_of(operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE))

    @given(cases)
    @settings(
        max_examples=40,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def answers_as_documented(case):
        # Every check but one: a body that fits the schema may still be refused
        # for what no JSON Schema can say (a text with no words is 422, a
        # date that does not exist, a URL's port), so schema-valid data is not
        # promised a 2xx; it is promised a documented status and body.
        case.call_and_validate(excluded_checks=[positive_data_acceptance])

    answers_as_documented()
