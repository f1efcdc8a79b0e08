"""Brace matching for Terraform (HCL), Bicep and ARM JSON: enough structure to ask "which resource block is this
offset in" and "what are this block's direct members" without a full parser.

Strings (with `${...}` interpolation), comments and heredocs are skipped so their braces do not count; comments
are blanked in `Blocks.code` (same offsets) so a commented-out line never produces a finding.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

HEREDOC = re.compile(r"<<-?[ \t]*([A-Za-z_][A-Za-z0-9_]*)[ \t]*\r?\n")
QUOTE = {"hcl": '"', "bicep": "'", "json": '"'}
# The characters _scan() acts on, per syntax: everything between them is skipped in one regex search.
_IN_STRING = {syntax: re.compile("[\\\\" + re.escape(q) + ("" if syntax == "json" else "\n$%") + "]")
              for syntax, q in QUOTE.items()}
_OUTSIDE = {syntax: re.compile("[" + re.escape(q) + "{}\\[\\]/" + ("#<" if syntax == "hcl" else "") + "]")
            for syntax, q in QUOTE.items()}


@dataclass(frozen=True, slots=True)
class Block:
    open: int  # offset of `{` or `[`
    close: int  # offset of the matching bracket (len(text) when unterminated)
    char: str
    depth: int  # number of enclosing blocks


class Blocks:
    """All bracketed blocks of a file, sorted by their opening offset."""

    def __init__(self, text: str, syntax: str) -> None:
        self.text = text
        self.code, found = _scan(text, syntax)
        self.items = sorted(found, key=lambda b: b.open)
        self._opens = [b.open for b in self.items]

    def header(self, block: Block) -> str:
        """The text before the bracket on its line: `resource "azurerm_linux_web_app" "app"`, `identity:`."""
        start = self.code.rfind("\n", 0, block.open) + 1
        return self.code[start:block.open].strip()

    def header_start(self, block: Block) -> int:
        """Offset of the first non-blank character of the block's header line."""
        start = self.code.rfind("\n", 0, block.open) + 1
        return start + len(self.code[start:block.open]) - len(self.code[start:block.open].lstrip())

    def children(self, block: Block) -> list[Block]:
        lo = bisect.bisect_right(self._opens, block.open)
        hi = bisect.bisect_left(self._opens, block.close)
        return [b for b in self.items[lo:hi] if b.depth == block.depth + 1]

    def child(self, block: Block, header: re.Pattern[str]) -> Block | None:
        """The first direct child block whose header matches (`identity`, `"identity":`, `properties:`)."""
        return next((b for b in self.children(block) if header.search(self.header(b))), None)

    def direct(self, block: Block) -> str:
        """The block's text with every nested block's content blanked (same offsets as the file)."""
        parts: list[str] = []
        pos = block.open
        for kid in self.children(block):
            parts.append(self.code[pos:kid.open + 1])
            parts.append(_blank(self.code[kid.open + 1:kid.close]))
            pos = kid.close
        parts.append(self.code[pos:block.close + 1])
        return " " * block.open + "".join(parts)

    def enclosing(self, offset: int) -> list[Block]:
        """Blocks containing `offset`, outermost first."""
        hi = bisect.bisect_right(self._opens, offset)
        return [b for b in self.items[:hi] if b.open < offset <= b.close]

    def top(self) -> list[Block]:
        return [b for b in self.items if b.depth == 0]


def _blank(chunk: str) -> str:
    """Spaces in place of every character but newlines (offsets and line numbers stay)."""
    return "\n".join(" " * len(line) for line in chunk.split("\n"))


def _scan(text: str, syntax: str) -> tuple[str, list[Block]]:
    """One pass: a stack of open brackets, strings and `${` interpolations; comment spans are collected."""
    quote = QUOTE[syntax]
    blocks: list[Block] = []
    stack: list[tuple[str, int]] = []  # ("{" | "[", offset), ("str", offset) or ("interp", offset)
    comments: list[tuple[int, int]] = []
    depth = 0
    i, n = 0, len(text)
    in_string, outside = _IN_STRING[syntax].search, _OUTSIDE[syntax].search
    while i < n:
        found = (in_string if stack and stack[-1][0] == "str" else outside)(text, i)
        if found is None:
            break
        i = found.start()
        c = text[i]
        if stack and stack[-1][0] == "str":
            if c == "\\":
                i += 2
                continue
            if c == quote or (c == "\n" and syntax != "json"):
                stack.pop()
            elif syntax != "json" and c in "$%" and text.startswith("{", i + 1):
                stack.append(("interp", i + 1))
                i += 1
            i += 1
            continue
        if c == quote:
            if syntax == "bicep" and text.startswith("'''", i):
                end = text.find("'''", i + 3)
                i = n if end < 0 else end + 3
                continue
            stack.append(("str", i))
        elif (c == "#" and syntax == "hcl") or text.startswith("//", i):
            end = text.find("\n", i)
            end = n if end < 0 else end
            comments.append((i, end))
            i = end
            continue
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            comments.append((i, end))
            i = end
            continue
        elif syntax == "hcl" and text.startswith("<<", i) and (match := HEREDOC.match(text, i)):
            end = re.compile(rf"(?m)^[ \t]*{re.escape(match.group(1))}[ \t]*\r?$").search(text, match.end())
            i = n if end is None else end.end()
            continue
        elif c in "{[":
            stack.append((c, i))
            depth += 1
        elif c in "}]" and stack:
            kind, start = stack[-1]
            if kind == "interp" and c == "}":
                stack.pop()  # back inside the string
            elif kind in "{[":
                stack.pop()
                depth -= 1
                blocks.append(Block(start, i, kind, depth))
        i += 1
    while stack:  # unterminated: close at the end of the file
        kind, start = stack.pop()
        if kind in "{[":
            depth -= 1
            blocks.append(Block(start, n, kind, depth))
    code = text
    if comments:
        pieces, pos = [], 0
        for start, end in comments:
            pieces.append(text[pos:start])
            pieces.append(re.sub(r"[^\n]", " ", text[start:end]))
            pos = end
        pieces.append(text[pos:])
        code = "".join(pieces)
    return code, blocks
