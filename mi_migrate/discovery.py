"""Which files to scan (stub; see issue 2 item 1)."""

from __future__ import annotations

from pathlib import Path

from mi_migrate.config import Config
from mi_migrate.finding import Note


def collect(paths: list[Path], cfg: Config) -> tuple[list[tuple[Path, str]], list[Note]]:
    files: list[tuple[Path, str]] = []
    for p in paths:
        if p.is_file():
            files.append((p.resolve(), p.as_posix()))
        else:
            for f in sorted(p.rglob("*")):
                if f.is_file() and ".git" not in f.parts:
                    files.append((f.resolve(), f.relative_to(p).as_posix()))
    return files, []
