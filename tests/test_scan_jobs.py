"""`--jobs`: 1 scans in this process, N uses N worker processes that read the files themselves; same findings."""

from __future__ import annotations

import concurrent.futures
import shutil
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
from click.testing import CliRunner

from mi_migrate.cli import main
from mi_migrate.core.finding import Finding, Note
from mi_migrate.scan import files as scan

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


class WatchedPool(ProcessPoolExecutor):
    """A process pool that records its use and checks what crosses the process boundary."""

    used: list[int] = []
    submitted: list[int] = []  # the size of each chunk submitted on its own

    def __init__(self, max_workers: int | None = None, **kwargs: object) -> None:
        WatchedPool.used.append(max_workers or 0)
        super().__init__(max_workers=max_workers, **kwargs)

    def submit(self, fn, *args, **kwargs):
        if fn is scan._scan_chunk:  # a chunk sent while discovery lists (EarlyChunks): paths out, findings back
            chunk = args[0]
            assert chunk and all(isinstance(a, str) and isinstance(r, str) for a, r in chunk)
            WatchedPool.submitted.append(len(chunk))
        return super().submit(fn, *args, **kwargs)

    def map(self, fn, *iterables, **kwargs):
        chunks, *rest = (list(iterable) for iterable in iterables)
        for chunk in chunks:  # paths go out, never file content
            assert chunk and all(isinstance(a, str) and isinstance(r, str) for a, r in chunk)
        for findings, notes, size, count in super().map(fn, chunks, *rest, **kwargs):
            assert all(isinstance(f, Finding) for f in findings) and all(isinstance(n, Note) for n in notes)
            assert isinstance(size, int) and isinstance(count, int)  # only findings and counts come back
            yield findings, notes, size, count


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Twelve copies of the example apps (obviously fake keys): 80-odd files, findings in many of them."""
    root = tmp_path / "tree"
    for i in range(12):
        shutil.copytree(EXAMPLES / "flask-app", root / f"flask-{i:02}")
        shutil.copytree(EXAMPLES / "functions-app", root / f"functions-{i:02}")
    monkeypatch.chdir(root)
    monkeypatch.setattr(scan, "PARALLEL_THRESHOLD_BYTES", 0)  # the tree is small: parallel anyway
    WatchedPool.used, WatchedPool.submitted = [], []
    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", WatchedPool)  # files.py imports it per pool
    return root


def test_jobs_1_and_2_give_the_same_findings(tree: Path) -> None:
    runner = CliRunner()
    single = runner.invoke(main, ["scan", "--format", "json", "--jobs", "1", "."])
    assert WatchedPool.used == []  # --jobs 1: no pool at all
    double = runner.invoke(main, ["scan", "--format", "json", "--jobs", "2", "."])
    assert WatchedPool.used == [2]
    assert single.exit_code == double.exit_code == 1, single.output
    assert single.stdout.count('"rule_id"') >= 24  # findings in every copy
    assert single.stdout == double.stdout


def test_jobs_default_is_one_per_usable_cpu(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CPUs this process may use (taskset, a container's cpuset), not the machine's count."""
    from mi_migrate.scan import model

    monkeypatch.setattr(model.os, "sched_getaffinity", lambda pid: {0, 2, 5}, raising=False)
    monkeypatch.setattr(model.os, "cpu_count", lambda: 64)
    result = CliRunner().invoke(main, ["scan", "--format", "json", "."])
    assert result.exit_code == 1 and WatchedPool.used == [3]


def test_jobs_must_not_be_negative() -> None:
    result = CliRunner().invoke(main, ["scan", "--jobs", "-1", "."])
    assert result.exit_code == 2 and "--jobs" in result.output


def test_a_scan_restores_the_programs_collector_settings(tmp_path) -> None:
    """Scanning raises the collector's thresholds and freezes the objects alive before it (scan/collector.py),
    and gives a program calling the library its own settings back afterwards, also when the scan fails."""
    import gc

    from mi_migrate.scan import collector, files
    from mi_migrate.scan.model import ScanSettings

    (tmp_path / "app.py").write_text("import os\nprint(os.environ.get('HOME'))\n")
    before, frozen = gc.get_threshold(), gc.get_freeze_count()
    seen = []
    real = files.scan_file

    def spy(*args, **kwargs):
        seen.append((gc.get_threshold(), gc.get_freeze_count()))
        return real(*args, **kwargs)

    files.scan_file = spy
    try:
        files.scan_files([(tmp_path / "app.py", "app.py")], ScanSettings(), jobs=1)
        assert seen and seen[0][0] == collector.SCAN_THRESHOLDS and seen[0][1] > frozen
        assert (gc.get_threshold(), gc.get_freeze_count()) == (before, frozen)
        files.scan_file = lambda *args, **kwargs: 1 / 0
        with pytest.raises(ZeroDivisionError):
            files.scan_files([(tmp_path / "app.py", "app.py")], ScanSettings(), jobs=1)
        assert (gc.get_threshold(), gc.get_freeze_count()) == (before, frozen)
    finally:
        files.scan_file = real


def test_a_large_repository_gets_its_pool_before_its_files_are_listed(
        tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """start_pool: one git repository with a large index; its workers load the scanner while the files are
    listed, then scan them (the pool is the one map() runs in) with the findings of a scan in this process."""
    import subprocess

    from mi_migrate.scan import discovery

    subprocess.run(["git", "init", "-q", "."], check=True)
    subprocess.run(["git", "add", "-A"], check=True)
    runner = CliRunner()
    single = runner.invoke(main, ["scan", "--format", "json", "--jobs", "1", "."])
    assert scan.start_pool(["."], 2) is None  # the index of 80-odd files is far below the threshold
    monkeypatch.setattr(scan, "LARGE_INDEX_BYTES", 1)
    assert scan.start_pool(["."], 1) is None and scan.start_pool([".", "flask-00"], 2) is None
    assert scan.start_pool([str(tree / "flask-00")], 2) is None  # no repository top: no index there
    listed_with: list[list[int]] = []
    collect = discovery.collect

    def watched_collect(*args: object, **kwargs: object) -> object:
        listed_with.append(list(WatchedPool.used))  # the pools started when the listing begins
        return collect(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(discovery, "collect", watched_collect)
    WatchedPool.used = []
    early = runner.invoke(main, ["scan", "--format", "json", "--jobs", "2", "."])
    assert listed_with == [[2]] and WatchedPool.used == [2]  # started before the listing, and the only pool
    assert early.exit_code == single.exit_code == 1
    assert early.stdout == single.stdout and early.stdout.count('"rule_id"') >= 24


def test_files_git_lists_are_scanned_while_the_rest_is_listed(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """discovery.collect's `early` (files.EarlyChunks): in a large repository the files git lists go to the
    workers in chunks while discovery goes on. Each file is scanned once, as in one process: a link to a tracked
    file is not scanned again, excluded and ignored files are not scanned, an untracked one is."""
    import subprocess

    from mi_migrate.scan import discovery

    (tree / ".gitignore").write_text("ignored/\n")
    (tree / "ignored").mkdir()
    shutil.copy(tree / "flask-00" / "app.py", tree / "ignored" / "app.py")
    (tree / "vendor").mkdir()
    shutil.copy(tree / "flask-00" / "app.py", tree / "vendor" / "app.py")
    (tree / ".mi-migrate.toml").write_text('extend-exclude = ["vendor/"]\n')
    (tree / "linked.py").symlink_to(tree / "flask-01" / "app.py")
    subprocess.run(["git", "init", "-q", "."], check=True)
    subprocess.run(["git", "add", "-A"], check=True)
    shutil.copy(tree / "flask-02" / "app.py", tree / "untracked.py")
    runner = CliRunner()
    single = runner.invoke(main, ["scan", "--format", "json", "--jobs", "1", "."])
    monkeypatch.setattr(scan, "LARGE_INDEX_BYTES", 1)
    monkeypatch.setattr(discovery, "EARLY_BATCH", 5)
    listing_done: list[int] = []
    collect = discovery.collect

    def watched_collect(*args: object, **kwargs: object) -> object:
        found = collect(*args, **kwargs)  # type: ignore[arg-type]
        listing_done.append(len(WatchedPool.submitted))  # chunks already sent when the listing returns
        return found

    monkeypatch.setattr(discovery, "collect", watched_collect)
    early = runner.invoke(main, ["scan", "--format", "json", "--jobs", "2", "."])
    assert listing_done[0] >= 10 and max(WatchedPool.submitted) <= 5  # sent early, in batches
    assert early.exit_code == single.exit_code == 1
    assert early.stdout == single.stdout
    assert '"untracked.py"' in single.stdout and "vendor/" not in single.stdout and "ignored/" not in single.stdout
    assert '"files_scanned": ' + str(sum(WatchedPool.submitted)) in early.stdout


@pytest.mark.parametrize("told", [0, 5, 4096, 4097, 10_000])
def test_a_file_is_read_to_its_end_whatever_fstat_said(told: int) -> None:
    """A file that grew or shrank between fstat and read (or a pipe, size 0) is read to its end, once."""
    import os
    import threading

    content = bytes(range(256)) * 16  # 4096 bytes
    read_end, write_end = os.pipe()
    writer = threading.Thread(target=lambda: (os.write(write_end, content), os.close(write_end)))
    writer.start()
    try:
        assert scan._read_all(read_end, told) == content
    finally:
        writer.join()
        os.close(read_end)
