"""Rule documentation: one rule's Markdown, the generated catalogue, and `mi-migrate rule`."""

from __future__ import annotations

from click.testing import CliRunner

from mi_migrate.cli import main
from mi_migrate.core import ruledocs
from mi_migrate.core.rules import load_rules, parse_rule


def make_rule(**extra: object):
    data = {
        "id": "AZ901",
        "name": "demo-key",
        "title": "Demo key | with a pipe",
        "description": "Finds a demo key.",
        "severity": "warning",
        "kind": "secret",
        "service": "storage",
        "remediation": "Rotate it.",
        "tags": ["demo"],
        "references": ["https://example.invalid/demo"],
        "patterns": [{"regex": "DemoKey="}],
        "examples": [
            {"text": "DemoKey=«b64:64»", "match": True, "filename": "app.env"},
            {"text": "x = ```DemoKey=<key>```", "match": False},
        ],
    }
    data.update(extra)
    return parse_rule(data, "AZ901-demo-key.toml")


def test_render_rule_shows_every_section_and_keeps_tokens():
    doc = ruledocs.render_rule(make_rule())
    assert doc.startswith("# AZ901: Demo key | with a pipe\n")
    for fact in (
        "| ID | `AZ901` |",
        "| Name | `demo-key` |",
        "| Severity | warning |",
        "| Service | storage |",
        "| Kind | secret |",
        "| Tags | demo |",
    ):
        assert fact in doc
    assert "## What it finds\n\nFinds a demo key." in doc
    assert "## How to fix\n\nRotate it." in doc
    assert "## Flagged\n\nIn `app.env`:\n\n```text\nDemoKey=«b64:64»\n```" in doc  # token shown as-is
    assert "## Not flagged\n\n````text\nx = ```DemoKey=<key>```\n````" in doc  # fence outgrows backticks
    assert "## References\n\n- <https://example.invalid/demo>" in doc


def test_catalogue_has_index_and_nested_headings():
    doc = ruledocs.render_catalogue([make_rule()])
    assert doc.startswith(ruledocs.HEADER)
    row = "| [AZ901](#az901-demo-key--with-a-pipe) | `demo-key` | warning | storage"
    assert row + " | Demo key \\| with a pipe |" in doc
    assert "\n## AZ901: Demo key | with a pipe\n" in doc and "\n### What it finds\n" in doc


def test_docs_rules_md_is_up_to_date():
    expected = ruledocs.render_catalogue(load_rules())
    current = ruledocs.DOCS_PATH.read_text(encoding="utf-8") if ruledocs.DOCS_PATH.exists() else ""
    assert current == expected, f"docs/rules.md is out of date with rules/; regenerate: {ruledocs.REGENERATE}"


def test_check_flag_reports_staleness(tmp_path, capsys):
    stale = tmp_path / "rules.md"
    stale.write_text("old\n", encoding="utf-8")
    assert ruledocs.main(["--check", "--path", str(stale)]) == 1
    assert ruledocs.REGENERATE in capsys.readouterr().err
    assert ruledocs.main(["--write", "--path", str(stale)]) == 0
    assert ruledocs.main(["--check", "--path", str(stale)]) == 0


def test_cli_rule_lists_and_shows():
    rules = load_rules()
    runner = CliRunner()
    listing = runner.invoke(main, ["rule"])
    assert listing.exit_code == 0
    assert len(listing.output.splitlines()) == max(len(rules), 1)
    if rules:
        first = rules[0]
        assert listing.output.splitlines()[0].split()[:3] == [first.id, first.name, first.severity.label]
        shown = runner.invoke(main, ["rule", first.id.lower()])
        assert shown.exit_code == 0 and shown.output == ruledocs.render_rule(first)
        assert runner.invoke(main, ["rule", first.name]).output == shown.output


def test_cli_unknown_rule_exits_2_with_one_line():
    result = CliRunner().invoke(main, ["rule", "ZZ999"])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == ["Error: unknown rule 'ZZ999'; `mi-migrate rule` lists them"]
