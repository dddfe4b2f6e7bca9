"""Which member of a story published first, and how sure that is.

Pure logic on dates: the server passes each member's ``published_at`` (an
ISO 8601 date or UTC datetime, or None) and ``first_seen_at`` (when wiretrace
stored it). The origin is the earliest published member; a member without a
publication date is placed at the time wiretrace first saw it, which is
rarely early, so an undated member is the origin only when nothing is dated.

The finding is flagged uncertain, with a reason, when dates cannot decide it:
some member has no publication date, or the two earliest are too close to
call (less than :data:`TOLERANCE` apart, or on the same day when either has
a date without a time). Among the members too close to the earliest to
call, the caller may break the tie by content (``carried``: how much text
each one shares with the other members; every copy was made from the origin,
so the origin sits at the centre of its story); otherwise, or on equal scores, the
order is when wiretrace first saw the articles, then their ids.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

__all__ = ["Dated", "OriginFinding", "TOLERANCE", "find_origin", "timeline_key", "parse_moment"]

TOLERANCE = timedelta(hours=1)


@dataclass(frozen=True)
class Dated:
    id: int
    published_at: str | None
    first_seen_at: str | None


@dataclass(frozen=True)
class OriginFinding:
    id: int
    uncertain: bool
    reason: str | None
    timeline: list[int]  # member ids, earliest first

    def to_json(self) -> dict:
        return {"id": self.id, "uncertain": self.uncertain, "reason": self.reason}


def parse_moment(value: str | None) -> tuple[datetime, bool] | None:
    """``(moment, has_time)`` for an ISO 8601 date or datetime, or None when absent or unreadable."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    has_time = "T" in value or " " in value.strip()
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if not has_time:
        # A date alone says "some time that day": it sorts after every timed
        # article of the same day, which is the cautious reading for an origin.
        moment = moment + timedelta(hours=23, minutes=59, seconds=59)
    return moment.astimezone(UTC), has_time


_FAR_FUTURE = datetime(9999, 1, 1, tzinfo=UTC)


def timeline_key(member: Dated) -> tuple:
    """Sort key placing members in publication order (undated ones at their first-seen time)."""
    published = parse_moment(member.published_at)
    seen = parse_moment(member.first_seen_at)
    when = published[0] if published else (seen[0] if seen else _FAR_FUTURE)
    return (when, member.first_seen_at or "", member.id)


def _too_close(first: Dated, second: Dated) -> bool:
    a, b = parse_moment(first.published_at), parse_moment(second.published_at)
    if a is None or b is None:
        return False
    if not (a[1] and b[1]):
        return a[0].date() == b[0].date() or abs(a[0] - b[0]) < timedelta(days=1)
    return abs(a[0] - b[0]) < TOLERANCE


def find_origin(
    members: Iterable[Dated], carried: Callable[[list[int]], dict[int, float]] | None = None
) -> OriginFinding:
    ordered = sorted(members, key=timeline_key)
    if not ordered:
        raise ValueError("a story has at least one member")
    close = [m for m in ordered[1:] if _too_close(ordered[0], m)]
    if close and carried is not None:
        contenders = [ordered[0], *close]
        scores = carried([m.id for m in contenders])
        best = max(contenders, key=lambda m: (scores.get(m.id, 0.0), -contenders.index(m)))
        ordered.remove(best)
        ordered.insert(0, best)
    undated = [member for member in ordered if parse_moment(member.published_at) is None]
    reasons = []
    if undated:
        reasons.append(
            f"{len(undated)} of {len(ordered)} articles have no publication date"
            if len(undated) > 1
            else f"article {undated[0].id} has no publication date"
        )
    if close:
        reasons.append(f"articles {ordered[0].id} and {ordered[1].id} were published too close together to tell")
    return OriginFinding(
        id=ordered[0].id,
        uncertain=bool(reasons),
        reason="; ".join(reasons) or None,
        timeline=[member.id for member in ordered],
    )
