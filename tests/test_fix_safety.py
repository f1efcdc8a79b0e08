"""What `fix` must never do: touch files it has nothing to say about, lose a BOM, CRLF or the executable bit,
rewrite a file it cannot parse, or leave the old secret behind."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from mi_migrate.cli import main
from mi_migrate.testing import fakes
from tests.test_fix_cli import APP, CS, make_repo, tree_hashes

KEY = fakes.expand("«b64:64»")
SECRET_APP = APP.replace("«b64:64»", KEY)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    crlf = ('from azure.storage.queue import QueueClient\n\n'
            f'q = QueueClient.from_connection_string("{CS.replace("«b64:64»", KEY)}", "jobs")  # keep\n')
    root = make_repo(tmp_path / "repo", {
        "app.py": SECRET_APP,
        "tool.py": b"\xef\xbb\xbf#!/usr/bin/env python\r\n" + crlf.replace("\n", "\r\n").encode(),
        "plain.py": "import os\nprint(os.getcwd())  # untouched\n",
        "broken.py": 'from azure.storage.blob import BlobServiceClient\nBlobServiceClient.from_connection_string("x"\n'
                     "def (:\n",
        "latin.py": b"# -*- coding: latin-1 -*-\n# caf\xe9\nfrom azure.storage.blob import BlobServiceClient\n"
                    b"c = BlobServiceClient.from_connection_string(CS)\nCS = 'AccountName=acct;AccountKey=x'\n",
        "binary.py": b"\xff\xfe\x00bad" + b"from_connection_string",
        "settings.json": json.dumps({"unrelated": True}),
    })
    os.chmod(root / "tool.py", 0o755)
    monkeypatch.chdir(root)
    return root


def run(*args: str):
    return CliRunner().invoke(main, ["fix", *args])


def test_untouched_files_are_byte_identical(repo: Path) -> None:
    before = tree_hashes(repo)
    result = run(".")
    assert result.exit_code == 0, result.output
    after = tree_hashes(repo)
    changed = {rel for rel in before if before[rel] != after.get(rel)}
    assert changed == {"app.py", "tool.py", "latin.py"}


def test_crlf_bom_and_mode_preserved(repo: Path) -> None:
    run(".")
    data = (repo / "tool.py").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf#!/usr/bin/env python\r\n")
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert b'q = QueueClient("https://acct.queue.core.windows.net", "jobs", credential=credential)  # keep\r\n' in data
    assert stat.S_IMODE((repo / "tool.py").stat().st_mode) == 0o755
    compile(data.decode("utf-8-sig"), "tool.py", "exec")


def test_declared_encoding_kept(repo: Path) -> None:
    run(".")
    data = (repo / "latin.py").read_bytes()
    assert b"# caf\xe9\n" in data
    assert b"BlobServiceClient('https://acct.blob.core.windows.net', credential=credential)" in data


def test_syntax_error_file_reported_and_left_alone(repo: Path) -> None:
    before = (repo / "broken.py").read_bytes()
    result = run(".")
    assert "broken.py: not parsed as Python" in result.stderr
    assert (repo / "broken.py").read_bytes() == before


def test_no_secret_left_in_output_or_files(repo: Path) -> None:
    result = run(".")
    assert KEY not in result.output
    assert KEY not in (repo / "app.py").read_text() and KEY not in (repo / "tool.py").read_text(encoding="utf-8-sig")
    scan = CliRunner().invoke(main, ["scan", "--format", "json", "app.py", "tool.py"])
    findings = json.loads(scan.stdout)["findings"]
    assert not [f for f in findings if f["rule_id"] == "AZ101"]


def test_before_fix_the_scan_sees_the_secret(repo: Path) -> None:
    """The test above means something: the same scan flags the original file."""
    scan = CliRunner().invoke(main, ["scan", "--format", "json", "app.py"])
    assert any(f["rule_id"] == "AZ101" for f in json.loads(scan.stdout)["findings"])


def test_check_and_diff_write_nothing(repo: Path) -> None:
    before = tree_hashes(repo)
    assert run("--check", ".").exit_code == 1
    assert run("--diff", ".").exit_code == 1
    assert tree_hashes(repo) == before
    assert not list(repo.rglob("*.mi-migrate.tmp"))


def test_comments_are_never_dropped(repo: Path) -> None:
    def comments(text: str) -> list[str]:
        return [line.split("#", 1)[1] for line in text.splitlines() if "#" in line and "AccountKey" not in line]

    before = comments(SECRET_APP)
    run(".")
    assert comments((repo / "app.py").read_text()) == before
