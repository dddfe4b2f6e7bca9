"""Tables for reuse links and stories (see server/linking.py and server/stories.py).

New tables only: ``create_tables(safe=True)`` adds them to a database made
by an earlier version when it is opened, and nothing stored before changes.
"""

from __future__ import annotations

from peewee import CharField, CompositeKey, FloatField, ForeignKeyField, IntegerField, TextField

from .db import Article, BaseModel, utc_now

__all__ = ["ReuseLink", "LinkState", "Story", "ArticleStory", "STORY_MODELS"]


class ReuseLink(BaseModel):
    """A verified match between two stored articles, lower id first.

    Who copied whom is not stored: it is read from the articles' dates, which
    can be corrected after the link was made.
    """

    article_a = ForeignKeyField(Article, on_delete="CASCADE", column_name="article_a")
    article_b = ForeignKeyField(Article, on_delete="CASCADE", column_name="article_b", index=True)
    similarity = FloatField()
    containment_a = FloatField()  # share of article_a's text in the shared passages
    containment_b = FloatField()
    shared_tokens = IntegerField()  # words in shared passages, boilerplate excluded
    relation = CharField()  # as the match API spells it, from article_a's side
    computed_at = CharField(default=utc_now)

    class Meta:
        table_name = "reuse_link"
        primary_key = CompositeKey("article_a", "article_b")


class LinkState(BaseModel):
    """An article's links are current for the text whose hash is recorded here."""

    article = ForeignKeyField(Article, primary_key=True, on_delete="CASCADE")
    content_hash = CharField()
    linked_at = CharField(default=utc_now)
    credited = TextField(default="[]")  # JSON list: whom the text credits (fingerprints.attribution)
    # The article's date when it was linked: a corrected date can move its story's origin.
    published_at = CharField(null=True)

    class Meta:
        table_name = "link_state"


class Story(BaseModel):
    created_at = CharField(default=utc_now)
    updated_at = CharField(default=utc_now)
    # Set when the story merged into an older one: the id then answers for the survivor.
    merged_into = IntegerField(null=True)
    # Set on a story made when an older story split: the older story's id.
    split_from = IntegerField(null=True)
    # The likely origin, found whenever linking changes the story (server.stories.record_origins),
    # so that answering a match does not weigh hundreds of members again.
    origin_id = IntegerField(null=True)
    origin_uncertain = IntegerField(null=True)  # 0 or 1


class ArticleStory(BaseModel):
    article = ForeignKeyField(Article, primary_key=True, on_delete="CASCADE")
    story = ForeignKeyField(Story, on_delete="CASCADE", index=True)
    joined_at = CharField(default=utc_now)

    class Meta:
        table_name = "article_story"


STORY_MODELS = [ReuseLink, LinkState, Story, ArticleStory]
