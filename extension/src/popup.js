// The toolbar popup. Opening it is the reader's click: it asks the service worker to check the
// current tab and renders the answer. It never talks to the server itself.
import { ext } from "./lib/ext.js";
import { el, safeHref } from "./lib/dom.js";
import {
  attributionLabel,
  formatDate,
  formatPercent,
  likelyOrigin,
  relationHint,
  relationLabel,
  sameUrl,
} from "./lib/matches.js";

const $ = (id) => document.getElementById(id);

// Which marks are on the page: null, "all", or a match index.
let shown = null;
let tabId = null;

async function targetTabId() {
  // Test hook: a popup opened as an ordinary tab (Firefox can't click the toolbar headless) is its
  // own active tab, so the tab to check is passed as ?tabId=N.
  const forced = new URLSearchParams(location.search).get("tabId");
  if (forced !== null && /^\d+$/.test(forced)) return Number(forced);
  const [tab] = await ext.tabs.query({ active: true, currentWindow: true });
  return tab ? tab.id : null;
}

function setStatus(kind, text, detail) {
  const status = $("status");
  status.className = `status ${kind}`;
  status.dataset.state = kind;
  status.replaceChildren(text, detail ? el("span", { className: "detail", text: detail }) : "");
}

function render(result) {
  document.body.dataset.state = result.state;
  if (result.page && result.page.title) $("page-title").textContent = result.page.title;
  switch (result.state) {
    case "ok":
      return renderMatches(result);
    case "too-short":
      return setStatus(
        "warn",
        `Too little text to check: this page has ${result.page.words} word${result.page.words === 1 ? "" : "s"} of article text.`,
        `wiretrace needs at least ${result.minWords} words. Nothing was sent to the server.`,
      );
    default: // "error" (the server's or the network's) and "unreadable" (a page closed to extensions)
      return setStatus("error", result.message || "Something went wrong.");
  }
}

function renderMatches(result) {
  const { matches, page } = result;
  renderContribute(result);
  if (!matches.length) {
    setStatus("empty", "No matches: no other article in the wiretrace database carries this page's text.");
    return;
  }
  const n = matches.length;
  setStatus("ok", `${n} other article${n === 1 ? " carries" : "s carry"} text from this page.`);
  renderStory(result);

  // The server's story knows every copy, not only the matches listed here: its origin comes first.
  const storyOrigin = result.story && result.story.origin;
  const origin = storyOrigin ? originFromStory(result, storyOrigin) : likelyOrigin(page.publishedAt, matches);
  const originNote = $("origin");
  const date = (value) => el("span", { className: "nowrap", text: formatDate(value) });
  const uncertain = storyOrigin && result.story.uncertain ? " (uncertain: dates are missing or too close to call)" : "";
  originNote.hidden = false;
  if (storyOrigin && !origin.page && !origin.matches.length) {
    originNote.replaceChildren(
      `Likely origin: ${storyOrigin.outlet || "an unnamed outlet"}, published `,
      date(storyOrigin.publishedAt),
      `${uncertain}.`,
    );
  } else if (!origin) {
    originNote.replaceChildren("No publication dates are known, so wiretrace can't tell who published first.");
  } else if (origin.page) {
    originNote.replaceChildren(
      "This page was published first (",
      date(page.publishedAt),
      `): it is the likely origin${uncertain}.`,
    );
  } else {
    const first = matches[origin.matches[0]];
    originNote.replaceChildren(
      `Likely origin: ${first.outlet || "an unnamed outlet"}, published `,
      date(first.publishedAt),
      ...(page.publishedAt
        ? [", before this page (", date(page.publishedAt), `)${uncertain}.`]
        : [` (this page's own date is unknown)${uncertain}.`]),
    );
  }

  $("actions").hidden = false;
  $("show-all").addEventListener("click", () => toggle("all"));
  $("matches").replaceChildren(
    ...matches.map((m, i) => renderMatch(m, i, origin && !origin.page && origin.matches.includes(i))),
  );
}

// The story's origin in likelyOrigin's shape: this page, one of the listed matches, or neither.
function originFromStory(result, storyOrigin) {
  const isPage =
    (result.storedArticle && storyOrigin.id === result.storedArticle.id) || sameUrl(storyOrigin.url, result.page.url);
  return {
    page: Boolean(isPage),
    matches: isPage ? [] : result.matches.flatMap((m, i) => (m.id !== null && m.id === storyOrigin.id ? [i] : [])),
  };
}

function renderStory(result) {
  const href = result.story && result.storyUrl ? safeHref(result.storyUrl) : null;
  if (!href) return;
  const size = result.story.size;
  const link = $("story-link");
  link.href = href;
  link.textContent = size ? `See the whole story: ${size} articles, timeline and changes` : "See the whole story";
  $("story").hidden = false;
}

function renderContribute(result) {
  if (!result.canContribute) return;
  const box = $("contribute");
  box.hidden = false;
  $("contribute-button").addEventListener("click", async () => {
    const button = $("contribute-button");
    const note = $("contribute-note");
    button.disabled = true;
    note.textContent = "Adding…";
    const answer = await ext.runtime.sendMessage({ type: "contribute", tabId });
    if (answer && answer.ok) {
      note.textContent =
        answer.status === "unchanged"
          ? `The corpus already had this text (article ${answer.id}).`
          : `Added to the corpus as article ${answer.id}.`;
      button.hidden = true;
    } else {
      note.textContent = (answer && answer.error) || "Could not add this page.";
      button.disabled = false;
    }
  });
}

function renderMatch(m, index, isOrigin) {
  const href = safeHref(m.url);
  const title = m.title || m.url || "(untitled)";
  const credit = attributionLabel(m.attribution);
  return el(
    "li",
    { className: `match${isOrigin ? " is-origin" : ""}`, dataset: { index: String(index) } },
    el(
      "div",
      { className: "meta" },
      el("span", { className: "outlet", text: m.outlet || "unknown outlet" }),
      ...m.outletLabels.map((label) => el("span", { className: "tag outlet-label", text: label })),
      el("span", {
        className: `tag relation relation-${m.relation || "unknown"}`,
        title: relationHint(m.relation),
        text: relationLabel(m.relation),
      }),
      isOrigin ? el("span", { className: "tag origin-tag", text: "likely origin" }) : null,
      credit ? el("span", { className: `tag attribution attribution-${credit.kind}`, title: credit.hint, text: credit.text }) : null,
    ),
    href
      ? el("a", { className: "title", href, target: "_blank", rel: "noopener noreferrer", text: title })
      : el("span", { className: "title no-link", text: title }),
    el(
      "div",
      { className: "when" },
      el("span", { className: "date", text: `Published ${formatDate(m.publishedAt)}` }),
      el("button", {
        type: "button",
        className: "show show-match",
        "aria-pressed": "false",
        dataset: { index: String(index) },
        text: "Show on page",
        onclick: () => toggle(index),
      }),
    ),
    el(
      "div",
      { className: "bars" },
      ...bar("Of this page", m.containmentQuery, "query", "share of this page's text found in this article"),
      ...bar("Of theirs", m.containmentMatch, "match", "share of this article's text found on this page"),
    ),
  );
}

function bar(label, share, kind, explanation) {
  const fill = el("span", { className: "fill" });
  fill.style.width = `${Math.round(share * 1000) / 10}%`;
  const pct = formatPercent(share);
  return [
    el("span", { className: "bar-label", title: explanation, text: label }),
    el("span", { className: `track track-${kind}`, role: "img", "aria-label": `${pct} ${explanation}` }, fill),
    el("span", { className: `pct pct-${kind}`, text: pct }),
  ];
}

async function toggle(which) {
  const note = $("highlight-note");
  const clearing = shown === which;
  const answer = await ext.runtime.sendMessage(
    clearing ? { type: "clear", tabId } : { type: "highlight", tabId, which },
  );
  if (!answer || !answer.ok) {
    note.textContent = (answer && answer.error) || "Can't mark the page.";
    return;
  }
  shown = clearing ? null : which;
  if (clearing) note.textContent = "";
  else if (which === "all") note.textContent = "Copied passages are marked on the page.";
  else note.textContent = `${answer.passages} shared passage${answer.passages === 1 ? " is" : "s are"} marked on the page.`;
  for (const button of document.querySelectorAll("button.show")) {
    const key = button.id === "show-all" ? "all" : Number(button.dataset.index);
    const pressed = shown === key;
    button.setAttribute("aria-pressed", String(pressed));
    if (button.id === "show-all") button.textContent = pressed ? "Hide copied passages" : "Show copied passages";
    else button.textContent = pressed ? "Hide on page" : "Show on page";
  }
}

async function main() {
  $("open-options").addEventListener("click", () => ext.runtime.openOptionsPage());
  tabId = await targetTabId();
  if (tabId === null) {
    render({ state: "unreadable", message: "No tab to check." });
    return;
  }
  let result;
  try {
    result = await ext.runtime.sendMessage({ type: "check", tabId });
  } catch (error) {
    result = { state: "error", message: `wiretrace failed: ${error.message}` };
  }
  render(result || { state: "error", message: "wiretrace's background script did not answer." });
}

main();
