"""Gate precision and recall of `mi-migrate scan` and three peers on real repositories, from line-level labels.

Two sets are measured, each against the same labels (`labels.tsv`, one row per source line, never the value):

- `realworld`: the pinned sample repositories of `pins.txt`, checked out under `/work/corpus/owner+name`;
- `creds`: public files holding real Azure credentials and look-alikes (`credential-files.txt`), saved under
  `/work/corpus-creds/owner+name/<path>`.

Scanners, each run the way a CI gate runs it, on files of at most 2 MiB (mi-migrate's default limit):

- mi-migrate: `mi-migrate scan --format json`; error-level findings fail the gate;
- gitleaks: `gitleaks dir --redact --max-target-megabytes 2`; every finding fails the gate;
- kingfisher: `kingfisher scan --no-validate --git-history none --no-dedup --redact --max-file-size 2`;
- detect-secrets: `detect-secrets scan --all-files FILES` (only hashes in its output).

Each scanner runs once per set; its findings, reduced to repo, path, line, rule and gate (no values), are cached
in `out/<set>-<scanner>.json` and reused unless `--rerun` is given. Peers' raw reports are written redacted.

Printed: per scanner, gate-failing lines, true, false, unlabelled, precision, and recall against every line
labelled true (the union of the credential lines any scanner flagged, plus credential lines seeded by hand);
on the creds set, credential lines failing the gate and look-alikes failing the gate; then mi-migrate's false
gate lines by class, the true lines it misses, and every unlabelled gate line of any scanner (so the labels can
be kept current). Nothing printed or written holds a secret value.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
PINS = HERE / "pins.txt"
CRED_FILES = HERE / "credential-files.txt"
LABELS = HERE / "labels.tsv"
OUT = HERE / "out"
VENV_BIN = Path(sys.executable).parent
MAX_BYTES = 2 * 1024 * 1024
SCANNERS = ("mi-migrate", "gitleaks", "kingfisher", "detect-secrets")
LABEL_COLUMNS = ("set", "repo", "path", "line", "verdict", "class", "rules", "reason")

Key = tuple[str, str, str, int]  # set, repo (owner/name), path inside the repo, line


@dataclass(frozen=True)
class Finding:
    """One scanner finding, without its value."""

    repo: str
    path: str
    line: int
    rule: str
    gate: bool
    level: str = ""


@dataclass(frozen=True)
class Label:
    """One labelled source line."""

    verdict: bool
    klass: str
    rules: str
    reason: str


# --- inputs ------------------------------------------------------------------------------------------------------


def read_pins(path: Path = PINS) -> list[str]:
    """owner/name of every pinned repository."""
    repos = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.partition("#")[0].strip()
        if line:
            repos.append(line.partition("@")[0])
    return repos


def read_credential_files(path: Path = CRED_FILES) -> list[tuple[str, str]]:
    """(owner/name, path) of every line `owner/name path@commit  # why`."""
    files = []
    if not path.exists():
        return files
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.partition("  #")[0].strip()
        if not line or line.startswith("#"):
            continue
        repo, _, rest = line.partition(" ")
        files.append((repo, rest.strip().rpartition("@")[0]))
    return files


def read_labels(path: Path = LABELS) -> dict[Key, Label]:
    """Labels by (set, repo, path, line); a later row for the same line wins."""
    labels: dict[Key, Label] = {}
    if not path.exists():
        return labels
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not raw.strip() or raw.startswith("#") or raw.startswith("set\t"):
            continue
        cells = raw.split("\t")
        if len(cells) < 5 or cells[4] not in ("true", "false"):
            raise SystemExit(f"{path}:{number}: expected {'<TAB>'.join(LABEL_COLUMNS)}")
        cells += [""] * (len(LABEL_COLUMNS) - len(cells))
        labels[(cells[0], cells[1], cells[2], int(cells[3]))] = Label(cells[4] == "true", cells[5], cells[6], cells[7])
    return labels


def set_roots(name: str, corpus: Path, creds: Path) -> dict[str, Path]:
    """owner/name -> directory to scan, for the repositories of a set that exist on disk."""
    if name == "realworld":
        repos = read_pins()
        base = corpus
    else:
        repos = sorted({repo for repo, _ in read_credential_files()})
        base = creds
    roots = {repo: base / repo.replace("/", "+") for repo in repos}
    return {repo: root for repo, root in roots.items() if root.is_dir()}


def locate(roots: dict[str, Path], filename: str) -> tuple[str, str] | None:
    """(repo, path inside it) of an absolute file name."""
    path = os.path.realpath(filename)
    for repo, root in roots.items():
        base = os.path.realpath(root) + os.sep
        if path.startswith(base):
            return repo, path[len(base):]
    return None


def files_to_scan(root: Path) -> list[str]:
    """Paths (relative to root) of the files at most 2 MiB: git-tracked ones in a checkout, all others elsewhere."""
    if (root / ".git").exists():
        out = subprocess.run(["git", "ls-files", "-z"], cwd=root, check=True, capture_output=True, text=True).stdout
        names = [name for name in out.split("\0") if name]
    else:
        names = [os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs]
    return [n for n in names if (root / n).is_file() and not (root / n).is_symlink()
            and (root / n).stat().st_size <= MAX_BYTES]


# --- running the scanners ----------------------------------------------------------------------------------------


def run_mi_migrate(roots: dict[str, Path], raw: Path | None) -> list[Finding]:
    """`mi-migrate scan ROOTS --format json` (or its saved JSON output); error level fails the gate."""
    if raw is None:
        fd, name = tempfile.mkstemp(suffix=".json", prefix="mi-migrate-")
        os.close(fd)
        raw = Path(name)
        subprocess.run([str(VENV_BIN / "mi-migrate"), "scan", *map(str, roots.values()), "--format", "json",
                        "-o", str(raw)], check=False, capture_output=True)
    report = json.loads(raw.read_text(encoding="utf-8"))
    found = []
    for item in report["findings"]:
        where = locate(roots, item["path"])
        if where:
            found.append(Finding(*where, int(item["line"]), item["rule_id"], item["severity"] == "error",
                                 item["severity"]))
    return found


def run_gitleaks(roots: dict[str, Path]) -> list[Finding]:
    """`gitleaks dir` per repository, redacted; every finding fails the gate."""
    found = []
    with tempfile.TemporaryDirectory() as tmp:
        for repo, root in roots.items():
            report = Path(tmp) / "gitleaks.json"
            subprocess.run([str(VENV_BIN / "gitleaks"), "dir", str(root), "--no-banner", "--report-format", "json",
                            "--report-path", str(report), "--max-target-megabytes", "2", "--redact",
                            "--exit-code", "0"], check=False, capture_output=True)
            for item in json.loads(report.read_text(encoding="utf-8") or "[]"):
                where = locate({repo: root}, item["File"])
                if where:
                    found.append(Finding(*where, int(item["StartLine"]), item["RuleID"], True))
    return found


def run_kingfisher(roots: dict[str, Path]) -> list[Finding]:
    """`kingfisher scan --no-validate` on the working trees, redacted; every finding fails the gate."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "kingfisher.json"
        subprocess.run([str(VENV_BIN / "kingfisher"), "scan", *map(str, roots.values()), "--no-validate",
                        "--format", "json", "--git-history", "none", "--max-file-size", "2", "--no-dedup",
                        "--redact", "-o", str(report)], check=False, capture_output=True)
        data = json.loads(report.read_text(encoding="utf-8"))
    found = []
    for item in data.get("findings", []):
        where = locate(roots, item["finding"]["path"])
        if where:
            found.append(Finding(*where, int(item["finding"]["line"]), item["rule"]["id"], True))
    return found


def run_detect_secrets(roots: dict[str, Path]) -> list[Finding]:
    """`detect-secrets scan --all-files FILES` per repository (files of at most 2 MiB); every finding fails."""
    found = []
    for repo, root in roots.items():
        names = files_to_scan(root)
        for start in range(0, len(names), 400):
            done = subprocess.run([str(VENV_BIN / "detect-secrets"), "scan", "--all-files", *names[start:start + 400]],
                                  cwd=root, check=False, capture_output=True, text=True)
            if not done.stdout.strip():
                continue
            for filename, items in json.loads(done.stdout).get("results", {}).items():
                for item in items:
                    found.append(Finding(repo, filename, int(item["line_number"]), item["type"], True))
    return found


def scan(name: str, scanner: str, roots: dict[str, Path], rerun: bool, mm_json: Path | None) -> list[Finding]:
    """Findings of one scanner on one set, from the cache unless told to run it."""
    cache = OUT / f"{name}-{scanner}.json"
    if cache.exists() and not rerun and not (scanner == "mi-migrate" and mm_json):
        return [Finding(**item) for item in json.loads(cache.read_text(encoding="utf-8"))]
    started = time.perf_counter()
    if scanner == "mi-migrate":
        found = run_mi_migrate(roots, mm_json)
    elif scanner == "gitleaks":
        found = run_gitleaks(roots)
    elif scanner == "kingfisher":
        found = run_kingfisher(roots)
    else:
        found = run_detect_secrets(roots)
    print(f"[{name}] {scanner}: {len(found)} findings in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    OUT.mkdir(exist_ok=True)
    cache.write_text(json.dumps([f.__dict__ for f in found], indent=0), encoding="utf-8")
    return found


# --- measuring ---------------------------------------------------------------------------------------------------


def pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "-"


def measure(name: str, results: dict[str, list[Finding]], labels: dict[Key, Label],
            summary: dict[str, dict[str, str]]) -> list[str]:
    """Print the table of one set, fill `summary` per scanner; return the unlabelled gate lines as label stubs."""
    set_labels = {key: label for key, label in labels.items() if key[0] == name}
    true_lines = {key for key, label in set_labels.items() if label.verdict}
    false_lines = {key for key, label in set_labels.items() if not label.verdict}
    gate_rules: dict[Key, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    print(f"\n## {name}: {len(true_lines)} lines labelled true, {len(false_lines)} false\n")
    if name == "realworld":
        print("| scanner | gate-failing lines | true | false | unlabelled | precision | recall (gate) |")
        print("|---|---:|---:|---:|---:|---:|---:|")
    else:
        print("| scanner | gate-failing lines | true | false | unlabelled | precision |"
              " credential lines failing the gate | look-alikes failing the gate |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for scanner, found in results.items():
        gate = {(name, f.repo, f.path, f.line) for f in found if f.gate}
        for f in found:
            if f.gate:
                gate_rules[(name, f.repo, f.path, f.line)][scanner].add(f.rule)
        true, false = gate & true_lines, gate & false_lines
        unlabelled = gate - true - false
        row = f"| {scanner} | {len(gate)} | {len(true)} | {len(false)} | {len(unlabelled)} | " \
              f"{pct(len(true), len(true) + len(false))} |"
        cells = summary.setdefault(scanner, {})
        if name == "realworld":
            row += f" {len(true)}/{len(true_lines)} ({pct(len(true), len(true_lines))}) |"
            cells.update(gate=str(len(gate)), true=str(len(true)), false=str(len(false)),
                         precision=pct(len(true), len(true) + len(false)),
                         recall=f"{len(true)}/{len(true_lines)} ({pct(len(true), len(true_lines))})")
        else:
            cells.update(creds=f"{len(true)}/{len(true_lines)} ({pct(len(true), len(true_lines))})",
                         lookalikes=f"{len(false)}/{len(false_lines)}")
            row += f" {len(true)}/{len(true_lines)} ({pct(len(true), len(true_lines))}) |" \
                   f" {len(false)}/{len(false_lines)} ({pct(len(false), len(false_lines))}) |"
        print(row)
    mm = results.get("mi-migrate")
    if mm is not None:
        levels: dict[Key, set[str]] = defaultdict(set)
        for f in mm:
            levels[(name, f.repo, f.path, f.line)].add(f"{f.rule}:{f.level}")
        gate = {(name, f.repo, f.path, f.line) for f in mm if f.gate}
        wrong = sorted(gate & false_lines)
        by_class: dict[str, list[Key]] = defaultdict(list)
        for key in wrong:
            by_class[set_labels[key].klass].append(key)
        print(f"\nmi-migrate false gate lines ({len(wrong)}):")
        for klass, keys in sorted(by_class.items(), key=lambda kv: -len(kv[1])):
            print(f"  {klass} ({len(keys)}):")
            for key in keys:
                print(f"    {key[1]} {key[2]}:{key[3]}  [{', '.join(sorted(levels[key]))}]")
        missed = sorted(true_lines - gate)
        print(f"\nmi-migrate misses at the gate ({len(missed)} true lines):")
        for key in missed:
            seen = ", ".join(sorted(levels[key])) or "not reported"
            print(f"    {key[1]} {key[2]}:{key[3]}  {set_labels[key].klass}  [{seen}]")
    stubs = []
    unlabelled = sorted(key for key in gate_rules if key not in set_labels)
    if unlabelled:
        print(f"\nunlabelled gate lines ({len(unlabelled)}):")
    for key in unlabelled:
        rules = "; ".join(f"{s}:{','.join(sorted(r))}" for s, r in sorted(gate_rules[key].items()))
        print(f"    {key[1]} {key[2]}:{key[3]}  {rules}")
        stubs.append("\t".join([key[0], key[1], key[2], str(key[3]), "?", "?", rules, ""]))
    return stubs


def main(argv: list[str] | None = None) -> int:
    """Run (or read cached) scans, join with the labels and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=Path("/work/corpus"), help="checkouts of pins.txt")
    parser.add_argument("--creds", type=Path, default=Path("/work/corpus-creds"), help="files of credential-files.txt")
    parser.add_argument("--set", choices=("realworld", "creds", "both"), default="both")
    parser.add_argument("--rerun", nargs="*", choices=SCANNERS, metavar="SCANNER",
                        help="run these scanners again (all when none is named) instead of reading out/")
    parser.add_argument("--mm-json", type=Path, help="read this `mi-migrate scan --format json` output (realworld)")
    parser.add_argument("--skip-detect-secrets", action="store_true", help="leave detect-secrets out (slow)")
    parser.add_argument("--skip-peers", action="store_true", help="mi-migrate only")
    parser.add_argument("--todo", type=Path, help="write unlabelled gate lines here as label rows to fill in")
    args = parser.parse_args(argv)
    rerun = set(SCANNERS if args.rerun == [] else args.rerun or ())
    scanners = ["mi-migrate"] if args.skip_peers else [
        s for s in SCANNERS if not (s == "detect-secrets" and args.skip_detect_secrets)]
    labels = read_labels()
    stubs: list[str] = []
    summary: dict[str, dict[str, str]] = {}
    for name in ("realworld", "creds") if args.set == "both" else (args.set,):
        roots = set_roots(name, args.corpus, args.creds)
        if not roots:
            print(f"[{name}] no repositories on disk", file=sys.stderr)
            continue
        mm_json = args.mm_json if name == "realworld" else None
        results = {s: scan(name, s, roots, s in rerun, mm_json if s == "mi-migrate" else None) for s in scanners}
        stubs += measure(name, results, labels, summary)
        counts = Counter(label.klass for key, label in labels.items() if key[0] == name and not label.verdict)
        if counts:
            print(f"\nfalse lines by class ({name}): " + ", ".join(f"{k} {n}" for k, n in counts.most_common()))
    print("\n## summary\n")
    print("| scanner | gate-failing lines | live credentials | false | precision | recall (union of true lines) |"
          " credential lines failing the gate (creds) | look-alikes failing the gate (creds) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for scanner, cells in summary.items():
        print(f"| {scanner} | " + " | ".join(cells.get(k, "-") for k in (
            "gate", "true", "false", "precision", "recall", "creds", "lookalikes")) + " |")
    if args.todo:
        args.todo.write_text("".join(s + "\n" for s in stubs), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
