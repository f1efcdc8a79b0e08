"""Bicep: string literals (`'…'` with escapes, `'''…'''` verbatim) in params, vars, resources and outputs.

Key paths: `param.storageKey`, `var.conn`, `resource.site.properties.siteConfig.appSettings[0].value`.
"""

from __future__ import annotations

import re

from mi_migrate.scan.structured import brace_lang
from mi_migrate.scan.structured.scanner import CONTEXT, MIN_VALUE
from mi_migrate.scan.structured.values import ParseFailure, Value, decode_escapes, line_of

BICEP_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "'": "'", "\\": "\\", "$": "$"}
DECLARATIONS = frozenset({"param", "var", "output", "resource", "module", "type", "func"})


def read_string(text: str, pos: int) -> tuple[Value | None, int] | None:
    if text.startswith("'''", pos):
        close = text.find("'''", pos + 3)
        if close < 0:
            raise ParseFailure("unterminated ''' string", line_of(text, pos))
        return Value("", text[pos + 3 : close], pos + 3, close), close + 3
    if text[pos] != "'":
        return None
    end = _string_end(text, pos + 1)
    if end < 0:
        raise ParseFailure("unterminated string", line_of(text, pos))
    decoded, offsets = decode_escapes(text[pos + 1 : end], pos + 1, BICEP_ESCAPES)
    return Value("", decoded, pos + 1, end, offsets), end + 1


def _string_end(text: str, pos: int) -> int:
    return brace_lang.string_end(text, pos, "'", '$')


def extract(text: str) -> list[Value]:
    return brace_lang.walk(text, read_string, DECLARATIONS, newline_separates=True, string_starts="'")


# What the walker acts on besides words and spaces: comments (brace_lang._SKIP), strings and brackets.
_LEXEME = re.compile(r"#[^\n]*|//[^\n]*|/\*.*?\*/|['{}()\[\]]", re.S)
_CLOSES = {"}": "{", "]": "[", ")": "("}


def escaped_windows(text: str) -> list[str] | None:
    """The windows scanner.scan_value would read for every escaped string extract() returns (raw context, the
    decoded value, a line break, raw context): the only values whose scan can add to the line scan's findings.
    Escaped labels and keys (`resource x 'type' = {`) come along, which only widens the test. None when
    extract() would fail (an unterminated string, unbalanced brackets), so the caller parses and reports it.
    Strings start where the walker reads them: outside comments and other strings, which a word never hides
    (no word holds a quote, `#` or `/`)."""
    windows: list[str] = []
    stack: list[str] = []
    pos = 0
    while (found := _LEXEME.search(text, pos)) is not None:
        lexeme = found.group()
        pos = found.end()
        if lexeme in "{[(":
            stack.append(lexeme)
        elif lexeme in _CLOSES:
            if not stack or stack.pop() != _CLOSES[lexeme]:
                return None
        elif lexeme == "'":
            try:
                read = read_string(text, found.start())
            except ParseFailure:
                return None
            assert read is not None
            value, pos = read
            if value is not None and value.offsets is not None and len(value.text) >= MIN_VALUE:
                windows.append(text[max(0, value.start - CONTEXT) : value.start] + value.text + "\n"
                               + text[value.end : value.end + CONTEXT])
    return None if stack else windows
