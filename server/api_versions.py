"""``GET /api/v1/articles/<id>/versions``: an article's earlier texts (see server.versions)."""

from __future__ import annotations

from .access import require
from .api import _article, api
from .errors import ApiError
from .listing import list_response, parse_list_query
from .versions import list_versions

__all__ = ["get_article_versions"]


@api.get("/articles/<int:article_id>/versions")
def get_article_versions(article_id: int):
    require("read")
    article = _article(article_id)
    query = parse_list_query()
    before = None
    if query.cursor is not None:
        if len(query.cursor) != 1 or type(query.cursor[0]) is not int:
            raise ApiError(400, "'cursor' is not a cursor this server gave out")
        before = query.cursor[0]
    rows, more = list_versions(article.id, limit=query.limit, before_id=before, since=query.since, until=query.until)
    return list_response(
        "versions",
        rows,
        query,
        [rows[-1]["id"]] if more else None,
        extra={"article": {"id": article.id, "url": article.url}},
    )
