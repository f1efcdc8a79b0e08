"""One parse per module: the name analysis and the joined-literal extractor (structured.python_strings) read the
same stdlib tree, so the second reader of a file's text gets the first one's tree (or its error)."""

from __future__ import annotations

import ast
import warnings

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


def forget() -> None:
    """Drop the kept tree (a large module's tree is tens of MB): called when a file is done."""
    _last[:] = [None, None]
