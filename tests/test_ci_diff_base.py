"""`scan --diff-base REV` (pull-request mode) and SARIF paths for a scanned sub-folder, through the real CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mi_migrate.scan.history import gitdiff
from tests.test_ci_support import (
    clean_env,
    git,
    pr_repository,
    sarif_uris,
    secret_line,
    shallow_clone,
    validate_sarif,
    write,
)

pytestmark = pytest.mark.slow


def mi_migrate(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mi_migrate", "scan", *args], cwd=cwd, capture_output=True,
                          text=True, env=clean_env(HOME=str(cwd)), timeout=300)


def found(proc: subprocess.CompletedProcess[str]) -> list[str]:
    return [f"{f['path']}:{f['line']}" for f in json.loads(proc.stdout)["findings"]]


@pytest.fixture
def branch_repo(tmp_path: Path) -> Path:
    origin = pr_repository(tmp_path)
    git(origin, "checkout", "-q", "feature")
    return origin


def test_diff_base_reports_only_lines_the_branch_added(branch_repo):
    proc = mi_migrate(branch_repo, "--format", "json", "--diff-base", "main")
    assert proc.returncode == 1, proc.stderr
    assert found(proc) == ["services/api/local.env:2"]  # not app/old.env:2, the secret main already had
    full = mi_migrate(branch_repo, "--format", "json")
    assert sorted(found(full)) == ["app/old.env:2", "services/api/local.env:2"]


def test_diff_base_includes_working_tree_and_untracked_files(branch_repo):
    write(branch_repo / "app" / "old.env", "DEBUG=0\n" + secret_line("OLD_STORAGE", 1) + secret_line("EDIT", 3))
    write(branch_repo / "new" / "draft.env", secret_line("DRAFT", 4))
    proc = mi_migrate(branch_repo, "--format", "json", "--diff-base", "main")
    assert sorted(found(proc)) == ["app/old.env:3", "new/draft.env:1", "services/api/local.env:2"]


def test_diff_base_is_clean_when_the_branch_adds_no_secret(branch_repo):
    proc = mi_migrate(branch_repo, "--diff-base", "feature")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_diff_base_in_a_shallow_clone_with_and_without_the_base(tmp_path):
    origin = pr_repository(tmp_path)
    clone = shallow_clone(origin, tmp_path / "clone")
    missing = mi_migrate(clone, "--diff-base", "origin/main")
    assert missing.returncode == 2
    assert missing.stderr.count("\n") == 1 and "origin/main: no such commit in this clone" in missing.stderr
    assert "git fetch" in missing.stderr
    git(clone, "fetch", "-q", "--no-tags", "--depth=1", "origin", "+refs/heads/main:refs/remotes/origin/main")
    proc = mi_migrate(clone, "--format", "json", "--diff-base", "origin/main")
    assert proc.returncode == 1 and found(proc) == ["services/api/local.env:2"]
    assert "compared" not in proc.stdout  # notes stay out of the findings


def test_diff_base_rejects_options_and_other_modes(branch_repo):
    assert mi_migrate(branch_repo, "--diff-base", "--output=x").returncode == 2
    usage = mi_migrate(branch_repo, "--diff-base", "main", "--staged")
    assert usage.returncode == 2 and "--diff-base" in usage.stderr


def test_added_lines_parser_skips_bodies_that_look_like_headers():
    diff = [b"diff --git a/x b/x", b"--- a/x", b"+++ b/x", b"@@ -1,0 +2,2 @@", b"+++ b/evil", b"+@@ -9 +9 @@",
            b"diff --git a/y b/y", b"--- a/y", b"+++ b/y", b"@@ -3 +3 @@", b"-old", b"+new"]
    assert dict(gitdiff.added_lines(diff)) == {"x": {2, 3}, "y": {3}}


def test_sarif_of_a_subfolder_names_files_from_the_repository_root(branch_repo, tmp_path):
    """The bar: scan a sub-folder (with its own config, so finding paths are relative to it) from the root,
    from inside it and by absolute path; every SARIF URI names a file that exists relative to the root."""
    runs = [
        (branch_repo, ["services/api"]),
        (branch_repo / "services" / "api", ["."]),
        (tmp_path, [str(branch_repo / "services" / "api")]),
        (branch_repo / "app", ["."]),
    ]
    for cwd, paths in runs:
        proc = mi_migrate(cwd, "--format", "sarif", "--fail-on", "never", *paths)
        assert proc.returncode == 0, proc.stderr
        doc = json.loads(proc.stdout)
        validate_sarif(doc)
        uris = sarif_uris(doc)
        assert uris and all((branch_repo / uri).is_file() for uri in uris), (cwd, uris)
        root = doc["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        assert Path(root.removeprefix("file://")).resolve() == branch_repo.resolve()


def test_sarif_identity_survives_lines_moving(branch_repo):
    before = json.loads(mi_migrate(branch_repo, "--format", "sarif", "--fail-on", "never").stdout)
    local = branch_repo / "services" / "api" / "local.env"
    local.write_text("# moved down\n" * 5 + local.read_text(encoding="utf-8"), encoding="utf-8")
    after = json.loads(mi_migrate(branch_repo, "--format", "sarif", "--fail-on", "never").stdout)

    def hashes(doc: dict) -> dict[str, tuple[str, int]]:
        return {r["partialFingerprints"]["primaryLocationLineHash"]:
                (r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                 r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in doc["runs"][0]["results"]}

    moved = {h: place for h, place in hashes(after).items() if place[0] == "services/api/local.env"}
    assert set(moved) <= set(hashes(before)) and [line for _, line in moved.values()] == [7]


def test_no_git_call_can_run_repository_configured_commands(tmp_path):
    """A hostile repository config (fsmonitor, external diff, textconv, pager, hooks) runs nothing in PR mode."""
    origin = pr_repository(tmp_path)
    git(origin, "checkout", "-q", "feature")
    marker = tmp_path / "pwned"
    evil = f"sh -c 'touch {marker}'"
    for key, value in (("core.fsmonitor", evil), ("diff.external", evil), ("core.pager", evil),
                       ("diff.env.textconv", evil), ("core.hooksPath", str(tmp_path))):
        git(origin, "config", key, value)
    write(origin / ".gitattributes", "*.env diff=env\n")
    write(tmp_path / "post-checkout", f"#!/bin/sh\ntouch {marker}\n").chmod(0o755)
    proc = mi_migrate(origin, "--format", "json", "--diff-base", "main")
    assert proc.returncode == 1, proc.stderr
    assert not marker.exists() and not os.path.exists(marker)
