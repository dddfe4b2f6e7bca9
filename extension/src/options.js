// Options page: server address, API key, automatic checking. Host permissions beyond the default
// server's are requested here, from the Save click, as browsers require a user gesture for that.
import { ext } from "./lib/ext.js";
import { ALL_SITES, DEFAULTS, extraPermissionFor, getSettings, parseServerUrl } from "./lib/settings.js";

const form = document.getElementById("form");
const status = document.getElementById("status");

function say(kind, text) {
  status.className = `status ${kind}`;
  status.textContent = text;
}

async function load() {
  const settings = await getSettings();
  form.serverUrl.value = settings.serverUrl;
  form.apiKey.value = settings.apiKey;
  form.autoCheck.checked = settings.autoCheck;
  form.contribute.checked = settings.contribute;
}

async function save(event) {
  event.preventDefault();
  let serverUrl;
  try {
    serverUrl = parseServerUrl(form.serverUrl.value || DEFAULTS.serverUrl);
  } catch (error) {
    say("error", error.message);
    return;
  }
  const autoCheck = form.autoCheck.checked;
  const wanted = [];
  const extra = extraPermissionFor(serverUrl);
  if (extra) wanted.push(extra);
  if (autoCheck) wanted.push(...ALL_SITES);

  // permissions.request must be the first thing the click does: after other awaits the browser
  // may no longer count it as the reader's gesture.
  let granted = true;
  if (wanted.length) {
    try {
      granted = await ext.permissions.request({ origins: wanted });
    } catch (error) {
      say("error", `Not saved: ${error.message}`);
      return;
    }
  }
  if (!granted) {
    say("error", "Not saved: wiretrace needs that permission to contact the server or check pages automatically.");
    return;
  }
  await ext.storage.local.set({
    serverUrl,
    apiKey: form.apiKey.value.trim(),
    autoCheck,
    contribute: form.contribute.checked,
  });
  form.serverUrl.value = serverUrl;

  if (!autoCheck && (await ext.permissions.contains({ origins: [...ALL_SITES] }))) {
    await ext.permissions.remove({ origins: [...ALL_SITES] });
    // Removing all sites can also withdraw the server's own host: say so rather than fail later.
    if (extra && !(await ext.permissions.contains({ origins: [extra] }))) {
      say("error", `Saved, but access to ${serverUrl} went with the all-sites permission: press Save once more.`);
      return;
    }
  }
  say("ok", "Saved.");
}

async function testConnection() {
  say("", "Asking the server…");
  const answer = await ext.runtime.sendMessage({
    type: "health",
    serverUrl: form.serverUrl.value || DEFAULTS.serverUrl,
    apiKey: form.apiKey.value.trim(),
  });
  say(answer && answer.ok ? "ok" : "error", (answer && answer.message) || "No answer from wiretrace's background script.");
}

form.addEventListener("submit", save);
document.getElementById("test").addEventListener("click", testConnection);
load();
