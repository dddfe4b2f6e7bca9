// Drives Firefox ESR with the built extension over WebDriver BiDi (puppeteer-core), for
// test_firefox_e2e.py. Why puppeteer-core: Playwright's Firefox is a patched build it would have to
// download, and geckodriver is not packaged for Debian; puppeteer-core drives the stock Firefox ESR
// over BiDi, including installing a temporary add-on, and is a plain npm package.
//
// Usage: node firefox_e2e.mjs '<json config>'; prints one JSON object on stdout.
// Config: {extensionSource, extensionDir, firefox, geckoId, uuid, newsUrl, apiUrl, screenshot}.
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";

const config = JSON.parse(process.argv[2]);
// puppeteer-core is a devDependency of extension/, not of the tests' folder.
const require = createRequire(path.join(config.extensionSource, "package.json"));
const puppeteer = (await import(pathToFileURL(require.resolve("puppeteer-core")).href)).default;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what, probe, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch {
      // the page is still navigating
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

// Puppeteer's goto() never resolves for moz-extension:// pages over BiDi (the tab does navigate):
// start it, then watch the page itself.
async function openExtensionPage(page, url) {
  page.goto(url).catch(() => {});
  await until(url, () => page.evaluate((u) => location.href === u && document.readyState === "complete", url));
}

const firefox = await puppeteer.launch({
  browser: "firefox",
  executablePath: config.firefox,
  headless: true,
  // BiDi refuses to navigate to moz-extension:// pages without it.
  args: ["--remote-allow-system-access"],
  // A fixed moz-extension:// UUID, so the test knows the extension's pages' addresses.
  extraPrefsFirefox: { "extensions.webextensions.uuids": JSON.stringify({ [config.geckoId]: config.uuid }) },
});
try {
  await firefox.installExtension(config.extensionDir);
  const base = `moz-extension://${config.uuid}`;

  const news = await firefox.newPage();
  await news.goto(config.newsUrl);

  // An extension page to reach the WebExtension API from (Firefox has no service worker to evaluate in).
  const helper = await firefox.newPage();
  await openExtensionPage(helper, `${base}/options.html`);
  await helper.evaluate(
    (serverUrl) => browser.storage.local.set({ serverUrl, apiKey: "", autoCheck: false }),
    config.apiUrl,
  );
  const tabId = await helper.evaluate(
    async (url) => (await browser.tabs.query({})).find((tab) => tab.url === url).id,
    config.newsUrl,
  );

  const popup = await firefox.newPage();
  await popup.setViewport({ width: 430, height: 620 });
  await openExtensionPage(popup, `${base}/popup.html?tabId=${tabId}`);
  const state = await until("the popup's answer", () => popup.evaluate(() => document.body.dataset.state));
  const rows = await popup.evaluate(() =>
    [...document.querySelectorAll("#matches li.match")].map((li) => ({
      outlet: li.querySelector(".outlet").textContent,
      relation: li.querySelector(".relation").textContent,
      title: li.querySelector(".title").textContent,
      href: li.querySelector("a.title") ? li.querySelector("a.title").href : null,
      ofPage: li.querySelector(".pct-query").textContent,
      ofTheirs: li.querySelector(".pct-match").textContent,
      origin: li.classList.contains("is-origin"),
    })),
  );
  await popup.screenshot({ path: config.screenshot });

  let marks = [];
  if (state === "ok") {
    await popup.evaluate(() => document.getElementById("show-all").click());
    await until("the marks", () => popup.evaluate(() => document.getElementById("show-all").ariaPressed === "true"));
    marks = await news.evaluate(() =>
      [...document.querySelectorAll("mark.wiretrace-mark")].map((mark) => mark.textContent),
    );
  }
  const stored = await helper.evaluate(
    async (key) => (await browser.storage.session.get(key))[key],
    `result:${tabId}`,
  );
  const badge = await helper.evaluate((id) => browser.action.getBadgeText({ tabId: id }), tabId);
  process.stdout.write(`${JSON.stringify({ state, rows, marks, sent: stored ? stored.text : null, badge })}\n`);
} finally {
  await firefox.close();
}
