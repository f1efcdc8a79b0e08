"""The HTML report of the bundled examples, opened in headless Chromium: sections and chart through the DOM,
and a screenshot saved to test-artifacts/report.png for a human to look at."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from mi_migrate.api import build_report
from mi_migrate.fix.model import FixOptions
from mi_migrate.report import render

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
SECTIONS = ("summary", "identity", "resources", "settings", "functions", "findings", "rotation", "keyvault",
            "troubleshooting")


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    if os.environ.get("CI") == "true":
        pytest.fail("chromium is not installed (CI=true): .ci/run installs it with apt-get")
    pytest.skip("chromium is not installed")


def run_browser(binary: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}"]
    return subprocess.run([binary, *flags, *args], capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.slow
def test_html_report_in_headless_chromium(tmp_path):
    binary = chromium()
    examples = tmp_path / "examples"
    shutil.copytree(ROOT / "examples", examples)
    report = build_report(FixOptions(paths=(str(examples),), write=False))
    page = tmp_path / "report.html"
    page.write_text(render(report, "html"), encoding="utf-8")

    dom = run_browser(binary, tmp_path / "profile-dom", "--dump-dom", page.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    html = dom.stdout
    for section in SECTIONS:
        assert re.search(rf'<section id="{section}"', html), f"section #{section} missing from the DOM"
    chart = re.search(r'<svg id="chart".*?</svg>', html, re.S)
    assert chart, "the findings-by-service chart is missing"
    bars = re.findall(r'<rect class="bar" data-service="([^"]+)"', chart.group(0))
    assert bars == list(report["summary"]["by_service"]), "one bar per service, in order"
    assert len(re.findall(r'<div class="resource" id="', html)) == len(report["resources"])
    assert "<script" not in html

    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "report.png"
    shot.unlink(missing_ok=True)
    result = run_browser(binary, tmp_path / "profile-shot", f"--screenshot={shot}", "--window-size=1280,2000",
                         "--hide-scrollbars", page.as_uri())
    assert result.returncode == 0, result.stderr[-2000:]
    assert shot.exists() and shot.stat().st_size > 20_000
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


PROBE = """<script>
const broken = [];
for (const el of document.querySelectorAll("code")) {
  if (el.closest("pre")) continue;
  const text = el.textContent;
  if (/\\s/.test(text)) continue;  // a command may wrap at its spaces; a token never
  if (el.getClientRects().length > 1) broken.push(text);
}
document.body.setAttribute("data-broken", JSON.stringify(broken));
document.body.setAttribute("data-guids", String(document.querySelectorAll("td code").length));
</script>
"""


@pytest.mark.slow
def test_code_tokens_never_wrap_inside_in_a_narrow_window(tmp_path):
    """GUIDs, setting names and endpoints in table cells stay whole at 700 px (issue 11, defect 9); the page
    has the code-changes section (defect 8). The probe script is added to a test copy of the page only."""
    import json

    binary = chromium()
    examples = tmp_path / "examples"
    shutil.copytree(ROOT / "examples", examples)
    report = build_report(FixOptions(paths=(str(examples),), write=False))
    html = render(report, "html")
    assert "<script" not in html
    page = tmp_path / "probe.html"
    page.write_text(html.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    dom = run_browser(binary, tmp_path / "profile-probe", "--window-size=700,3000", "--dump-dom", page.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    broken = re.search(r'data-broken="([^"]*)"', dom.stdout)
    assert broken, "the probe did not run"
    assert json.loads(broken.group(1).replace("&quot;", '"')) == []
    assert int(re.search(r'data-guids="(\d+)"', dom.stdout).group(1)) > 10
    assert re.search(r'<section id="code-changes"', dom.stdout)
