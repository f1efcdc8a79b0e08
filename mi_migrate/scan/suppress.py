"""Inline suppressions, in the grammars users already know.

- `# noqa` / `# noqa: AZ101, AZ2` in Python files (ruff's grammar: a code is uppercase letters then
  digits; here a code also matches as an id prefix). It must sit in a comment, not a string literal:
  comments come from `tokenize`, or a single-line lexer when the file does not tokenize.
- `mi-migrate: ignore` / `mi-migrate: ignore[AZ101, storage-connection-string]` in any comment syntax
  (`#`, `//`, `/* */`, `<!-- -->`, `;`, `--`, `REM`, `::`, `'`), on the finding's line or alone on the
  line above: YAML, .env and XML have no noqa tradition, and a comment above keeps long lines readable.
- detect-secrets' `pragma: allowlist secret` on the line and `pragma: allowlist nextline secret` on the
  line above, so files already annotated for detect-secrets need no second marker.

A finding spanning several lines (a multi-line string) can be suppressed on its first or its last line,
and by a comment above its first line.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Iterator

from mi_migrate.core.finding import Finding
from mi_migrate.scan.engine import LineIndex

PYTHON_SUFFIXES = (".py", ".pyw", ".pyi")
COMMENT = r"(?:#|//|/\*|<!--|;|--|'|::|\b[Rr][Ee][Mm]\b)"
NOQA = re.compile(
    r"#\s*(?i:noqa)(?![A-Za-z])(?P<colon>\s*:\s*(?P<codes>[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*)?)?"
)
CODE = re.compile(r"[A-Z]+[0-9]+")
DIRECTIVE = r"mi-migrate:\s*ignore(?:\[(?P<codes>[^\]\n]*)\]|(?![\w-]))"
# On the finding's own line a directive needs a comment token anywhere before it. Written as one regex
# (comment, lazy run, directive) that costs a scan to the line's end from every quote or `;`: seconds on a
# notebook kept on one 130 KB line. So the directive is found first, then a comment token before it.
COMMENT_TOKEN = re.compile(COMMENT)
DIRECTIVE_ONLY = re.compile(DIRECTIVE)
PRAGMA_ONLY = re.compile(r"pragma:\s*allowlist[ -]secret", re.I)
LINE_ABOVE = re.compile(r"^\s*" + COMMENT + r".*?" + DIRECTIVE)  # anchored: one scan of the line
PRAGMA_NEXT = re.compile(r"^\s*" + COMMENT + r".*?pragma:\s*allowlist[ -]nextline[ -]secret", re.I)
REF_SPLIT = re.compile(r"[\s,]+")

Codes = frozenset[str] | None  # None: every rule


def apply_inline(findings: list[Finding], text: str, index: LineIndex) -> list[Finding]:
    """The findings not silenced by a comment on their own line or the line above."""
    if not findings:
        return findings
    lines = Lines(text, index, python=findings[0].path.endswith(PYTHON_SUFFIXES))
    return [f for f in findings if not suppressed(f, lines)]


class Lines:
    """Lazy 1-based line access with per-line caches of parsed directives."""

    def __init__(self, text: str, index: LineIndex, python: bool = False) -> None:
        self.text = text
        self.starts = index.starts
        self.python = python
        self._cache: dict[tuple[str, int], list[Codes]] = {}
        self._comments: dict[int, int] | None = None

    def get(self, number: int) -> str:
        if number < 1 or number > len(self.starts):
            return ""
        start = self.starts[number - 1]
        end = self.starts[number] - 1 if number < len(self.starts) else len(self.text)
        return self.text[start:end].rstrip("\r")

    def directives(self, kind: str, number: int) -> list[Codes]:
        key = (kind, number)
        if key not in self._cache:
            self._cache[key] = parse(kind, self.get(number))
            if kind == "same" and self.python:
                self._cache[key] += noqa(self.get(number), self.comment(number))
        return self._cache[key]

    def comment(self, number: int) -> int | None:
        """Offset of the Python comment on a line: exact from tokenize, else the single-line lexer."""
        if self._comments is None:
            self._comments = python_comments(self.text) if "noqa" in self.text.lower() else {}
        if number in self._comments:
            return self._comments[number]
        if self._comments.get(0) == -1:  # tokenize failed: guess line by line
            return comment_start(self.get(number))
        return None


def python_comments(text: str) -> dict[int, int]:
    """{line: column} of every comment token; {0: -1} when the source does not tokenize."""
    comments: dict[int, int] = {}
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.COMMENT:
                comments[token.start[0]] = token.start[1]
    except (tokenize.TokenError, SyntaxError):
        return {0: -1}
    return comments


def parse(kind: str, line: str) -> list[Codes]:
    """Language-neutral suppressions of one kind on a line: code sets (None = all rules)."""
    if "mi-migrate" not in line and "pragma" not in line.lower():
        return []
    found: list[Codes] = []
    if kind == "same":
        found.extend(_refs(m.group("codes")) for m in _after_comments(DIRECTIVE_ONLY, line))
        if next(_after_comments(PRAGMA_ONLY, line), None) is not None:
            found.append(None)
    else:
        match = LINE_ABOVE.search(line)
        if match:
            found.append(_refs(match.group("codes")))
        if PRAGMA_NEXT.search(line):
            found.append(None)
    return found


def _after_comments(directive: re.Pattern[str], line: str) -> Iterator[re.Match[str]]:
    """The matches of `directive` that `comment token, anything, directive` would find, left to right: each
    one with a comment token starting after the previous one taken and ending before it."""
    taken = 0
    for match in directive.finditer(line):
        if match.start() >= taken and _comment_between(line, taken, match.start()):
            yield match
            taken = match.end()


def _comment_between(line: str, start: int, limit: int) -> bool:
    """A comment token starts at or after `start` and ends by `limit` (one token can start at any position)."""
    while True:
        token = COMMENT_TOKEN.search(line, start)
        if token is None or token.start() >= limit:
            return False
        if token.end() <= limit:
            return True
        start = token.start() + 1


def noqa(line: str, comment: int | None) -> list[Codes]:
    """`# noqa` directives in the comment starting at offset `comment` (None: no comment on the line)."""
    if comment is None or "noqa" not in line.lower():
        return []
    found: list[Codes] = []
    for match in NOQA.finditer(line, comment):
        if match.group("colon") is None:
            found.append(None)
        elif match.group("codes"):
            found.append(frozenset(CODE.findall(match.group("codes"))))
        # a noqa colon followed by no valid code suppresses nothing: a typo must not hide a secret
    return found


def comment_start(line: str) -> int | None:
    """Offset of the first `#` outside a string literal on this line (a cheap single-line lexer, used
    when the file does not tokenize)."""
    quote = ""
    i = 0
    while i < len(line):
        char = line[i]
        if quote:
            if char == "\\":
                i += 2
                continue
            if line.startswith(quote, i):
                i += len(quote)
                quote = ""
                continue
        elif char in "'\"":
            quote = char * 3 if line.startswith(char * 3, i) else char
            i += len(quote)
            continue
        elif char == "#":
            return i
        i += 1
    return None


def _refs(codes: str | None) -> Codes:
    if codes is None or not codes.strip():
        return None
    return frozenset(ref for ref in REF_SPLIT.split(codes.strip()) if ref)


def covers(codes: Codes, finding: Finding) -> bool:
    if codes is None:
        return True
    return any(finding.rule_id.startswith(code) or code == finding.rule_name for code in codes)


def suppressed(finding: Finding, lines: Lines) -> bool:
    first, last = finding.span.line, finding.span.end_line
    for number in {first, last}:
        if any(covers(codes, finding) for codes in lines.directives("same", number)):
            return True
    return any(covers(codes, finding) for codes in lines.directives("above", first - 1))
