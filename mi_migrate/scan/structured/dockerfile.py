"""Dockerfile `ENV` and `ARG`: a key baked into an image layer is as leaked as one in the repository.

Both forms are read: `ENV KEY=value OTHER="…"` (continued with a backslash) and the legacy `ENV KEY value`.
Key paths are `ENV.KEY` and `ARG.KEY`.
"""

from __future__ import annotations

import re

from mi_migrate.scan.structured.values import Value, contiguous, decode_escapes

_INSTRUCTION = re.compile(r"^[ \t]*(?P<op>ENV|ARG)[ \t]+", re.M | re.I)
_PAIR = re.compile(r"(?P<key>[A-Za-z_][A-Za-z0-9_.\-]*)=(?P<value>\"(?:[^\"\\]|\\.)*\"|'[^']*'|(?:[^\s\\]|\\.)*)")
_LEGACY = re.compile(r"(?P<key>[A-Za-z_][A-Za-z0-9_.\-]*)[ \t]+(?P<value>[^\n]*?)[ \t]*\\?\r?$", re.M)


def extract(text: str) -> list[Value]:
    values: list[Value] = []
    for instruction in _INSTRUCTION.finditer(text):
        op = instruction.group("op").upper()
        pos = instruction.end()
        end = _logical_end(text, pos)
        legacy = _LEGACY.match(text, pos, end)
        if legacy and "=" not in text[pos : legacy.start("value")] and not _PAIR.match(text, pos, end):
            values.append(contiguous(f"{op}.{legacy.group('key')}", legacy.group("value"), legacy.start("value")))
            continue
        for pair in _PAIR.finditer(text, pos, end):
            raw, start = pair.group("value"), pair.start("value")
            key = f"{op}.{pair.group('key')}"
            if raw[:1] == '"':
                decoded, offsets = decode_escapes(raw[1:-1], start + 1, {}, unicode=False)
                values.append(Value(key, decoded, start + 1, start + len(raw) - 1, offsets))
            elif raw[:1] == "'":
                values.append(contiguous(key, raw[1:-1], start + 1))
            else:
                values.append(contiguous(key, raw, start))
    return values


def _logical_end(text: str, pos: int) -> int:
    """End of an instruction, following backslash continuations."""
    while True:
        end = text.find("\n", pos)
        if end < 0:
            return len(text)
        if not text[pos:end].rstrip("\r \t").endswith("\\"):
            return end
        pos = end + 1
