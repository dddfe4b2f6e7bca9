"""The story page researchers read: ``GET /stories/<id>`` (server-rendered HTML, no scripts).

A timeline drawn as inline SVG on the server, the copies with what each
changed and whom it credits, and origin and one copy side by side with the
shared passages highlighted and the changes marked.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, current_app, render_template, request
from markupsafe import Markup, escape

from fingerprints.origin import parse_moment

from .access import require
from .errors import ApiError
from .stories import story_detail

__all__ = ["pages", "marked_text", "timeline_svg"]

pages = Blueprint("stories_pages", __name__, template_folder="templates")


def marked_text(text: str, spans: list[tuple[int, int, str]]) -> Markup:
    """``text`` as HTML, each stretch wrapped in a span carrying the classes of the ``spans`` covering it."""
    cuts = {0, len(text)}
    for start, end, _ in spans:
        cuts.update((max(0, min(start, len(text))), max(0, min(end, len(text)))))
    points = sorted(cuts)
    parts = []
    for start, end in zip(points, points[1:], strict=False):
        classes = sorted({name for s, e, name in spans if s <= start and end <= e})
        piece = escape(text[start:end])
        parts.append(Markup(f'<span class="{" ".join(classes)}">{piece}</span>') if classes else piece)
    return Markup("").join(parts)


def timeline_svg(timeline: list[dict], width: int = 880) -> Markup:
    """Dated members on a time axis, one row each, the origin in its own colour; undated members listed apart."""
    dated = [(item, parse_moment(item["published_at"])) for item in timeline if item["published_at"]]
    dated = [(item, moment[0]) for item, moment in dated if moment]
    if not dated:
        return Markup("<p>No article in this story has a publication date.</p>")
    first = min(moment for _, moment in dated)
    last = max(moment for _, moment in dated)
    span = max((last - first).total_seconds(), 3600.0)
    left, right, row = 190, 30, 24
    height = 40 + row * len(dated)
    out = [
        f'<svg class="timeline" role="img" aria-label="Timeline of the story" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">'
    ]
    axis_y = height - 22
    out.append(f'<line x1="{left}" y1="{axis_y}" x2="{width - right}" y2="{axis_y}" class="axis"/>')
    for fraction in (0, 0.5, 1):
        x = left + fraction * (width - left - right)
        moment = first + timedelta(seconds=span * fraction)
        label = escape(moment.strftime("%Y-%m-%d %H:%M"))
        anchor = "start" if fraction == 0 else "end" if fraction == 1 else "middle"
        out.append(f'<text x="{x:.1f}" y="{height - 6}" text-anchor="{anchor}" class="tick">{label}</text>')
    for index, (item, moment) in enumerate(dated):
        y = 20 + index * row
        x = left + (moment - first).total_seconds() / span * (width - left - right)
        kind = "origin" if item["is_origin"] else "copy"
        out.append(f'<line x1="{left}" y1="{y}" x2="{x:.1f}" y2="{y}" class="guide"/>')
        out.append(
            f'<circle cx="{x:.1f}" cy="{y}" r="6" class="dot {kind}"><title>{escape(item["outlet"])} '
            f"{escape(item['published_at'])}</title></circle>"
        )
        out.append(
            f'<text x="{left - 10}" y="{y + 4}" text-anchor="end" class="label {kind}">{escape(item["outlet"])}</text>'
        )
    out.append("</svg>")
    return Markup("".join(out))


def _side_by_side(origin_text: str, copy_text: str, copy: dict) -> tuple[Markup, Markup]:
    changes = copy["changes"]
    origin_spans = [(p["origin_start"], p["origin_end"], "shared") for p in copy["passages"]]
    copy_spans = [(p["copy_start"], p["copy_end"], "shared") for p in copy["passages"]]
    origin_spans += [(p["origin_start"], p["origin_end"], "cut") for p in changes["paragraphs"]["cut"]]
    copy_spans += [(p["copy_start"], p["copy_end"], "added") for p in changes["paragraphs"]["added"]]
    for pair in changes["sentences_edited"]:
        origin_spans.append((pair["origin_start"], pair["origin_end"], "edited"))
        copy_spans.append((pair["copy_start"], pair["copy_end"], "edited"))
    return marked_text(origin_text, origin_spans), marked_text(copy_text, copy_spans)


@pages.get("/stories/<int:story_id>")
def story_page(story_id: int):
    from .db import Article

    # The page shows stored texts: it is a read like the API's, public unless WIRETRACE_READ_ACCESS=key.
    require("read")
    try:
        story = story_detail(story_id, current_app.extensions["wiretrace"])
    except ApiError as error:
        return render_template("stories/missing.html", message=error.message), error.status
    copies = story["copies"]
    wanted = request.args.get("copy", "")
    chosen = next((c for c in copies if wanted.isdigit() and c["article"]["id"] == int(wanted)), None)
    if chosen is None and copies:
        chosen = max(copies, key=lambda c: (c["share_of_origin"] or 0, -c["article"]["id"]))
    origin_html = copy_html = None
    if chosen is not None:
        texts = {
            a.id: a.text
            for a in Article.select().where(Article.id.in_([story["origin"]["id"], chosen["article"]["id"]]))
        }
        origin_html, copy_html = _side_by_side(texts[story["origin"]["id"]], texts[chosen["article"]["id"]], chosen)
    return render_template(
        "stories/story.html",
        story=story,
        chosen=chosen,
        timeline=timeline_svg(story["timeline"]),
        origin_html=origin_html,
        copy_html=copy_html,
    )
