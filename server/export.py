"""Exports for analysis: stories, articles and the copying network as CSV, NDJSON, Parquet, GraphML or GEXF.

The tables are the API's list rows (the same functions build them), so an
export and a page of ``GET /api/v1/stories`` agree. Graphs are written with
networkx using only attribute types GraphML and GEXF readers (Gephi
included) understand: strings, integers, floats and booleans; a missing
value is left out and a list is joined with "; ".
"""

from __future__ import annotations

from .listing import csv_text, ndjson_text
from .stories import article_rows, links_rows, network_edges, story_rows

__all__ = ["KINDS", "FORMATS", "export"]

KINDS = ("stories", "articles", "network")
FORMATS = ("csv", "ndjson", "parquet", "graphml", "gexf")


def _all_stories(since, until) -> list[dict]:
    rows, after = [], None
    while True:
        page = story_rows(after_id=after, limit=1000, since=since, until=until)
        rows += page
        if len(page) < 1000:
            return rows
        after = page[-1]["id"]


def _rows(kind: str, since, until) -> list[dict]:
    if kind == "stories":
        return _all_stories(since, until)
    if kind == "articles":
        return article_rows(since, until)
    return network_edges(since=since, until=until)


def _flat(row: dict) -> dict:
    flat = {}
    for key, value in row.items():
        if isinstance(value, dict):
            flat.update({f"{key}.{inner}": item for inner, item in _flat(value).items()})
        else:
            flat[key] = value
    return flat


def _graph_value(value):
    if value is None:
        return ""
    if isinstance(value, list):
        return "; ".join(str(item) for item in value)
    return value


def _graph(kind: str, rows: list[dict]):
    import networkx as nx

    if kind == "network":
        graph = nx.DiGraph()
        for row in rows:
            for outlet in (row["source"], row["target"]):
                graph.add_node(outlet, label=outlet)
            graph.add_edge(
                row["source"],
                row["target"],
                articles=row["articles"],
                words=row["words"],
                weight=float(row["articles"]),
            )
        return graph
    if kind == "articles":
        graph = nx.Graph()
        wanted = {row["id"] for row in rows}
        for row in rows:
            # A missing value is left out (not ""): readers type an attribute by its declared type.
            attributes = {key: _graph_value(value) for key, value in row.items() if key != "id" and value is not None}
            graph.add_node(str(row["id"]), label=row["title"] or row["url"], **attributes)
        for a, b, similarity, containment_a, containment_b, words, relation in links_rows():
            if a in wanted and b in wanted:
                graph.add_edge(
                    str(a),
                    str(b),
                    similarity=similarity,
                    containment_a=containment_a,
                    containment_b=containment_b,
                    words=words,
                    relation=relation,
                )
        return graph
    raise ValueError("graph formats are for 'network' and 'articles'; export stories as csv, ndjson or parquet")


def export(kind: str, fmt: str, out, *, since: str | None = None, until: str | None = None) -> int:
    """Write ``kind`` in ``fmt`` to the binary file ``out``; returns how many rows (or edges) were written."""
    if kind not in KINDS or fmt not in FORMATS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)} and format one of {', '.join(FORMATS)}")
    rows = _rows(kind, since, until)
    if fmt in ("graphml", "gexf"):
        import networkx as nx

        graph = _graph(kind, rows)
        (nx.write_graphml if fmt == "graphml" else nx.write_gexf)(graph, out)
        return graph.number_of_edges()
    if fmt == "csv":
        out.write(csv_text(rows).encode("utf-8"))
    elif fmt == "ndjson":
        out.write(ndjson_text(rows).encode("utf-8"))
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pylist([_flat(row) for row in rows]) if rows else pa.table({})
        pq.write_table(table, out)
    return len(rows)
