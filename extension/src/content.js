// Content script. The service worker injects it on demand with scripting.executeScript (after a
// click on the toolbar button, or on page load when the reader turned automatic checking on) and
// then calls one of the functions below. It never talks to the network.
//
// Why the text is built here and not taken from Readability's textContent: the server answers with
// character offsets into exactly the text we sent, and to highlight those passages we must know,
// for every character we send, which text node of the live page (and which offset in it) it came
// from. Readability works on a clone of the document and returns detached nodes, so its
// textContent cannot be mapped back. Instead we:
//   1. clone the document and pair every text node of the clone with its live twin (the clone has
//      the same structure, so a parallel walk pairs them), and number every element of the clone;
//   2. let Readability pick and clean the article in the clone, asking for its content as an
//      element (serializer: el => el) rather than as HTML;
//   3. walk that cleaned article; each of its text nodes is one of the clone's own nodes (Readability
//      moves nodes, it does not copy them) and so has a live twin. If Readability re-parsed the page
//      (it does when a first attempt found too little text) the twin is found again through the
//      numbered nearest ancestor;
//   4. build the text ourselves from the live twins' data, collapsing whitespace and separating
//      blocks with blank lines, and record for each UTF-16 unit its node and offsets.
// Text that cannot be paired is simply not sent, so every character sent has an exact place on the
// page. When Readability finds nothing, the same builder walks <main>, <article> or <body> directly.

// Only the Readability class itself (index.js would also pull in isProbablyReaderable).
import Readability from "@mozilla/readability/Readability.js";
import { countWords } from "./lib/text.js";

const MARK_CLASS = "wiretrace-mark";
const INDEX_ATTR = "data-wiretrace-index";
// Below this many words a Readability result is compared with the plain fallback.
const FALLBACK_WORDS = 40;

const BLOCK_TAGS = new Set([
  "ADDRESS", "ARTICLE", "ASIDE", "BLOCKQUOTE", "CAPTION", "DD", "DETAILS", "DIALOG", "DIV", "DL",
  "DT", "FIELDSET", "FIGCAPTION", "FIGURE", "FOOTER", "FORM", "H1", "H2", "H3", "H4", "H5", "H6",
  "HEADER", "HGROUP", "HR", "LI", "MAIN", "NAV", "OL", "P", "PRE", "SECTION", "SUMMARY", "TABLE",
  "TBODY", "TD", "TFOOT", "TH", "THEAD", "TR", "UL",
]);
const SKIP_TAGS = new Set([
  "SCRIPT", "STYLE", "NOSCRIPT", "TEMPLATE", "IFRAME", "OBJECT", "EMBED", "CANVAS", "SVG", "MATH",
  "SELECT", "TEXTAREA", "INPUT", "BUTTON",
]);
// Extra furniture skipped only by the plain fallback (Readability already drops it).
const FALLBACK_SKIP_TAGS = new Set(["NAV", "ASIDE", "FOOTER", "FORM", "DIALOG"]);
const WHITESPACE = /\s/;

// Walks `root` and builds the text to send plus, per UTF-16 unit, the live text node it came from
// and the [start, end) range in that node's data (a collapsed run of whitespace maps to the whole
// run). Separator characters between blocks map to no node.
function buildText(root, resolveTextNode, { fallback = false } = {}) {
  const units = [];
  const nodes = [];
  const starts = [];
  const ends = [];
  let pendingBreak = 0; // 0 none, 1 line break, 2 paragraph break
  let pendingSpace = null; // {node, start, end} of the whitespace run before the next character

  const push = (s, node, start, end) => {
    for (let i = 0; i < s.length; i++) {
      units.push(s[i]);
      nodes.push(node);
      starts.push(start);
      ends.push(end);
    }
  };
  const emit = (unit, node, offset) => {
    if (units.length) {
      if (pendingBreak) push(pendingBreak === 2 ? "\n\n" : "\n", null, 0, 0);
      else if (pendingSpace) push(" ", pendingSpace.node, pendingSpace.start, pendingSpace.end);
    }
    pendingBreak = 0;
    pendingSpace = null;
    push(unit, node, offset, offset + 1);
  };
  const breakHere = (level) => {
    pendingBreak = Math.max(pendingBreak, level);
  };

  const visit = (node) => {
    if (node.nodeType === Node.TEXT_NODE) {
      const live = resolveTextNode(node);
      if (!live) return;
      const data = live.data;
      for (let i = 0; i < data.length; i++) {
        if (WHITESPACE.test(data[i])) {
          if (!pendingSpace) pendingSpace = { node: live, start: i, end: i + 1 };
          else if (pendingSpace.node === live && pendingSpace.end === i) pendingSpace.end = i + 1;
        } else {
          emit(data[i], live, i);
        }
      }
      return;
    }
    if (node.nodeType !== Node.ELEMENT_NODE) return;
    const tag = node.tagName.toUpperCase();
    if (SKIP_TAGS.has(tag)) return;
    if (fallback && (FALLBACK_SKIP_TAGS.has(tag) || !isVisible(node))) return;
    if (tag === "BR") {
      breakHere(1);
      return;
    }
    const block = BLOCK_TAGS.has(tag);
    if (block) breakHere(2);
    for (let child = node.firstChild; child; child = child.nextSibling) visit(child);
    if (block) breakHere(2);
  };
  visit(root);
  return { text: units.join(""), nodes, starts, ends };
}

function isVisible(element) {
  if (typeof element.checkVisibility === "function") {
    return element.checkVisibility({ visibilityProperty: true });
  }
  const style = getComputedStyle(element);
  return style.display !== "none" && style.visibility !== "hidden";
}

// Runs Readability on a clone and returns the cleaned article element with a resolver from its
// text nodes to the live page's, or null when Readability finds no article.
function readabilityArticle() {
  const liveElements = Array.from(document.getElementsByTagName("*"));
  const clone = document.cloneNode(true);
  const cloneElements = clone.getElementsByTagName("*");
  const numbered = cloneElements.length === liveElements.length;
  if (numbered) {
    for (let i = 0; i < cloneElements.length; i++) cloneElements[i].setAttribute(INDEX_ATTR, String(i));
  }

  const twins = new Map();
  const liveWalker = document.createTreeWalker(document, NodeFilter.SHOW_TEXT);
  const cloneWalker = clone.createTreeWalker(clone, NodeFilter.SHOW_TEXT);
  for (;;) {
    const live = liveWalker.nextNode();
    const copy = cloneWalker.nextNode();
    if (!live || !copy) break;
    twins.set(copy, live);
  }

  let parsed;
  try {
    parsed = new Readability(clone, { serializer: (element) => element }).parse();
  } catch (error) {
    console.warn("wiretrace: Readability failed", error);
    return null;
  }
  if (!parsed || !parsed.content) return null;

  const used = new Set();
  const resolve = (copy) => {
    const live = twins.get(copy);
    if (live && live.isConnected && !used.has(live) && live.data === copy.data) {
      used.add(live);
      return live;
    }
    if (!numbered) return null;
    // A node Readability re-created (after re-parsing the page, or when it unwraps a javascript:
    // link): look for an unused live text node with the same data under the nearest numbered ancestor.
    for (let el = copy.parentElement; el; el = el.parentElement) {
      const index = el.getAttribute(INDEX_ATTR);
      if (index === null) continue;
      const liveAncestor = liveElements[Number(index)];
      if (!liveAncestor || !liveAncestor.isConnected) return null;
      const walker = document.createTreeWalker(liveAncestor, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        if (!used.has(node) && node.data === copy.data) {
          used.add(node);
          return node;
        }
      }
      return null;
    }
    return null;
  };
  return {
    root: parsed.content,
    resolve,
    title: parsed.title || "",
    publishedTime: parsed.publishedTime || null,
  };
}

function fallbackRoot() {
  return document.querySelector("main") || document.querySelector("article") || document.body;
}

function extractArticle() {
  clearMarks();
  const article = readabilityArticle();
  let built = article ? buildText(article.root, article.resolve) : null;
  let source = "readability";
  if (!built || countWords(built.text) < FALLBACK_WORDS) {
    const root = fallbackRoot();
    const plain = root ? buildText(root, (node) => node, { fallback: true }) : null;
    if (plain && (!built || countWords(plain.text) > countWords(built.text))) {
      built = plain;
      source = "page";
    }
  }
  return {
    built: built || { text: "", nodes: [], starts: [], ends: [] },
    source,
    title: (article && article.title) || document.title || "",
    publishedTime: (article && article.publishedTime) || null,
  };
}

// What the service worker sends to the server.
function extract() {
  const { built, source, title, publishedTime } = extractArticle();
  return { text: built.text, title, url: location.href, publishedTime, source };
}

// ranges: [{start, end, match, passage}] in UTF-16 units of `expectedText` (the text that was sent).
// The page is extracted again (marks removed first) and must give the same text, so the map is exact.
function highlight(expectedText, ranges) {
  const { built } = extractArticle();
  if (built.text !== expectedText) {
    return { ok: false, error: "The page changed since it was checked. Open wiretrace again to re-check it." };
  }
  const byNode = new Map();
  for (const range of ranges) {
    let current = null;
    const end = Math.min(range.end, built.nodes.length);
    for (let i = Math.max(0, range.start); i < end; i++) {
      const node = built.nodes[i];
      if (!node) {
        current = null;
        continue;
      }
      if (current && current.node === node && built.starts[i] >= current.start) {
        current.end = Math.max(current.end, built.ends[i]);
      } else {
        current = { node, start: built.starts[i], end: built.ends[i], match: range.match, passage: range.passage };
        if (!byNode.has(node)) byNode.set(node, []);
        byNode.get(node).push(current);
      }
    }
  }

  const marks = [];
  for (const [node, segments] of byNode) {
    segments.sort((a, b) => a.start - b.start);
    const merged = [];
    for (const segment of segments) {
      const last = merged[merged.length - 1];
      if (last && segment.start <= last.end) last.end = Math.max(last.end, segment.end);
      else merged.push({ ...segment });
    }
    // Right to left, so splitting the node leaves the offsets of the remaining segments valid.
    for (let i = merged.length - 1; i >= 0; i--) marks.push(wrap(node, merged[i]));
  }
  marks.sort((a, b) => (a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1));
  if (marks.length) marks[0].scrollIntoView({ block: "center" });
  return { ok: true, marks: marks.length };
}

function wrap(node, segment) {
  let target = node;
  if (segment.end < target.data.length) target.splitText(segment.end);
  if (segment.start > 0) target = target.splitText(segment.start);
  const mark = document.createElement("mark");
  mark.className = MARK_CLASS;
  mark.dataset.wiretraceMatch = String(segment.match);
  mark.dataset.wiretracePassage = String(segment.passage);
  // CSSOM properties, not a style attribute: they work under any page's content security policy.
  mark.style.backgroundColor = "#ffd54a";
  mark.style.color = "#111";
  mark.style.borderRadius = "2px";
  target.parentNode.insertBefore(mark, target);
  mark.appendChild(target);
  return mark;
}

function clearMarks() {
  const marks = document.querySelectorAll(`mark.${MARK_CLASS}`);
  const parents = new Set();
  for (const mark of marks) {
    const parent = mark.parentNode;
    if (!parent) continue;
    while (mark.firstChild) parent.insertBefore(mark.firstChild, mark);
    parent.removeChild(mark);
    parents.add(parent);
  }
  for (const parent of parents) parent.normalize();
  return { ok: true, cleared: marks.length };
}

// Injecting the file again (every call does) keeps the first instance.
if (!globalThis.wiretraceContent) {
  globalThis.wiretraceContent = { extract, highlight, clear: clearMarks };
}
