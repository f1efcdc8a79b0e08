"""The published hook, run the way users run it: `pre-commit try-repo` and a `repo:`/`rev:` config.

The hook repository is a snapshot of this checkout's working tree (tracked and untracked, not ignored),
committed into a fresh git repo: the test sees uncommitted work during development and exactly HEAD in a clean
CI clone.

`try-repo` always installs into a throwaway store (it ignores PRE_COMMIT_HOME), so it runs only for the two
failing cases; every other case runs the same config that try-repo writes with `pre-commit run --config` under
one PRE_COMMIT_HOME shared by all xdist workers, so that environment is installed once per session. Installing
needs PyPI (pip builds the project and fetches its dependencies).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from mi_migrate.testing import fakes

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
HOOK_ID = "mi-migrate"
CONN = "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=«b64:64»;EndpointSuffix=core.windows.net"
TIMEOUT = 900  # the first install downloads the project's dependencies
GIT_IDENTITY = ("-c", "user.name=mi-migrate tests", "-c", "user.email=tests@example.invalid",
                "-c", "commit.gpgsign=false")


@dataclass(frozen=True)
class HookRepo:
    path: Path
    rev: str


def _clean_env(**extra: str) -> dict[str, str]:
    """No inherited GIT_* (we may run inside a git hook) or SKIP; no colour, so the output is stable."""
    dropped = {"SKIP", "PRE_COMMIT_HOME"}
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_") and k not in dropped}
    env.update(PRE_COMMIT_COLOR="never", NO_COLOR="1", **extra)
    return env


def _git(cwd: Path, *args: str) -> str:
    proc = subprocess.run(["git", *GIT_IDENTITY, *args], cwd=cwd, env=_clean_env(), capture_output=True,
                          text=True, check=True)
    return proc.stdout


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """Serialise xdist workers that share the hook snapshot; no lock where fcntl is missing (Windows)."""
    try:
        import fcntl
    except ImportError:
        yield
        return
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _snapshot(dest: Path) -> str:
    """Copy the working tree (minus ignored files) into a new git repo at dest, commit, return the rev."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            env=_clean_env(), capture_output=True, check=True).stdout
    dest.mkdir(parents=True)
    for rel in sorted({p for p in listed.decode("utf-8", "surrogateescape").split("\0") if p}):
        src = ROOT / rel
        if not src.exists() and not src.is_symlink():
            continue  # deleted in the working tree, not yet committed
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if src.is_symlink():
            target.symlink_to(os.readlink(src))
        else:
            shutil.copy2(src, target)
    _git(dest, "init", "-q")
    _git(dest, "add", "-A")
    _git(dest, "commit", "-q", "--no-verify", "-m", "snapshot of the mi-migrate working tree")
    return _git(dest, "rev-parse", "HEAD").strip()


@pytest.fixture(scope="session")
def shared_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory every xdist worker of this run sees (the parent of the per-worker base temp)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session")
def hook_repo(shared_dir: Path) -> HookRepo:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    if subprocess.run(["git", "rev-parse", "--is-inside-work-tree"], cwd=ROOT, env=_clean_env(),
                      capture_output=True).returncode != 0:
        pytest.skip("needs a git checkout of mi-migrate (the hook repository is built from it)")
    path, rev_file = shared_dir / "hook-repo", shared_dir / "hook-repo.rev"
    with _file_lock(shared_dir / "hook-repo.lock"):
        if not rev_file.exists():
            rev_file.write_text(_snapshot(path))
    return HookRepo(path, rev_file.read_text())


@pytest.fixture(scope="session")
def pre_commit_home(shared_dir: Path) -> Path:
    home = shared_dir / "pre-commit-home"  # pre-commit locks its own store while installing
    home.mkdir(exist_ok=True)
    return home


@pytest.fixture(scope="session")
def secret() -> str:
    return fakes.expand(CONN, seed=101)


@pytest.fixture
def target(tmp_path: Path) -> Path:
    """An empty git repository the hook runs in."""
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    return repo


def commit(repo: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text, encoding="utf-8")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "--no-verify", "--allow-empty", "-m", "change")


def pre_commit(cwd: Path, *args: str, home: Path | None = None) -> tuple[int, str]:
    extra = {"PRE_COMMIT_HOME": str(home)} if home else {}
    proc = subprocess.run([sys.executable, "-m", "pre_commit", *args], cwd=cwd, env=_clean_env(**extra),
                          capture_output=True, text=True, timeout=TIMEOUT)
    out = proc.stdout + proc.stderr
    if "An unexpected error has occurred" in out or "CalledProcessError" in out:
        pytest.fail(f"pre-commit could not install or run the hook (network to PyPI needed):\n{out}")
    return proc.returncode, out


def try_repo(cwd: Path, hook: HookRepo, *args: str) -> tuple[int, str]:
    return pre_commit(cwd, "try-repo", str(hook.path), HOOK_ID, "--verbose", *args)


def run_hook(cwd: Path, hook: HookRepo, home: Path, *args: str) -> tuple[int, str]:
    """`pre-commit run` with the config try-repo writes, in the shared store (installed once)."""
    config = cwd.parent / "pre-commit-config.yaml"
    config.write_text(
        f"repos:\n-   repo: {hook.path}\n    rev: {hook.rev}\n    hooks:\n    -   id: {HOOK_ID}\n"
    )
    return pre_commit(cwd, "run", "--config", str(config), "--verbose", *args, home=home)


def assert_failed(rc: int, out: str, secret: str) -> None:
    assert rc == 1, out
    assert "Failed" in out, out
    assert "- exit code: 1" in out, out
    assert ".env" in out and "AZ101" in out, out
    assert secret not in out, "the hook printed the full secret"
    assert secret.split("AccountKey=")[1].split(";")[0] not in out, "the hook printed the full key"


def assert_passed(rc: int, out: str, secret: str) -> None:
    assert rc == 0, out
    assert "Passed" in out and "Failed" not in out, out
    assert secret not in out


def leaked(secret: str) -> dict[str, str]:
    # .env has no filename tag in identify; `types: [text]` must still pick it up
    return {".env": f"AZURE_STORAGE_CONNECTION_STRING={secret}\n", "README.md": "# demo\n"}


def test_try_repo_all_files_fails_on_key(target: Path, hook_repo: HookRepo, secret: str) -> None:
    commit(target, leaked(secret))
    assert_failed(*try_repo(target, hook_repo, "--all-files"), secret)


def test_try_repo_files_fails_on_key(target: Path, hook_repo: HookRepo, secret: str) -> None:
    commit(target, leaked(secret))
    assert_failed(*try_repo(target, hook_repo, "--files", ".env"), secret)


def test_passes_on_other_files_and_after_key_removed(
    target: Path, hook_repo: HookRepo, pre_commit_home: Path, secret: str
) -> None:
    commit(target, leaked(secret))
    assert_passed(*run_hook(target, hook_repo, pre_commit_home, "--files", "README.md"), secret)
    assert_failed(*run_hook(target, hook_repo, pre_commit_home, "--all-files"), secret)
    commit(target, {".env": "AZURE_STORAGE_ACCOUNT_URL=https://acct.blob.core.windows.net\n"})
    assert_passed(*run_hook(target, hook_repo, pre_commit_home, "--all-files"), secret)


@pytest.mark.parametrize("comment", ["# mi-migrate: ignore[AZ101]", "# pragma: allowlist secret"])
def test_passes_when_suppressed_inline(
    target: Path, hook_repo: HookRepo, pre_commit_home: Path, secret: str, comment: str
) -> None:
    commit(target, {"settings.py": f'CONNECTION_STRING = "{secret}"  {comment}\n'})
    assert_passed(*run_hook(target, hook_repo, pre_commit_home, "--all-files"), secret)


def test_scan_of_named_files_imports_neither_pathspec_nor_detect_secrets(tmp_path: Path) -> None:
    """A pre-commit run names clean files: the exclude matcher is built only when a walked path must be matched,
    and no plugin has a reportable line, so neither library's import (a tenth of such a run each) is paid."""
    for i in range(3):
        (tmp_path / f"mod{i}.py").write_text(f"import os\n\nTOKEN_NAME = 'api_token'\n\ndef f{i}(key):\n"
                                             "    return os.environ[key]\n")
    probe = (
        "import sys\nfrom mi_migrate.cli import main\n"
        "try:\n    main(['scan', 'mod0.py', 'mod1.py', 'mod2.py'])\nexcept SystemExit as done:\n    code = done.code\n"
        "print(code, 'pathspec' in sys.modules, 'detect_secrets' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert result.stdout.splitlines()[-1] == "0 False False", result.stdout + result.stderr
