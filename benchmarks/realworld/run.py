"""Run `mi-migrate fix` over pinned public repositories: crashes, rewrite rate, manual reasons, broken output.

Synthetic fixtures only cover the code shapes we thought of; real samples, Functions apps and notebooks show
the shapes users have. Each repository is measured in child processes (a crash or a hang in one repository
cannot take the others down, and the time is per repository):

- `mi-migrate fix --diff .` as a command, the way users run it: exit code other than 0/1, or a traceback on
  stderr, is a crash;
- the library dry run, `fix_paths(FixOptions(write=False))`, for the per-call-site outcome, and once more with
  `configs=True` so the settings-file rewriting is exercised too.

Only reasons, paths and line numbers are printed or written: never source lines (the repositories hold keys).
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PINS = HERE / "pins.txt"
OUT = HERE / "out"
DEFAULT_CORPUS = Path("/work/corpus")
EMULATOR = re.compile(r"devstoreaccount1|UseDevelopmentStorage|127\.0\.0\.1|localhost|http://", re.IGNORECASE)
MAGIC = re.compile(r"^([ \t]*)(?:[%!?]|[\w.]+[ \t]*=[ \t]*[%!])|\?\??[ \t]*$")
CALLED = re.compile(r"\b([A-Z]\w*(?:Client|Credentials?|OpenAI\w*|Embeddings))\s*\(")  # class names only
CELL_FLAGS = ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT


@dataclass(frozen=True)
class Pin:
    repo: str  # owner/name
    commit: str
    why: str

    @property
    def dirname(self) -> str:
        return self.repo.replace("/", "+")


def read_pins(path: Path = PINS) -> list[Pin]:
    """`owner/name@<40 hex>  # why` per line; blank lines and whole-line comments are skipped."""
    pins = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line, _, why = raw.partition("#")
        if not line.strip():
            continue
        match = re.fullmatch(r"([\w.-]+/[\w.-]+)@([0-9a-f]{40})", line.strip())
        if not match:
            raise SystemExit(f"{path}: not owner/name@<40-hex commit>: {line.strip()}")
        pins.append(Pin(match.group(1), match.group(2), why.strip()))
    return pins


# --- checkouts ---------------------------------------------------------------------------------------------------


def git(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True)
    return done.stdout


def prepare(pin: Pin, corpus: Path, mirrors: Path | None, from_github: bool) -> str:
    """Create the checkout at the pinned commit. Blobs a mirror lacks (snapshots drop files of 4 MiB and more)
    are skipped rather than failing the whole checkout, so a plain `git clone` + checkout is not used."""
    dest = corpus / pin.dirname
    if dest.exists():
        return "present"
    if from_github:
        source = f"https://github.com/{pin.repo}.git"
    else:
        assert mirrors is not None
        base = mirrors / pin.dirname / "repo"
        source = str(base / ".git" if (base / ".git").is_dir() else base)
        if not Path(source).is_dir():
            return f"no mirror at {base}"
    git("clone", "-q", "--no-checkout", "--no-hardlinks", source, str(dest))
    try:
        git("cat-file", "-e", f"{pin.commit}^{{commit}}", cwd=dest)
    except subprocess.CalledProcessError:
        shutil.rmtree(dest)
        return f"commit {pin.commit[:12]} not in {source}"
    git("update-ref", "--no-deref", "HEAD", pin.commit, cwd=dest)
    git("read-tree", "HEAD", cwd=dest)
    entries = [e for e in git("ls-tree", "-r", "-z", "--full-tree", "HEAD", cwd=dest).split("\0") if e]
    blobs = {}
    for entry in entries:
        meta, path = entry.split("\t", 1)
        _mode, kind, sha = meta.split()
        if kind == "blob":
            blobs[path] = sha
    check = subprocess.run(["git", "cat-file", "--batch-check"], cwd=dest, check=True, capture_output=True,
                           text=True, input="".join(f"{sha}\n" for sha in blobs.values())).stdout.splitlines()
    present = [path for (path, _), line in zip(blobs.items(), check, strict=True) if not line.endswith(" missing")]
    subprocess.run(["git", "checkout-index", "-f", "-z", "--stdin"], cwd=dest, check=True, capture_output=True,
                   input="\0".join(present).encode())
    missing = len(blobs) - len(present)
    return f"checked out {len(present)} files" + (f" ({missing} absent from the mirror)" if missing else "")


# --- measuring one repository (runs in a child process) ------------------------------------------------------------


def normalise(reason: str | None) -> str:
    """Group reasons that differ only by names: `variables`, 'quoted', hosts, SETTING_NAMES, numbers."""
    text = reason or "(no reason given)"
    text = re.sub(r"`[^`]*`", "`<x>`", text)
    text = re.sub(r"'[^']*'|\"[^\"]*\"", "'<s>'", text)
    text = re.sub(r"\b[\w-]+(?:\.[\w-]+){2,}\b(?<!\.json)(?<!\.toml)(?<!\.txt)", "<host>", text)
    text = re.sub(r"\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b", "<SETTING>", text)
    text = re.sub(r"\b\d+\b", "N", text)
    return text


def masked_cell(source: str) -> str | None:
    """Cell source with IPython magics and shell escapes as `pass`; None for %%cell-magic cells."""
    lines = source.split("\n")
    if lines and lines[0].lstrip().startswith("%%"):
        return None
    return "\n".join((m.group(1) or "") + "pass" if (m := MAGIC.search(line)) and not line.lstrip().startswith(
        "!=") else line for line in lines)


def cell_parses(source: str) -> bool:
    try:
        compile(source, "<cell>", "exec", flags=CELL_FLAGS, dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def py_parsers(text: str) -> set[str]:
    """The parsers (libcst, ast) that accept the text."""
    import libcst as cst

    ok = set()
    try:
        cst.parse_module(text)
        ok.add("libcst")
    except Exception:
        pass
    try:
        ast.parse(text)
        ok.add("ast")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        pass
    return ok


def cells(text: str) -> list[str | None]:
    """Code-cell sources by cell index (None for other cells)."""
    try:
        notebook = json.loads(text)
    except ValueError:
        return []
    out: list[str | None] = []
    for cell in notebook.get("cells", []) if isinstance(notebook, dict) else []:
        source = cell.get("source", "") if isinstance(cell, dict) else ""
        source = "".join(source) if isinstance(source, list) else str(source)
        out.append(source if isinstance(cell, dict) and cell.get("cell_type") == "code" else None)
    return out


def broken_outputs(files: list[Any]) -> tuple[list[str], list[str]]:
    """Changed .py files and notebook cells that parsed before the rewrite and do not after, same grammar."""
    broken_py, broken_cells = [], []
    for fix in files:
        if not fix.changed:
            continue
        if fix.path.endswith(".py"):
            before = py_parsers(fix.original)
            if before - py_parsers(fix.updated or ""):
                broken_py.append(fix.path)
        elif fix.path.endswith(".ipynb"):
            for index, (old, new) in enumerate(zip(cells(fix.original), cells(fix.updated or ""), strict=False)):
                if old is None or new is None or old == new:
                    continue
                old_masked, new_masked = masked_cell(old), masked_cell(new)
                if old_masked is None or new_masked is None:
                    continue
                if cell_parses(old_masked) and not cell_parses(new_masked):
                    broken_cells.append(f"{fix.path}#cell{index + 1}")
    return broken_py, broken_cells


def original_lines(fix: Any, change: Any, context: int = 0) -> str:
    """The source lines a change covers (plus `context` lines each side), from the file before the rewrite (a
    notebook: from its cell)."""
    text = fix.original
    if fix.path.endswith(".ipynb"):
        cell = change.extra.get("cell")
        sources = cells(text)
        text = sources[cell] if isinstance(cell, int) and cell < len(sources) and sources[cell] else ""
    lines = text.splitlines()
    return "\n".join(lines[max(change.line - 1 - context, 0):max(change.end_line, change.line) + context])


def crash_location(exc: BaseException) -> str:
    """The innermost mi_migrate frame of a traceback, as path:line."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "mi_migrate" in f.filename]
    if not frames:
        return "?"
    frame = frames[-1]
    return f"{frame.filename.split('mi_migrate', 1)[-1].lstrip('/')}:{frame.lineno} ({frame.name})"


def find_crashing_file(configs: bool, deadline: float) -> str | None:
    """Re-run per flagged file to name the file that makes fix_paths raise (best effort, time-boxed)."""
    from mi_migrate.fix.model import FixOptions
    from mi_migrate.fix.runner import fix_paths, flagged_files

    try:
        files, _, _ = flagged_files(FixOptions(paths=(".",), write=False))
    except Exception:
        return "(discovery)"
    for path, rel in files:
        if time.monotonic() > deadline:
            return None
        try:
            fix_paths(FixOptions(paths=(str(path),), write=False, configs=configs))
        except Exception:
            return rel
    return None


def library_run(configs: bool) -> tuple[Any, dict[str, Any]]:
    from mi_migrate.fix.model import FixOptions
    from mi_migrate.fix.runner import fix_paths

    start = time.perf_counter()
    try:
        result = fix_paths(FixOptions(paths=(".",), write=False, configs=configs))
    except Exception as exc:
        seconds = time.perf_counter() - start
        message = f"{exc.__class__.__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:300]
        where = crash_location(exc)
        return None, {"crash": True, "message": message, "where": where, "seconds": round(seconds, 2),
                      "file": find_crashing_file(configs, time.monotonic() + 120)}
    return result, {"crash": False, "seconds": round(time.perf_counter() - start, 2)}


def outcome(change: Any) -> str:
    """rewritten, manual, or one of the two manual steps that need no code change: `entra-fallback` (the code
    already uses Entra ID once the key setting is unset) and `retired` (the service is gone: delete the code)."""
    if change.status == "manual" and change.extra.get("entra_fallback"):
        return "entra-fallback"
    if change.status == "manual" and change.extra.get("retired"):
        return "retired"
    return str(change.status)


def measure_library(repo: Path) -> dict[str, Any]:
    """The worker: both library runs in this (child) process, with the repository as the working directory."""
    os.chdir(repo)
    result, plain = library_run(configs=False)
    out: dict[str, Any] = {"library": plain}
    if result is not None:
        changes = []
        by_path = {f.path: f for f in result.files}
        emulator = []
        for fix in result.files:
            for change in fix.changes:
                if change.family == "configuration":
                    continue
                where = f"{change.path}:{change.line}"
                if fix.path.endswith(".ipynb") and isinstance(change.extra.get("cell"), int):
                    where = f"{change.path}#cell{change.extra['cell'] + 1}:{change.line}"
                lines = original_lines(by_path[fix.path], change)
                called = set(CALLED.findall(original_lines(by_path[fix.path], change, 3))) - {change.client}
                changes.append({"status": outcome(change), "family": change.family, "client": change.client,
                                "where": where, "reason": normalise(change.reason) if change.status != "rewritten"
                                else None, "called": sorted(called)})
                if change.status == "rewritten" and EMULATOR.search(lines):
                    emulator.append(where)
        broken_py, broken_cells = broken_outputs(result.files)
        out.update(changes=changes, emulator_rewrites=emulator, broken_py=broken_py, broken_cells=broken_cells,
                   changed_files=len(result.changed_files),
                   notes=dict(Counter(normalise(n.message) for n in result.notes).most_common()))
    _, with_configs = library_run(configs=True)
    out["configs"] = with_configs
    return out


# --- the parent ----------------------------------------------------------------------------------------------------


def mi_migrate_command() -> list[str]:
    script = Path(sys.executable).with_name("mi-migrate")
    return [str(script)] if script.exists() else [sys.executable, "-m", "mi_migrate"]


def run_cli(repo: Path, timeout: float) -> dict[str, Any]:
    """`mi-migrate fix --diff .` in the checkout; the diff itself is only counted, never kept."""
    start = time.perf_counter()
    try:
        done = subprocess.run([*mi_migrate_command(), "fix", "--diff", "."], cwd=repo, capture_output=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"crash": True, "message": f"timeout after {timeout:.0f} s", "exit": None, "seconds": timeout}
    seconds = time.perf_counter() - start
    stderr = done.stderr.decode("utf-8", "replace")
    lines = [line for line in stderr.splitlines() if line.strip()]
    crash = done.returncode not in (0, 1) or "Traceback" in stderr
    return {"crash": crash, "exit": done.returncode, "message": lines[-1][:300] if crash and lines else None,
            "seconds": round(seconds, 2), "diff_lines": done.stdout.count(b"\n")}


def run_worker(repo: Path, timeout: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "out.json"
        start = time.perf_counter()
        try:
            done = subprocess.run([sys.executable, __file__, "--worker", str(repo), str(target)],
                                  capture_output=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return {"library": {"crash": True, "message": f"timeout after {timeout:.0f} s", "seconds": timeout}}
        if done.returncode != 0 or not target.exists():
            tail = [x for x in done.stderr.decode("utf-8", "replace").splitlines() if x.strip()]
            return {"library": {"crash": True, "message": f"worker exit {done.returncode}: "
                                + (tail[-1][:300] if tail else ""), "seconds": round(time.perf_counter() - start, 2)}}
        return json.loads(target.read_text(encoding="utf-8"))


def measure(pin: Pin, repo: Path, timeout: float) -> dict[str, Any]:
    record: dict[str, Any] = {"repo": pin.repo, "commit": pin.commit}
    start = time.perf_counter()
    record["cli"] = run_cli(repo, timeout)
    record.update(run_worker(repo, timeout))
    record["seconds"] = round(time.perf_counter() - start, 1)
    changes = record.get("changes", [])
    record["rewritten"] = sum(c["status"] == "rewritten" for c in changes)
    for kind in ("manual", "entra-fallback", "retired"):
        record[kind] = sum(c["status"] == kind for c in changes)
    return record


def crashed(record: dict[str, Any]) -> list[str]:
    out = []
    for key in ("cli", "library", "configs"):
        part = record.get(key) or {}
        if part.get("crash"):
            file = f" [{part['file']}]" if part.get("file") else ""
            where = f" at {part['where']}" if part.get("where") else ""
            out.append(f"{key}: {part.get('message')}{where}{file}")
    return out


def pct(done: int, total: int) -> str:
    return f"{100 * done / total:.0f}%" if total else "–"


def table(records: list[dict[str, Any]]) -> str:
    """Per repository. `% of code changes` is rewritten / (rewritten + manual): the call sites that need their
    code changed; `% of all` also counts the config-only (entra-fallback) and retired sites in the denominator."""
    rows = ["| repository | crash | rewritten | manual | entra fallback (unset key) | retired service | "
            "% of code changes | % of all | broken .py / cells | emulator rewrites | s |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]

    def row(name: str, crashes: int | str, rs: list[dict[str, Any]]) -> str:
        n = {k: sum(r.get(k, 0) for r in rs) for k in ("rewritten", "manual", "entra-fallback", "retired")}
        broken = f"{sum(len(r.get('broken_py', [])) for r in rs)} / {sum(len(r.get('broken_cells', [])) for r in rs)}"
        return (f"| {name} | {crashes} | {n['rewritten']} | {n['manual']} | {n['entra-fallback']} | {n['retired']} | "
                f"{pct(n['rewritten'], n['rewritten'] + n['manual'])} | {pct(n['rewritten'], sum(n.values()))} | "
                f"{broken} | {sum(len(r.get('emulator_rewrites', [])) for r in rs)} | "
                f"{sum(r['seconds'] for r in rs):.1f} |")

    for r in records:
        rows.append(row(r["repo"], "yes" if crashed(r) else "no", [r]))
    rows.append(row(f"**total ({len(records)})**", sum(bool(crashed(r)) for r in records), records))
    return "\n".join(rows)


def summary(records: list[dict[str, Any]], top: int) -> str:
    reasons: Counter[str] = Counter()
    examples: dict[str, list[str]] = defaultdict(list)
    clients: dict[str, Counter[str]] = defaultdict(Counter)
    for r in records:
        for c in r.get("changes", []):
            if c["status"] == "rewritten":
                continue
            if c["status"] != "manual":
                c = {**c, "reason": f"[{c['status']}] {c['reason']}"}
            reasons[c["reason"]] += 1
            called = [name for name in c.get("called", []) if not name.endswith(("Credential", "Credentials"))]
            clients[c["reason"]][c["client"] + (f" → {'/'.join(called)}" if called else "")] += 1
            if len(examples[c["reason"]]) < 2:
                examples[c["reason"]].append(f"{r['repo']} {c['where']}")
    lines = [f"\nTop {top} manual reasons:\n", "| n | reason | clients | examples |", "|---:|---|---|---|"]
    for reason, count in reasons.most_common(top):
        who = ", ".join(f"{k} {v}" for k, v in clients[reason].most_common(6))
        lines.append(f"| {count} | {reason.replace('|', '/')} | {who} | {'; '.join(examples[reason])} |")
    problems = []
    for r in records:
        problems += [f"- crash {r['repo']}: {c}" for c in crashed(r)]
        problems += [f"- broken after rewrite {r['repo']}: {p}" for p in r.get("broken_py", [])]
        problems += [f"- broken cell after rewrite {r['repo']}: {p}" for p in r.get("broken_cells", [])]
        problems += [f"- emulator call site rewritten {r['repo']}: {p}" for p in r.get("emulator_rewrites", [])]
    return "\n".join([*lines, "", *(problems or ["- no crashes, broken outputs or emulator rewrites"])])


def mi_migrate_version() -> str:
    try:
        return git("rev-parse", "--short", "HEAD", cwd=HERE).strip()
    except (subprocess.CalledProcessError, OSError):
        return "?"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="directory of owner+name checkouts")
    parser.add_argument("--prepare", type=Path, metavar="MIRRORS_DIR",
                        help="create missing checkouts from bare mirrors at MIRRORS_DIR/owner+name/repo")
    parser.add_argument("--from-github", action="store_true", help="with --prepare: clone missing ones from GitHub")
    parser.add_argument("--only", nargs="*", default=[], help="owner/name substrings to run")
    parser.add_argument("--timeout", type=float, default=900, help="seconds per child process")
    parser.add_argument("--top", type=int, default=15, help="manual reasons to list")
    parser.add_argument("--worker", nargs=2, metavar=("REPO", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        data = measure_library(Path(args.worker[0]).resolve())
        Path(args.worker[1]).write_text(json.dumps(data), encoding="utf-8")
        return 0
    pins = [p for p in read_pins() if not args.only or any(o in p.repo for o in args.only)]
    args.corpus.mkdir(parents=True, exist_ok=True)
    if args.prepare or args.from_github:
        for pin in pins:
            print(f"{pin.repo}: {prepare(pin, args.corpus, args.prepare, args.from_github)}", file=sys.stderr)
    records = []
    for pin in pins:
        repo = args.corpus / pin.dirname
        if not repo.is_dir():
            print(f"{pin.repo}: no checkout at {repo} (use --prepare)", file=sys.stderr)
            continue
        head = git("rev-parse", "HEAD", cwd=repo).strip()
        if head != pin.commit:
            print(f"{pin.repo}: checkout is at {head[:12]}, pinned {pin.commit[:12]}", file=sys.stderr)
        records.append(measure(pin, repo, args.timeout))
        r = records[-1]
        print(f"{pin.repo}: {r['rewritten']} rewritten, {r['manual']} manual, {r['entra-fallback']} entra fallback, "
              f"{r['retired']} retired, {r['seconds']} s"
              + ("; CRASH" if crashed(r) else ""), file=sys.stderr)
    print(f"mi-migrate {mi_migrate_version()}, {time.strftime('%Y-%m-%d')}, {os.cpu_count()} CPUs\n")
    print(table(records))
    print(summary(records, args.top))
    OUT.mkdir(exist_ok=True)
    (OUT / "results.json").write_text(json.dumps({"mi_migrate": mi_migrate_version(), "date": time.strftime(
        "%Y-%m-%d"), "cpus": os.cpu_count(), "repositories": records}, indent=1), encoding="utf-8")
    return 1 if any(crashed(r) or r.get("broken_py") or r.get("broken_cells") for r in records) else 0


if __name__ == "__main__":
    sys.exit(main())
