"""JSON with positions: local.settings.json, appsettings*.json, ARM templates, any JSON (comments allowed).

The stdlib json module forgets where a value was, so this is a small tokenizer-driven parser that keeps the
file offset of every string and decodes escapes with a per-character offset map (`"Account\\u004bey=…"` is
found, and reported where it is written). For strict JSON the scan usually needs only a few of the values (the
escaped ones whose window can reveal a key, and those holding a finding to name): values_near builds just those
from json.loads' structure and one regex pass over the leaves, and escaped_value_windows says which can reveal.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Container, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from mi_migrate.scan.structured.scanner import CONTEXT, MIN_VALUE
from mi_migrate.scan.structured.values import (
    JSON_ESCAPES,
    ParseFailure,
    Value,
    decode_escapes,
    decode_text,
    join_index,
    join_key,
    line_of,
)

_TOKEN = re.compile(
    r"""[ \t\r\n\ufeff]*(?:
        (?P<string>"(?:[^"\\\n]|\\.)*")
      | (?P<punct>[{}\[\]:,])
      | (?P<scalar>-?[0-9][0-9.eE+-]*|true|false|null|NaN|-?Infinity)
      | (?P<comment>//[^\n]*|/\*(?:[^*]|\*(?!/))*\*/)
    )""",
    re.X | re.S,
)
_SPACE = re.compile(r"[ \t\r\n\ufeff]*")
MAX_DEPTH = 500
# From a point outside any string, through strings without an escape, to the next string with one (group 1).
_NEXT_ESCAPED = re.compile(r'(?:[^"]++|"[^"\\]*+")*+("[^"\\]*+(?:\\.[^"\\]*+)++")', re.S)
# In a document json.loads accepted, every string and scalar in order (strings are taken from their opening
# quote, so nothing inside one is read as a scalar)
_LEAF = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|-?[0-9][0-9.eE+-]*|true|false|null|NaN|-?Infinity', re.S)


@dataclass(frozen=True, slots=True)
class JStr:
    """A JSON string: decoded text, offsets of its characters, and the raw span inside the quotes."""

    text: str
    start: int
    end: int
    offsets: list[int] | None

    def value(self, key_path: str, **extra: Any) -> Value:
        return Value(key_path, self.text, self.start, self.end, self.offsets, **extra)


Node = Any  # dict[str, Node] | list[Node] | JStr | scalar text


def tokens(text: str) -> Iterator[tuple[str, str, int]]:
    """(kind, raw, offset) tokens; comments are skipped. Raises ParseFailure on a stray character."""
    pos = 0
    n = len(text)
    match = _TOKEN.match
    while True:
        found = match(text, pos)
        if found is None:
            pos = _SPACE.match(text, pos).end()  # type: ignore[union-attr]
            if pos >= n:
                return
            what = "unterminated string" if text[pos] == '"' else f"unexpected {text[pos]!r}"
            raise ParseFailure(what, line_of(text, pos))
        kind = found.lastgroup or ""
        pos = found.end()
        if kind != "comment":
            yield kind, found.group(kind), found.start(kind)


def parse(text: str) -> Node:
    """Parse JSON (with comments and trailing commas) into dicts, lists and JStr; ParseFailure when invalid."""
    stream = tokens(text)
    root, _ = _parse_value(stream, next(stream, None), text, 0)
    if root is None:
        raise ParseFailure("empty document", 1)
    extra = next(stream, None)
    if extra is not None:
        raise ParseFailure(f"unexpected {extra[1][:10]!r} after the document", line_of(text, extra[2]))
    return root


def _string(raw: str, offset: int) -> JStr:
    inner, offsets = decode_escapes(raw[1:-1], offset + 1, JSON_ESCAPES)
    return JStr(inner, offset + 1, offset + len(raw) - 1, offsets)


def _parse_value(
    stream: Iterator[tuple[str, str, int]], token: tuple[str, str, int] | None, text: str, depth: int
) -> tuple[Node, int]:
    if token is None:
        return None, len(text)
    if depth > MAX_DEPTH:
        raise ParseFailure("nesting too deep", line_of(text, token[2]))
    kind, raw, offset = token
    if kind == "string":
        return _string(raw, offset), offset
    if kind == "scalar":
        return raw, offset
    if raw == "{":
        obj: dict[str, Node] = {}
        token = next(stream, None)
        while token is not None and token[1] != "}":
            if token[0] != "string":
                raise ParseFailure(f"expected a key, found {token[1][:10]!r}", line_of(text, token[2]))
            key = _string(token[1], token[2]).text
            colon = next(stream, None)
            if colon is None or colon[1] != ":":
                raise ParseFailure("expected ':'", line_of(text, colon[2] if colon else len(text)))
            obj[key], _ = _parse_value(stream, next(stream, None), text, depth + 1)
            token = next(stream, None)
            if token is not None and token[1] == ",":
                token = next(stream, None)
            elif token is not None and token[1] != "}":
                raise ParseFailure("expected ',' or '}'", line_of(text, token[2]))
        if token is None:
            raise ParseFailure("unterminated object", line_of(text, len(text)))
        return obj, offset
    if raw == "[":
        items: list[Node] = []
        token = next(stream, None)
        while token is not None and token[1] != "]":
            item, _ = _parse_value(stream, token, text, depth + 1)
            items.append(item)
            token = next(stream, None)
            if token is not None and token[1] == ",":
                token = next(stream, None)
            elif token is not None and token[1] != "]":
                raise ParseFailure("expected ',' or ']'", line_of(text, token[2]))
        if token is None:
            raise ParseFailure("unterminated array", line_of(text, len(text)))
        return items, offset
    raise ParseFailure(f"unexpected {raw!r}", line_of(text, offset))


def walk(node: Node, key_path: str = "") -> Iterator[Value]:
    """Every string value in the tree, with its key path (`Values.AzureWebJobsStorage`, `resources[0].name`)."""
    stack: list[tuple[Node, str]] = [(node, key_path)]
    while stack:
        current, path = stack.pop()
        if isinstance(current, JStr):
            yield current.value(path)
        elif isinstance(current, dict):
            stack.extend((child, join_key(path, key)) for key, child in reversed(current.items()))
        elif isinstance(current, list):
            stack.extend((child, join_index(path, i)) for i, child in reversed(list(enumerate(current))))


def extract(text: str) -> list[Value]:
    return list(walk(parse(text)))


_NOT_STRICT = object()


@functools.lru_cache(maxsize=1)
def _strict(text: str) -> Any:
    """json.loads(text), or _NOT_STRICT; kept for the one file being scanned, which both the window test and
    values_near read (the tree is only read, never changed)."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return _NOT_STRICT


def escaped_value_windows(text: str) -> list[tuple[int, str]] | None:
    """(value start, window) for every string with an escape in it: the text scanner.scan_value reads around it
    (raw context before, the decoded string, a line break, raw context after). None when the file is not strict
    JSON.

    In a file the line scan has read, the parse can add a finding only inside a decoded escaped value, where the
    rules see exactly this window; a window without some rule's keyword and anchor adds none. In strict JSON
    (json.loads accepts it: no comments, no raw control characters in strings, no backslash outside one) one regex
    goes from string to string, stopping only at those with an escape; keys come along, which only widens the
    test."""
    if _strict(text) is _NOT_STRICT:
        return None
    windows = []
    pos = 0
    while text.find("\\", pos) != -1 and (found := _NEXT_ESCAPED.match(text, pos)):
        pos = found.end()
        start, end = found.start(1) + 1, pos - 1
        decoded = _decoded(text[start:end])
        if len(decoded) >= MIN_VALUE:
            windows.append((start, text[max(0, start - CONTEXT) : start] + decoded + "\n" + text[end : end + CONTEXT]))
    return windows


DECODED_MEMO_SPAN = 4096  # longer strings are decoded afresh (the memory holds at most 4096 of them)


def _decoded(raw: str) -> str:
    """A JSON string's escapes decoded; short ones kept, as the versions of a file in history repeat most."""
    return _decoded_kept(raw) if len(raw) <= DECODED_MEMO_SPAN else decode_text(raw, JSON_ESCAPES)


@functools.lru_cache(maxsize=1 << 12)
def _decoded_kept(raw: str) -> str:
    return decode_text(raw, JSON_ESCAPES)


class _OutOfStep(Exception):
    """json.loads' tree and the leaves the regex found do not line up (a duplicate key dropped a pair)."""


def values_near(text: str, offsets: Sequence[int], escaped: bool | Container[int] = True) -> list[Value] | None:
    """The values of extract() a scan can use, from a strict JSON file: every string with an escape (the rest is
    what the line scan read), or only those starting at an offset in `escaped` (the ones whose window can reveal
    something), and every string holding one of `offsets` (findings to name by key path). json.loads
    gives the structure, _LEAF the position of each leaf in the same order, so no string is decoded or wrapped
    unless it is kept. None when the file is not strict JSON or the two do not line up; extract() decides then."""
    loaded = _strict(text)
    if loaded is _NOT_STRICT:
        return None
    walk = _NearWalk(text, sorted(offsets), escaped)
    try:
        walk.visit(loaded, 0)
    except (_OutOfStep, StopIteration, RecursionError):
        return None
    return walk.kept if next(walk.leaves, None) is None else None


class _NearWalk:
    def __init__(self, text: str, targets: list[int], escaped: bool | Container[int]) -> None:
        self.text = text
        self.escaped = escaped
        self.leaves = _LEAF.finditer(text)
        self.targets = targets
        self.next_target = 0
        self.path: list[re.Match[str] | int] = []  # key leaves and list indexes down to the current node
        self.kept: list[Value] = []

    def visit(self, node: object, depth: int) -> None:
        if depth > MAX_DEPTH:
            raise _OutOfStep
        if isinstance(node, dict):
            for child in node.values():
                key = next(self.leaves)
                if self.text[key.start()] != '"':
                    raise _OutOfStep
                self.path.append(key)
                self.visit(child, depth + 1)
                self.path.pop()
        elif isinstance(node, list):
            for index, child in enumerate(node):
                self.path.append(index)
                self.visit(child, depth + 1)
                self.path.pop()
        else:
            self.leaf(isinstance(node, str))

    def leaf(self, is_string: bool) -> None:
        found = next(self.leaves)
        begin, finish = found.span()
        if (self.text[begin] == '"') != is_string:
            raise _OutOfStep
        if not is_string:
            return
        targets, i = self.targets, self.next_target
        while i < len(targets) and targets[i] <= begin:
            i += 1
        self.next_target = i
        holds = i < len(targets) and targets[i] < finish - 1
        if holds or (self.escaped and self.text.find("\\", begin, finish) != -1
                     and (self.escaped is True or begin + 1 in self.escaped)):
            self.kept.append(_string(self.text[begin:finish], begin).value(self.key_path()))

    def key_path(self) -> str:
        path = ""
        for step in self.path:
            if isinstance(step, int):
                path = join_index(path, step)
            else:
                raw = step.group()
                path = join_key(path, raw[1:-1] if "\\" not in raw else _string(raw, step.start()).text)
        return path
