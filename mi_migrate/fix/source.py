"""Rewrite one module's text with every family's targets (mi_migrate.fix.codemod), checking the result parses."""

from __future__ import annotations

from collections.abc import Callable

from mi_migrate.fix.model import Change, FileFix, FixOptions


def fix_source(rel: str, text: str, options: FixOptions, settings: object, *, notebook: bool = False,
               where: Callable[[int | None], str] | None = None) -> FileFix:
    """Rewrite one module's text; a failure to parse (before or after) leaves the file alone with a reason.
    `where` names a line of `text` for messages (a notebook's cell)."""
    import libcst as cst

    from mi_migrate.fix.codemod import transform
    from mi_migrate.fix.families import all_targets
    from mi_migrate.fix.syntax import rewrite_problem

    fix = FileFix(rel, text)
    try:
        updated, changes = transform(text, all_targets(), options, settings)  # type: ignore[arg-type]
    except cst.ParserSyntaxError as exc:
        fix.error = f"not parsed as Python ({exc.message}); left unchanged"
        return fix
    except RecursionError:
        fix.error = "nesting too deep to rewrite; left unchanged"
        return fix
    changes = [_with_path(c, rel) for c in changes]
    if updated != text:
        problem = rewrite_problem(text, updated, notebook=notebook)
        if problem is not None:  # never write code that does not parse
            place = where(problem.line) if where else (f"line {problem.line}" if problem.line else "")
            detail = f"{problem.message}, {place}" if place else problem.message
            fix.error = f"the rewrite would not parse ({detail}); left unchanged"
            fix.changes = [_as_manual(c, "the automatic rewrite would not parse") for c in changes]
            return fix
        fix.updated = updated
    fix.changes = changes
    return fix


def _with_path(change: Change, rel: str) -> Change:
    from dataclasses import replace

    return replace(change, path=rel)


def _as_manual(change: Change, reason: str) -> Change:
    from dataclasses import replace

    return replace(change, status="manual", reason=reason)
