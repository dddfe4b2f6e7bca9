"""Response models for stories, the network, and the keys stories add to match responses.

Kept apart from server/schemas.py (which re-exports them) so the story API
can grow without touching the core contract's module.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .schemas import ArticleSummary, _Response

__all__ = [
    "Attribution",
    "StoryOrigin",
    "MatchStory",
    "StoryListItem",
    "StoriesResponse",
    "StoryResponse",
    "NetworkEdge",
    "NetworkResponse",
    "STORY_RESPONSE_MODELS",
]


class Attribution(_Response):
    status: Literal["origin", "credited", "uncredited", "unknown"] = Field(
        description="origin: the story's likely origin; credited: names an agency, an outlet of its story or a "
        "source on a credit line; uncredited: names none; unknown: the article is in no story."
    )
    credited: list[str] = Field(description="Whom the article credits: agencies, outlets, names on credit lines.")


class StoryOrigin(_Response):
    id: int
    url: str
    outlet: str
    published_at: str | None


class MatchStory(_Response):
    """The story the query's text belongs to: its best match's story."""

    id: int
    size: int
    origin: StoryOrigin
    origin_uncertain: bool = Field(description="True when dates are missing or too close to call.")


class StoryListItem(_Response):
    id: int
    size: int
    origin: StoryOrigin
    origin_uncertain: bool
    outlets: list[str]
    first_published_at: str | None
    last_published_at: str | None
    created_at: str
    updated_at: str
    articles: list[int]


class StoriesResponse(_Response):
    ok: Literal[True]
    stories: list[StoryListItem]
    next_cursor: str | None


class StoryMember(ArticleSummary):
    first_seen_at: str


class TimelineItem(StoryMember):
    dated: bool
    is_origin: bool


class StoryCopy(_Response):
    article: StoryMember
    share_of_origin: float | None = Field(description="Share of the origin's text the copy carries (0-1).")
    share_of_copy: float | None
    similarity: float | None
    relation: str | None
    changes: dict = Field(description="summary, headline, lede, paragraphs (cut, added) and sentences_edited.")
    attribution: dict
    passages: list[dict] = Field(description="Shared passages: copy_start, copy_end, origin_start, origin_end.")


class StoryDetail(_Response):
    id: int = Field(description="The surviving story's id.")
    requested_id: int
    merged_into: int | None = Field(description="Set when the requested story merged into this one.")
    split_from: int | None
    created_at: str
    updated_at: str
    size: int
    outlets: list[str]
    first_published_at: str | None
    last_published_at: str | None
    origin: StoryMember
    origin_uncertain: bool
    origin_reason: str | None
    timeline: list[TimelineItem]
    copies: list[StoryCopy]


class StoryResponse(_Response):
    ok: Literal[True]
    story: StoryDetail


class NetworkEdge(_Response):
    source: str = Field(description="The outlet that published first.")
    target: str = Field(description="The outlet that carried its text later.")
    articles: int
    words: int


class NetworkResponse(_Response):
    ok: Literal[True]
    edges: list[NetworkEdge]
    next_cursor: str | None


STORY_RESPONSE_MODELS = (StoriesResponse, StoryResponse, NetworkResponse)
