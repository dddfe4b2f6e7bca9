"""The demo corpus: fictional outlets republishing wire copy, written for wiretrace.

``wiretrace serve --demo`` loads it into an empty database, and the server
shows every demo article as a news page under ``/demo/`` so that a new user
can try the browser extension on them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from flask import Blueprint, abort, render_template

__all__ = ["demo", "demo_articles", "DEMO_CORPUS", "DEMO_EXPECTED"]

DEMO_DIR = Path(__file__).parent / "demo"
DEMO_CORPUS = DEMO_DIR / "corpus.jsonl"
DEMO_EXPECTED = DEMO_DIR / "expected.json"

demo = Blueprint("demo", __name__, url_prefix="/demo")


@dataclass(frozen=True)
class DemoArticle:
    id: int
    url: str
    outlet: str
    title: str
    published_at: str
    text: str

    @property
    def paragraphs(self) -> list[str]:
        return [paragraph.strip() for paragraph in self.text.split("\n\n") if paragraph.strip()]


@lru_cache(maxsize=1)
def demo_articles() -> tuple[DemoArticle, ...]:
    articles = []
    with DEMO_CORPUS.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if line.strip():
                record = json.loads(line)
                articles.append(
                    DemoArticle(
                        id=number,
                        **{key: record.get(key) for key in ("url", "outlet", "title", "published_at", "text")},
                    )
                )
    return tuple(articles)


@demo.get("/")
def index():
    return render_template("demo/index.html", articles=demo_articles())


@demo.get("/<int:number>")
def article(number: int):
    for item in demo_articles():
        if item.id == number:
            return render_template("demo/article.html", article=item, paragraphs=item.paragraphs)
    abort(404)
