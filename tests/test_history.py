"""`scan --history` and `--staged` on real temporary git repositories: keys committed, removed, renamed, merged."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from mi_migrate import api
from mi_migrate.cli import main
from mi_migrate.core.redact import secret_hash
from mi_migrate.scan.history.run import PRESENT, REMOVED
from mi_migrate.testing import fakes
from tests.test_pre_commit import hook_repo, shared_dir  # noqa: F401  (session fixtures: the hook snapshot)

CONN = "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=«b64:64»"
IDENTITY = ("-c", "user.name=mi-migrate tests", "-c", "user.email=tests@example.invalid", "-c", "commit.gpgsign=false",
            "-c", "init.defaultBranch=main", "-c", "protocol.file.allow=always")


def key(seed: int) -> str:
    return fakes.expand(CONN, seed=seed)


def account_key(conn: str) -> str:
    return conn.split("AccountKey=")[1]


def git(repo: Path, *args: str, date: int | None = None) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    if date is not None:  # distinct, increasing dates keep "first appearance" well defined
        stamp = f"{1_700_000_000 + date * 3600} +0000"
        env.update(GIT_AUTHOR_DATE=stamp, GIT_COMMITTER_DATE=stamp)
    proc = subprocess.run(["git", *IDENTITY, *args], cwd=repo, env=env, capture_output=True, check=True)
    return proc.stdout.decode("utf-8", "surrogateescape").strip()


def commit(repo: Path, n: int, files: dict[str | bytes, str | bytes | None], message: str = "change") -> str:
    """Write (None: delete) files, commit them all and return the new commit's sha."""
    for name, content in files.items():
        path = Path(os.fsdecode(name)) if isinstance(name, bytes) else Path(name)
        target = repo / path
        if content is None:
            target.unlink()
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content if isinstance(content, bytes) else content.encode())
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", message, date=n)
    return git(repo, "rev-parse", "HEAD")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = tmp_path / "repo"
    path.mkdir()
    git(path, "init", "-q")
    return path


def history(repo: Path, **options: object) -> api.ScanResult:
    options.setdefault("paths", (str(repo),))
    return api.run_scan(api.ScanOptions(history=True, **options))  # type: ignore[arg-type]


def by_key(result: api.ScanResult, conn: str) -> list:
    digest = secret_hash(account_key(conn))
    return [f for f in result.findings if f.secret_hash == digest]


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_removed_renamed_merged_and_deduped(repo: Path) -> None:
    old, kept = key(1), key(2)
    first = commit(repo, 1, {"settings.env": f"# app settings\nSTORAGE={old}\n", "README.md": "demo\n"})
    commit(repo, 2, {"copy.env": f"OTHER={old}\n"})  # the same secret again: reported once, listed in also_in
    git(repo, "mv", "settings.env", "config.env")
    commit(repo, 3, {})
    commit(repo, 4, {"config.env": "# app settings\nSTORAGE=from-key-vault\n", "copy.env": None})
    git(repo, "checkout", "-q", "-b", "feature")
    branch = commit(repo, 5, {"feature.env": f"KEPT={kept}\n"})
    git(repo, "checkout", "-q", "main")
    commit(repo, 6, {"README.md": "demo\nmore\n"})
    git(repo, "merge", "-q", "--no-ff", "-m", "merge feature", "feature", date=7)

    result = history(repo)
    [removed] = by_key(result, old)
    assert removed.path == "settings.env" and removed.span.line == 2 and removed.rule_id == "AZ101"
    origin = removed.origin
    assert origin["commit"] == first and origin["path"] == "settings.env" and origin["line"] == 2
    assert origin["present_at_head"] is False and origin["status"] == REMOVED
    assert origin["date"].startswith("2023-11-14")
    assert [a["path"] for a in origin["also_in"]] == ["copy.env"] and origin["occurrences"] == 2
    assert "author" not in origin
    [present] = by_key(result, kept)
    assert present.origin["commit"] == branch  # its first appearance, not the merge commit
    assert present.origin["present_at_head"] is True and present.origin["status"] == PRESENT
    assert len(result.findings) == 2
    assert any("history: 7 commits scanned" in n.message for n in result.notes)


def test_rename_keeps_key_present_at_head(repo: Path) -> None:
    conn = key(3)
    commit(repo, 1, {"a.env": f"X={conn}\n"})
    git(repo, "mv", "a.env", "b.env")
    commit(repo, 2, {})
    [finding] = history(repo).findings
    assert finding.path == "a.env" and finding.origin["present_at_head"] is True


def test_binary_submodule_and_non_utf8_names(repo: Path) -> None:
    conn = key(4)
    name = b"caf\xe9 \"odd\".env"
    commit(repo, 1, {"blob.bin": b"\0\1\2" + conn.encode() + b"\0", name: f"K={conn}\n".encode()})
    sub = repo.parent / "sub"
    sub.mkdir()
    git(sub, "init", "-q")
    commit(sub, 1, {"inner.env": f"K={key(5)}\n"})
    git(repo, "submodule", "add", "-q", str(sub), "vendor/sub")
    commit(repo, 2, {})
    result = history(repo)
    assert [f.path for f in result.findings] == [os.fsdecode(name)]
    assert not by_key(result, key(5))
    code, out = cli("scan", "--history", str(repo))
    assert code == 1 and "AZ101" in out and account_key(conn) not in out


def test_suppressions_config_and_authors(repo: Path) -> None:
    a, b, c = key(6), key(7), key(8)
    commit(repo, 1, {"app.env": "# mi-migrate: ignore[AZ101]\nA=placeholder\n"})
    commit(repo, 2, {"app.env": f"# mi-migrate: ignore[AZ101]\nA={a}\n",  # the comment is unchanged context
                     "b.env": f"B={b}  # pragma: allowlist secret\n", "c.env": f"C={c}\n"})
    result = history(repo)
    assert [f.path for f in result.findings] == ["c.env"]
    (repo / ".mi-migrate.toml").write_text('[per-file-ignores]\n"c.env" = ["AZ101"]\n')
    assert history(repo).findings == []
    (repo / ".mi-migrate.toml").unlink()
    [shown] = history(repo, show_authors=True).findings
    assert shown.origin["author"] == "tests@example.invalid"


def test_since_and_range(repo: Path) -> None:
    one, two = key(9), key(10)
    c1 = commit(repo, 1, {"one.env": f"A={one}\n"})
    c2 = commit(repo, 2, {"readme.md": "x\n"})
    c3 = commit(repo, 3, {"two.env": f"B={two}\n"})
    assert [f.path for f in history(repo, since=c2).findings] == ["two.env"]
    assert [f.path for f in history(repo, rev_range=f"{c1}..{c3}").findings] == ["two.env"]
    assert history(repo, rev_range=f"{c1}..{c2}").findings == []
    assert [f.path for f in history(repo, rev_range=f"{c2}~1..{c2}").findings] == []
    code, out = cli("scan", "--history", "--range", "nope..HEAD", str(repo))
    assert code == 2 and "not a commit" in out
    code, out = cli("scan", "--since", c1, str(repo))
    assert code == 2 and "need --history" in out


def test_pathspec_limits_history(repo: Path) -> None:
    commit(repo, 1, {"app/a.env": f"A={key(11)}\n", "lib/b.env": f"B={key(12)}\n"})
    assert [f.path for f in history(repo, paths=(str(repo / "lib"),)).findings] == ["lib/b.env"]


def test_empty_repository(repo: Path) -> None:
    result = history(repo)
    assert result.findings == [] and any("no commits" in n.message for n in result.notes)
    code, _ = cli("scan", "--history", str(repo))
    assert code == 0


def test_not_a_repository(tmp_path: Path) -> None:
    code, out = cli("scan", "--history", str(tmp_path))
    assert code == 2 and "not inside a git work tree" in out


def test_shallow_clone(repo: Path, tmp_path: Path) -> None:
    old = key(13)
    commit(repo, 1, {"old.env": f"A={old}\n"})
    boundary = commit(repo, 2, {"old.env": None})
    commit(repo, 3, {"new.env": f"B={key(14)}\n"})
    when = git(repo, "show", "-s", "--format=%cI", boundary)
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth", "2", f"file://{repo}", str(clone))
    result = history(clone)
    assert any(n.message == f"shallow clone: history before {when} not scanned" for n in result.notes)
    assert [f.path for f in result.findings] == ["new.env"] and not by_key(result, old)


def test_staged_scans_the_index_only(repo: Path) -> None:
    staged, unstaged = key(15), key(16)
    (repo / "s.env").write_text(f"S={staged}\n")
    git(repo, "add", "s.env")  # before the first commit: index vs the empty tree
    (repo / "u.env").write_text(f"U={unstaged}\n")
    result = api.run_scan(api.ScanOptions(paths=(str(repo),), staged=True))
    assert [f.path for f in result.findings] == ["s.env"] and not result.findings[0].origin
    commit(repo, 1, {"u.env": None})
    (repo / "s.env").write_text(f"S={staged}\nT={key(19)}\n")  # a new key in the work tree, not staged
    code, out = cli("scan", "--staged", str(repo))
    assert code == 0, out
    git(repo, "add", "s.env")
    code, out = cli("scan", "--staged", str(repo))
    assert code == 1 and out.startswith("s.env:2:"), out  # only the added line: S= was committed already


def test_baseline_accepts_history_key(repo: Path, tmp_path: Path) -> None:
    conn = key(17)
    commit(repo, 1, {"old.env": f"A={conn}\n"})
    git(repo, "mv", "old.env", "new.env")
    commit(repo, 2, {"new.env": f"# moved\nA={conn}\n"})
    commit(repo, 3, {"other.env": f"B={conn}\n"})
    baseline = tmp_path / "baseline.json"
    code, _ = cli("baseline", str(repo), "-o", str(baseline))  # the working tree: new.env and other.env
    assert code == 0
    assert history(repo).findings and history(repo, baseline=baseline).findings == []
    commit(repo, 4, {"new.env": None, "other.env": None})
    history_baseline = tmp_path / "history-baseline.json"
    code, _ = cli("baseline", "--history", str(repo), "-o", str(history_baseline))
    assert code == 0 and json.loads(history_baseline.read_text())["results"][0]["path"] == "old.env"
    assert history(repo, baseline=history_baseline).findings == []


def test_output_formats_carry_origin(repo: Path) -> None:
    first = commit(repo, 1, {"app.env": f"A={key(18)}\n"})
    commit(repo, 2, {"app.env": "A=\n"})
    code, out = cli("scan", "--history", "--format", "json", str(repo))
    assert code == 1
    [finding] = json.loads(out)["findings"]
    assert finding["origin"]["commit"] == first and finding["origin"]["status"] == REMOVED
    code, out = cli("scan", "--history", "--format", "sarif", str(repo))
    assert json.loads(out)["runs"][0]["results"][0]["properties"]["origin"]["present_at_head"] is False
    code, out = cli("scan", "--history", str(repo))
    assert f"[commit {first[:7]} 2023-11-14, {REMOVED}]" in out
    code, _ = cli("scan", "--history", "--fail-on", "never", str(repo))
    assert code == 0


def test_report_lists_removed_history_keys_under_rotation(repo: Path) -> None:
    from mi_migrate.api import build_report
    from mi_migrate.fix.model import FixOptions
    from mi_migrate.report import schema

    first = commit(repo, 1, {"app.env": f"A={key(21)}\n"})
    commit(repo, 2, {"app.env": "A=\n"})
    report = build_report(FixOptions(paths=(str(repo),), write=False), history=True)
    [entry] = report["rotation"]
    assert entry["commit"] == first and entry["history_status"] == REMOVED and entry["path"] == "app.env"
    assert any(first[:7] in note for note in entry["notes"])
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(report, schema())
    assert build_report(FixOptions(paths=(str(repo),), write=False))["rotation"] == []


@pytest.mark.slow
def test_pre_commit_try_repo_staged_hook(repo: Path, hook_repo) -> None:  # noqa: F811
    from tests.test_pre_commit import pre_commit

    conn = key(22)
    (repo / "s.env").write_text(f"S={conn}\n")
    git(repo, "add", "s.env")
    rc, out = pre_commit(repo, "try-repo", str(hook_repo.path), "mi-migrate-staged", "--verbose")
    assert rc == 1 and "s.env:1:" in out and "AZ101" in out, out
    assert account_key(conn) not in out
    git(repo, "rm", "-q", "--cached", "s.env")
    (repo / "ok.txt").write_text("nothing here\n")
    git(repo, "add", "ok.txt")
    rc, out = pre_commit(repo, "try-repo", str(hook_repo.path), "mi-migrate-staged", "--verbose")
    assert rc == 0 and "Passed" in out, out
