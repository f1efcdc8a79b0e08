"""Rule documentation generated from rules/*.toml: `mi-migrate rule ID` and docs/rules.md.

The rule files are the single source; docs/rules.md is generated so it cannot drift (a test compares them).
Regenerate after changing a rule:  python -m mi_migrate.core.ruledocs --write
Examples are shown as written, «kind:arg» tokens included: they stand for generated fake keys.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from mi_migrate.core.rules import Rule, load_rules

REGENERATE = "python -m mi_migrate.core.ruledocs --write"
DOCS_PATH = Path(__file__).resolve().parent.parent.parent / "docs" / "rules.md"
HEADER = f"<!-- Generated from rules/*.toml by `{REGENERATE}`. Do not edit by hand. -->"


def _fence(text: str, lang: str = "text") -> str:
    """A code fence longer than any backtick run inside the example."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{lang}\n{text.rstrip(chr(10))}\n{fence}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_rule(rule: Rule, level: int = 1) -> str:
    """One rule as Markdown; `level` is the heading depth of its title (2 inside the catalogue)."""
    h = "#" * level
    sub = "#" * (level + 1)
    facts = [
        ("ID", f"`{rule.id}`"),
        ("Name", f"`{rule.name}`"),
        ("Severity", rule.severity.label),
        ("Service", rule.service),
        ("Kind", rule.kind.value),
        ("Precision", rule.precision),
        ("Security severity", f"{rule.security_severity:.1f}"),
    ]
    if rule.tags:
        facts.append(("Tags", ", ".join(rule.tags)))
    parts = [
        f"{h} {rule.id}: {rule.title}",
        "| | |\n|---|---|\n" + "\n".join(f"| {key} | {_cell(value)} |" for key, value in facts),
        f"{sub} What it finds\n\n{rule.description}",
        f"{sub} How to fix\n\n{rule.remediation}",
    ]
    for heading, wanted in (("Flagged", True), ("Not flagged", False)):
        examples = [ex for ex in rule.examples if ex.match is wanted]
        if not examples:
            continue
        blocks = []
        for ex in examples:
            caption = f"In `{ex.filename}`:\n\n" if ex.filename != "example.txt" else ""
            blocks.append(caption + _fence(ex.text))
        parts.append(f"{sub} {heading}\n\n" + "\n\n".join(blocks))
    if rule.references:
        parts.append(f"{sub} References\n\n" + "\n".join(f"- <{ref}>" for ref in rule.references))
    return "\n\n".join(parts) + "\n"


def render_catalogue(rules: Sequence[Rule]) -> str:
    """docs/rules.md: an index table, then every rule in id order."""
    ordered = sorted(rules, key=lambda r: r.id)
    lines = [
        HEADER,
        "",
        "# Rules",
        "",
        "Every rule mi-migrate ships, generated from `rules/*.toml`; `mi-migrate rule ID` prints one.",
        "Examples show «kind:arg» tokens where the tests put generated, obviously fake keys.",
        "",
    ]
    if ordered:
        lines += ["| ID | Name | Severity | Service | Title |", "|---|---|---|---|---|"]
        lines += [
            f"| [{r.id}](#{_anchor(r)}) | `{r.name}` | {r.severity.label} | {r.service} | {_cell(r.title)} |"
            for r in ordered
        ]
    else:
        lines.append("No rules are defined yet.")
    body = "\n".join(lines) + "\n"
    for rule in ordered:
        body += "\n" + render_rule(rule, level=2)
    return body


def _anchor(rule: Rule) -> str:
    """GitHub's heading anchor: lower-case, punctuation dropped, spaces to hyphens."""
    text = f"{rule.id}: {rule.title}".lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def render_list(rules: Sequence[Rule]) -> str:
    """`mi-migrate rule` without an id: one aligned line per rule."""
    if not rules:
        return "No rules are defined.\n"
    id_w = max(len(r.id) for r in rules)
    name_w = max(len(r.name) for r in rules)
    return "".join(
        f"{r.id:<{id_w}}  {r.name:<{name_w}}  {r.severity.label:<7}  {r.title}\n"
        for r in sorted(rules, key=lambda r: r.id)
    )


def find_rule(rules: Sequence[Rule], wanted: str) -> Rule | None:
    """By id (case-insensitive) or by kebab-case name."""
    for rule in rules:
        if rule.id == wanted.upper() or rule.name == wanted.lower():
            return rule
    return None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m mi_migrate.core.ruledocs", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--write", action="store_true", help=f"write {DOCS_PATH.name} instead of printing")
    parser.add_argument("--check", action="store_true", help="exit 1 if docs/rules.md is out of date")
    parser.add_argument("--path", type=Path, default=DOCS_PATH, help="docs file (default: the checkout's)")
    args = parser.parse_args(argv)
    text = render_catalogue(load_rules())
    if args.check:
        current = args.path.read_text(encoding="utf-8") if args.path.exists() else ""
        if current != text:
            print(f"{args.path} is out of date; regenerate it with: {REGENERATE}", file=sys.stderr)
            return 1
        return 0
    if args.write:
        args.path.parent.mkdir(parents=True, exist_ok=True)
        args.path.write_text(text, encoding="utf-8")
        print(f"wrote {args.path}", file=sys.stderr)
        return 0
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
