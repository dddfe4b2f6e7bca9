#!/usr/bin/env bash
# Installs what the extension's build and browser tests need; safe to run again.
#   - Chromium and Firefox ESR from Debian's packages, only when a binary is missing
#     (the tests drive /usr/bin/chromium and /usr/bin/firefox-esr; no browser download);
#   - the extension's npm packages (Readability, esbuild, web-ext, puppeteer-core) with `npm ci`.
set -euo pipefail
cd "$(dirname "$0")"

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/bin/firefox-esr ] || missing+=(firefox-esr)
if [ "${#missing[@]}" -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -o DPkg::Lock::Timeout=300
  $sudo apt-get install -y -o DPkg::Lock::Timeout=300 "${missing[@]}"
fi

if ! command -v npm >/dev/null; then
  echo "npm is missing: install Node.js 20 or newer (Debian: apt-get install nodejs npm)" >&2
  exit 1
fi
# `npm ci` starts from an empty node_modules every time; skip it when the lockfile is the one last
# installed.
stamp=node_modules/.installed-lock.sha256
if [ -f "$stamp" ] && sha256sum --check --status "$stamp" 2>/dev/null; then
  echo "extension/node_modules matches package-lock.json"
else
  npm ci --no-audit --no-fund
  sha256sum package-lock.json > "$stamp"
fi
