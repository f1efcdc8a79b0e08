"""All-or-nothing writes for `fix`: every file is planned first, then written in one phase that undoes itself.

While a `WriteTransaction` is open, `write_atomic` stages the new bytes instead of writing them, so a run that
fails while planning (an internal error, a file that cannot be read) leaves the tree exactly as it was. `commit`
then writes each staged file atomically (temporary file + rename); if one write fails, the files already written
get their original bytes back and the error is raised. A file that changed on disk after it was planned is not
overwritten: the commit stops before writing anything.
"""

from __future__ import annotations

import contextvars
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

_ACTIVE: contextvars.ContextVar[WriteTransaction | None] = contextvars.ContextVar("mi_migrate_writes", default=None)


class WriteError(OSError):
    """A commit that could not complete; every file it touched has its original content again."""


@dataclass
class StagedWrite:
    path: Path
    data: bytes
    original: bytes | None  # None: the file did not exist


@dataclass
class WriteTransaction:
    staged: dict[Path, StagedWrite] = field(default_factory=dict)

    def __enter__(self) -> WriteTransaction:
        self._token = _ACTIVE.set(self)
        return self

    def __exit__(self, *exc: object) -> None:
        _ACTIVE.reset(self._token)

    def stage(self, path: Path, data: bytes) -> None:
        key = path.absolute()
        earlier = self.staged.get(key)
        original = earlier.original if earlier else (path.read_bytes() if path.exists() else None)
        self.staged[key] = StagedWrite(path, data, original)

    def commit(self) -> list[Path]:
        """Write every staged file; on any failure restore the ones written and raise WriteError."""
        pending = [s for s in self.staged.values() if s.data != s.original]
        for staged in pending:
            current = staged.path.read_bytes() if staged.path.exists() else None
            if current != staged.original:
                raise WriteError(f"{staged.path}: changed on disk while fix was running; nothing was written")
        written: list[StagedWrite] = []
        for staged in pending:
            try:
                replace_file(staged.path, staged.data)
            except OSError as exc:
                failures = _restore(written)
                detail = f"; could not restore {', '.join(failures)}" if failures else "; every file was restored"
                raise WriteError(f"{staged.path}: could not write ({exc.strerror or exc}){detail}") from exc
            written.append(staged)
        self.staged.clear()
        return [s.path for s in written]


def _restore(written: list[StagedWrite]) -> list[str]:
    failures = []
    for staged in reversed(written):
        try:
            if staged.original is None:
                staged.path.unlink(missing_ok=True)
            else:
                replace_file(staged.path, staged.original)
        except OSError:
            failures.append(str(staged.path))
    return failures


def active() -> WriteTransaction | None:
    return _ACTIVE.get()


def replace_file(path: Path, data: bytes) -> None:
    """Write to a temporary file in the same directory, keep the mode, then rename over the original."""
    mode = path.stat().st_mode & 0o7777 if path.exists() else None
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".mi-migrate.tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        _rename(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _rename(source: str, target: Path) -> None:
    """The one step that makes a write visible (a seam the tests use to inject a failure)."""
    os.replace(source, target)
