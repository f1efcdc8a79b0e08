"""Baselines: hash-only, line-independent, sorted; only new findings are reported."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from mi_migrate import api, baseline
from mi_migrate.cli import main
from mi_migrate.core.finding import Finding, Kind, Severity, Span
from mi_migrate.core.redact import secret_hash
from mi_migrate.core.rules import rule_by_id
from mi_migrate.testing import fakes


def secret(line: int, value: str = "value-1", path: str = "app/settings.py",
           rule_id: str = "AZ101") -> Finding:
    return Finding(rule_id=rule_id, rule_name="storage-connection-string", path=path,
                   span=Span(line, 5, line, 40), severity=Severity.ERROR, kind=Kind.SECRET,
                   service="storage", message="Storage connection string", secret_hash=secret_hash(value))


def code(line: int, client: str = "BlobServiceClient", path: str = "app/blob.py") -> Finding:
    return Finding(rule_id="AZ201", rule_name="blob-client-from-connection-string", path=path,
                   span=Span(line, 1, line, 30), severity=Severity.WARNING, kind=Kind.KEY_BASED_CODE,
                   service="storage", message=f"{client}.from_connection_string",
                   fields={"client": client, "method": "from_connection_string"})


def test_round_trip_and_file_shape(tmp_path: Path) -> None:
    findings = [secret(12), secret(3, "value-2", path="a.env"), code(7), secret(40)]  # line 40: same secret
    target = tmp_path / ".mi-migrate-baseline.json"
    assert baseline.write(target, findings) == 3
    data = json.loads(target.read_text(encoding="utf-8"))
    assert data["version"] == 1 and data["generated_by"].startswith("mi-migrate ")
    assert [(e["path"], e["rule_id"]) for e in data["results"]] == [
        ("a.env", "AZ101"), ("app/blob.py", "AZ201"), ("app/settings.py", "AZ101")]
    for entry in data["results"]:
        assert set(entry) == {"rule_id", "path", "secret_hash", "fingerprint"}
    assert data["results"][0]["secret_hash"] == secret_hash("value-2")
    assert data["results"][1]["secret_hash"] is None
    assert "value-1" not in target.read_text() and '"line' not in target.read_text()
    assert baseline.load(target) == {e["fingerprint"] for e in data["results"]}
    assert baseline.filter_new(baseline.load(target), findings) == []
    assert list(tmp_path.iterdir()) == [target]  # the atomic write leaves no temporary file


def test_write_is_deterministic(tmp_path: Path) -> None:
    findings = [code(7), secret(12), secret(3, "value-2", path="a.env")]
    baseline.write(tmp_path / "one.json", findings)
    baseline.write(tmp_path / "two.json", list(reversed(findings)))
    assert (tmp_path / "one.json").read_text() == (tmp_path / "two.json").read_text()


def test_secrets_stay_baselined_when_lines_move() -> None:
    known = set(baseline.identities([secret(12)]))
    assert baseline.filter_new(known, [secret(30)]) == []
    new = [secret(30, "value-2"), secret(30, path="elsewhere.py"), secret(30, rule_id="AZ102")]
    assert baseline.filter_new(known, new) == new


def test_code_findings_use_identity_and_occurrence_not_lines() -> None:
    known = set(baseline.identities([code(10), code(20)]))
    assert baseline.filter_new(known, [code(15), code(25)]) == []  # lines above were edited
    third = [code(1), code(15), code(25)]  # a third identical call: one of them is new
    assert len(baseline.filter_new(known, third)) == 1
    assert baseline.filter_new(known, [code(15, client="QueueClient")]) == [code(15, client="QueueClient")]
    moved = code(15, path="app/other.py")
    assert baseline.filter_new(known, [moved]) == [moved]


def test_code_identity_ignores_position_but_not_key_path() -> None:
    first = replace(code(3), key_path="Values.AzureWebJobsStorage")
    assert baseline.identities([first]) == baseline.identities([replace(first, span=Span(90, 2, 90, 9))])
    assert baseline.identities([first]) != baseline.identities([replace(first, key_path="Values.Other")])


@pytest.mark.parametrize(("content", "message"), [
    (None, "baseline not found"),
    ("{not json", "not valid JSON"),
    ("[]", "not a mi-migrate baseline"),
    ('{"version": 2, "results": []}', "unsupported baseline version 2"),
    ('{"version": 1, "results": [{"path": "x"}]}', "without a fingerprint"),
    (b"\xff\xfe\x00", "not valid JSON"),
])
def test_load_errors_name_the_file(tmp_path: Path, content: str | bytes | None, message: str) -> None:
    path = tmp_path / "b.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=message) as info:
        baseline.load(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_load_of_a_directory_is_a_value_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot read baseline"):
        baseline.load(tmp_path)


def _has_az101() -> bool:
    try:
        return "AZ101" in rule_by_id()
    except ValueError:
        return False


CONNECTION = (
    "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=«b64:64»;EndpointSuffix=core.windows.net"
)


@pytest.mark.skipif(not _has_az101(), reason="rule AZ101 has not landed yet")
def test_baseline_command_end_to_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = tmp_path / "app" / "settings.env"
    settings.parent.mkdir()
    settings.write_text(fakes.expand(f"# storage\nSTORAGE={CONNECTION}\n"), encoding="utf-8")
    (tmp_path / ".mi-migrate.toml").write_text('baseline = ".mi-migrate-baseline.json"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path / "app")  # the baseline path is relative to the config file, not the cwd
    runner = CliRunner()
    scan = ["scan", "--no-third-party", "--format", "json", str(tmp_path)]
    first = runner.invoke(main, ["baseline", "--no-third-party", str(tmp_path)])
    assert first.exit_code == 0, first.output
    assert "wrote 1 baseline entries" in first.output
    assert "AccountKey" not in (tmp_path / ".mi-migrate-baseline.json").read_text()
    assert runner.invoke(main, scan).exit_code == 0

    # edits above the baselined secret do not make it new
    settings.write_text("# moved down\n\n\n" + settings.read_text(encoding="utf-8"), encoding="utf-8")
    assert runner.invoke(main, scan).exit_code == 0

    # a new key is reported, and only that one
    extra = fakes.expand(f"OTHER={CONNECTION}\n", seed=7)
    settings.write_text(settings.read_text(encoding="utf-8") + extra, encoding="utf-8")
    result = runner.invoke(main, scan)
    assert result.exit_code == 1, result.output
    reported = api.run_scan(api.ScanOptions(paths=(str(tmp_path),), third_party=False)).findings
    assert [(f.path, f.span.line) for f in reported] == [("app/settings.env", 6)]

    # regenerating accepts it; an explicit --output goes where it is told
    assert runner.invoke(main, ["baseline", "--no-third-party", str(tmp_path)]).exit_code == 0
    assert runner.invoke(main, scan).exit_code == 0
    out = tmp_path / "custom.json"
    assert runner.invoke(main, ["baseline", "--no-third-party", "-o", str(out), str(tmp_path)]).exit_code == 0
    assert len(json.loads(out.read_text())["results"]) == 2


def test_scan_with_a_bad_baseline_is_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "b.json").write_text("{", encoding="utf-8")
    (tmp_path / "empty.txt").write_text("", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["scan", "--no-third-party", "--baseline", "b.json", "empty.txt"])
    assert result.exit_code == 2 and "b.json: baseline is not valid JSON" in result.output
