"""Reading Python source, shared by the name analysis and the joined-literal extractor (structured.python_strings):
one parse per module (the second reader of a file's text gets the first one's tree, or its error; a notebook's
parsed cells likewise, through kept()/keep()), where a statement starts, and the lines that offsets fall on."""

from __future__ import annotations

import ast
import warnings
from collections.abc import Iterable

_last: list[object] = [None, None]  # [the text last parsed, its tree or the error parsing it raised]


def parse_module(text: str) -> ast.Module:
    """ast.parse with warnings silenced (invalid escape sequences must not print); raises SyntaxError,
    ValueError, RecursionError or MemoryError as ast.parse does."""
    if _last[0] is text:
        kept = _last[1]
        if isinstance(kept, BaseException):
            raise kept
        assert isinstance(kept, ast.Module)
        return kept
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        _last[:] = [text, exc]
        raise
    _last[:] = [text, tree]
    return tree


def has_lone_cr(text: str) -> bool:
    """A carriage return not followed by a line break: it ends a line for the parser, not for a count of "\n"
    (then line numbers worked out from the text would not be the tree's). `in` first: most modules hold no CR."""
    return "\r" in text and text.count("\r") != text.count("\r\n")


def parsed(text: str) -> bool:
    """Whether parse_module would answer `text` from what it kept (no parse to pay)."""
    return _last[0] is text


def forget() -> None:
    """Drop the kept tree (a large module's tree is tens of MB) and what else was kept for the file: called when a
    file is done."""
    _last[:] = [None, None]
    _kept.clear()


_kept: dict[str, tuple[str, object]] = {}  # per reader: (the text it read, what it made of it), until forget()


def kept(reader: str, text: str) -> object | None:
    """What `reader` made of this very text (the same object) earlier in the file's scan; None if nothing."""
    found = _kept.get(reader)
    return found[1] if found is not None and found[0] is text else None


def keep(reader: str, text: str, made: object) -> None:
    _kept[reader] = (text, made)


def first_line(node: ast.AST) -> int:
    """The node's first line: a decorated def or class starts at its first decorator, above its `def` line."""
    decorators = getattr(node, "decorator_list", None)
    return decorators[0].lineno if decorators else node.lineno  # type: ignore[attr-defined]


def line_numbers(text: str | bytes, offsets: Iterable[int]) -> list[int]:
    """1-based numbers of the lines holding `offsets` (ascending), each once."""
    newline = "\n" if isinstance(text, str) else b"\n"
    lines: list[int] = []
    line, last = 1, 0
    for offset in offsets:
        line += text.count(newline, last, offset)  # type: ignore[arg-type]
        last = offset
        if not lines or lines[-1] != line:
            lines.append(line)
    return lines
