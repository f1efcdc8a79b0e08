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
