// Service worker (Chromium) / event page (Firefox). The only part of the extension that talks to the
// wiretrace server. The popup and the options page send it runtime messages; it injects the content
// script into the tab to extract text and to highlight passages.
import { ext } from "./lib/ext.js";
import { ApiError, contribute, health, match } from "./lib/api.js";
import { normalizeMatch, normalizeStoredArticle, normalizeStory, parseDate, sameUrl } from "./lib/matches.js";
import { getSettings, originPattern, parseServerUrl } from "./lib/settings.js";
import { MIN_WORDS, codePointTable, countWords, toUnitRange } from "./lib/text.js";

const resultKey = (tabId) => `result:${tabId}`;

// ---- talking to the tab ------------------------------------------------------------------------

// Runs one of content.js's functions in the tab. The file is injected each time: a navigation or a
// reload drops the previous injection, and the script keeps its first instance when it is still there.
async function inTab(tabId, name, ...args) {
  await ext.scripting.executeScript({ target: { tabId }, files: ["content.js"] });
  const [first] = await ext.scripting.executeScript({
    target: { tabId },
    func: (fn, fnArgs) => globalThis.wiretraceContent[fn](...fnArgs),
    args: [name, args],
  });
  return first ? first.result : undefined;
}

// ---- the check ------------------------------------------------------------------------------------

async function checkTab(tabId) {
  let page;
  try {
    page = await inTab(tabId, "extract");
  } catch (error) {
    return finish(tabId, {
      state: "unreadable",
      message:
        "wiretrace can't read this page. Browser pages, extension stores and some viewers are closed to extensions." +
        (error && error.message ? ` (${error.message})` : ""),
    });
  }
  const words = countWords(page.text);
  const pageInfo = { url: page.url, title: page.title, publishedAt: page.publishedTime, words, source: page.source };
  if (words < MIN_WORDS) {
    return finish(tabId, { state: "too-short", page: pageInfo, minWords: MIN_WORDS });
  }

  const settings = await getSettings();
  const permission = await hasServerPermission(settings.serverUrl);
  if (!permission) {
    return finish(tabId, {
      state: "error",
      kind: "permission",
      page: pageInfo,
      server: settings.serverUrl,
      message: `wiretrace has no permission to contact ${settings.serverUrl}. Open Options and press Save to grant it.`,
    });
  }
  let data;
  try {
    data = await match(settings, { text: page.text, url: page.url, title: page.title });
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    return finish(tabId, {
      state: "error",
      kind: error.kind,
      status: error.status,
      page: pageInfo,
      server: settings.serverUrl,
      message: error.message,
    });
  }
  const all = data.matches.map(normalizeMatch).filter(Boolean);
  // The page itself may already be in the database: it is not "another outlet", but its date is
  // the best we have when the page does not state one.
  const self = all.find((m) => sameUrl(m.url, page.url));
  if (!pageInfo.publishedAt && self) pageInfo.publishedAt = self.publishedAt;
  const matches = all.filter((m) => m !== self);
  const story = normalizeStory(data.story);
  // Whether the corpus already holds this page decides whether the reader may be offered to add it.
  const storedArticle = normalizeStoredArticle(data.stored_article) || (self ? { id: self.id, url: self.url } : null);
  return finish(tabId, {
    state: "ok",
    page: pageInfo,
    matches,
    story,
    storyUrl: story ? `${settings.serverUrl}/stories/${story.id}` : null,
    storedArticle,
    canContribute: settings.contribute && Boolean(settings.apiKey) && !storedArticle,
    text: page.text,
    server: settings.serverUrl,
  });
}

async function hasServerPermission(serverUrl) {
  try {
    return await ext.permissions.contains({ origins: [originPattern(serverUrl)] });
  } catch {
    return false;
  }
}

// Stores the result for the tab (the worker may be stopped between the check and a highlight
// request), sets the badge, and returns what the popup needs (not the whole text).
async function finish(tabId, result) {
  result.checkedAt = new Date().toISOString();
  await ext.storage.session.set({ [resultKey(tabId)]: result });
  await setBadge(tabId, result);
  const { text, ...forPopup } = result;
  return forPopup;
}

async function setBadge(tabId, result) {
  let text = "";
  let color = "#1d4ed8";
  if (result.state === "ok") {
    text = String(result.matches.length);
    if (!result.matches.length) color = "#4b5563";
  } else if (result.state === "error") {
    text = "!";
    color = "#b91c1c";
  }
  try {
    await ext.action.setBadgeBackgroundColor({ tabId, color });
    await ext.action.setBadgeText({ tabId, text });
  } catch {
    // The tab was closed meanwhile.
  }
}

// ---- highlighting ---------------------------------------------------------------------------------

// which: "all" or the index of one match in the stored result.
async function highlightTab(tabId, which) {
  const stored = (await ext.storage.session.get(resultKey(tabId)))[resultKey(tabId)];
  if (!stored || stored.state !== "ok") {
    return { ok: false, error: "Check this page first." };
  }
  const chosen = which === "all" ? stored.matches.map((_, i) => i) : [Number(which)];
  const table = codePointTable(stored.text);
  const ranges = [];
  for (const index of chosen) {
    const m = stored.matches[index];
    if (!m) return { ok: false, error: "No such match." };
    m.passages.forEach((p, passage) => {
      const range = toUnitRange(table, stored.text, p.queryStart, p.queryEnd);
      if (range) ranges.push({ start: range[0], end: range[1], match: index, passage });
    });
  }
  try {
    const answer = await inTab(tabId, "highlight", stored.text, ranges);
    return { ...answer, passages: ranges.length };
  } catch (error) {
    return { ok: false, error: `Can't mark the page: ${error.message}` };
  }
}

async function clearTab(tabId) {
  try {
    return await inTab(tabId, "clear");
  } catch (error) {
    return { ok: false, error: `Can't clear the marks: ${error.message}` };
  }
}

// ---- contributing a page ---------------------------------------------------------------------------

function isoDate(value) {
  const time = parseDate(value);
  return time === null ? null : new Date(time).toISOString();
}

// Adds the checked page to the corpus: only on the reader's click, only when they opted in and gave a
// key, and only the text that was checked (the same text the matches' offsets refer to).
async function contributeTab(tabId) {
  const stored = (await ext.storage.session.get(resultKey(tabId)))[resultKey(tabId)];
  if (!stored || stored.state !== "ok") return { ok: false, error: "Check this page first." };
  const settings = await getSettings();
  if (!settings.contribute || !settings.apiKey) {
    return { ok: false, error: "Adding pages is off: turn it on and give an API key in Options." };
  }
  try {
    const article = await contribute(settings, {
      url: stored.page.url,
      title: stored.page.title,
      text: stored.text,
      // Pages state dates in many forms; only one the server can read is sent.
      publishedAt: isoDate(stored.page.publishedAt),
    });
    stored.storedArticle = { id: article.id, url: article.url };
    stored.canContribute = false;
    await ext.storage.session.set({ [resultKey(tabId)]: stored });
    return { ok: true, id: article.id, status: article.status };
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    return { ok: false, error: error.message };
  }
}

// ---- messages -------------------------------------------------------------------------------------

async function checkServer({ serverUrl, apiKey }) {
  let settings;
  try {
    settings = { serverUrl: parseServerUrl(serverUrl), apiKey: typeof apiKey === "string" ? apiKey : "" };
  } catch (error) {
    return { ok: false, message: error.message };
  }
  if (!(await hasServerPermission(settings.serverUrl))) {
    return { ok: false, message: `No permission yet to contact ${settings.serverUrl}: press Save first.` };
  }
  try {
    await health(settings);
    return { ok: true, message: `The wiretrace server at ${settings.serverUrl} answers.` };
  } catch (error) {
    return { ok: false, message: error.message };
  }
}

const HANDLERS = {
  check: (msg) => checkTab(msg.tabId),
  highlight: (msg) => highlightTab(msg.tabId, msg.which),
  clear: (msg) => clearTab(msg.tabId),
  contribute: (msg) => contributeTab(msg.tabId),
  health: (msg) => checkServer(msg),
};

ext.runtime.onMessage.addListener((msg, sender, sendResponse) => {
  if (sender.id !== ext.runtime.id || !msg || !HANDLERS[msg.type]) return false;
  HANDLERS[msg.type](msg).then(sendResponse, (error) =>
    sendResponse({ state: "error", kind: "internal", ok: false, message: `wiretrace failed: ${error.message}` }),
  );
  return true; // the answer comes asynchronously
});

// ---- tab life cycle and automatic checking --------------------------------------------------------

ext.tabs.onUpdated.addListener((tabId, changeInfo, tab) => {
  if (changeInfo.status === "loading") {
    // A new page: the old result no longer applies (the browser resets the per-tab badge itself).
    ext.storage.session.remove(resultKey(tabId)).catch(() => {});
  } else if (changeInfo.status === "complete") {
    autoCheck(tabId, tab).catch((error) => console.warn("wiretrace: automatic check failed", error));
  }
});

ext.tabs.onRemoved.addListener((tabId) => {
  ext.storage.session.remove(resultKey(tabId)).catch(() => {});
});

// Runs only when the reader turned automatic checking on, which also granted the optional
// http/https host permissions; without them tab.url is not even visible here.
async function autoCheck(tabId, tab) {
  if (!tab || !tab.url || !/^https?:/.test(tab.url)) return;
  const settings = await getSettings();
  if (!settings.autoCheck) return;
  if (sameOrigin(tab.url, settings.serverUrl)) return;
  if (!(await ext.permissions.contains({ origins: [originPattern(tab.url)] }))) return;
  await checkTab(tabId);
}

function sameOrigin(a, b) {
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
}
