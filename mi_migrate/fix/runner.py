"""Which files `fix` touches and how it writes them: only files the scan flags are parsed; a rewrite must parse
again before it is kept; writes are atomic and keep the file's mode, encoding, BOM and line endings.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mi_migrate.finding import Kind, Note
from mi_migrate.fix import transaction
from mi_migrate.fix.model import Change, FileFix, FixOptions

CODE_SUFFIXES = (".py", ".pyw")


@dataclass
class FixResult:
    files: list[FileFix] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    root: Path = Path(".")
    dependency_files: list[FileFix] = field(default_factory=list)
    settings: Any = None  # the RepoSettings the rewrite read (the report derives values from the same)

    @property
    def changes(self) -> list[Change]:
        return [change for f in self.files for change in f.changes]

    @property
    def changed_files(self) -> list[FileFix]:
        return [f for f in self.files + self.dependency_files if f.changed]

    def diff(self) -> str:
        return "".join(unified_diff(f) for f in self.changed_files)


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


def flagged_files(options: FixOptions) -> tuple[list[tuple[Path, str]], list[Note], Path]:
    """Python files with key-based code findings, and notebooks that mention an Azure SDK: the only files worth
    parsing with libcst. Discovery runs once and only Python files are scanned (with the AZ2 rules)."""
    from mi_migrate import config as config_mod
    from mi_migrate import discovery
    from mi_migrate.scan import DEFAULT_MAX_FILE_SIZE, ScanSettings, scan_files

    cfg = config_mod.load(options.config, [Path(p) for p in options.paths])
    found, notes = discovery.collect([Path(p) for p in options.paths], cfg)
    max_size = cfg.max_file_size or DEFAULT_MAX_FILE_SIZE
    code = [(path, rel) for path, rel in found if rel.endswith(CODE_SUFFIXES)]
    settings = ScanSettings(select=("AZ2",) + (("AZ3",) if options.keyvault_url_env else ()),
                            ignore=tuple(cfg.ignore), max_file_size=max_size,
                            third_party=bool(options.keyvault_url_env) and cfg.third_party)
    result = scan_files(code, settings, options.jobs)
    findings = config_mod.apply(cfg, result.findings)
    wanted = {f.path for f in findings
              if f.kind in (Kind.KEY_BASED_CODE, Kind.THIRD_PARTY_SECRET) or f.rule_id.startswith("AZ2")}
    files = [(path, rel) for path, rel in code if rel in wanted]
    files.extend((path, rel) for path, rel in found if rel.endswith(".ipynb") and _mentions_azure(path, max_size))
    return sorted(files, key=lambda item: item[1]), notes + result.notes, cfg.root


def _mentions_azure(path: Path, max_size: int) -> bool:
    """A notebook worth parsing: it imports an Azure SDK (a byte search; notebooks are rare and small)."""
    try:
        if path.stat().st_size > max_size:
            return False
        data = path.read_bytes()
    except OSError:
        return False
    return b"azure" in data and b"import" in data


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


def fix_paths(options: FixOptions) -> FixResult:
    """Plan every rewrite under options.paths, then (when options.write) write them all or none."""
    with transaction.WriteTransaction() as pending:
        result = plan_fixes(options)
        if options.write:
            pending.commit()
    return result


def plan_fixes(options: FixOptions) -> FixResult:
    """Every file's rewrite; writes go through `write_atomic`, which only stages them inside `fix_paths`.
    A file that fails in an unforeseen way becomes a note and is left unchanged; the run goes on."""
    from mi_migrate.fix.settings import RepoSettings, settings_root

    files, notes, root = flagged_files(options)
    settings = RepoSettings(settings_root(options.paths))
    result = FixResult(notes=list(notes), root=root, settings=settings)
    for path, rel in files:
        try:
            fix = _fix_file(path, rel, options, settings, result.notes)
        except Exception as exc:  # one file must not stop the run, nor be half-handled
            if options.debug:
                raise
            result.notes.append(Note(rel, f"not rewritten: internal error ({describe(exc)}); left unchanged"))
            continue
        if fix is not None:
            result.files.append(fix)
    if any(f.changed for f in result.files):
        from mi_migrate.fix import dependencies

        rewritten = [c for f in result.files if f.changed for c in f.changes]
        try:
            result.dependency_files = dependencies.ensure(root, rewritten, write=options.write)
        except Exception as exc:
            if options.debug:
                raise
            result.notes.append(Note(str(root), f"dependency files not updated: internal error ({describe(exc)})"))
        result.notes.extend(Note(f.path, f.error) for f in result.dependency_files if f.error)
    if options.configs:  # fix --configs: settings files follow the code (mi_migrate.fix.configs)
        from mi_migrate.fix.configs import fix_configs

        try:
            config_fixes, config_notes = fix_configs(options.paths, result.changes, options.write, root, options)
        except Exception as exc:
            if options.debug:
                raise
            config_fixes, config_notes = [], [Note(str(root), f"settings files not rewritten: internal error "
                                                             f"({describe(exc)})")]
        result.files.extend(config_fixes)
        result.notes.extend(config_notes)
    return result


def _fix_file(path: Path, rel: str, options: FixOptions, settings: object, notes: list[Note]) -> FileFix | None:
    if rel.endswith(".ipynb"):
        from mi_migrate.fix import notebooks

        fix = notebooks.fix_notebook(path, rel, options, settings)
        if fix is not None and fix.error:
            notes.append(Note(rel, fix.error))
        return fix
    try:
        text, encoding, bom = read_source(path)
    except (OSError, UnicodeDecodeError, LookupError, SyntaxError) as exc:
        notes.append(Note(rel, f"not rewritten: cannot read as text ({exc.__class__.__name__})"))
        return None
    fix = fix_source(rel, text, options, settings)
    if fix.error:
        notes.append(Note(rel, fix.error))
    if fix.changed and options.write:
        write_atomic(path, fix.updated or "", encoding, bom)
    return fix


def describe(exc: BaseException) -> str:
    """An exception as one short line: its class and first message line, never a traceback."""
    from mi_migrate.redact import redact_secrets

    text = str(exc).splitlines()[0] if str(exc) else ""
    text = redact_secrets(text[:300])  # a message may quote the value that failed: never print a secret
    return f"{exc.__class__.__name__}: {text}" if text else exc.__class__.__name__
