"""Time `mi-migrate scan --history` against `git log -p --all > /dev/null` on one generated repository, and
compare peak RSS for 1,000 and 5,000 commits (it must not grow with the number of commits).

Why git fast-import: 5,000 commits through `git commit` take minutes; a fast-import stream takes seconds.
Every commit rewrites a block of lines in two of 200 code-like files (about 10 KB of patch per commit, so
~50 MB for 5,000). A few fake keys from mi_migrate.testing.fakes are planted, some removed later, so the run has
findings of both kinds (present at HEAD, removed).

    python benchmarks/history.py                  # builds benchmarks/corpus/history-{1000,5000} when missing
    python benchmarks/history.py --repeat 3
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
import make_corpus  # noqa: E402  (sibling script: the corpus generator's Python functions)
import run  # noqa: E402  (sibling script: measure(), tool())

from mi_migrate.testing import fakes  # noqa: E402

FILES = 200
BLOCKS = 40  # make_corpus's Python functions per file
CHANGED = 5  # consecutive functions rewritten per file per commit
TARGET_RATIO = 3.0
PLANTS = {  # commit number -> (path, fake connection string template, removed at commit or None)
    300: ("app/settings.env", "STORAGE=DefaultEndpointsProtocol=https;AccountName=bench;AccountKey=«b64:64»", 900),
    2100: ("svc/bus.env", "BUS=Endpoint=sb://bench.servicebus.windows.net/;SharedAccessKeyName=root;"
                          "SharedAccessKey=«b64:32»", None),
    4200: ("web/cosmos.env", "COSMOS=AccountEndpoint=https://bench.documents.azure.com:443/;AccountKey=«b64:64»",
           4800),
}


def code_block(rng: random.Random) -> str:
    """One function of make_corpus's Python (the same vocabulary as the working-tree benchmark)."""
    return make_corpus._py_block(rng)


def build(dest: Path, commits: int, seed: int = 7) -> None:
    """A fresh repository at dest with `commits` linear commits made by git fast-import."""
    rng = random.Random(seed)
    subprocess.run(["git", "init", "-q", str(dest)], check=True)
    proc = subprocess.Popen(["git", "fast-import", "--quiet"], cwd=dest, stdin=subprocess.PIPE)
    assert proc.stdin is not None
    files = {f"src/mod{i:03}.py": [code_block(rng) for _ in range(BLOCKS)] for i in range(FILES)}
    names = sorted(files)

    def blob(path: str, text: str) -> bytes:
        data = text.encode()
        return f"M 100644 inline {path}\ndata {len(data)}\n".encode() + data + b"\n"

    for n in range(1, commits + 1):
        when = 1_600_000_000 + n * 600
        msg = f"change {n}".encode()
        out = [f"commit refs/heads/main\nmark :{n}\n".encode(),
               f"author Bench <bench@example.invalid> {when} +0000\n".encode(),
               f"committer Bench <bench@example.invalid> {when} +0000\n".encode(),
               f"data {len(msg)}\n".encode() + msg + b"\n"]
        if n > 1:
            out.append(f"from :{n - 1}\n".encode())
        for path in rng.sample(names, 2):
            start = rng.randrange(BLOCKS - CHANGED)
            files[path][start : start + CHANGED] = [code_block(rng) for _ in range(CHANGED)]
            out.append(blob(path, "".join(files[path])))
        for at, (path, template, removed) in PLANTS.items():
            if n == at:
                out.append(blob(path, fakes.expand(template, seed=at) + "\n"))
            elif n == removed:
                out.append(f"D {path}\n".encode())
        proc.stdin.write(b"".join(out))
    proc.stdin.close()
    if proc.wait() != 0:
        raise SystemExit("git fast-import failed")
    subprocess.run(["git", "checkout", "-q", "main"], cwd=dest, check=True)


def ensure(commits: int) -> Path:
    dest = HERE / "corpus" / f"history-{commits}"
    if not (dest / ".git").is_dir():
        print(f"building {dest} ...", file=sys.stderr)
        dest.parent.mkdir(parents=True, exist_ok=True)
        build(dest, commits)
    return dest


def patch_mb(repo: Path) -> float:
    proc = subprocess.Popen(["git", "log", "-p", "--all"], cwd=repo, stdout=subprocess.PIPE)
    assert proc.stdout is not None
    total = sum(len(chunk) for chunk in iter(lambda: proc.stdout.read(1 << 20), b""))  # type: ignore[union-attr]
    proc.wait()
    return total / 2**20


PEAK = """
import json, resource, sys
from mi_migrate import api
result = api.run_scan(api.ScanOptions(history=True, jobs=int(sys.argv[1])))
print(json.dumps({"rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "findings": len(result.findings)}))
"""


def peak_rss(repo: Path, jobs: int) -> float:
    """Peak RSS of the scanning process itself (git log's own memory, which does grow, is not ours)."""
    proc = subprocess.run([sys.executable, "-c", PEAK, str(jobs)], cwd=repo, capture_output=True, text=True,
                          check=True)
    return float(json.loads(proc.stdout)["rss_mb"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args(argv)
    run.OUT.mkdir(exist_ok=True)
    results = {}
    for commits in (1000, 5000):
        repo = ensure(commits)
        out = run.OUT / f"history-{commits}.json"
        mi = run.measure([run.tool("mi-migrate"), "scan", "--history", "--format", "json", "-o", str(out),
                          "--fail-on", "never"], run.OUT / "history.stdout", args.repeat, repo)
        git = run.measure(["git", "log", "-p", "--all"], Path("/dev/null"), args.repeat, repo)
        doc = json.loads(out.read_text())
        results[commits] = {
            "patch_mb": round(patch_mb(repo), 1), "mi_s": round(mi.wall_s, 2), "git_s": round(git.wall_s, 2),
            "ratio": round(mi.wall_s / git.wall_s, 2), "rc": mi.rc,
            "mi_rss_mb": round(peak_rss(repo, 1), 1), "tree_rss_mb": round(mi.maxrss_mb, 1),
            "git_rss_mb": round(git.maxrss_mb, 1),
            "findings": len(doc["findings"]),
            "removed": sum(1 for f in doc["findings"] if not f["origin"]["present_at_head"]),
        }
        print(f"{commits} commits: {json.dumps(results[commits])}", flush=True)
    (run.OUT / "history.json").write_text(json.dumps(results, indent=2) + "\n")
    small, large = results[1000], results[5000]
    failed = large["ratio"] > TARGET_RATIO or large["mi_rss_mb"] > small["mi_rss_mb"] * 1.25 or large["rc"] != 0
    print("FAIL" if failed else "OK", f"5,000 commits: {large['ratio']}x git log -p (target {TARGET_RATIO}x); "
          f"peak RSS {small['mi_rss_mb']} MB at 1,000 vs {large['mi_rss_mb']} MB at 5,000")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
