"""`.env` files: `KEY=value`, `export KEY="…"` (escapes, multi-line double quotes), `KEY='…'`, comments."""

from __future__ import annotations

import re

from mi_migrate.scan.structured.values import ParseFailure, Value, contiguous, decode_escapes, line_of

_ASSIGN = re.compile(r"^[ \t]*(?:export[ \t]+)?(?P<key>[A-Za-z_][A-Za-z0-9_.\-]*)[ \t]*[=:][ \t]*", re.M)
_ENV_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "$": "$"}


def extract(text: str) -> list[Value]:
    values: list[Value] = []
    pos = 0
    for match in _ASSIGN.finditer(text):
        if match.start() < pos:  # inside a multi-line quoted value
            continue
        key, start = match.group("key"), match.end()
        quote = text[start : start + 1]
        if quote in ("'", '"'):
            close = _closing(text, start + 1, quote)
            if close < 0:
                raise ParseFailure(f"unterminated {quote} string", line_of(text, start))
            raw = text[start + 1 : close]
            if quote == '"':
                decoded, offsets = decode_escapes(raw, start + 1, _ENV_ESCAPES, unicode=False)
                values.append(Value(key, decoded, start + 1, close, offsets))
            else:
                values.append(contiguous(key, raw, start + 1))
            pos = close + 1
            continue
        line_end = text.find("\n", start)
        line_end = len(text) if line_end < 0 else line_end
        raw = text[start:line_end]
        comment = re.search(r"[ \t]+#", raw)
        raw = (raw[: comment.start()] if comment else raw).rstrip("\r \t")
        values.append(contiguous(key, raw, start))
        pos = line_end
    return values


def _closing(text: str, pos: int, quote: str) -> int:
    """Offset of the closing quote (a backslash escapes it inside double quotes), or -1."""
    while True:
        found = text.find(quote, pos)
        if found < 0:
            return -1
        if quote == '"':
            backslashes = len(text[pos:found]) - len(text[pos:found].rstrip("\\"))
            if backslashes % 2:
                pos = found + 1
                continue
        return found
