"""Scanning a repository must never run its code: every command a repository's own git config could make git
run (fsmonitor, external diff, textconv, filters, pager, ssh, credential helper) is planted, and none may run."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from mi_migrate.cli import main

pytestmark = pytest.mark.slow

CS = "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=«b64:64»;EndpointSuffix=core.windows.net"
APP = '''import os
from azure.storage.blob import BlobServiceClient

def client():
    return BlobServiceClient.from_connection_string(os.environ["AZURE_STORAGE_CONNECTION_STRING"])
'''


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
                   check=True, capture_output=True)


@pytest.fixture
def hostile(tmp_path: Path) -> tuple[Path, Path]:
    from mi_migrate.testing import fakes

    root, marks = tmp_path / "repo", tmp_path / "marks"
    marks.mkdir()
    git(tmp_path, "init", "-q", str(root))
    (root / "app.py").write_text(APP)
    (root / "settings.cfg").write_text(f"conn={fakes.expand(CS)}\n")
    (root / ".gitattributes").write_text("*.cfg filter=evil diff=evil\n")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "one")
    (root / "settings.cfg").write_text(f"conn={fakes.expand(CS)}\nmore=1\n")
    (root / "app.py").write_text(APP + "\n# edited\n")
    git(root, "add", "app.py")
    for key, name in (("core.fsmonitor", "fsmonitor"), ("diff.external", "external-diff"),
                      ("diff.evil.textconv", "textconv"), ("filter.evil.clean", "clean"),
                      ("filter.evil.smudge", "smudge"), ("filter.evil.process", "process"),
                      ("core.pager", "pager"), ("core.sshCommand", "ssh"), ("credential.helper", "!credential"),
                      ("core.hooksPath", None)):
        if name is None:
            hooks = tmp_path / "hooks"
            hooks.mkdir()
            for hook in ("post-checkout", "post-index-change", "reference-transaction"):
                (hooks / hook).write_text(f"#!/bin/sh\ntouch {marks}/hook-{hook}\n")
                (hooks / hook).chmod(0o755)
            git(root, "config", key, str(hooks))
            continue
        command = f"touch {marks}/{name.lstrip('!')}; false"
        git(root, "config", key, ("!" if name.startswith("!") else "") + command)
    return root, marks


@pytest.mark.parametrize("args", [
    ["scan", "."], ["scan", "--history", "."], ["scan", "--staged"], ["fix", "--diff", "."],
    ["fix", "."], ["report", "."], ["baseline", ".", "-o", "../baseline.json"],
])
def test_no_command_from_the_repositorys_config_runs(hostile: tuple[Path, Path], args: list[str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    root, marks = hostile
    monkeypatch.chdir(root)
    result = CliRunner().invoke(main, args)
    assert result.exit_code in (0, 1), result.output
    assert sorted(p.name for p in marks.iterdir()) == []


def test_the_fixture_is_really_hostile(hostile: tuple[Path, Path]) -> None:
    """Plain git in that repository does run the planted commands: the test above can fail."""
    root, marks = hostile
    subprocess.run(["git", "-C", str(root), "status"], capture_output=True, check=False)
    subprocess.run(["git", "-C", str(root), "diff"], capture_output=True, check=False)
    assert {"fsmonitor", "external-diff"} & {p.name for p in marks.iterdir()}
