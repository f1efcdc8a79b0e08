"""Time `mi-migrate scan` against `detect-secrets scan --all-files` on one corpus, and a pre-commit run.

Why subprocesses: users run both tools as commands, so interpreter start, imports and rule loading count.
Each command runs under a fresh measuring child (`run.py --measure`), so `getrusage(RUSAGE_CHILDREN)` there
sees that command alone. ru_maxrss is the peak of the largest single process (a worker, when the tool runs a
pool), not the sum over workers.

    python benchmarks/run.py                 # corpus/std (made if missing): full scan + 10-file hook run
    python benchmarks/run.py --big           # also the ~600 MB memory check on corpus/big
    python benchmarks/run.py --skip-detect-secrets --repeat 3
    python benchmarks/run.py --peers /work/corpus --repeat 3          # beside gitleaks and kingfisher
    python benchmarks/run.py --peers-history REPO.git --repeat 3      # scan --history beside kingfisher
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import make_corpus  # noqa: E402  (sibling script)

OUT = HERE / "out"
HOOK_FILES = 10
HOOK_TARGET_S = 0.25  # issue 12
BIG_RSS_LIMIT_MB = 1024


def tool(name: str) -> str:
    """The console script next to this interpreter (the venv's), else from PATH."""
    candidate = Path(sys.executable).with_name(name)
    found = str(candidate) if candidate.exists() else shutil.which(name)
    if not found:
        raise SystemExit(f"{name} not found next to {sys.executable} or on PATH")
    return found


def measure_child(argv: list[str], stdout_path: str) -> int:
    """`--measure` mode: run one command, print its wall time, peak RSS and exit code as JSON."""
    with open(stdout_path, "wb") as sink:
        start = time.perf_counter()
        proc = subprocess.run(argv, stdout=sink, stderr=subprocess.PIPE)
        wall = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    scale = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB on Linux
    print(json.dumps({"wall_s": wall, "maxrss_mb": usage.ru_maxrss * scale / 2**20, "rc": proc.returncode,
                      "stderr_tail": proc.stderr.decode(errors="replace")[-2000:]}))
    return 0


@dataclass
class Run:
    """One measured command (the median of its repeats)."""

    wall_s: float
    maxrss_mb: float
    rc: int
    stderr_tail: str = ""
    findings: int | None = None

    def line(self, label: str) -> str:
        found = f", {self.findings} findings" if self.findings is not None else ""
        timing = f"{self.wall_s:8.2f} s   peak RSS {self.maxrss_mb:7.1f} MB"
        return f"  {label:<16} {timing}   exit {self.rc}{found}"


@dataclass
class FullScan:
    corpus: str
    files: int
    mb: float
    planted: int
    mi_migrate: Run
    azure_only: Run | None = None  # --no-third-party: mi-migrate's own rules without detect-secrets' plugins
    detect_secrets: Run | None = None

    def mb_s(self, run: Run) -> float:
        return round(self.mb / run.wall_s, 1)

    def report(self) -> None:
        print(f"\n{self.corpus}: {self.files} files, {self.mb:.1f} MB, {self.planted} planted fake keys")
        print(self.mi_migrate.line("mi-migrate") + f"   {self.mb_s(self.mi_migrate)} MB/s")
        if self.azure_only:
            print(self.azure_only.line("  Azure rules") + f"   {self.mb_s(self.azure_only)} MB/s (--no-third-party)")
        if self.detect_secrets:
            print(self.detect_secrets.line("detect-secrets") + f"   {self.mb_s(self.detect_secrets)} MB/s")
            print(f"  mi-migrate is {self.detect_secrets.wall_s / self.mi_migrate.wall_s:.1f}x faster "
                  "than detect-secrets")


def installed_env() -> dict[str, str]:
    """The environment of a user's install: pip writes bytecode, so imports read .pyc files. A development shell
    with PYTHONDONTWRITEBYTECODE=1 would compile every module from source on every run (~80 ms on a hook run)."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def measure(argv: list[str], stdout_path: Path, repeat: int = 1, cwd: Path | None = None, warm: bool = False) -> Run:
    """Run argv `repeat` times, each under a fresh measuring child; median wall time, largest RSS. `warm`: one
    unmeasured run first (bytecode written, caches filled, as on a user's second commit)."""
    runs = []
    env = installed_env()
    if warm:
        subprocess.run(argv, capture_output=True, cwd=cwd, env=env)
    for _ in range(repeat):
        child = [sys.executable, __file__, "--measure", str(stdout_path), "--", *argv]
        proc = subprocess.run(child, capture_output=True, text=True, cwd=cwd, check=True, env=env)
        runs.append(Run(**json.loads(proc.stdout)))
    return Run(statistics.median(r.wall_s for r in runs), max(r.maxrss_mb for r in runs), runs[-1].rc,
               runs[-1].stderr_tail)


def corpus_stats(root: Path) -> tuple[int, int]:
    files = total = 0
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        for name in filenames:
            files += 1
            total += os.path.getsize(os.path.join(dirpath, name))
    return files, total


def ensure_corpus(big: bool) -> tuple[Path, dict[str, Any]]:
    root = HERE / "corpus" / ("big" if big else "std")
    manifest_path = root.with_name(root.name + ".manifest.json")
    if not manifest_path.exists() or not root.is_dir():
        print(f"generating {root} ...", file=sys.stderr)
        make_corpus.main(["--big"] if big else [])
    return root, json.loads(manifest_path.read_text())


def count_findings(path: Path, detect_secrets: bool) -> int | None:
    try:
        data = json.loads(path.read_text())
        if detect_secrets:
            return sum(len(v) for v in data["results"].values())
        return int(data["summary"]["findings"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def full_scan(root: Path, manifest: dict[str, Any], repeat: int, with_ds: bool) -> FullScan:
    files, total = corpus_stats(root)
    mi_out = OUT / f"{root.name}-mi-migrate.json"
    mi = measure([tool("mi-migrate"), "scan", str(root), "--format", "json", "--fail-on", "never",
                  "-o", str(mi_out)], OUT / "mi-migrate.stdout", repeat)
    mi.findings = count_findings(mi_out, detect_secrets=False)
    scan = FullScan(str(root.relative_to(HERE)), files, total / 1e6, int(manifest["planted_count"]), mi)
    azure_out = OUT / f"{root.name}-mi-migrate-azure-only.json"
    scan.azure_only = measure([tool("mi-migrate"), "scan", str(root), "--no-third-party", "--format", "json",
                               "--fail-on", "never", "-o", str(azure_out)], OUT / "mi-migrate.stdout", repeat)
    scan.azure_only.findings = count_findings(azure_out, detect_secrets=False)
    if with_ds:
        ds_out = OUT / f"{root.name}-detect-secrets.json"
        # --all-files: detect-secrets would otherwise ask git, and the corpus repo has no commits
        ds_cmd = [tool("detect-secrets"), "scan", "--all-files", "."]
        scan.detect_secrets = measure(ds_cmd, ds_out, repeat, root)
        scan.detect_secrets.findings = count_findings(ds_out, detect_secrets=True)
    return scan


def hook_run(root: Path, manifest: dict[str, Any], repeat: int, with_ds: bool) -> dict[str, Any]:
    """What pre-commit does on a clean commit: one process, ten small files named on the command line."""
    planted = {root / rel for rel in manifest["planted"]}
    candidates = (p for p in root.rglob("*.py") if p.stat().st_size < 8_000 and p not in planted)
    small = sorted(candidates)[:HOOK_FILES]
    names = [str(p.relative_to(root)) for p in small]
    mi = measure([tool("mi-migrate"), "scan", *names], OUT / "hook-mi-migrate.out", max(repeat, 5), root, warm=True)
    print(f"\npre-commit style: {len(names)} small files, interpreter start included")
    verdict = "meets" if mi.wall_s < HOOK_TARGET_S else "MISSES"
    print(mi.line("mi-migrate") + f"   ({verdict} the {HOOK_TARGET_S} s target)")
    result: dict[str, Any] = {"files": len(names), "bytes": sum(p.stat().st_size for p in small),
                              "mi_migrate": asdict(mi), "target_s": HOOK_TARGET_S,
                              "meets_target": mi.wall_s < HOOK_TARGET_S}
    if with_ds:
        ds_cmd = [tool("detect-secrets-hook"), *names]
        ds = measure(ds_cmd, OUT / "hook-detect-secrets.out", max(repeat, 5), root, warm=True)
        print(ds.line("detect-secrets"))
        result["detect_secrets_hook"] = asdict(ds)
    return result


def load() -> str:
    """The 1-, 5- and 15-minute load averages: other work on the machine skews every number."""
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def peer_commands(tree: Path, history: bool, out: Path) -> dict[str, list[str]]:
    """mi-migrate and its peers on one tree (working tree) or one repository (history), as users run them."""
    if history:
        return {
            "mi-migrate": [tool("mi-migrate"), "scan", "--history", str(tree), "--format", "json", "--fail-on",
                           "never", "-o", str(out / "peer-mi-migrate.json")],
            "kingfisher": [tool("kingfisher"), "scan", str(tree), "--no-validate", "--git-history", "full",
                           "--format", "json", "-o", str(out / "peer-kingfisher.json")],
        }
    return {
        "mi-migrate": [tool("mi-migrate"), "scan", str(tree), "--format", "json", "--fail-on", "never",
                       "-o", str(out / "peer-mi-migrate.json")],
        "gitleaks": [tool("gitleaks"), "dir", str(tree), "--no-banner", "--exit-code", "0", "-f", "json",
                     "-r", str(out / "peer-gitleaks.json")],
        "kingfisher": [tool("kingfisher"), "scan", str(tree), "--no-validate", "--git-history", "none",
                       "--format", "json", "-o", str(out / "peer-kingfisher.json")],
    }


def peers(tree: Path, history: bool, repeat: int) -> dict[str, Any]:
    """Each tool `repeat` times, interleaved (round i runs every tool once, back to back), so a change in the
    machine's load hits all of them alike; the median wall time and the largest RSS per tool."""
    commands = peer_commands(tree, history, OUT)
    runs: dict[str, list[Run]] = {name: [] for name in commands}
    loads = [load()]
    for _ in range(repeat):
        for name, argv in commands.items():
            runs[name].append(measure(argv, OUT / f"peer-{name}.stdout"))
        loads.append(load())
    result: dict[str, Any] = {"tree": str(tree), "history": history, "repeat": repeat, "load": loads}
    kind = "history" if history else "working tree"
    print(f"\n{tree} ({kind}), {repeat} round(s); load averages {' | '.join(loads)}")
    for name, measured in runs.items():
        walls = sorted(r.wall_s for r in measured)
        best = Run(statistics.median(walls), max(r.maxrss_mb for r in measured), measured[-1].rc)
        print(best.line(name) + "   runs: " + ", ".join(f"{w:.1f}" for w in walls))
        result[name] = {"median_s": round(best.wall_s, 2), "runs_s": [round(w, 2) for w in walls],
                        "maxrss_mb": round(best.maxrss_mb, 1), "rc": best.rc}
    return result


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--measure"]:
        return measure_child(argv[3:], argv[1])  # --measure STDOUT -- CMD...
    parser = argparse.ArgumentParser(description="mi-migrate vs detect-secrets on a generated corpus.")
    parser.add_argument("--big", action="store_true",
                        help=f"also scan the ~600 MB corpus; fail if peak RSS > {BIG_RSS_LIMIT_MB} MB")
    parser.add_argument("--repeat", type=int, default=1, help="runs per measurement (the median is reported)")
    parser.add_argument("--skip-detect-secrets", action="store_true", help="time mi-migrate only")
    parser.add_argument("--peers", type=Path, metavar="TREE",
                        help="instead: mi-migrate, gitleaks dir and kingfisher on TREE (`pip install -e .[bench]`)")
    parser.add_argument("--peers-history", type=Path, metavar="REPO",
                        help="instead: `scan --history` and kingfisher's full-history scan on REPO")
    args = parser.parse_args(argv)
    OUT.mkdir(exist_ok=True)
    if args.peers or args.peers_history:
        tree = args.peers or args.peers_history
        result = peers(tree.resolve(), history=args.peers_history is not None, repeat=args.repeat)
        name = "peers-history.json" if args.peers_history else "peers.json"
        (OUT / name).write_text(json.dumps(result, indent=1))
        return 0
    with_ds = not args.skip_detect_secrets
    results: dict[str, Any] = {"python": sys.version.split()[0], "cpus": os.cpu_count()}

    root, manifest = ensure_corpus(big=False)
    std = full_scan(root, manifest, args.repeat, with_ds)
    std.report()
    results["std"] = asdict(std)
    hook = results["hook"] = hook_run(root, manifest, args.repeat, with_ds)
    failed = not hook["meets_target"]
    scans = [std]
    if args.big:
        root, manifest = ensure_corpus(big=True)
        big = full_scan(root, manifest, 1, with_ds=False)
        big.report()
        results["big"] = asdict(big)
        ok = big.mi_migrate.maxrss_mb <= BIG_RSS_LIMIT_MB
        print(f"  memory check: peak RSS {big.mi_migrate.maxrss_mb:.0f} MB "
              f"{'<=' if ok else '>'} {BIG_RSS_LIMIT_MB} MB")
        failed |= not ok
        scans.append(big)
    for scan in scans:
        if scan.mi_migrate.rc not in (0, 1):
            print(f"mi-migrate failed on {scan.corpus}:\n{scan.mi_migrate.stderr_tail}", file=sys.stderr)
            failed = True
    (OUT / "results.json").write_text(json.dumps(results, indent=1))
    print(f"\nwrote {OUT / 'results.json'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
