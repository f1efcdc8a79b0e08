"""Bicep: string literals (`'…'` with escapes, `'''…'''` verbatim) in params, vars, resources and outputs.

Key paths: `param.storageKey`, `var.conn`, `resource.site.properties.siteConfig.appSettings[0].value`.
"""

from __future__ import annotations

from mi_migrate.scan.structured import brace_lang
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
