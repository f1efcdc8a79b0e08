"""Reading and writing files for the fix: source text with its encoding, atomic (transactional) writes and
unified diffs. Below everything else in mi_migrate.fix, so the rewriters and the runner share it."""

from __future__ import annotations

import difflib
from pathlib import Path

from mi_migrate.fix import transaction
from mi_migrate.fix.model import FileFix


def unified_diff(fix: FileFix) -> str:
    """The change as a unified diff `git apply` takes: lines split on \\n only (a form feed or a lone \\r stays
    inside its line), and a last line without a newline followed by `\\ No newline at end of file`, on the old
    and the new side alike, as diff writes it."""

    def lines(text: str) -> list[str]:
        parts = [line + "\n" for line in text.split("\n")]
        parts[-1] = parts[-1][:-1]  # what follows the last newline (empty when the text ends with one)
        return parts if parts[-1] else parts[:-1]

    out = []
    for line in difflib.unified_diff(lines(fix.original), lines(fix.updated or ""),
                                     fromfile=f"a/{fix.path}", tofile=f"b/{fix.path}"):
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


def read_source(path: Path) -> tuple[str, str, bool]:
    """(text, encoding, has_bom); raises UnicodeDecodeError for files that are not UTF-8 or latin-1 declared."""
    data = path.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8", True
    import re

    head = data[:200].split(b"\n")[:2]
    for line in head:
        match = re.search(rb"coding[:=]\s*([-\w.]+)", line)
        if match and line.lstrip().startswith(b"#"):
            encoding = match.group(1).decode("ascii")
            return data.decode(encoding), encoding, False
    return data.decode("utf-8"), "utf-8", False


def write_atomic(path: Path, text: str, encoding: str = "utf-8", bom: bool = False) -> None:
    """Atomic write keeping the mode; inside `fix_paths` it is staged and written with every other file at the end
    (mi_migrate.fix.transaction), so a run that stops part-way leaves the tree as it was."""
    data = (b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding)
    pending = transaction.active()
    if pending is not None:
        pending.stage(path, data)
    else:
        transaction.replace_file(path, data)
