"""File discovery: git's view inside a work tree, .gitignore by hand outside, explicit files always.

Every test runs under both walkers outside git: the `ignore` crate's and the os.scandir + pathspec fallback."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from mi_migrate import api
from mi_migrate.core.config import Config
from mi_migrate.scan import discovery

GIT_ENV = {
    "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
    "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid",
    "GIT_CONFIG_NOSYSTEM": "1", "HOME": "/nonexistent",
}


@pytest.fixture(autouse=True, params=["native", "python"])
def walker(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "native" and discovery.native is None:
        pytest.skip("ignore-python has no wheel here")
    monkeypatch.setenv("MI_MIGRATE_WALKER", request.param)
    assert discovery.native_walker() == (request.param == "native")
    return request.param


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                   env={**os.environ, **GIT_ENV})


def write(root: Path, rel: str, text: str = "x\n") -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def rels(paths: list[Path], cfg: Config) -> list[str]:
    files, _notes = discovery.collect(paths, cfg)
    return [rel for _abs, rel in files]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """tracked, untracked, ignored and deleted files; nested .gitignore; awkward names."""
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q")
    write(root, ".gitignore", "*.log\nbuild/\n")
    write(root, "tracked.txt")
    write(root, "a dir/with space.txt")
    write(root, "ünïcode/fïle ß.env")
    write(root, "sub/.gitignore", "local.cfg\n!keep.log\n")
    write(root, "sub/local.cfg")
    write(root, "sub/keep.log")
    write(root, "sub/code.py")
    write(root, "gone.txt")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "init")
    (root / "gone.txt").unlink()  # deleted but still tracked
    write(root, "untracked.txt")
    write(root, "debug.log")
    write(root, "build/out.txt")
    return root


EXPECTED = [".gitignore", "a dir/with space.txt", "sub/.gitignore", "sub/code.py", "sub/keep.log",
            "tracked.txt", "untracked.txt", "ünïcode/fïle ß.env"]


def test_git_tracked_and_untracked_not_ignored(repo: Path) -> None:
    files, notes = discovery.collect([repo], Config(root=repo))
    assert [rel for _, rel in files] == EXPECTED
    assert all(os.path.isabs(path) and os.path.isfile(path) for path, _ in files)
    assert notes == []  # the deleted tracked file is skipped silently


def test_git_quotepath_does_not_matter(repo: Path) -> None:
    git(repo, "config", "core.quotepath", "true")
    assert rels([repo], Config(root=repo)) == EXPECTED


def test_git_restricted_to_given_paths(repo: Path) -> None:
    assert rels([repo / "sub", repo / "a dir"], Config(root=repo)) == [
        "a dir/with space.txt", "sub/.gitignore", "sub/code.py", "sub/keep.log"]


def test_paths_are_relative_to_the_root_from_a_subdir(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo / "sub")
    assert rels([Path(".")], Config(root=repo)) == ["sub/.gitignore", "sub/code.py", "sub/keep.log"]


def test_explicit_files_are_always_scanned(repo: Path) -> None:
    cfg = Config(root=repo, exclude=("*.py",))
    assert "sub/code.py" not in rels([repo], cfg)
    assert rels([repo / "debug.log", repo / "sub/code.py", repo / "build/out.txt"], cfg) == [
        "build/out.txt", "debug.log", "sub/code.py"]


def test_exclude_globs_are_relative_to_the_root(repo: Path) -> None:
    cfg = Config(root=repo, exclude=("/sub/", "*.env"))
    assert rels([repo], cfg) == [".gitignore", "a dir/with space.txt", "tracked.txt", "untracked.txt"]


def test_nested_repository_is_listed_by_its_own_git(repo: Path) -> None:
    inner = repo / "vendor" / "inner"
    inner.mkdir(parents=True)
    git(inner, "init", "-q")
    write(inner, ".gitignore", "secret-cache.txt\n")
    write(inner, "secret-cache.txt")
    write(inner, "lib.py")
    found = rels([repo], Config(root=repo))
    assert "vendor/inner/lib.py" in found
    assert "vendor/inner/secret-cache.txt" not in found


def test_without_git_falls_back_to_gitignore(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(discovery, "_git", lambda *args: None)
    assert rels([repo], Config(root=repo)) == [*EXPECTED[:4], "sub/keep.log", *EXPECTED[5:]]


@pytest.fixture
def plain(tmp_path: Path) -> Path:
    """A tree outside any git work tree, with nested .gitignore files."""
    root = tmp_path / "plain"
    write(root, ".gitignore", "*.log\nbuild/\n/top-only.txt\n")
    write(root, "app.env")
    write(root, "top-only.txt")
    write(root, "x.log")
    write(root, "build/out.txt")
    write(root, "deep/top-only.txt")
    write(root, "deep/.gitignore", "!keep.log\nlocal.*\n")
    write(root, "deep/keep.log")
    write(root, "deep/local.cfg")
    write(root, "deep/deeper/local.cfg")
    write(root, ".git/config")  # a stray .git directory is never scanned
    write(root, "name with space/ünï.txt")
    return root


def test_plain_tree_applies_nested_gitignore(plain: Path) -> None:
    assert discovery._git_toplevel(str(plain)) is None
    assert rels([plain], Config(root=plain)) == [
        ".gitignore", "app.env", "deep/.gitignore", "deep/keep.log", "deep/top-only.txt",
        "name with space/ünï.txt"]


def test_plain_tree_cannot_reinclude_inside_an_ignored_directory(plain: Path) -> None:
    write(plain, "build/.gitignore", "!out.txt\n")
    assert not any(rel.startswith("build/") for rel in rels([plain], Config(root=plain)))


def test_files_outside_the_root_keep_the_path_as_given(plain: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    project = tmp_path / "project"
    project.mkdir()
    monkeypatch.chdir(project)
    found = rels([Path("../plain/deep")], Config(root=project))
    assert found == ["../plain/deep/.gitignore", "../plain/deep/keep.log", "../plain/deep/top-only.txt"]


def test_symlink_loop_is_a_note(plain: Path) -> None:
    os.symlink("..", plain / "deep" / "up")
    os.symlink("loop-b", plain / "loop-a")
    os.symlink("loop-a", plain / "loop-b")
    os.symlink("missing-target", plain / "dangling")
    files, notes = discovery.collect([plain], Config(root=plain))
    assert [rel for _, rel in files] == rels([plain], Config(root=plain))
    messages = {note.path: note.message for note in notes}
    assert "loop" in messages["deep/up"]
    assert "loop" in messages["loop-a"] and "loop" in messages["loop-b"]
    assert "broken" in messages["dangling"]


def test_directory_symlink_outside_the_walk_is_followed_once(plain: Path, tmp_path: Path) -> None:
    outside = tmp_path / "shared"
    write(outside, "creds.env")
    os.symlink(outside, plain / "link1")
    os.symlink(outside, plain / "link2")
    found = rels([plain], Config(root=plain))
    assert sum(rel.endswith("creds.env") for rel in found) == 1


def test_symlink_to_a_file_inside_is_scanned_once_under_its_real_path(plain: Path) -> None:
    os.symlink("app.env", plain / "alias.env")
    found = rels([plain], Config(root=plain))
    assert "app.env" in found and "alias.env" not in found


def test_explicit_broken_link_and_missing_path_are_notes(plain: Path) -> None:
    os.symlink("nowhere", plain / "broken")
    files, notes = discovery.collect([plain / "broken", plain / "missing.txt"], Config(root=plain))
    assert files == []
    assert [(n.path, n.message) for n in notes] == [
        ("broken", "skipped: broken symbolic link"), ("missing.txt", "skipped: no such file or directory")]


def test_unreadable_directory_is_a_note(plain: Path, monkeypatch: pytest.MonkeyPatch, walker: str) -> None:
    """Simulates chmod 000, which root ignores (test_unreadable_file_and_directory_with_chmod is the real thing)."""
    if walker == "python":
        real_scandir = os.scandir

        def scandir(path: str):
            if str(path).endswith("deep"):
                raise PermissionError(13, "Permission denied")
            return real_scandir(path)

        monkeypatch.setattr(discovery.os, "scandir", scandir)
    else:
        monkeypatch.setattr(discovery, "native", FailingNative(discovery.native, plain / "deep"))
    files, notes = discovery.collect([plain], Config(root=plain))
    assert not any(rel.startswith("deep/") for _, rel in files)
    assert [(n.path, n.message) for n in notes] == [
        ("deep", "skipped directory: cannot read (Permission denied)")]
    for excluded in ("deep/", "/deep/"):  # pruned by the crate itself, and after it yields the directory
        assert discovery.collect([plain], Config(root=plain, exclude=(excluded,)))[1] == []


class FailingNative:
    """The `ignore` module, except that reading `unreadable` fails as the crate reports it (seen as uid 65534)."""

    def __init__(self, module, unreadable: Path) -> None:
        self.module, self.unreadable = module, str(unreadable)
        self.IOError, self.Error = module.IOError, module.Error

    def WalkBuilder(self, path):
        real = self.module.WalkBuilder(path)
        failing = self

        class Builder:
            def __getattr__(self, name):
                return getattr(real, name)

            def build(self):
                return Walk(real.build())

        class Walk:  # the crate yields the directory, then raises its error on the next step, then goes on
            def __init__(self, entries) -> None:
                self.entries, self.error = entries, None

            def __iter__(self):
                return self

            def __next__(self):
                if self.error is not None:
                    error, self.error = self.error, None
                    raise error
                entry = next(self.entries)
                while str(entry.path()).startswith(failing.unreadable + os.sep):
                    entry = next(self.entries)
                if str(entry.path()) == failing.unreadable:
                    self.error = failing.Error(f"{failing.unreadable}: IO error for operation on "
                                               f"{failing.unreadable}: Permission denied (os error 13)")
                return entry

        return Builder()


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root reads chmod 000 files")
def test_unreadable_file_and_directory_with_chmod(plain: Path) -> None:
    secret = plain / "deep" / "keep.log"
    secret.chmod(0)
    (plain / "name with space").chmod(0)
    try:
        result = api.run_scan(api.ScanOptions(paths=(str(plain),), third_party=False))
    finally:
        secret.chmod(0o644)
        (plain / "name with space").chmod(0o755)
    messages = {note.path: note.message for note in result.notes}
    assert "cannot read" in messages["deep/keep.log"]
    assert "cannot read" in messages["name with space"]


def test_size_cap_and_binary_files_are_notes(plain: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (plain / "big.txt").write_bytes(b"a" * (2 * 1024 * 1024 + 1))
    (plain / "blob.bin").write_bytes(b"\0\1\2")
    monkeypatch.chdir(plain)
    result = api.run_scan(api.ScanOptions(paths=(".",), third_party=False, select=("AZ101",)))
    messages = {note.path: note.message for note in result.notes}
    assert "over the 2097152-byte cap" in messages["big.txt"]
    assert messages["blob.bin"] == "skipped: binary file"


def test_size_cap_from_config(plain: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(plain, ".mi-migrate.toml", "max-file-size = 1\n")
    monkeypatch.chdir(plain)
    result = api.run_scan(api.ScanOptions(paths=("app.env",), third_party=False, select=("AZ101",)))
    notes = [(n.path, n.message) for n in result.notes]
    assert notes == [("app.env", "skipped: 2 bytes is over the 1-byte cap")]


def mixed_tree(root: Path, outside: Path) -> Path:
    """Hidden files, VCS directories, default and configured excludes, links of every kind, a nested repository."""
    write(root, ".gitignore", "*.log\nbuild/\ngen-*/\n")
    write(root, ".env", "A=1\n")
    write(root, ".config/app.toml")
    write(root, ".hg/store/data")
    write(root, "sub/.svn/entries")
    write(root, "sub/.git", "gitdir: elsewhere\n")  # a work tree's .git file
    write(root, "node_modules/pkg/index.js")
    write(root, "src/venv/lib/site.py")
    write(root, "src/app.py")
    write(root, "src/gen-1/out.py")
    write(root, "src/keep.log")
    write(root, "src/.gitignore", "!keep.log\n*.tmp\n")
    write(root, "src/x.tmp")
    write(root, "docs/skip/me.md")
    write(root, "docs/a b/ü.md")
    (root / "raw").mkdir()
    (root / "raw" / os.fsdecode(b"caf\xe9.txt")).write_text("x\n", encoding="utf-8")
    write(outside, "shared/creds.env")
    write(outside, "shared/trace.log")
    os.symlink(outside / "shared", root / "linked")
    os.symlink(outside / "shared", root / "build")  # a link named like an ignored directory
    os.symlink("../src/app.py", root / "docs" / "alias.py")
    os.symlink("nowhere", root / "dangling")
    os.symlink("..", root / "src" / "up")
    inner = root / "vendor" / "inner"
    inner.mkdir(parents=True)
    git(inner, "init", "-q")
    write(inner, ".gitignore", "cache.txt\n")
    write(inner, "cache.txt")
    write(inner, "lib.py")
    return root


def test_both_walkers_find_the_same_files_and_notes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    walker: str) -> None:
    if walker == "python" or discovery.native is None:
        pytest.skip("compares the native walker with the fallback")
    root = mixed_tree(tmp_path / "tree", tmp_path / "outside")
    for cfg in (Config(root=root), Config(root=root, exclude=(*Config().exclude, "docs/skip/", "*.toml")),
                Config(root=root, exclude=("node_modules/", "!node_modules/pkg/"))):
        for paths in ([root], [root / "src"], [root / "node_modules" / "pkg"], [root / "linked", root]):
            native = discovery.collect(paths, cfg)
            monkeypatch.setenv("MI_MIGRATE_WALKER", "python")
            fallback = discovery.collect(paths, cfg)
            monkeypatch.setenv("MI_MIGRATE_WALKER", "native")
            assert native == fallback, paths
    assert discovery.collect([root / "node_modules" / "pkg"], Config(root=root)) == ([], [])
    native = discovery.collect([root], cfg)
    files = [rel for _, rel in native[0]]
    assert ".env" in files and ".config/app.toml" in files  # hidden files are scanned
    assert not any(part in (".hg", ".svn", ".git") for rel in files for part in rel.split("/"))
    assert "vendor/inner/lib.py" in files and "vendor/inner/cache.txt" not in files
    assert "src/keep.log" in files and "src/x.tmp" not in files and "src/gen-1/out.py" not in files
    default = [rel for _, rel in discovery.collect([root], Config(root=root))[0]]
    assert "node_modules/pkg/index.js" not in default and "src/venv/lib/site.py" not in default
    assert "linked/creds.env" in default and "linked/trace.log" not in default
    assert not any(rel.startswith("build/") for rel in default)
