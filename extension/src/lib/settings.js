// Reader settings live in storage.local. Defaults are applied on read and never written at install
// time, so nothing races a test (or a reader) that sets them right after installation.
import { ext } from "./ext.js";

export const DEFAULT_SERVER_URL = "http://127.0.0.1:5000";
export const DEFAULTS = Object.freeze({ serverUrl: DEFAULT_SERVER_URL, apiKey: "", autoCheck: false, contribute: false });

// Hosts covered by the manifest's host_permissions (any port): no run-time request is needed.
export const BUILTIN_HOSTS = Object.freeze(["127.0.0.1", "localhost"]);
// Requested at run time only when the reader turns automatic checking on.
export const ALL_SITES = Object.freeze(["http://*/*", "https://*/*"]);

export async function getSettings() {
  const stored = await ext.storage.local.get(Object.keys(DEFAULTS));
  return {
    serverUrl: typeof stored.serverUrl === "string" && stored.serverUrl ? stored.serverUrl : DEFAULTS.serverUrl,
    apiKey: typeof stored.apiKey === "string" ? stored.apiKey : DEFAULTS.apiKey,
    autoCheck: stored.autoCheck === true,
    // Opt-in: offer to add pages the corpus lacks (sends the page's text to be stored).
    contribute: stored.contribute === true,
  };
}

// Returns the normalised server URL (no trailing slash) or throws an Error saying what is wrong.
export function parseServerUrl(value) {
  let url;
  try {
    url = new URL(String(value).trim());
  } catch {
    throw new Error("The server address is not a URL (example: http://127.0.0.1:5000).");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new Error("The server address must start with http:// or https://.");
  }
  if (url.search || url.hash || url.username || url.password) {
    throw new Error("The server address must not carry a query, a fragment or credentials.");
  }
  return url.href.replace(/\/+$/, "");
}

// Host permission pattern for a URL's host. Match patterns ignore ports, so one pattern covers
// every port of that host.
export function originPattern(url) {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.hostname}/*`;
}

// The host permission a server address needs beyond the manifest's, or null.
export function extraPermissionFor(serverUrl) {
  const parsed = new URL(serverUrl);
  if (parsed.protocol === "http:" && BUILTIN_HOSTS.includes(parsed.hostname)) return null;
  return originPattern(serverUrl);
}
