"""Pages researchers can read: outlets, one outlet, search, and the API reference.

Server-rendered (Jinja, autoescaped), plain CSS, no scripts. Each view calls
the same functions as the API, so a page shows what the API answers. The
pages follow the API's read access: when reads need a key, so do they.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

from flask import Blueprint, current_app, render_template, request
from markupsafe import Markup, escape

from .access import require
from .errors import ApiError
from .listing import ListQuery, decode_cursor, encode_cursor, parse_list_query
from .openapi import _app_routes, build_document
from .outlets import KNOWN_LABELS, get_outlet, list_outlets, outlet_detail, outlet_summaries
from .search import check_search_query, search_articles

__all__ = ["research", "highlighted", "api_reference", "models", "inline_code", "when"]

research = Blueprint("research", __name__)

PAGE = 50


def highlighted(snippet: str, ranges: list[list[int]]) -> list[tuple[str, bool]]:
    """A snippet cut into (text, is_hit) pieces; the template escapes each and marks the hits."""
    pieces, position = [], 0
    for start, end in ranges:
        if start > position:
            pieces.append((snippet[position:start], False))
        pieces.append((snippet[start:end], True))
        position = end
    if position < len(snippet):
        pieces.append((snippet[position:], False))
    return pieces


def _next_url(cursor: str | None) -> str | None:
    """This page's address with ``cursor`` set: the link to the next page."""
    if cursor is None:
        return None
    arguments = request.args.to_dict()
    arguments["cursor"] = cursor
    return "?" + urlencode(arguments)


@research.get("/outlets")
def outlets_page():
    require("read")
    args = request.args
    after = None
    if args.get("cursor"):
        key = decode_cursor(args["cursor"])
        after = key[0] if len(key) == 1 and isinstance(key[0], str) else None
    filters = {name: args.get(name, "").strip() for name in ("q", "label", "country", "language")}
    outlets, more = list_outlets(
        label=filters["label"] or None,
        country=filters["country"] or None,
        language=filters["language"] or None,
        prefix=filters["q"] or None,
        after=after,
        limit=PAGE,
    )
    return render_template(
        "research/outlets.html",
        outlets=outlet_summaries(outlets),
        filters=filters,
        labels=KNOWN_LABELS,
        next_url=_next_url(encode_cursor([outlets[-1].name]) if more else None),
    )


@research.get("/outlets/<path:name>")
def outlet_page(name: str):
    require("read")
    try:
        outlet = get_outlet(name)
    except ApiError as error:
        return render_template("research/error.html", title="No such outlet", message=error.message), 404
    return render_template("research/outlet.html", outlet=outlet_detail(outlet), country_name=_country_name)


def _country_name(code: str | None) -> str | None:
    import pycountry

    country = pycountry.countries.get(alpha_2=code) if code else None
    return country.name if country else None


@research.get("/search")
def search_page():
    require("read")
    args = request.args
    form = {name: args.get(name, "").strip() for name in ("q", "outlet", "since", "until")}
    results, next_url, error, status = [], None, None, 200
    if form["q"]:
        try:
            query: ListQuery = parse_list_query(default_limit=20)
            rows, next_key = search_articles(check_search_query(form["q"]), form["outlet"] or None, query)
        except ApiError as failure:
            error, status = failure.message, failure.status
        else:
            results = [{**row, "pieces": highlighted(row["snippet"], row["snippet_highlights"])} for row in rows]
            next_url = _next_url(encode_cursor(next_key) if next_key is not None else None)
    return render_template("research/search.html", form=form, results=results, next_url=next_url, error=error), status


def _resolve(document: dict, schema: dict | None) -> tuple[str | None, dict]:
    """(component name, schema) for a schema that may be a $ref."""
    if not schema:
        return None, {}
    reference = schema.get("$ref")
    if reference:
        name = reference.rsplit("/", 1)[-1]
        return name, document["components"]["schemas"].get(name, {})
    return None, schema


def _type_of(schema: dict) -> str:
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    for combiner in ("anyOf", "oneOf"):
        if combiner in schema:
            return " | ".join(_type_of(option) for option in schema[combiner])
    kind = schema.get("type", "any")
    if kind == "array":
        return f"array of {_type_of(schema.get('items', {}))}"
    if "enum" in schema:
        return " | ".join(json.dumps(value) for value in schema["enum"])
    if "const" in schema:
        return json.dumps(schema["const"])
    return str(kind)


def _reference(schema: dict) -> str | None:
    """The first component a schema refers to (directly, in a list, or among alternatives)."""
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    for inner in (schema.get("items"), *schema.get("anyOf", ()), *schema.get("oneOf", ())):
        if isinstance(inner, dict) and (found := _reference(inner)):
            return found
    return None


def _fields(schema: dict) -> list[dict]:
    required = set(schema.get("required", ()))
    return [
        {
            "name": name,
            "type": _type_of(spec),
            "ref": _reference(spec),
            "required": name in required,
            "description": spec.get("description", ""),
        }
        for name, spec in schema.get("properties", {}).items()
    ]


def inline_code(text: str) -> Markup:
    """Text with `backticked` parts as <code>, everything escaped (OpenAPI descriptions use Markdown's backticks)."""
    pieces = str(text).split("`")
    if len(pieces) % 2 == 0:  # an unpaired backtick: show the text as it is
        return escape(text)
    return Markup("").join(
        Markup("<code>{}</code>").format(piece) if index % 2 else escape(piece) for index, piece in enumerate(pieces)
    )


def when(value: str | None) -> str:
    """A stored timestamp as people read it: 2026-03-09 08:00 UTC (dates stay dates)."""
    if not value:
        return ""
    if len(value) == 20 and value.endswith("Z") and "T" in value:
        return f"{value[:10]} {value[11:16]} UTC"
    return value


def models(document: dict) -> list[dict]:
    """The document's component schemas with their fields, for the reference's last part."""
    return [
        {"name": name, "description": schema.get("description", ""), "fields": _fields(schema)}
        for name, schema in sorted(document["components"]["schemas"].items())
    ]


def api_reference(document: dict) -> list[dict]:
    """Every operation of an OpenAPI document, flattened for the reference page."""
    operations = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            body_name, body = None, {}
            content = operation.get("requestBody", {}).get("content", {}).get("application/json")
            bodies = []
            if content:
                schema = content["schema"]
                for option in schema.get("anyOf", [schema]):
                    body_name, body = _resolve(document, option)
                    bodies.append({"name": body_name, "fields": _fields(body)})
            responses = []
            for status, response in operation["responses"].items():
                if "$ref" in response:
                    response = document["components"]["responses"][response["$ref"].rsplit("/", 1)[-1]]
                kinds = list(response.get("content", {}))
                name, schema = _resolve(document, response.get("content", {}).get("application/json", {}).get("schema"))
                responses.append(
                    {
                        "status": status,
                        "description": response.get("description", ""),
                        "schema": name,
                        "content_types": kinds,
                        "fields": _fields(schema) if status.startswith("2") else [],
                    }
                )
            operations.append(
                {
                    "id": operation["operationId"],
                    "method": method.upper(),
                    "path": path,
                    "summary": operation.get("summary", ""),
                    "description": operation.get("description", ""),
                    "parameters": [
                        {
                            "name": parameter["name"],
                            "in": parameter["in"],
                            "required": parameter.get("required", False),
                            "type": _type_of(parameter["schema"]),
                            "default": parameter["schema"].get("default"),
                            "description": parameter["schema"].get("description", ""),
                        }
                        for parameter in operation.get("parameters", [])
                    ],
                    "bodies": bodies,
                    "responses": responses,
                }
            )
    return operations


@research.get("/api/docs")
def api_docs():
    app = current_app._get_current_object()
    document = build_document(_app_routes(app))
    return render_template(
        "research/api_docs.html", info=document["info"], operations=api_reference(document), models=models(document)
    )


@research.app_template_filter("inline_code")
def _inline_code_filter(text: str) -> Markup:
    return inline_code(text)


@research.app_template_filter("when")
def _when_filter(value: str | None) -> str:
    return when(value)
