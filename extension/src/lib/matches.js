// Turns the server's match records into the popup's plain shape, and the small judgements the popup
// makes on them (percentages, dates, who published first). Unknown keys are ignored, missing ones
// get harmless defaults: the API contract only grows.

export const RELATION_LABELS = Object.freeze({
  duplicate: "duplicate",
  contains: "contains",
  contained_in: "contained in",
  partial: "partial",
});

const asString = (value) => (typeof value === "string" ? value : "");
const asShare = (value) => (typeof value === "number" && Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : 0);
const isOffset = (value) => Number.isInteger(value) && value >= 0;
const asStrings = (value) => (Array.isArray(value) ? value.filter((item) => typeof item === "string" && item) : []);

// The server's finding on whether a copy credits where its text came from.
const ATTRIBUTION_STATUSES = new Set(["origin", "credited", "uncredited", "unknown"]);

function normalizeAttribution(raw) {
  if (!raw || typeof raw !== "object" || !ATTRIBUTION_STATUSES.has(raw.status)) return null;
  return { status: raw.status, credited: asStrings(raw.credited) };
}

// The story the page's text belongs to: {id, size, origin: {id, url, outlet, publishedAt}, uncertain}.
export function normalizeStory(raw) {
  if (!raw || typeof raw !== "object" || !Number.isInteger(raw.id)) return null;
  const origin = raw.origin && typeof raw.origin === "object" ? raw.origin : null;
  return {
    id: raw.id,
    size: Number.isInteger(raw.size) ? raw.size : null,
    origin: origin
      ? {
          id: origin.id ?? null,
          url: asString(origin.url),
          outlet: asString(origin.outlet),
          publishedAt: asString(origin.published_at) || null,
        }
      : null,
    uncertain: raw.origin_uncertain === true,
  };
}

// The stored article at the page's own URL, when the corpus already holds this page.
export function normalizeStoredArticle(raw) {
  if (!raw || typeof raw !== "object" || !Number.isInteger(raw.id)) return null;
  return { id: raw.id, url: asString(raw.url) };
}

// What a match's attribution tag says, or null when there is nothing to say.
export function attributionLabel(attribution) {
  if (!attribution) return null;
  if (attribution.status === "credited") {
    const names = attribution.credited.slice(0, 3).join(", ");
    return {
      kind: "credited",
      text: names ? `credits ${names}` : "credits its source",
      hint: "This article names where its text came from.",
    };
  }
  if (attribution.status === "uncredited") {
    return {
      kind: "uncredited",
      text: "no credit",
      hint: "This article carries the story's text without naming its source.",
    };
  }
  return null;
}

export function normalizeMatch(raw) {
  if (!raw || typeof raw !== "object") return null;
  const article = raw.article && typeof raw.article === "object" ? raw.article : {};
  const passages = Array.isArray(raw.passages) ? raw.passages : [];
  return {
    id: article.id ?? null,
    url: asString(article.url),
    outlet: asString(article.outlet),
    title: asString(article.title),
    publishedAt: asString(article.published_at) || null,
    similarity: asShare(raw.similarity),
    containmentQuery: asShare(raw.containment_query),
    containmentMatch: asShare(raw.containment_match),
    relation: asString(raw.relation),
    storyId: Number.isInteger(raw.story_id) ? raw.story_id : null,
    outletLabels: asStrings(article.outlet_labels),
    attribution: normalizeAttribution(raw.attribution),
    passages: passages
      .filter((p) => p && isOffset(p.query_start) && isOffset(p.query_end) && p.query_end > p.query_start)
      .map((p) => ({ queryStart: p.query_start, queryEnd: p.query_end })),
  };
}

// Relations are stated from this page's side: "contains" = this page contains the other article.
const RELATION_HINTS = Object.freeze({
  duplicate: "This page and this article carry the same text.",
  contains: "This page contains (nearly) all of this article's text.",
  contained_in: "(Nearly) all of this page's text is in this article.",
  partial: "This page and this article share some passages.",
});

export function relationLabel(relation) {
  return RELATION_LABELS[relation] || relation || "related";
}

export function relationHint(relation) {
  return RELATION_HINTS[relation] || "";
}

// 0.823 -> "82%"; a share that is not zero never shows as "0%".
export function formatPercent(share) {
  if (share > 0 && share < 0.005) return "<1%";
  return `${Math.round(share * 100)}%`;
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const HAS_ZONE = /(Z|[+-]\d{2}:?\d{2})$/i;

// Milliseconds since the epoch, or null. A date without a time zone is read as UTC.
export function parseDate(value) {
  if (typeof value !== "string" || !value.trim()) return null;
  let text = value.trim();
  if (DATE_ONLY.test(text)) text += "T00:00:00Z";
  else if (/^\d{4}-\d{2}-\d{2}[T ]\d/.test(text) && !HAS_ZONE.test(text)) text = text.replace(" ", "T") + "Z";
  const time = Date.parse(text);
  return Number.isNaN(time) ? null : time;
}

export function formatDate(value) {
  const time = parseDate(value);
  if (time === null) return value ? String(value) : "date unknown";
  const iso = new Date(time).toISOString();
  if (DATE_ONLY.test(value.trim())) return iso.slice(0, 10);
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

// The earliest-published among this page (when its date is known) and its matches.
// Returns {time, page: bool, matches: [indices]} or null when no date is known at all.
export function likelyOrigin(pagePublishedAt, matches) {
  const pageTime = parseDate(pagePublishedAt);
  const times = matches.map((m) => parseDate(m.publishedAt));
  const known = times.filter((t) => t !== null);
  if (pageTime !== null) known.push(pageTime);
  if (!known.length) return null;
  const earliest = Math.min(...known);
  return {
    time: earliest,
    page: pageTime === earliest,
    matches: times.flatMap((t, i) => (t === earliest ? [i] : [])),
  };
}

// Same article? Compares URLs without their fragment.
export function sameUrl(a, b) {
  try {
    const x = new URL(a);
    const y = new URL(b);
    x.hash = "";
    y.hash = "";
    return x.href === y.href;
  } catch {
    return false;
  }
}
