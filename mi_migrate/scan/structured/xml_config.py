"""web.config / app.config and other XML: every attribute value and text node, entities decoded.

expat checks well-formedness (and gives the line of an error); a tag scanner then walks the elements with their
offsets, because ElementTree forgets where an attribute was. Key paths read like the config file is navigated:
`connectionStrings/add[@name='Storage']`, `appSettings/add[@key='StorageKey']`, `system.net/mailSettings/smtp/
network/@password` (the root element is left out; the conventional value attribute needs no `/@`).
"""

from __future__ import annotations

import re
import xml.parsers.expat
from dataclasses import replace

from mi_migrate.scan.structured.values import ParseFailure, Value, line_of

_TAG = re.compile(
    r"<!--.*?-->|<!\[CDATA\[(?P<cdata>.*?)\]\]>|<[?!][^>]*>"
    r"|<(?P<close>/)?(?P<name>[A-Za-z_][\w:.\-]*)(?P<attrs>(?:\s+[^\s=/>]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*)\s*(?P<self>/)?>",
    re.S,
)
_ATTR = re.compile(r"(?P<name>[^\s=/>]+)\s*=\s*(?:\"(?P<dq>[^\"]*)\"|'(?P<sq>[^']*)')")
_ENTITY = re.compile(r"&(?:#x([0-9a-fA-F]+)|#([0-9]+)|(amp|lt|gt|quot|apos));")
_NAMED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}
VALUE_ATTRIBUTES = {"connectionString", "value", "connectionstring"}
KEY_ATTRIBUTES = ("name", "key", "id")


def check(text: str) -> None:
    parser = xml.parsers.expat.ParserCreate()
    try:
        parser.Parse(text.encode("utf-8"), True)
    except xml.parsers.expat.ExpatError as exc:
        raise ParseFailure(xml.parsers.expat.ErrorString(exc.code), exc.lineno) from None


def extract(text: str) -> list[Value]:
    check(text)
    values: list[Value] = []
    stack: list[str] = []
    last_end = 0
    for tag in _TAG.finditer(text):
        if stack and tag.start() > last_end:
            values.extend(_text_value(text, last_end, tag.start(), "/".join(stack[1:])))
        last_end = tag.end()
        if tag.group("cdata") is not None:
            start = tag.start("cdata")
            values.append(Value("/".join(stack[1:]), tag.group("cdata"), start, tag.end("cdata")))
            continue
        name = tag.group("name")
        if name is None:
            continue
        if tag.group("close"):
            if stack:
                stack.pop()
            continue
        attrs = list(_ATTR.finditer(tag.group("attrs") or "", 0))
        offset = tag.start("attrs")
        label = name
        for attr in attrs:
            if attr.group("name") in KEY_ATTRIBUTES:
                label = f"{name}[@{attr.group('name')}='{attr.group('dq') or attr.group('sq') or ''}']"
                break
        element = "/".join([*stack[1:], label]) if stack else ""
        for attr in attrs:
            attr_name = attr.group("name")
            group = "dq" if attr.group("dq") is not None else "sq"
            path = element if attr_name in VALUE_ATTRIBUTES and element else f"{element}/@{attr_name}".lstrip("/")
            value = _decoded(path, attr.group(group), offset + attr.start(group))
            if attr_name == "value" and label.startswith(f"{name}[@key="):
                value = replace(value, context=label[len(name) + 7 : -2] + ": ")
            values.append(value)
        if not tag.group("self"):
            stack.append(label)
    return values


def _text_value(text: str, start: int, end: int, path: str) -> list[Value]:
    raw = text[start:end]
    stripped = raw.strip()
    if len(stripped) < 8:
        return []
    first = start + raw.index(stripped)
    return [_decoded(path, stripped, first)]


def _decoded(path: str, raw: str, start: int) -> Value:
    """Entities decoded; each decoded character maps to where its entity or character starts."""
    if "&" not in raw:
        return Value(path, raw, start, start + len(raw))
    chars: list[str] = []
    offsets: list[int] = []
    pos = 0
    for entity in _ENTITY.finditer(raw):
        chars.extend(raw[pos : entity.start()])
        offsets.extend(range(start + pos, start + entity.start()))
        hex_code, dec_code, named = entity.groups()
        chars.append(_NAMED[named] if named else chr(int(hex_code, 16) if hex_code else int(dec_code)))
        offsets.append(start + entity.start())
        pos = entity.end()
    chars.extend(raw[pos:])
    offsets.extend(range(start + pos, start + len(raw)))
    return Value(path, "".join(chars), start, start + len(raw), offsets)


def describe_error(text: str, offset: int) -> str:
    return f"invalid XML at line {line_of(text, offset)}"
