"""The `mi-migrate` command: click options → an options dataclass → a library call → exit code.

Exit codes follow ruff: 0 nothing at or above the threshold, 1 findings at or above it, 2 usage error or failure.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

import click

from mi_migrate import __version__

FAIL_ON = ("error", "warning", "note", "never")
STDOUT_BLOCK = 1 << 20  # streamed output reaches stdout in blocks of this many bytes


class Failure(click.ClickException):
    exit_code = 2


def _fail(exc: BaseException, debug: bool) -> NoReturn:
    """One line naming the problem (a secret in the message is redacted); the traceback only with --debug."""
    from mi_migrate.api import describe

    if debug:
        traceback.print_exc()
    known = isinstance(exc, OSError | ValueError)
    message = describe(exc).split(": ", 1)[-1] if known and str(exc) else f"internal error: {describe(exc)}"
    raise Failure(message) from None


def _write(text: str, output: Path | None) -> None:
    """Non-UTF-8 file names reach here as surrogate escapes: they are written back as the original bytes."""
    if output is None:
        try:
            click.echo(text, nl=False)
        except UnicodeEncodeError:
            sys.stdout.flush()
            sys.stdout.buffer.write(text.encode("utf-8", "surrogateescape"))
            sys.stdout.buffer.flush()
        return
    tmp = output.with_name(output.name + ".tmp")
    tmp.write_text(text, encoding="utf-8", errors="surrogateescape")
    tmp.replace(output)


def _write_streamed(produce: Callable[[Callable[[str], object]], None], output: Path | None) -> None:
    """`_write` for a renderer that writes piece by piece (`produce(write)`): the document is never held whole.

    Standard output gets UTF-8 bytes (surrogate escapes back as the original bytes) in blocks of STDOUT_BLOCK, so
    a failure while rendering a document smaller than that prints none of it; a file is written beside its target
    and renamed into place only once complete, so a failure leaves the old file as it was."""
    if output is None:
        binary = getattr(sys.stdout, "buffer", None)
        if binary is None:  # no byte stream under stdout (an embedding replaced it): write text
            produce(lambda text: click.echo(text, nl=False))
            return
        pending: list[bytes] = []
        size = 0

        def write(text: str) -> None:
            nonlocal size
            data = text.encode("utf-8", "surrogateescape")
            pending.append(data)
            size += len(data)
            if size >= STDOUT_BLOCK:
                flush()

        def flush() -> None:
            nonlocal size
            sys.stdout.flush()
            binary.write(b"".join(pending))
            binary.flush()
            pending.clear()
            size = 0

        produce(write)
        flush()
        return
    tmp = output.with_name(output.name + ".tmp")
    try:
        with open(tmp, "w", encoding="utf-8", errors="surrogateescape") as handle:
            produce(handle.write)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    tmp.replace(output)


def _scan_selection(command: Callable[..., None]) -> Callable[..., None]:
    """The options `scan` and `baseline` share: which configuration, rules and files, and how many workers."""
    for option in reversed((
        click.option("--config", type=click.Path(dir_okay=False, path_type=Path),
                     help="Use this pyproject.toml or .mi-migrate.toml instead of the nearest one."),
        click.option("--select", multiple=True, help="Only these rule ids or prefixes (repeatable)."),
        click.option("--ignore", multiple=True, help="Skip these rule ids or prefixes (repeatable)."),
        click.option("--max-file-size", type=int, help="Skip files larger than this many bytes (default 2 MiB)."),
        click.option("--jobs", type=click.IntRange(min=0), default=0, show_default=False,
                     help="Worker processes (default or 0: one per CPU; 1: none, scan in this process)."),
        click.option("--no-third-party", is_flag=True,
                     help="Do not run detect-secrets' detectors for non-Azure secrets."),
    )):
        command = option(command)
    return command


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mi-migrate")
def main() -> None:
    """Find Azure keys and connection strings and move the code onto managed identity."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@click.option("--format", "fmt", type=click.Choice(["text", "json", "sarif", "github", "azure", "gitlab"]),
              default="text",
              show_default=True, help="Output format.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write the output to FILE.")
@click.option("--fail-on", type=click.Choice(FAIL_ON), default=None,
              help="Lowest severity that makes the exit code 1 (default: fail-on in config, else error).")
@click.option("--baseline", type=click.Path(dir_okay=False, path_type=Path),
              help="Report only findings not in this baseline file.")
@_scan_selection
@click.option("--history", is_flag=True,
              help="Scan the lines every commit added (all branches) instead of files; secrets only: the "
                   "Python-aware AZ2xx rules are working-tree only.")
@click.option("--since", metavar="REV", help="With --history: only commits not reachable from REV.")
@click.option("--range", "rev_range", metavar="A..B", help="With --history: only the commits of A..B.")
@click.option("--staged", is_flag=True, help="Scan exactly what is staged (index vs HEAD), for pre-commit.")
@click.option("--show-authors", is_flag=True, help="With --history: include the author's email in origin.")
@click.option("--diff-base", metavar="REV",
              help="Pull-request mode: only findings on lines added or changed since the merge base with REV "
                   "(working tree included).")
@click.option("--debug", is_flag=True, help="Show tracebacks for internal errors.")
def scan(paths: tuple[str, ...], fmt: str, output: Path | None, fail_on: str | None, baseline: Path | None,
         config: Path | None, select: tuple[str, ...], ignore: tuple[str, ...], max_file_size: int | None,
         jobs: int, no_third_party: bool, history: bool, since: str | None, rev_range: str | None,
         staged: bool, show_authors: bool, diff_base: str | None, debug: bool) -> None:
    """Scan PATHS (default: .) for Azure credentials and key-based client code."""
    from mi_migrate import api
    from mi_migrate import output as output_mod
    from mi_migrate.core.finding import Severity
    from mi_migrate.core.rules import rule_by_id

    options = api.ScanOptions(paths=paths or (".",), config=config, select=select, ignore=ignore,
                              baseline=baseline, max_file_size=max_file_size, jobs=jobs,
                              third_party=not no_third_party, history=history, since=since,
                              rev_range=rev_range, staged=staged, show_authors=show_authors, diff_base=diff_base)
    if (since or rev_range or show_authors) and not history:
        raise click.UsageError("--since, --range and --show-authors need --history")
    if since and rev_range:
        raise click.UsageError("use either --since or --range, not both")
    if staged and history:
        raise click.UsageError("use either --staged or --history, not both")
    if diff_base is not None and (staged or history):
        raise click.UsageError("--diff-base scans the working tree: not with --staged or --history")
    try:
        result = api.run_scan(options)
        color = fmt == "text" and output is None and sys.stdout.isatty()
        context = output_mod.context_for(result.root) if fmt in output_mod.CI_FORMATS else None
        if fmt in output_mod.STREAMED:  # one finding at a time: a large result is never one string
            _write_streamed(lambda write: output_mod.stream(fmt, result, rule_by_id(), write, context=context),
                            output)
        else:
            _write(output_mod.render(fmt, result, rule_by_id(), color=color, context=context), output)
        fail_on = fail_on or result.config.fail_on or "error"
    except (OSError, ValueError) as exc:
        _fail(exc, debug)
    if fmt == "text":
        from mi_migrate.output.text import summary

        click.echo(summary(result, color=sys.stderr.isatty()), err=True)
    threshold = None if fail_on == "never" else Severity.parse(fail_on)
    sys.exit(1 if result.at_or_above(threshold) else 0)


@main.command("baseline")
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="File to write (default: baseline in config, else ROOT/.mi-migrate-baseline.json).")
@_scan_selection
@click.option("--history", is_flag=True, help="Record the secrets git history holds (see `scan --history`).")
@click.option("--debug", is_flag=True, help="Show tracebacks for internal errors.")
def baseline_command(paths: tuple[str, ...], output: Path | None, config: Path | None,
                     select: tuple[str, ...], ignore: tuple[str, ...], max_file_size: int | None, jobs: int,
                     no_third_party: bool, history: bool, debug: bool) -> None:
    """Scan PATHS (default: .) and record every current finding, so later scans report only new ones."""
    from mi_migrate import api

    options = api.ScanOptions(paths=paths or (".",), config=config, select=select, ignore=ignore,
                              max_file_size=max_file_size, jobs=jobs, third_party=not no_third_party,
                              history=history)
    try:
        result, target, count = api.write_baseline(options, output)
    except (OSError, ValueError) as exc:
        _fail(exc, debug)
    click.echo(f"wrote {count} baseline entries for {len(result.findings)} findings in "
               f"{result.files_scanned} files to {target}", err=True)


@main.command("rule")
@click.argument("rule_id", required=False)
def rule_command(rule_id: str | None) -> None:
    """Show the documentation of RULE_ID (an id or a name), or list every rule."""
    from mi_migrate.core import ruledocs
    from mi_migrate.core.rules import RuleError, load_rules

    try:
        rules = load_rules()
    except RuleError as exc:
        raise Failure(str(exc)) from None
    if rule_id is None:
        click.echo(ruledocs.render_list(rules), nl=False)
        return
    rule = ruledocs.find_rule(rules, rule_id)
    if rule is None:
        raise Failure(f"unknown rule {rule_id!r}; `mi-migrate rule` lists them")
    click.echo(ruledocs.render_rule(rule), nl=False)


@main.command("fix")
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@click.option("--diff", "show_diff", is_flag=True,
              help="Print a unified diff (secrets redacted) and write nothing; exit 1 if it is not empty.")
@click.option("--check", is_flag=True, help="Write nothing; exit 1 when changes would be made.")
@click.option("--credential", type=click.Choice(["default", "managed-identity"]), default="default",
              show_default=True, help="DefaultAzureCredential or ManagedIdentityCredential.")
@click.option("--client-id", help="Client id of a user-assigned managed identity.")
@click.option("--client-id-env", metavar="NAME", help="App setting holding the user-assigned identity's client id.")
@click.option("--keyvault-url-env", metavar="NAME",
              help="Move hard-coded third-party secrets to Key Vault; NAME is the setting holding the vault URL.")
@click.option("--configs", is_flag=True,
              help="Also rewrite local.settings.json, .env, appsettings*.json and web.config/app.config (SQL).")
@click.option("--report", "report_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the migration report (format from the extension: .md, .html, .json).")
@click.option("--config", type=click.Path(dir_okay=False, path_type=Path),
              help="Use this pyproject.toml or .mi-migrate.toml instead of the nearest one.")
@click.option("--debug", is_flag=True, help="Show tracebacks for internal errors.")
def fix_command(paths: tuple[str, ...], show_diff: bool, check: bool, credential: str, client_id: str | None,
                client_id_env: str | None, keyvault_url_env: str | None, configs: bool, report_path: Path | None,
                config: Path | None, debug: bool) -> None:
    """Rewrite key-based Azure client code in PATHS (default: .) to managed identity."""
    from mi_migrate.api import FixOptions, run_fix

    if client_id and client_id_env:
        raise click.UsageError("use either --client-id or --client-id-env, not both")
    options = FixOptions(paths=paths or (".",), credential=credential, client_id=client_id,  # type: ignore[arg-type]
                         client_id_env=client_id_env, keyvault_url_env=keyvault_url_env,
                         write=not (show_diff or check), configs=configs, config=config, debug=debug)
    try:
        result = run_fix(options)
        if report_path is not None:
            from mi_migrate.api import write_report

            write_report(report_path, options, fix_result=result)
    except Exception as exc:  # one line and exit 2, never a traceback (unless --debug); nothing was written
        _fail(exc, debug)
    if show_diff:
        from mi_migrate.api import redact_secrets

        click.echo(redact_secrets(result.diff()), nl=False)  # removed lines may quote a key: never print it
    for note in result.notes:
        click.echo(f"{note.path}: {note.message}", err=True)
    for change in result.changes:
        if change.status == "manual":
            cell = change.extra.get("cell")
            place = f"{change.path}[cell {cell + 1}]" if isinstance(cell, int) else change.path
            click.echo(f"{place}:{change.line}: manual: {change.client}: {change.reason}", err=True)
    code_changes = [c for c in result.changes if c.family != "configuration"]
    rewritten = sum(1 for c in code_changes if c.status == "rewritten")
    manual = sum(1 for c in code_changes if c.status == "manual")
    settings_rewritten = len(result.changes) - len(code_changes)
    verb = "Would rewrite" if not options.write else "Rewrote"
    files = len(result.changed_files)
    click.echo(f"{verb} {rewritten} call site{'s' * (rewritten != 1)} in {files} file{'s' * (files != 1)}; "
               f"{manual} left as manual steps"
               + (f"; {settings_rewritten} configuration settings rewritten." if settings_rewritten else "."), err=True)
    sys.exit(1 if (show_diff or check) and result.changed_files else 0)


@main.command("report")
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@click.option("--format", "fmt", type=click.Choice(["md", "html", "json"]), default=None,
              help="Report format (default: from the --output extension, else md).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write the report to FILE.")
@click.option("--credential", type=click.Choice(["default", "managed-identity"]), default="default",
              show_default=True, help="Credential the would-be code changes use.")
@click.option("--client-id-env", metavar="NAME", help="App setting holding the user-assigned identity's client id.")
@click.option("--config", type=click.Path(dir_okay=False, path_type=Path),
              help="Use this pyproject.toml or .mi-migrate.toml instead of the nearest one.")
@click.option("--history", is_flag=True, help="Also list keys removed from HEAD but still in git history under "
                                               "rotation.")
@click.option("--debug", is_flag=True, help="Show tracebacks for internal errors.")
def report_command(paths: tuple[str, ...], fmt: str | None, output: Path | None, credential: str,
                   client_id_env: str | None, config: Path | None, history: bool, debug: bool) -> None:
    """Migration report for PATHS (default: .): scan plus a dry-run fix, per Azure resource what to change."""
    from mi_migrate.api import FixOptions, render_report
    from mi_migrate.api import report_format_for as format_for

    options = FixOptions(paths=paths or (".",), credential=credential, client_id_env=client_id_env,  # type: ignore[arg-type]
                         write=False, config=config, debug=debug)
    try:
        chosen = fmt or (format_for(str(output)) if output is not None else "md")
        _write(render_report(options, chosen, history=history), output)
    except Exception as exc:  # one line and exit 2, never a traceback (unless --debug)
        _fail(exc, debug)
    if output is not None:
        click.echo(f"wrote the {chosen} report to {output}", err=True)
