"""Terraform `.tf` / `.tfvars`: attribute strings (escapes decoded, `${…}` interpolation skipped) and heredocs.

Key paths follow the blocks: `resource.azurerm_linux_function_app.app.app_settings.AzureWebJobsStorage`,
`variable.storage_key.default`, `storage_key` (a .tfvars assignment).
"""

from __future__ import annotations

import re

from mi_migrate.scan.structured import brace_lang
from mi_migrate.scan.structured.values import ParseFailure, Value, decode_escapes, line_of

HCL_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}
_HEREDOC = re.compile(r"<<(-?)([A-Za-z_]\w*)[ \t]*\r?\n")
DECLARATIONS = frozenset()


def read_string(text: str, pos: int) -> tuple[Value | None, int] | None:
    """A quoted string or heredoc at `pos`: (decoded value, end), or None when there is none."""
    if text[pos] == '"':
        end = _string_end(text, pos + 1)
        if end < 0:
            raise ParseFailure("unterminated string", line_of(text, pos))
        decoded, offsets = decode_escapes(text[pos + 1 : end], pos + 1, HCL_ESCAPES)
        return Value("", decoded, pos + 1, end, offsets), end + 1
    if text.startswith("<<", pos):
        heredoc = _HEREDOC.match(text, pos)
        if heredoc is None:
            return None
        terminator = re.compile(r"^[ \t]*" + re.escape(heredoc.group(2)) + r"[ \t]*\r?$", re.M)
        close = terminator.search(text, heredoc.end())
        if close is None:
            raise ParseFailure(f"unterminated heredoc {heredoc.group(2)}", line_of(text, pos))
        body = text[heredoc.end() : close.start()]
        return Value("", body, heredoc.end(), close.start()), close.end()
    return None


def _string_end(text: str, pos: int) -> int:
    return brace_lang.string_end(text, pos, '"', '$%')


def extract(text: str) -> list[Value]:
    return brace_lang.walk(text, read_string, DECLARATIONS, newline_separates=False, string_starts='"<')
