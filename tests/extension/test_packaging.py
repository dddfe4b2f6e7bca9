"""The built packages: loadable layout, per-browser manifests, and web-ext lint."""

from __future__ import annotations

import json
import os
import re
import zipfile

from e2e_support import EXTENSION_SOURCE, run


def test_each_browser_gets_its_own_manifest(built_extension):
    chromium = json.loads((built_extension / "chromium" / "manifest.json").read_text())
    firefox = json.loads((built_extension / "firefox" / "manifest.json").read_text())
    assert chromium["background"] == {"service_worker": "background.js"}
    assert "browser_specific_settings" not in chromium
    assert firefox["background"] == {"scripts": ["background.js"]}
    assert firefox["browser_specific_settings"]["gecko"]["id"]
    for manifest in (chromium, firefox):
        assert manifest["permissions"] == ["activeTab", "scripting", "storage"]
        assert manifest["host_permissions"] == ["http://127.0.0.1/*", "http://localhost/*"]
        assert "script-src 'self'" in manifest["content_security_policy"]["extension_pages"]


def test_zips_hold_the_unpacked_folders(built_extension):
    for target in ("chromium", "firefox"):
        folder = built_extension / target
        on_disk = {str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file()}
        with zipfile.ZipFile(built_extension / f"wiretrace-{target}.zip") as archive:
            assert archive.testzip() is None
            assert set(archive.namelist()) == on_disk
            assert archive.read("manifest.json") == (folder / "manifest.json").read_bytes()


def test_readability_is_bundled_with_its_licence(built_extension):
    content = (built_extension / "chromium" / "content.js").read_text()
    assert "Licensed under the Apache License, Version 2.0" in content[:2000]
    assert (built_extension / "chromium" / "licenses" / "readability-LICENSE.md").exists()


def test_web_ext_lint_reports_no_errors(built_extension):
    done = run(
        [
            str(EXTENSION_SOURCE / "node_modules" / ".bin" / "web-ext"),
            "lint",
            "--source-dir",
            str(built_extension / "firefox"),
            "--output",
            "json",
            "--no-config-discovery",
        ],
        EXTENSION_SOURCE,
        env={**os.environ, "NO_UPDATE_NOTIFIER": "1"},
    )
    report = json.loads(done.stdout)
    assert report["summary"]["errors"] == 0, report["errors"]
    # The only warnings: innerHTML assignments inside Readability, on its own detached clone.
    assert {(w["code"], w["file"]) for w in report["warnings"]} <= {("UNSAFE_VAR_ASSIGNMENT", "content.js")}


def test_the_extension_runs_no_remote_code_and_parses_no_html(built_extension):
    manifest = json.loads((built_extension / "chromium" / "manifest.json").read_text())
    policy = {
        directive.split()[0]: directive.split()[1:]
        for directive in manifest["content_security_policy"]["extension_pages"].split(";")
        if directive.strip()
    }
    assert policy["script-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["default-src"] == ["'none'"]
    assert not any("unsafe" in value for values in policy.values() for value in values)
    # Required permissions are the fewest that work; anything broader is asked for at run time.
    assert "<all_urls>" not in json.dumps(manifest.get("host_permissions", []))
    assert "tabs" not in manifest["permissions"] and "webRequest" not in manifest["permissions"]
    for page in (built_extension / "chromium").glob("*.html"):
        html = page.read_text()
        scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, flags=re.S)
        assert scripts, page.name
        for attributes, body in scripts:
            assert not body.strip(), f"{page.name}: inline script"
            source = re.search(r'src="([^"]+)"', attributes).group(1)
            assert "://" not in source and not source.startswith("//"), f"{page.name}: {source}"
        for link in re.findall(r"<link\b[^>]*href=\"([^\"]+)\"", html):
            assert "://" not in link, f"{page.name}: {link}"
    # The extension's own code builds DOM nodes and sets textContent; only the
    # bundled Readability (content.js) touches innerHTML, on its detached clone.
    for source in (EXTENSION_SOURCE / "src").rglob("*.js"):
        code = source.read_text()
        for risky in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
            assert risky not in code, f"{source.name}: {risky}"
    for built in (built_extension / "chromium").glob("*.js"):
        code = built.read_text()
        assert "eval(" not in code and "new Function(" not in code, built.name
        assert "import(" not in code, built.name
