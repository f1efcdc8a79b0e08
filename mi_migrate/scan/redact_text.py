"""Redact every secret the scanner recognises in a text (a diff, an error message): what `fix --diff`, the report
and error notes print. It runs the scanner, so it sits in mi_migrate.scan; the primitives are mi_migrate.core.redact.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from mi_migrate.core.redact import redact

PYTHON_SUFFIXES = (".py", ".pyw")
_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


def redact_secrets(text: str, path: str = "diff.txt") -> str:
    """`text` with every secret the scanner recognises (Azure rules and detect-secrets' detectors) replaced by
    its redacted form: for output that quotes source code, such as `fix --diff`."""
    from mi_migrate.core.rules import load_rules
    from mi_migrate.scan import engine, third_party

    index = engine.LineIndex.of(text)
    rules = tuple(load_rules())
    findings = engine.scan_text(path, text, [r for r in rules if r.patterns], index)
    findings += third_party.scan(path, text, text.lower().encode("utf-8", "replace"), rules)
    spans = []
    for finding in findings:
        if not finding.secret_hash:
            continue
        start = index.starts[finding.span.line - 1] + finding.span.column - 1
        end = index.starts[finding.span.end_line - 1] + finding.span.end_column - 1
        if 0 <= start < end <= len(text):
            spans.append((start, end))
    for start, end in sorted(set(spans), reverse=True):
        text = text[:start] + redact(text[start:end]) + text[end:]
    return _redact_python_positions(text)


def _redact_python_positions(text: str) -> str:
    """Secrets found by position (a literal passed as `client_secret`, `api_key`, ...; rule AZ123) have no shape
    a text rule could see: in a unified diff of Python files they are found by analysing the file the diff was
    made from (when it is on disk and matches the diff) and every hunk's old and new side."""
    if "\n@@ " not in text and not text.startswith("@@ "):
        return text
    from mi_migrate.scan.python import literals

    values: set[str] = set()
    for path, hunks in _diff_files(text):
        if not path.endswith(PYTHON_SUFFIXES):
            continue
        original = _original_on_disk(path, hunks)
        if original is not None:
            values |= literals.secret_values(original, path)
        for side in (0, 1):
            chunks = [w for hunk in hunks for w in literals.parseable_windows(hunk[side])]
            imports = [line.strip() for hunk in hunks for line in hunk[side] if _IMPORT.match(line)]
            fragment = "\n".join([*imports, *chunks])
            values |= literals.secret_values(fragment, path, liberal=True)
    for value in literals.in_any(values, text):
        text = text.replace(value, redact(value))
    return text


_IMPORT = re.compile(r"^\s*(?:from\s+[\w.]+\s+import\s+[\w, ]+|import\s+[\w., ]+)\s*$")
Hunk = tuple[list[str], list[str], int]  # old-side lines, new-side lines, first old line number


def _diff_files(text: str) -> list[tuple[str, list[Hunk]]]:
    """(path, hunks) per file of a unified diff; the path is the `a/` side without its prefix."""
    files: list[tuple[str, list[Hunk]]] = []
    hunk: Hunk | None = None
    old_left = new_left = 0
    for line in text.splitlines():
        if hunk is not None and (old_left > 0 or new_left > 0) and line[:1] in (" ", "-", "+", ""):
            body, mark = line[1:], line[:1]
            if mark != "+":
                hunk[0].append(body)
                old_left -= 1
            if mark != "-":
                hunk[1].append(body)
                new_left -= 1
        elif line.startswith("--- "):
            files.append((_diff_path(line), []))
            hunk = None
        elif line.startswith("+++ ") and files and files[-1][0] in ("dev/null", "/dev/null", ""):
            files[-1] = (_diff_path(line), files[-1][1])
        elif (m := _HUNK.match(line)) and files:
            hunk = ([], [], int(m.group(1)))
            old_left, new_left = int(m.group(2) or 1), int(m.group(4) or 1)
            files[-1][1].append(hunk)
    return files


def _diff_path(header: str) -> str:
    name = header[4:].split("\t", 1)[0].strip()
    return name[2:] if name.startswith(("a/", "b/")) else name


def _original_on_disk(path: str, hunks: list[Hunk]) -> str | None:
    """The file the diff was made from: `path` under the working directory or one of its parents, accepted only
    when every hunk's old side matches it line for line (`fix --diff` writes nothing, so it is still there)."""
    if os.path.isabs(path) or ".." in Path(path).parts:
        return None
    base = Path.cwd()
    for folder in (base, *base.parents):
        candidate = folder / path
        try:
            if not candidate.is_file() or candidate.stat().st_size > 2 * 1024 * 1024:
                continue
            text = candidate.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        lines = text.splitlines()
        if all(lines[start - 1 : start - 1 + len(old)] == old for old, _, start in hunks if old):
            return text
    return None
