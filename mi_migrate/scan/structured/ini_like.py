"""INI, CFG, TOML and Java properties: `[section]` headers and `key = value` / `key: value` lines.

Key paths are `section.key`. TOML strings are decoded (basic-string escapes, multi-line strings); a properties
value continued with a trailing backslash is joined, as Java reads it. A .toml file that tomllib rejects is
scanned as text with a note.
"""

from __future__ import annotations

import re
import tomllib

from mi_migrate.scan.structured.values import ParseFailure, Value, contiguous, decode_escapes

_SECTION = re.compile(r"^[ \t]*\[\[?[ \t]*(?P<name>[^\]\n]+?)[ \t]*\]\]?[ \t]*(?:[#;].*)?$", re.M)
_ASSIGN = re.compile(r"^[ \t]*(?P<key>[\"']?[A-Za-z0-9_.\-\"' ]+?[\"']?)[ \t]*[=:][ \t]*(?P<value>.*)$", re.M)
_TOML_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", '"': '"', "\\": "\\", "e": "\x1b"}
_TOML_ERROR_LINE = re.compile(r"line (\d+)")


def extract(text: str, toml: bool = False, properties: bool = False) -> list[Value]:
    if toml:
        try:
            tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            found = _TOML_ERROR_LINE.search(str(exc))
            raise ParseFailure(str(exc).split(" (at")[0], int(found.group(1)) if found else None) from None
    sections = [(m.start(), m.group("name").strip().strip("\"'")) for m in _SECTION.finditer(text)]
    values: list[Value] = []
    pos = 0
    for match in _ASSIGN.finditer(text):
        if match.start() < pos or match.group("key").lstrip().startswith(("#", ";", "!")):
            continue
        section = ""
        for offset, name in sections:
            if offset > match.start():
                break
            section = name
        name = match.group("key").strip().strip("\"'")
        key = f"{section}.{name}" if section else name  # dotted names stay as written (`storage.conn`)
        value, pos = _value(text, match, toml, properties)
        if value is not None:
            values.append(Value(key, value.text, value.start, value.end, value.offsets))
    return values


def _value(text: str, match: re.Match[str], toml: bool, properties: bool) -> tuple[Value | None, int]:
    start = match.start("value")
    raw = match.group("value").rstrip("\r")
    if toml and raw.startswith(('"""', "'''")):
        quote = raw[:3]
        close = text.find(quote, start + 3)
        if close < 0:
            return None, match.end()
        body_start = start + 3 + (1 if text[start + 3 : start + 4] == "\n" else 0)
        body = text[body_start:close]
        if quote == '"""':
            decoded, offsets = decode_escapes(body, body_start, _TOML_ESCAPES)
            return Value("", decoded, body_start, close, offsets), close + 3
        return contiguous("", body, body_start), close + 3
    if raw[:1] in ("'", '"'):
        quote = raw[0]
        close = _close(raw, quote)
        body = raw[1:close] if close > 0 else raw[1:]
        if quote == '"' and toml:
            decoded, offsets = decode_escapes(body, start + 1, _TOML_ESCAPES)
            return Value("", decoded, start + 1, start + 1 + len(body), offsets), match.end()
        return contiguous("", body, start + 1), match.end()
    if properties and raw.endswith("\\"):
        return _continued(text, start), text.find("\n", start)
    comment = re.search(r"[ \t]+[#;]", raw)
    body = (raw[: comment.start()] if comment else raw).rstrip()
    return contiguous("", body, start), match.end()


def _close(raw: str, quote: str) -> int:
    i = 1
    while i < len(raw):
        if raw[i] == "\\" and quote == '"':
            i += 2
            continue
        if raw[i] == quote:
            return i
        i += 1
    return -1


def _continued(text: str, start: int) -> Value:
    """A properties value continued over lines with a trailing backslash: joined, leading blanks dropped."""
    chars: list[str] = []
    offsets: list[int] = []
    pos = start
    while True:
        end = text.find("\n", pos)
        end = len(text) if end < 0 else end
        line = text[pos:end].rstrip("\r")
        more = line.endswith("\\") and not line.endswith("\\\\")
        body = line[:-1] if more else line
        chars.extend(body)
        offsets.extend(range(pos, pos + len(body)))
        if not more or end >= len(text):
            break
        pos = end + 1
        while pos < len(text) and text[pos] in " \t":
            pos += 1
    last = offsets[-1] + 1 if offsets else start
    return Value("", "".join(chars), start, last, offsets)
