"""Issue 11, defects 8 and 9: `fix --diff` patches `git apply` takes whatever the trailing newlines, the HTML
report's code-changes section, and the report glitches (paths, service spellings, 'other' resources, 0 of 0,
duplicated notes, backticks in HTML, one rotation block per identical rotation)."""

from __future__ import annotations

import copy
import re
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from mi_migrate.api import build_report
from mi_migrate.cli import main
from mi_migrate.fix.files import unified_diff
from mi_migrate.fix.model import FileFix, FixOptions
from mi_migrate.report import render
from mi_migrate.report.render import rotation_groups
from mi_migrate.report.snippets import finish
from mi_migrate.testing import fakes

CODE = '''import os

from azure.storage.blob import BlobServiceClient

blob = BlobServiceClient.from_connection_string(os.environ["STORAGE_CONNECTION_STRING"])
blob.get_container_client("in").upload_blob("a", b"x")'''


def git(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=False)


def applies(tmp_path: Path, name: str, old: str, new: str) -> str:
    """The diff of old → new, checked with `git apply --check` in a real repository holding `old`, applied,
    and compared byte for byte with `new`."""
    repo = tmp_path / name
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "requirements.txt").write_bytes(old.encode())
    patch = unified_diff(FileFix("requirements.txt", old, new))
    (tmp_path / f"{name}.patch").write_text(patch, encoding="utf-8")
    check = git(repo, "apply", "--check", str(tmp_path / f"{name}.patch"))
    assert check.returncode == 0, f"{patch}\n{check.stderr}"
    assert git(repo, "apply", str(tmp_path / f"{name}.patch")).returncode == 0
    assert (repo / "requirements.txt").read_bytes() == new.encode()
    return patch


@pytest.mark.parametrize("old, new", [
    ("azure-storage-blob\nyarl==1.17.1", "azure-storage-blob\nyarl==1.17.1\nazure-identity\n"),  # old: no newline
    ("yarl==1.17.1\n", "yarl==1.17.1\nazure-identity"),  # new: no newline
    ("a\nyarl==1.17.1", "a\nyarl==1.17.2"),  # both
    ("only", "only\n"),  # a one-line file gains its newline
    ("x\fy\nz\n", "x\fy\nz\nazure-identity\n"),  # a form feed inside a line is not a line break
    ("a\r\nb", "a\r\nb\r\nazure-identity\r\n"),  # CRLF without the last one
])
def test_diff_applies_with_git_whatever_the_trailing_newlines(tmp_path, old, new):
    patch = applies(tmp_path, "r", old, new)
    for line in patch.splitlines():
        assert not re.match(r"^[-+ ].*[^\n]\+\S", line) or line.startswith(("---", "+++"))
    if not old.endswith("\n") or not new.endswith("\n"):
        assert "\n\\ No newline at end of file\n" in patch


def test_diff_marks_the_right_side(tmp_path):
    patch = applies(tmp_path, "r", "azure-storage-blob\nyarl==1.17.1", "azure-storage-blob\nyarl==1.17.1\nx\n")
    assert "-yarl==1.17.1\n\\ No newline at end of file\n+yarl==1.17.1\n+x\n" in patch
    patch = applies(tmp_path, "s", "a\n", "a\nb")
    assert patch.endswith("+b\n\\ No newline at end of file\n")


def repo_without_trailing_newline(root: Path) -> Path:
    root.mkdir()
    git(root, "init", "-q")
    (root / "app.py").write_text(CODE, encoding="utf-8")  # no newline at the end of either file
    (root / "requirements.txt").write_text("azure-storage-blob\nyarl==1.17.1", encoding="utf-8")
    (root / ".env").write_text(fakes.expand(
        "STORAGE_CONNECTION_STRING=DefaultEndpointsProtocol=https;AccountName=contoso;AccountKey=«b64:64»;"
        "EndpointSuffix=core.windows.net\n"), encoding="utf-8")
    git(root, "add", "-A")
    git(root, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qm", "before")
    return root


def test_fix_diff_cli_output_applies(tmp_path):
    repo = repo_without_trailing_newline(tmp_path / "repo")
    result = CliRunner().invoke(main, ["fix", "--diff", str(repo)])
    patch = result.output[result.output.index("--- a/"):]
    assert "-yarl==1.17.1+yarl" not in patch
    (tmp_path / "fix.patch").write_text(patch, encoding="utf-8")
    check = git(repo, "apply", "--check", str(tmp_path / "fix.patch"))
    assert check.returncode == 0, f"{patch}\n{check.stderr}"


def test_html_report_has_the_redacted_code_changes(tmp_path):
    repo = repo_without_trailing_newline(tmp_path / "repo")
    report = build_report(FixOptions(paths=(str(repo),), write=False))
    html = render(report, "html")
    section = re.search(r'<section id="code-changes">.*?</section>', html, re.S)
    assert section and "requirements.txt" in section.group(0) and "BlobServiceClient(" in section.group(0)
    assert 'href="#code-changes"' in html
    key = re.search(r"AccountKey=([^;]+)", (repo / ".env").read_text()).group(1)
    assert key not in html and key not in render(report, "md")


# -- glitches -------------------------------------------------------------------------------------------------

def test_paths_are_relative_to_the_scanned_directory_not_the_current_one(tmp_path, monkeypatch):
    outer = tmp_path / "abs"
    repo = outer / "path" / "repo"
    repo.mkdir(parents=True)
    (repo / "app.py").write_text(CODE + "\n", encoding="utf-8")
    (repo / "requirements.txt").write_text("azure-storage-blob\n", encoding="utf-8")
    monkeypatch.chdir(outer)  # not a git work tree: the scan root falls back to the current directory
    report = build_report(FixOptions(paths=(str(repo),), write=False))
    assert [f["path"] for f in report["findings"]] and all(f["path"] == "app.py" for f in report["findings"])
    assert report["paths"] == [str(repo)]
    text = render(report, "md") + render(report, "json")
    assert "path/repo/" not in text
    monkeypatch.chdir(repo)
    markdown = render(build_report(FixOptions(paths=(".",), write=False)), "md")
    assert "Apps: .." not in markdown and "Apps: the repository root" in markdown


def minimal(**extra) -> dict:
    report = {"paths": ["."], "findings": [], "rotation": [], "resources": [], "notes": [], "diffs": [],
              "functions": [], "identity": {"commands": [], "apps": []},
              "summary": {"by_service": {}, "resources": 0, "progress": {"rewritten": 0, "call_sites": 0}}}
    report.update(extra)
    return report


def test_one_spelling_per_service():
    findings = [{"id": "F1", "service": "cognitive", "resource": None, "fields": {}},
                {"id": "F2", "service": "cognitiveservices", "resource": None, "fields": {}}]
    report = finish(minimal(findings=findings), Path("."))
    assert report["summary"]["by_service"] == {"cognitiveservices": 2}


def test_no_resource_of_an_unknown_type():
    other = {"id": "other-other-name", "type": "other", "name": "<other-name>", "findings": ["F1"], "notes": [],
             "bicep": "", "terraform": ""}
    findings = [{"id": "F1", "service": "other", "resource": "other-other-name", "fields": {}}]
    report = finish(minimal(findings=findings, resources=[other]), Path("."))
    assert report["resources"] == [] and report["findings"][0]["resource"] is None
    assert report["summary"]["resources"] == 0


def test_notes_once():
    notes = [{"path": "a.py", "message": "not parsed as Python"}] * 2 + [{"path": "b.png", "message": "binary"}]
    assert finish(minimal(notes=notes), Path("."))["notes"] == notes[1:]


def test_no_zero_of_zero(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "local.settings.json").write_text(fakes.expand(
        '{"Values": {"AzureWebJobsStorage": "DefaultEndpointsProtocol=https;AccountName=contoso;'
        'AccountKey=«b64:64»;EndpointSuffix=core.windows.net"}}'), encoding="utf-8")
    report = build_report(FixOptions(paths=(str(repo),), write=False))
    assert report["summary"]["progress"]["call_sites"] == 0
    markdown, html = render(report, "md"), render(report, "html")
    assert "0 of 0" not in markdown and "(100%)" not in markdown
    assert "0/0" not in html and "100% rewritten" not in html


def test_backticks_become_code_in_html():
    from markupsafe import Markup

    from mi_migrate.report.render import html_inline

    out = html_inline("set `AzureWebJobsStorage__accountName` <b>")
    assert isinstance(out, Markup) and out == "set <code>AzureWebJobsStorage__accountName</code> &lt;b&gt;"


def test_html_prose_has_no_literal_backticks(tmp_path):
    repo = repo_without_trailing_newline(tmp_path / "repo")
    html = render(build_report(FixOptions(paths=(str(repo),), write=False)), "html")
    prose = re.sub(r"<pre.*?</pre>|<style>.*?</style>", "", html, flags=re.S)
    assert "`" not in prose


def test_identical_rotations_are_one_block(tmp_path):
    base = {"service": "storage", "resource": "storage-www", "evidence": "sp=r…(123 chars, sha256:a5654e42)",
            "commands": ['az storage account keys renew -g "$RG" -n www --key primary'],
            "notes": ["SAS expiry 2020-01-31T23:22:00Z (already expired)"], "disable_key_auth": None}
    rotation = [dict(copy.deepcopy(base), finding=f"F{n}", path="Tests/T.cs", line=n) for n in range(1, 12)]
    rotation.append(dict(copy.deepcopy(base), finding="F12", path="a.env", line=1, resource="storage-other",
                         commands=['az storage account keys renew -g "$RG" -n other --key primary']))
    groups = rotation_groups(rotation)
    assert len(groups) == 2
    assert groups[0]["findings"] == [f"F{n}" for n in range(1, 12)] and len(groups[0]["places"]) == 11
    assert groups[0]["evidence"] == [base["evidence"]] and groups[0]["notes"] == base["notes"]
    real = build_report(FixOptions(paths=(str(repo_without_trailing_newline(tmp_path / "repo")),), write=False))
    real["rotation"] = rotation
    markdown, html = render(real, "md"), render(real, "html")
    assert markdown.count("az storage account keys renew -g \"$RG\" -n www --key primary") == 1
    assert "11 embedded secrets, one rotation" in markdown
    assert html.count("-n www --key primary") == 1 and "11 embedded secrets, one rotation" in html
