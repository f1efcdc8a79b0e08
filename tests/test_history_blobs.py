"""`scan --history` by blob (mi_migrate.scan.history.blobs): mirrors with pull-request refs, bare clones, missing
objects, and the same answers as the patch-stream path."""

from __future__ import annotations

from pathlib import Path

import pytest

from mi_migrate import api
from mi_migrate.scan.history.run import REMOVED
from tests.test_history import by_key, cli, commit, git, history, key


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = tmp_path / "repo"
    path.mkdir()
    git(path, "init", "-q")
    return path


def test_mirror_clone_includes_unmerged_pull_requests(repo: Path, tmp_path: Path) -> None:
    base = commit(repo, 1, {"README.md": "demo\n"})
    git(repo, "checkout", "-q", "-b", "pr")
    pushed = commit(repo, 2, {"pr.env": f"A={key(31)}\n"})
    git(repo, "checkout", "-q", "main")
    git(repo, "update-ref", "refs/pull/7/head", pushed)  # what GitHub keeps for a pull request
    git(repo, "branch", "-D", "pr")
    mirror = tmp_path / "mirror.git"
    git(tmp_path, "clone", "-q", "--mirror", str(repo), str(mirror))
    result = history(mirror, paths=(str(mirror),))
    [finding] = by_key(result, key(31))
    assert finding.path == "pr.env" and finding.origin["commit"] == pushed
    assert finding.origin["present_at_head"] is False
    assert base != pushed


def test_missing_objects_are_one_note_not_an_abort(repo: Path) -> None:
    commit(repo, 1, {"keep.env": f"A={key(32)}\n"})
    commit(repo, 2, {"lost.env": f"B={key(33)}\n"})
    sha = git(repo, "rev-parse", "HEAD:lost.env")
    (repo / ".git" / "objects" / sha[:2] / sha[2:]).unlink()  # a snapshot without this blob
    result = history(repo)
    assert by_key(result, key(32)) and not by_key(result, key(33))
    assert [n.message for n in result.notes if "missing" in n.message] == [
        "1 objects missing (partial clone or incomplete snapshot): not scanned"]


def test_each_blob_is_scanned_once_and_unchanged_keys_are_not_readded(repo: Path) -> None:
    conn = key(34)
    first = commit(repo, 1, {"app.env": f"A={conn}\n"})
    for n in range(2, 6):  # the key stays while other lines change: one addition, not five
        commit(repo, n, {"app.env": f"A={conn}\nN={n}\n"})
    result = history(repo)
    [finding] = by_key(result, conn)
    assert finding.origin["commit"] == first and finding.origin["occurrences"] == 1
    assert result.files_scanned == 5  # five distinct blobs of app.env


def test_moved_key_keeps_its_first_commit(repo: Path) -> None:
    conn = key(35)
    first = commit(repo, 1, {"a.env": f"A={conn}\n"})
    commit(repo, 2, {"a.env": None, "b.env": f"# moved\nA={conn}\n"})
    commit(repo, 3, {"b.env": "A=\n"})
    [finding] = history(repo).findings
    assert finding.path == "a.env" and finding.origin["commit"] == first
    assert finding.origin["status"] == REMOVED and finding.origin["occurrences"] == 1


@pytest.mark.parametrize("engine", ["re", "hyperscan"])
def test_blob_path_matches_the_patch_stream(repo: Path, engine: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A full scan (by blob) and a --range over every commit (patch stream) report the same secrets."""
    from mi_migrate.scan import candidates

    if engine not in candidates.available():
        pytest.skip("hyperscan is not installed")
    monkeypatch.setenv("MI_MIGRATE_ENGINE", engine)
    root = commit(repo, 1, {"README.md": "x\n"})
    commit(repo, 2, {"a.env": f"A={key(36)}\n", "b.py": f'conn = "{key(37)}"\n'})
    commit(repo, 3, {"a.env": "A=\n", "c.json": f'{{"Storage": "{key(38)}"}}\n'})
    git(repo, "checkout", "-q", "-b", "side")
    commit(repo, 4, {"d.yaml": f"conn: {key(39)}\n"})
    by_blob = history(repo)
    by_patch = history(repo, rev_range=f"{root}..side")
    def rows(result: api.ScanResult) -> list[tuple[object, ...]]:
        return [(f.rule_id, f.path, f.span.line, f.span.column, f.secret_hash, f.origin["commit"])
                for f in result.findings]

    assert rows(by_blob) == rows(by_patch)
    rows = rows(by_blob)
    assert len(rows) == 4


def test_bare_clone_without_work_tree(repo: Path, tmp_path: Path) -> None:
    commit(repo, 1, {"a.env": f"A={key(40)}\n"})
    bare = tmp_path / "bare.git"
    git(tmp_path, "clone", "-q", "--bare", str(repo), str(bare))
    result = api.run_scan(api.ScanOptions(paths=(str(bare),), history=True))
    assert [f.path for f in result.findings] == ["a.env"]
    assert result.findings[0].origin["present_at_head"] is True
    code, out = cli("scan", "--staged", str(bare))
    assert code == 2 and "not inside a git work tree" in out  # --staged still needs one


def test_blobs_are_read_path_by_path(repo: Path) -> None:
    """Commits that touch two files in turn still give each file's versions one after another (what a worker's
    memories of lines seen before rely on), every version once; git lists loose objects by id, which
    interleaves them."""
    from mi_migrate.scan.history import blobs

    for n in range(1, 7):
        commit(repo, n, {"b.json": f'{{"n": {n}}}\n', "a.env": f"N={n}\n"})
    named, missing = blobs.reachable_blobs(str(repo), ["--all"], [])
    order, big = blobs.blob_order(str(repo), named, 1 << 20)
    paths = [path for _, path, _ in order]
    assert paths == [b"a.env"] * 6 + [b"b.json"] * 6
    assert len({sha for sha, _, _ in order}) == 12 and not missing and not big
