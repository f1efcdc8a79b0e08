"""Rewrite the code cells of a Jupyter notebook.

The code cells run in one namespace, so they are rewritten as one module (a variable assigned in one cell and
used in another is followed, and the credential is created once, beside the notebook's leading imports: the first
cell that runs). Cells are joined with marker statements and split again afterwards. IPython line magics and
shell escapes are masked as comments while libcst looks at the code; cells with cell magics (`%%`) or that do not
parse are left as they are. The JSON is written back in nbformat's layout (indent, key order, trailing newline).
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from mi_migrate.fix.model import Change, FileFix, FixOptions
from mi_migrate.scan.python.notebook_cells import magic_line

MASK = "# __mi_migrate_magic_{}__"
MASKED = re.compile(r"^([ \t]*)# __mi_migrate_magic_(\d+)__$")
MARKER = "__mi_migrate_cell_{}__"


def cell_text(cell: dict[str, Any]) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def as_lines(text: str) -> list[str]:
    """nbformat's list form: every line keeps its newline except the last."""
    return text.splitlines(keepends=True)


def mask(text: str, masked: list[str]) -> str | None:
    """Replace magic lines with numbered comments (same indentation); None for cell-magic cells."""
    lines = text.split("\n")
    if lines and lines[0].lstrip().startswith("%%"):
        return None
    out = []
    for line in lines:
        match = magic_line(line)
        if match:
            out.append(match.group(1) + MASK.format(len(masked)))
            masked.append(line)
        else:
            out.append(line)
    return "\n".join(out)


def unmask(text: str, masked: list[str]) -> str:
    def restore(match: re.Match[str]) -> str:
        return masked[int(match.group(2))]

    return re.sub(r"(?m)^[ \t]*# __mi_migrate_magic_(\d+)__$", lambda m: restore(MASKED.match(m.group(0))), text)


def _parses(code: str) -> bool:
    import libcst as cst

    try:
        module = cst.parse_module(code)
    except (cst.ParserSyntaxError, RecursionError):
        return False
    return bool(module.body)


def layout(text: str) -> dict[str, Any]:
    """How the file was serialised: indent width, ASCII escaping, trailing newline."""
    match = re.search(r"^\{\r?\n( +)\"", text)
    return {
        "indent": len(match.group(1)) if match else 1,
        "ensure_ascii": bool(re.search(r"\\u[0-9a-fA-F]{4}", text)) and all(ord(c) < 128 for c in text),
        "newline": text.endswith("\n"),
    }


def dump(notebook: dict[str, Any], style: dict[str, Any]) -> str:
    text = json.dumps(notebook, indent=style["indent"], ensure_ascii=style["ensure_ascii"])
    return text + ("\n" if style["newline"] else "")


def fix_notebook(path: Path, rel: str, options: FixOptions, settings: object) -> FileFix | None:
    """Rewrite a notebook's code cells; a FileFix with `error` when it cannot be read or rewritten."""
    from mi_migrate.fix.files import write_atomic
    from mi_migrate.fix.source import fix_source

    try:
        raw = path.read_bytes()
        bom = raw.startswith(b"\xef\xbb\xbf")
        original = raw.decode("utf-8-sig")
        notebook = json.loads(original)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        return FileFix(rel, "", error=f"not rewritten: cannot read the notebook ({exc.__class__.__name__})")
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(cells, list):
        return FileFix(rel, original, error="not rewritten: no cells (nbformat 4 expected)")
    masked: list[str] = []
    pieces: list[str] = []
    included: list[tuple[int, int, bool]] = []  # (cell index, first line in the module, ended with newline)
    line = 1
    for index, cell in enumerate(cells):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        text = cell_text(cell)
        code = mask(text, masked)
        if code is None or not _parses(code):
            continue
        ends = code.endswith("\n")
        body = code if ends else code + "\n"
        marker = MARKER.format(index) + "\n" if pieces else ""  # the first cell is the module's top
        pieces.append(marker + body)
        line += bool(marker)
        included.append((index, line, ends))
        line += body.count("\n")
    if not included:
        return None
    fix = fix_source(rel, "".join(pieces), options, settings, notebook=True,
                     where=lambda line: _cell_place(line, included))
    result = FileFix(rel, original, error=fix.error)
    result.changes = [_cell_change(c, included) for c in fix.changes]
    if not fix.changed or fix.updated is None:
        return result
    split = re.split(r"(?m)^__mi_migrate_cell_(\d+)__\r?\n", fix.updated)
    numbers = [str(included[0][0]), *split[1::2]]
    if numbers != [str(index) for index, _, _ in included]:
        result.error = "not rewritten: the cells could not be told apart after the rewrite"
        return result
    for (index, _, ends), code in zip(included, [split[0], *split[2::2]], strict=True):
        code = unmask(code, masked)
        if not ends and code.endswith("\n"):
            code = code[:-1]
        if code != cell_text(cells[index]):
            cells[index]["source"] = as_lines(code) if isinstance(cells[index].get("source"), list) else code
    if "__mi_migrate_magic_" in json.dumps(cells):
        result.error = "not rewritten: a masked IPython magic could not be restored"
        return result
    result.updated = dump(notebook, layout(original))
    if result.changed and options.write:
        write_atomic(path, result.updated, "utf-8", bom)
    return result


def _cell_change(change: Change, included: list[tuple[int, int, bool]]) -> Change:
    """Module line → (cell, line within the cell)."""
    cell, first = included[0][0], included[0][1]
    for index, start, _ in included:
        if start <= change.line:
            cell, first = index, start
    offset = first - 1
    return replace(change, line=change.line - offset, end_line=change.end_line - offset,
                   extra={**change.extra, "cell": cell})


def _cell_place(line: int | None, included: list[tuple[int, int, bool]]) -> str:
    """A line of the joined module as "cell N, line M" (cells counted from 1, as Jupyter shows them)."""
    if line is None:
        return ""
    cell, first = included[0][0], included[0][1]
    for index, start, _ in included:
        if start <= line:
            cell, first = index, start
    return f"cell {cell + 1}, line {line - first + 1}"
