"""Which files `fix` touches and how it writes them: only files the scan flags are parsed; a rewrite must parse
again before it is kept; writes are atomic and keep the file's mode, encoding, BOM and line endings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from mi_migrate.core.finding import Finding, Kind, Note
from mi_migrate.fix import transaction
from mi_migrate.fix.files import read_source, unified_diff, write_atomic
from mi_migrate.fix.model import Change, FileFix, FixOptions
from mi_migrate.fix.source import fix_source

if TYPE_CHECKING:
    from mi_migrate.fix.settings import RepoSettings

CODE_SUFFIXES = (".py", ".pyw")
NOTEBOOK_SUFFIXES = (".ipynb",)


@dataclass
class FixResult:
    files: list[FileFix] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    root: Path = Path(".")
    dependency_files: list[FileFix] = field(default_factory=list)
    settings: RepoSettings | None = None  # what the rewrite read (the report derives values from the same)

    @property
    def changes(self) -> list[Change]:
        return [change for f in self.files for change in f.changes]

    @property
    def changed_files(self) -> list[FileFix]:
        return [f for f in self.files + self.dependency_files if f.changed]

    def diff(self) -> str:
        return "".join(unified_diff(f) for f in self.changed_files)


def flagged_files(options: FixOptions) -> tuple[list[tuple[Path, str]], list[Note], Path]:
    """Python files with key-based code findings, and notebooks that mention an Azure SDK: the only files worth
    parsing with libcst. Discovery runs once and only Python files are scanned (with the AZ2 rules)."""
    files, notes, root, _ = _flagged(options)
    return files, notes, root


def _flagged(options: FixOptions) -> tuple[list[tuple[Path, str]], list[Note], Path, dict[str, list[Finding]]]:
    """flagged_files(), with the key-based client calls the scan reported in each file."""
    from mi_migrate.core import config as config_mod
    from mi_migrate.scan import discovery
    from mi_migrate.scan.files import scan_files
    from mi_migrate.scan.model import DEFAULT_MAX_FILE_SIZE, ScanSettings

    cfg = config_mod.load(options.config, [Path(p) for p in options.paths])
    found, notes = discovery.collect([Path(p) for p in options.paths], cfg)
    max_size = cfg.max_file_size or DEFAULT_MAX_FILE_SIZE
    code = [(path, rel) for path, rel in found if rel.endswith(CODE_SUFFIXES + NOTEBOOK_SUFFIXES)]
    settings = ScanSettings(select=("AZ2",) + (("AZ3",) if options.keyvault_url_env else ()),
                            ignore=tuple(cfg.ignore), max_file_size=max_size,
                            third_party=bool(options.keyvault_url_env) and cfg.third_party)
    result = scan_files(code, settings, options.jobs)
    findings = config_mod.apply(cfg, result.findings)
    wanted = {f.path for f in findings
              if f.kind in (Kind.KEY_BASED_CODE, Kind.THIRD_PARTY_SECRET) or f.rule_id.startswith("AZ2")}
    files = [(Path(path), rel) for path, rel in code if rel in wanted and rel.endswith(CODE_SUFFIXES)]
    files.extend((Path(path), rel) for path, rel in found if rel.endswith(NOTEBOOK_SUFFIXES)
                 and (rel in wanted or _mentions_azure(Path(path), max_size)))
    calls: dict[str, list[Finding]] = {}
    for finding in findings:
        if finding.kind is Kind.KEY_BASED_CODE:
            calls.setdefault(finding.path, []).append(finding)
    return sorted(files, key=lambda item: item[1]), notes + result.notes, cfg.root, calls


def unhandled(fix: FileFix, reported: list[Finding]) -> list[Change]:
    """Manual steps for the key-based calls the scan reported in this file that no rewrite family took up (a
    client mi-migrate has no rewrite for): `fix` lists every call site the scan reports, never drops one."""
    covered = [(change.extra.get("cell"), change.line, change.end_line) for change in fix.changes]
    steps = []
    for finding in reported:
        # a notebook's changes count lines within their cell (fix.notebooks), and so do its findings' fields
        cell = int(finding.fields["cell"]) if finding.fields.get("cell_line") else None
        line = int(finding.fields["cell_line"]) if cell is not None else finding.span.line
        end_line = line + finding.span.end_line - finding.span.line
        if any(where == cell and first <= line <= last for where, first, last in covered):
            continue
        client = finding.fields.get("client") or finding.fields.get("credential", "") or finding.rule_id
        credential = finding.fields.get("credential", "")
        form = f"{client} with {'an' if credential[:1] in 'aeiouAEIOU' else 'a'} {credential} credential" \
            if credential and credential != client else client
        steps.append(Change(
            path=fix.path, line=line, end_line=end_line, family=finding.fields.get("family", ""),
            client=client, service=finding.service, status="manual",
            is_async=finding.fields.get("async") == "true",
            reason=f"mi-migrate has no rewrite for {form} ({finding.rule_id}); "
                   "pass it a token credential by hand if its service supports Entra ID",
            extra={"no_rewrite": True, **({"cell": cell} if cell is not None else {})}))
        covered.append((cell, line, end_line))  # (the report shows these as "without an automatic rewrite")
    return steps


def _mentions_azure(path: Path, max_size: int) -> bool:
    """A notebook worth parsing: it imports an Azure SDK (a byte search; notebooks are rare and small)."""
    try:
        if path.stat().st_size > max_size:
            return False
        data = path.read_bytes()
    except OSError:
        return False
    return b"azure" in data and b"import" in data


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

    files, notes, root, calls = _flagged(options)
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
            fix.changes.extend(unhandled(fix, calls.get(rel, [])))
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
    from mi_migrate.scan.redact_text import redact_secrets

    text = str(exc).splitlines()[0] if str(exc) else ""
    text = redact_secrets(text[:300])  # a message may quote the value that failed: never print a secret
    return f"{exc.__class__.__name__}: {text}" if text else exc.__class__.__name__
