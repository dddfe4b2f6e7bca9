// Builds the extension for Chromium and Firefox from one source tree:
//   ../dist/chromium/, ../dist/firefox/       unpacked, loadable folders
//   ../dist/wiretrace-chromium.zip, ../dist/wiretrace-firefox.zip
//   ../dist/extension-build.json              what was built from which sources (tests read it)
//
// Why esbuild: Readability is an npm dependency (not committed), and the extension's own code is
// split into ES modules shared by the service worker, the popup, the options page and the content
// script. esbuild bundles each entry into one classic script that both a Chromium service worker and
// a Firefox background page can load, in milliseconds and without a plugin.
//
// `node build.mjs --print-source-hash` prints the hash of the sources and exits; the tests compare it
// with the one recorded in extension-build.json to decide whether dist/ is stale.
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { deflateRawSync, deflateSync } from "node:zlib";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const DIST = path.resolve(HERE, "..", "dist");
const SOURCES = ["manifest.json", "package.json", "package-lock.json", "build.mjs", "src", "static"];
const ENTRIES = ["background", "popup", "options", "content"];
const ICON_SIZES = [16, 32, 48, 128];
const READABILITY = path.join(HERE, "node_modules", "@mozilla", "readability");

// ---- sources ----------------------------------------------------------------------------------------

function listFiles(relative) {
  const full = path.join(HERE, relative);
  if (!fs.existsSync(full)) return [];
  if (fs.statSync(full).isFile()) return [relative];
  return fs
    .readdirSync(full, { withFileTypes: true })
    .flatMap((entry) => listFiles(path.join(relative, entry.name)));
}

function sourceHash() {
  const hash = createHash("sha256");
  for (const file of SOURCES.flatMap(listFiles).sort()) {
    hash.update(file.split(path.sep).join("/")).update("\0").update(fs.readFileSync(path.join(HERE, file))).update("\0");
  }
  return hash.digest("hex");
}

// ---- manifests ----------------------------------------------------------------------------------------

// One manifest.json carries what both browsers need; each build keeps only the keys its browser
// reads, so neither logs warnings about the other's keys.
function manifestFor(target, base, version) {
  const manifest = structuredClone(base);
  manifest.version = version;
  if (target === "chromium") {
    manifest.background = { service_worker: base.background.service_worker };
    delete manifest.browser_specific_settings;
  } else {
    manifest.background = { scripts: base.background.scripts };
  }
  return manifest;
}

// ---- icons: drawn here so no binary file lives in git ---------------------------------------------------

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buffer) {
  let c = 0xffffffff;
  for (const byte of buffer) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function pngChunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

// A blue tile with three lines of "text", the middle one highlighted, as in the page marks.
function drawIcon(size) {
  const rgba = (hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  const tile = rgba("#1d4ed8");
  const white = rgba("#ffffff");
  const yellow = rgba("#ffd54a");
  const shapes = [
    // [x0, y0, x1, y1, radius, colour] in units of the icon's size
    [0.0, 0.0, 1.0, 1.0, 0.2, tile],
    [0.18, 0.22, 0.82, 0.34, 0.06, white],
    [0.14, 0.42, 0.86, 0.58, 0.05, yellow],
    [0.18, 0.66, 0.64, 0.78, 0.06, white],
  ];
  const inside = (x, y, [x0, y0, x1, y1, r]) => {
    if (x < x0 || x > x1 || y < y0 || y > y1) return false;
    const cx = Math.min(Math.max(x, x0 + r), x1 - r);
    const cy = Math.min(Math.max(y, y0 + r), y1 - r);
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
  };
  const samples = 4;
  const rows = [];
  for (let py = 0; py < size; py++) {
    const row = Buffer.alloc(1 + size * 4); // filter byte 0, then RGBA
    for (let px = 0; px < size; px++) {
      let r = 0, g = 0, b = 0, a = 0;
      for (let sy = 0; sy < samples; sy++) {
        for (let sx = 0; sx < samples; sx++) {
          const x = (px + (sx + 0.5) / samples) / size;
          const y = (py + (sy + 0.5) / samples) / size;
          let colour = null;
          for (const shape of shapes) if (inside(x, y, shape)) colour = shape[5];
          if (colour) {
            r += colour[0];
            g += colour[1];
            b += colour[2];
            a += 255;
          }
        }
      }
      const n = samples * samples;
      const covered = a / 255 || 1;
      row.set([Math.round(r / covered), Math.round(g / covered), Math.round(b / covered), Math.round(a / n)], 1 + px * 4);
    }
    rows.push(row);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk("IHDR", header),
    pngChunk("IDAT", deflateSync(Buffer.concat(rows), { level: 9 })),
    pngChunk("IEND", Buffer.alloc(0)),
  ]);
}

// ---- zip: a minimal, deterministic writer (deflate, UTF-8 names, fixed 1980-01-01 timestamps) ----

function zip(files) {
  const locals = [];
  const centrals = [];
  let offset = 0;
  for (const [name, data] of files) {
    const nameBytes = Buffer.from(name, "utf8");
    const packed = deflateRawSync(data, { level: 9 });
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(8, 8); // deflate
    local.writeUInt16LE(0, 10); // time
    local.writeUInt16LE(0x21, 12); // date: 1980-01-01
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4); // made by
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt16LE(0, 12);
    central.writeUInt16LE(0x21, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(packed.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, packed);
    centrals.push(central, nameBytes);
    offset += local.length + nameBytes.length + packed.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

// ---- build --------------------------------------------------------------------------------------------

async function bundle() {
  const esbuild = await import("esbuild");
  const result = await esbuild.build({
    entryPoints: Object.fromEntries(ENTRIES.map((name) => [name, path.join(HERE, "src", `${name}.js`)])),
    bundle: true,
    format: "iife",
    target: ["chrome120", "firefox128"],
    write: false,
    outdir: "out",
    charset: "utf8",
    legalComments: "inline",
    logLevel: "warning",
  });
  const files = new Map();
  for (const output of result.outputFiles) files.set(path.basename(output.path), Buffer.from(output.contents));

  // esbuild keeps only /*! or @license comments, and Readability's Apache-2.0 header is a plain one:
  // put it back on top of the bundle that contains Readability.
  const readabilitySource = fs.readFileSync(path.join(READABILITY, "Readability.js"), "utf8");
  const licenceHeader = readabilitySource.slice(0, readabilitySource.indexOf("*/") + 2);
  const { version } = JSON.parse(fs.readFileSync(path.join(READABILITY, "package.json"), "utf8"));
  const banner =
    `/*! content.js bundles @mozilla/readability ${version} (https://github.com/mozilla/readability), ` +
    "licensed under the Apache License 2.0; its full licence is in licenses/readability-LICENSE.md. */\n" +
    `${licenceHeader}\n`;
  files.set("content.js", Buffer.concat([Buffer.from(banner), files.get("content.js")]));
  files.set("licenses/readability-LICENSE.md", fs.readFileSync(path.join(READABILITY, "LICENSE.md")));
  return files;
}

async function build() {
  const started = Date.now();
  if (!fs.existsSync(READABILITY)) {
    console.error("node_modules is missing: run `npm ci` in extension/ first.");
    process.exit(1);
  }
  const pkg = JSON.parse(fs.readFileSync(path.join(HERE, "package.json"), "utf8"));
  const baseManifest = JSON.parse(fs.readFileSync(path.join(HERE, "manifest.json"), "utf8"));

  const common = await bundle();
  for (const file of listFiles("static")) {
    common.set(path.relative("static", file).split(path.sep).join("/"), fs.readFileSync(path.join(HERE, file)));
  }
  for (const size of ICON_SIZES) common.set(`icons/icon-${size}.png`, drawIcon(size));

  fs.mkdirSync(DIST, { recursive: true });
  for (const target of ["chromium", "firefox"]) {
    const files = new Map(common);
    files.set("manifest.json", Buffer.from(`${JSON.stringify(manifestFor(target, baseManifest, pkg.version), null, 2)}\n`));
    const dir = path.join(DIST, target);
    fs.rmSync(dir, { recursive: true, force: true });
    const sorted = [...files.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
    for (const [name, data] of sorted) {
      fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      fs.writeFileSync(path.join(dir, name), data);
    }
    fs.writeFileSync(path.join(DIST, `wiretrace-${target}.zip`), zip(sorted));
  }
  const info = { version: pkg.version, sourceHash: sourceHash(), builtAt: new Date().toISOString() };
  fs.writeFileSync(path.join(DIST, "extension-build.json"), `${JSON.stringify(info, null, 2)}\n`);
  console.log(`wiretrace ${pkg.version}: built dist/chromium, dist/firefox and their zips in ${Date.now() - started} ms`);
}

if (process.argv.includes("--print-source-hash")) {
  console.log(sourceHash());
} else {
  await build();
}
