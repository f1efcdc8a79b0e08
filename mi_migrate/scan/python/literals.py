"""Secret literals by position (mi_migrate.scan.python.secrets) as raw source texts, for redaction only: never
stored or printed. Works on fragments of a file too (diff hunks), where the imports may be missing: there the
rules' callables count as imported (redacting too much is harmless)."""

from __future__ import annotations

import ast
import textwrap
from collections.abc import Iterator, Sequence

from mi_migrate.core.finding import Span
from mi_migrate.core.rules import Rule
from mi_migrate.scan.python import analysis as python_analysis
from mi_migrate.scan.python.secrets import SecretLiterals


def literal_rules(rules: Sequence[Rule] | None = None) -> tuple[Rule, ...]:
    from mi_migrate.core.rules import load_rules

    return tuple(r for r in (rules or load_rules()) if r.python.get("check") == "secret-literal")


def secret_values(text: str, rel_path: str = "module.py", liberal: bool = False) -> set[str]:
    """Raw source texts of the secret literals in `text` (for redaction only; never stored or printed).

    `liberal`: `text` is a fragment (a diff hunk): every callable the rules list counts as imported under its
    own name, so a call whose import lies outside the fragment is still recognised."""
    rules = literal_rules()
    if not rules:
        return set()
    preamble = _preamble(rules) if liberal else ""
    source = preamble + text
    tree, _ = python_analysis.parse(rel_path, source)
    if tree is None:
        return set()
    matchers = python_analysis.matchers_for(rules)
    analysis = python_analysis.Analysis(
        rel_path, source, python_analysis.collect(tree), matchers, {r.id for r in rules}
    )
    found = SecretLiterals(analysis).run(tree)
    lines = source.splitlines()
    values: set[str] = set()
    for finding in found:
        raw = _span_text(lines, finding.span)
        if raw:
            values.add(raw)
    return values


def _span_text(lines: list[str], span: Span) -> str:
    if not 0 < span.line <= len(lines) or not 0 < span.end_line <= len(lines):
        return ""
    if span.line == span.end_line:
        return lines[span.line - 1][span.column - 1 : span.end_column - 1]
    parts = [lines[span.line - 1][span.column - 1 :], *lines[span.line : span.end_line - 1]]
    parts.append(lines[span.end_line - 1][: span.end_column - 1])
    return "\n".join(parts)


def _preamble(rules: Sequence[Rule]) -> str:
    imports: list[str] = []
    for rule in rules:
        spec = rule.python
        for raw in spec.get("targets", []):
            for module in [*raw.get("modules", []), *raw.get("aio_modules", [])]:
                for name in raw.get("callables", {}):
                    imports.append(f"from {module} import {name.split('.', 1)[0]}")
        for qualified in spec.get("attributes", {}):
            imports.append(f"import {qualified.split('.', 1)[0]}")
    return "\n".join(dict.fromkeys(imports)) + "\n"


def parseable_windows(lines: list[str], budget: int = 4000) -> Iterator[str]:
    """Maximal runs of `lines` that parse as Python once dedented (a hunk starts and ends anywhere)."""
    i, n = 0, len(lines)
    while i < n and budget > 0:
        for j in range(n, i, -1):
            budget -= 1
            chunk = textwrap.dedent("\n".join(lines[i:j])) + "\n"
            if chunk.strip() and _parses(chunk):
                yield chunk
                i = j
                break
            if budget <= 0:
                return
        else:
            i += 1


def _parses(text: str) -> bool:
    try:
        ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def in_any(values: set[str], text: str) -> list[str]:
    """The values that occur in `text`, longest first (so a value inside another is replaced after it)."""
    return sorted((v for v in values if v and v in text), key=len, reverse=True)
