"""Bad input is scanned as text or skipped with a note: never a crash, never a traceback, exit 0 or 1."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from mi_migrate.cli import main
from mi_migrate.testing import fakes

STORAGE = "DefaultEndpointsProtocol=https;AccountName=acme;AccountKey={};EndpointSuffix=core.windows.net"


def fake_storage() -> str:
    return STORAGE.format(fakes.expand("«b64:64»", seed=7))


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["scan", "--format", "json", *args])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def rule_ids(output: str) -> list[str]:
    import json

    return [f["rule_id"] for f in json.loads(output)["findings"]]


def test_binary_file_is_skipped_with_a_note(tmp_path: Path) -> None:
    (tmp_path / "blob.bin").write_bytes(b"\x00\x01" + fake_storage().encode())
    code, out = run(str(tmp_path / "blob.bin"))
    assert code == 0 and "binary" in out


def test_invalid_utf8_is_scanned_as_text(tmp_path: Path) -> None:
    (tmp_path / "latin.txt").write_bytes(b"caf\xe9 \xff\xfe " + fake_storage().encode())
    code, out = run(str(tmp_path / "latin.txt"))
    assert code == 1 and rule_ids(out) == ["AZ101"]


def test_utf16_with_bom_is_decoded(tmp_path: Path) -> None:
    (tmp_path / "wide.config").write_bytes(("\ufeffconn=" + fake_storage() + "\r\n").encode("utf-16-le"))
    code, out = run(str(tmp_path / "wide.config"))
    assert code == 1 and rule_ids(out) == ["AZ101"]


def test_crlf_line_and_column(tmp_path: Path) -> None:
    (tmp_path / "a.env").write_bytes(b"A=1\r\nB=2\r\nCONN=" + fake_storage().encode() + b"\r\n")
    import json

    _, out = run(str(tmp_path / "a.env"))
    finding = json.loads(out)["findings"][0]
    assert finding["line"] == 3
    assert finding["column"] == len("CONN=") + fake_storage().index("FAKE") + 1


def test_fifty_megabyte_single_line(tmp_path: Path) -> None:
    chunk = "var a=function(b){return b*2};" * 1000
    line = (chunk * (50_000_000 // len(chunk) + 1))[:50_000_000] + fake_storage()
    (tmp_path / "bundle.js").write_text(line)
    code, out = run("--max-file-size", str(60_000_000), str(tmp_path / "bundle.js"))
    assert code == 1 and "AZ101" in rule_ids(out)
    code, out = run(str(tmp_path / "bundle.js"))  # default 2 MiB cap: skipped with a note
    assert code == 0 and "over the" in out


def test_deeply_nested_python_expression(tmp_path: Path) -> None:
    source = "from azure.storage.blob import BlobServiceClient\nx = " + "(" * 10_000 + "1" + ")" * 10_000 + "\n"
    source += 'c = BlobServiceClient.from_connection_string(os.environ["CONN"])\n'
    (tmp_path / "deep.py").write_text(source)
    code, out = run("--fail-on", "warning", str(tmp_path / "deep.py"))
    assert code in (0, 1)
    assert "deep.py" in out


def test_python2_file_is_scanned_as_text(tmp_path: Path) -> None:
    (tmp_path / "old.py").write_text(
        'from azure.storage.blob import BlobServiceClient\nprint "hello"\nCONN = "' + fake_storage() + '"\n'
        "c = BlobServiceClient.from_connection_string(CONN)\n"
    )
    code, out = run(str(tmp_path / "old.py"))
    assert code == 1 and "AZ101" in rule_ids(out) and "not parsed as Python" in out


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks")
def test_symlink_loop_and_odd_names(tmp_path: Path) -> None:
    (tmp_path / "loop").symlink_to(tmp_path)
    (tmp_path / "dangling").symlink_to(tmp_path / "missing")
    odd = tmp_path / "dir with spaces" / "naïve – ключ.env"
    odd.parent.mkdir()
    odd.write_text("CONN=" + fake_storage() + "\n")
    code, out = run(str(tmp_path))
    assert code == 1 and rule_ids(out) == ["AZ101"]
    assert "naïve – ключ.env" in out


def test_unreadable_file_is_a_note(tmp_path: Path) -> None:
    target = tmp_path / "secret.env"
    target.write_text("CONN=" + fake_storage())
    target.chmod(0)
    if os.access(target, os.R_OK):
        pytest.skip("running as root: permissions do not block reads")
    code, out = run(str(tmp_path))
    assert code == 0 and "cannot read" in out


def test_missing_path_is_a_usage_error_without_traceback(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["scan", str(tmp_path / "nope")])
    assert result.exit_code in (0, 2)
    assert "Traceback" not in result.output


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file names are bytes")
@pytest.mark.parametrize("fmt", ["json", "sarif", "github", "gitlab", "azure", "text"])
def test_a_finding_in_a_file_whose_name_is_not_utf8(tmp_path: Path, fmt: str) -> None:
    """The name reaches Python as surrogate escapes: every format reports the finding (fingerprint, SARIF URI)
    instead of failing the run with exit 2."""
    import subprocess

    name = os.fsencode(tmp_path) + b"/conf\xff.env"
    with open(name, "w", encoding="utf-8") as handle:
        handle.write(f"AZURE_STORAGE_CONNECTION_STRING={fake_storage()}\n")
    done = subprocess.run([sys.executable, "-m", "mi_migrate", "scan", ".", "--format", fmt], cwd=tmp_path,
                          capture_output=True, timeout=60)
    assert done.returncode == 1, done.stderr.decode(errors="replace")
    assert b"AZ101" in done.stdout
    if fmt == "sarif":
        assert b"conf%FF.env" in done.stdout
