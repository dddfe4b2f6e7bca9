// The wiretrace server's HTTP API, as the service worker (the only part that talks to the network)
// uses it. Every failure becomes an ApiError whose message can be shown to the reader as it is.
const TIMEOUT_MS = 20_000;

export class ApiError extends Error {
  // kind: "unreachable" (no answer at all), "timeout", "server" (the server's own JSON error),
  // "protocol" (an answer that is not the wiretrace API), "permission" (no host permission).
  constructor(kind, message, status = null) {
    super(message);
    this.name = "ApiError";
    this.kind = kind;
    this.status = status;
  }
}

async function call(settings, method, path, body) {
  const base = settings.serverUrl.replace(/\/+$/, "");
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (settings.apiKey) headers.Authorization = `Bearer ${settings.apiKey}`;
  let response;
  try {
    response = await fetch(base + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit",
      cache: "no-store",
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (error) {
    if (error && error.name === "TimeoutError") {
      throw new ApiError("timeout", `The wiretrace server at ${base} did not answer within ${TIMEOUT_MS / 1000} s.`);
    }
    throw new ApiError(
      "unreachable",
      `Can't reach the wiretrace server at ${base}. Is it running, and is the server address in Options right?`,
    );
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!data || typeof data !== "object" || Array.isArray(data)) {
    throw new ApiError(
      "protocol",
      `The server at ${base} answered HTTP ${response.status}, but not with wiretrace's JSON. Is the server address right?`,
      response.status,
    );
  }
  if (!response.ok || data.ok !== true) {
    const status = Number.isInteger(data.status) ? data.status : response.status;
    const detail = typeof data.error === "string" && data.error.trim() ? data.error.trim() : "no error message";
    throw new ApiError("server", `The wiretrace server answered with an error (HTTP ${status}): ${detail}`, status);
  }
  return data;
}

export async function match(settings, { text, url, title }) {
  const data = await call(settings, "POST", "/api/v1/match", { text, url, title });
  if (!Array.isArray(data.matches)) {
    throw new ApiError("protocol", "The server's answer has no list of matches. Is it a wiretrace server?");
  }
  return data;
}

export async function health(settings) {
  return call(settings, "GET", "/api/v1/health");
}

// Adds the page to the corpus (needs a key with write access). Returns {id, url, status}.
export async function contribute(settings, { url, title, text, publishedAt }) {
  const article = { url, text };
  if (title) article.title = title;
  if (publishedAt) article.published_at = publishedAt;
  const data = await call(settings, "POST", "/api/v1/articles", article);
  const [stored] = Array.isArray(data.articles) ? data.articles : [];
  if (!stored || !Number.isInteger(stored.id)) {
    throw new ApiError("protocol", "The server did not say which article it stored.");
  }
  return stored;
}
