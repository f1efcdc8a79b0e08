"""A small walker shared by Terraform (HCL) and Bicep: blocks, attributes, objects and arrays with key paths.

Not a full parser: it tracks braces, brackets and the `key =`/`key:` before each value, which is all a key path
needs (`resource.azurerm_linux_function_app.app.app_settings.AzureWebJobsStorage`,
`resource.site.properties.siteConfig.appSettings[0].value`). Strings are read by the language module; unbalanced
brackets or an unterminated string are a parse failure (the file is then scanned as text).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass

from mi_migrate.scan.structured.values import ParseFailure, Value, join_index, join_key, line_of

# (text, position) → (value or None, end position); None means "not a string here"
StringReader = Callable[[str, int], "tuple[Value | None, int] | None"]
_WORD = re.compile(r"[A-Za-z_][\w\-]*(?:\.[A-Za-z_][\w\-]*)*")
_SKIP = re.compile(r"[ \t\r]+|#[^\n]*|//[^\n]*|/\*.*?\*/", re.S)


@dataclass
class Frame:
    kind: str  # "obj", "list" or "paren"
    path: str
    count: int = 0  # list: items started
    open_item: bool = False
    key: tuple[str, ...] | None = None  # obj: the key whose value comes next
    header: list[str] | None = None  # obj: words and labels of the current statement


_SKIP_STARTS = frozenset(" \t\r#/")  # the characters _SKIP can match at
_KINDS = {"{": "obj", "[": "list", "(": "paren", "}": "obj", "]": "list", ")": "paren"}


def walk(
    text: str, read_string: StringReader, declarations: frozenset[str], newline_separates: bool,
    string_starts: str,
) -> list[Value]:
    """String values with key paths. `declarations` are statement keywords whose next word names the value
    (`param x` → `param.x`); `newline_separates` is Bicep's array syntax (items on their own lines);
    `string_starts` holds every character `read_string` can find a string at (it is asked nowhere else)."""
    values: list[Value] = []
    stack = [Frame("obj", "", header=[])]
    pos, n = 0, len(text)
    while pos < n:
        char = text[pos]
        if char in _SKIP_STARTS:
            skip = _SKIP.match(text, pos)
            if skip:
                pos = skip.end()
                continue
        frame = stack[-1]
        found = read_string(text, pos) if char in string_starts else None
        if found is not None:
            value, pos = found
            _value_start(frame)
            if frame.kind == "obj" and frame.key is None:
                if value is not None:
                    frame.header = [*(frame.header or []), value.text]
                continue
            if value is not None:
                values.append(Value(_value_path(frame), value.text, value.start, value.end, value.offsets))
            continue
        if char == "\n" or char == ",":
            if frame.kind == "obj":
                frame.key, frame.header = None, []
            elif frame.kind == "list" and (char == "," or newline_separates):
                frame.open_item = False
            pos += 1
        elif char in "=:" and frame.kind == "obj" and frame.key is None and text[pos : pos + 2] not in ("==", "=>"):
            frame.key = _key(frame.header or [], declarations)
            pos += 1
        elif char in "{[(":
            _value_start(frame)
            path = _value_path(frame) if frame.kind != "obj" or frame.key is not None else _block(frame)
            kind = _KINDS[char]
            stack.append(Frame(kind, path, header=[] if kind == "obj" else None))
            pos += 1
        elif char in "}])":
            if len(stack) == 1 or _KINDS[char] != frame.kind:
                raise ParseFailure(f"unbalanced {char!r}", line_of(text, pos))
            stack.pop()
            if stack[-1].kind == "obj" and stack[-1].key is None:
                stack[-1].header = []
            pos += 1
        else:
            word = _WORD.match(text, pos)
            if word:
                _value_start(frame)
                if frame.kind == "obj" and frame.key is None:
                    frame.header = [*(frame.header or []), word.group()]
                pos = word.end()
            else:
                pos += 1
    if len(stack) > 1:
        raise ParseFailure(f"unclosed {'{' if stack[-1].kind == 'obj' else '['}", line_of(text, n))
    return values


def _value_start(frame: Frame) -> None:
    if frame.kind == "list" and not frame.open_item:
        frame.count += 1
        frame.open_item = True


def _value_path(frame: Frame) -> str:
    if frame.kind == "list":
        return join_index(frame.path, max(0, frame.count - 1))
    if frame.kind == "paren":
        return frame.path
    path = frame.path
    for part in frame.key or ("?",):
        path = join_key(path, part)
    return path


def _key(header: list[str], declarations: frozenset[str]) -> tuple[str, ...]:
    if len(header) >= 2 and header[0] in declarations:
        return (header[0], header[1])
    return (header[-1],) if header else ("?",)


def _block(frame: Frame) -> str:
    """A block's path from its header: `resource "azurerm_x" "name" {` → resource.azurerm_x.name."""
    path = frame.path
    for label in frame.header or []:
        path = join_key(path, label)
    frame.header = []
    return path


@functools.cache
def _stops(quote: str, markers: str) -> re.Pattern[str]:
    return re.compile("[\\\\\n" + re.escape(quote + markers) + "]")


def string_end(text: str, pos: int, quote: str, markers: str) -> int:
    """Offset of the closing `quote` of a string starting at `pos`; an interpolation (`${…}`, and for
    Terraform `%{…}`) may hold strings of its own. -1 when the string is unterminated on its line."""
    depth = 0
    n = len(text)
    stops = _stops(quote, markers)
    while pos < n:
        if not depth:  # outside interpolations only these characters do anything
            found = stops.search(text, pos)
            if found is None:
                return -1
            pos = found.start()
        char = text[pos]
        if char == "\\":
            pos += 2
            continue
        if char == "\n" and depth == 0:
            return -1
        if depth == 0 and char in markers and text.startswith("{", pos + 1):
            depth, pos = 1, pos + 2
            continue
        if depth:
            if char == "{":
                depth += 1
            elif char == "}":
                depth -= 1
            elif char == quote:
                inner = string_end(text, pos + 1, quote, markers)
                if inner < 0:
                    return -1
                pos = inner
        elif char == quote:
            return pos
        pos += 1
    return -1
