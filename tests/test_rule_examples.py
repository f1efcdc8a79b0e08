"""Every example in rules/*.toml is a test: `match = true` examples must produce a finding of that rule (with the
given fields), `match = false` examples must not. No rule ships untested."""

from __future__ import annotations

import pytest

from mi_migrate.core.rules import Rule, load_rules
from mi_migrate.scan.files import scan_bytes
from mi_migrate.scan.model import ScanSettings
from mi_migrate.testing import fakes


def _cases() -> list[object]:
    cases = []
    for rule in load_rules():
        for number, example in enumerate(rule.examples):
            kind = "match" if example.match else "no-match"
            cases.append(pytest.param(rule, example, id=f"{rule.id}-{rule.name}-{kind}-{number}"))
    return cases


@pytest.mark.parametrize(("rule", "example"), _cases())
def test_rule_example(rule: Rule, example) -> None:
    text = fakes.expand(example.text)
    findings, _ = scan_bytes(example.filename, text.encode("utf-8"), ScanSettings())
    own = [f for f in findings if f.rule_id == rule.id]
    if not example.match:
        assert not own, f"{rule.id} must not match: {[f.message for f in own]}"
        return
    assert own, f"{rule.id} did not match; other findings: {[f.rule_id for f in findings]}"
    for finding in own:
        assert finding.severity.label == (example.severity or rule.severity.label)
    if example.fields:
        seen = [{**finding.fields, "service": finding.service} for finding in own]
        assert any(example.fields.items() <= fields.items() for fields in seen), seen
    for finding in own:  # the secret itself never appears in evidence
        if finding.secret_hash:
            assert len(finding.evidence) < 60


def test_parsed_rule_files_are_cached_by_content(tmp_path, monkeypatch) -> None:
    """The second load of unchanged rule files reads the JSON cache (tomllib is not called); a changed file
    is parsed again."""
    import shutil
    import tomllib

    from mi_migrate.core import rules as rules_mod

    monkeypatch.setenv("MI_MIGRATE_CACHE_DIR", str(tmp_path / "cache"))
    shipped = rules_mod.rules_dir()
    mine = tmp_path / "rules"
    mine.mkdir()
    for name in ("AZ101-storage-connection-string.toml", "AZ113-sql-connection-string-password.toml"):
        shutil.copy(shipped / name, mine / name)
    first = rules_mod.load_rules_from(mine)
    assert len(list((tmp_path / "cache").glob("rules-*.json"))) == 1

    def no_toml(text: str) -> dict:
        raise AssertionError("parsed again")

    monkeypatch.setattr(tomllib, "loads", no_toml)
    assert [r.id for r in rules_mod.load_rules_from(mine)] == [r.id for r in first]
    path = mine / "AZ101-storage-connection-string.toml"
    path.write_text(path.read_text(encoding="utf-8").replace("title = ", "title = 'changed' #", 1), encoding="utf-8")
    with pytest.raises(AssertionError, match="parsed again"):
        rules_mod.load_rules_from(mine)
