// Firefox exposes the promise-based WebExtension API as `browser`; Chromium as `chrome` (promises
// in MV3). Everything else in the extension goes through this one name.
export const ext = globalThis.browser ?? globalThis.chrome;
