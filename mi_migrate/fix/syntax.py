"""Is a rewrite still valid code? Judged by the grammar the original was valid under, not by the interpreter
that runs mi-migrate: a module written for Python 3.12 (PEP 701 f-strings) does not compile on 3.11, and a
notebook cell may `await` at the top level (IPython runs it), so neither may count its rewrite as broken.

The strictest check the original passes is the one the rewrite must pass: a full compile (top-level await
allowed in notebooks), else the parser alone (`ast`), else libcst's grammar, which reads every version it knows.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

import libcst as cst

TOP_LEVEL_AWAIT = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT


@dataclass(frozen=True)
class SyntaxProblem:
    message: str
    line: int | None  # 1-based line in the rewritten text


def _compile_error(code: str, flags: int) -> SyntaxProblem | None:
    try:
        compile(code, "<rewrite>", "exec", flags=flags, dont_inherit=True)
    except SyntaxError as exc:
        return SyntaxProblem(exc.msg, exc.lineno)
    except (ValueError, RecursionError, MemoryError) as exc:  # null bytes, nesting the compiler refuses
        return SyntaxProblem(exc.__class__.__name__, None)
    return None


def _libcst_error(code: str) -> SyntaxProblem | None:
    try:
        cst.parse_module(code)
    except cst.ParserSyntaxError as exc:
        return SyntaxProblem(exc.message, exc.raw_line)
    except RecursionError:
        return SyntaxProblem("nesting too deep", None)
    return None


def rewrite_problem(original: str, updated: str, *, notebook: bool = False) -> SyntaxProblem | None:
    """None when `updated` passes the strictest check `original` passes; else what is wrong with it."""
    base = TOP_LEVEL_AWAIT if notebook else 0
    for flags in (base, base | ast.PyCF_ONLY_AST):
        if _compile_error(original, flags) is None:
            return _compile_error(updated, flags)
    return _libcst_error(updated)
