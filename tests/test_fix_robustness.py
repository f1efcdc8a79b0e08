"""`fix` on input it did not expect: no traceback, exit 2 with one line, one bad file skipped with a note, and
all-or-nothing writes (a failure in the write phase restores the files already written)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from mi_migrate.cli import main
from mi_migrate.fix import runner, transaction
from tests.test_fix_cli import make_repo, tree_hashes

CS = "DefaultEndpointsProtocol=https;AccountName=acct{n};AccountKey=«b64:64»;EndpointSuffix=core.windows.net"
MODULE = '''import os

from azure.storage.blob import BlobServiceClient


def client():
    return BlobServiceClient.from_connection_string(os.environ["STORAGE{n}_CONNECTION_STRING"])
'''


def fix(*args: str) -> Result:
    return CliRunner().invoke(main, ["fix", *args])


@pytest.fixture
def five(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    files: dict[str, str | bytes] = {f"m{n}.py": MODULE.format(n=n) for n in range(1, 6)}
    root = make_repo(tmp_path / "repo", files)
    monkeypatch.chdir(root)
    return root


def test_a_failed_third_write_restores_the_two_written(five: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = tree_hashes(five)
    renames: list[str] = []
    real_rename = transaction._rename

    def failing_third(source: str, target: Path) -> None:
        renames.append(Path(target).name)
        if len(renames) == 3:
            raise OSError(28, "No space left on device")
        real_rename(source, target)

    monkeypatch.setattr(transaction, "_rename", failing_third)
    result = fix(".")
    assert result.exit_code == 2, result.output
    assert len(renames) >= 3 and renames[:2] == ["m1.py", "m2.py"]  # two were written before the failure
    assert "No space left on device" in result.output and "restored" in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1
    assert tree_hashes(five) == before
    assert not list(five.glob(".*.mi-migrate.tmp"))
    monkeypatch.setattr(transaction, "_rename", real_rename)
    assert fix(".").exit_code == 0  # and the same run succeeds once the disk is back
    assert tree_hashes(five) != before


def test_nothing_is_written_when_planning_fails_late(five: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An error after some files were planned (here in the dependency step) used to leave them rewritten."""
    before = tree_hashes(five)

    def broken_plan(options: object) -> object:
        planned = real_plan(options)  # every module planned, and staged for writing
        assert planned.changed_files
        raise RuntimeError("boom in a late step")

    real_plan = runner.plan_fixes
    monkeypatch.setattr(runner, "plan_fixes", broken_plan)
    result = fix(".")
    assert result.exit_code == 2
    assert result.output.strip() == "Error: internal error: RuntimeError: boom in a late step"
    assert tree_hashes(five) == before
    debug = fix("--debug", ".")
    assert debug.exit_code == 2 and isinstance(debug.exception, SystemExit)


def test_one_file_that_fails_is_a_note_and_the_rest_is_rewritten(five: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    real = runner.fix_source

    def fails_on_m3(rel: str, *args: object, **kwargs: object) -> object:
        if rel == "m3.py":
            raise KeyError("unexpected shape")
        return real(rel, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(runner, "fix_source", fails_on_m3)
    original = (five / "m3.py").read_text()
    result = fix(".")
    assert result.exit_code == 0, result.output
    assert "m3.py: not rewritten: internal error (KeyError: 'unexpected shape'); left unchanged" in result.output
    assert (five / "m3.py").read_text() == original
    assert all("credential=credential" in (five / f"m{n}.py").read_text() for n in (1, 2, 4, 5))


def test_a_file_changed_while_fix_ran_is_not_overwritten(tmp_path: Path) -> None:
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    first.write_text("one")
    second.write_text("two")
    with transaction.WriteTransaction() as pending:
        runner.write_atomic(first, "ONE")
        runner.write_atomic(second, "TWO")
        second.write_text("edited by someone else")
        with pytest.raises(transaction.WriteError, match="changed on disk"):
            pending.commit()
    assert first.read_text() == "one" and second.read_text() == "edited by someone else"


def test_python_312_syntax_is_rewritten_and_checked_by_its_own_grammar(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """PEP 701 f-strings do not compile on 3.11; the rewrite is judged by libcst's grammar, as the original."""
    code = MODULE.format(n=1) + '\n\ndef label(d):\n    return f"{d["name"]}: {d["size"]}"\n'
    root = make_repo(tmp_path / "repo", {"app.py": code})
    monkeypatch.chdir(root)
    result = fix(".")
    assert result.exit_code == 0, result.output
    text = (root / "app.py").read_text()
    assert "credential=credential" in text and 'f"{d["name"]}' in text
    assert ": manual:" not in result.output and "0 left as manual steps" in result.output


def notebook(*cells: str) -> str:
    return json.dumps({"cells": [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                                  "source": cell.splitlines(keepends=True)} for cell in cells],
                       "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1) + "\n"


def test_notebook_top_level_await_and_magics(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cells = ("%pip install azure-storage-blob\n!az login\nimport os\n"
             "from azure.storage.blob.aio import BlobServiceClient",
             "%%bash\necho hi",
             'client = BlobServiceClient.from_connection_string(os.environ["AZURE_STORAGE_CONNECTION_STRING"])\n'
             "async with client:\n    names = [c.name async for c in client.list_containers()]\nawait client.close()")
    root = make_repo(tmp_path / "repo", {"nb.ipynb": notebook(*cells)})
    monkeypatch.chdir(root)
    result = fix(".")
    assert result.exit_code == 0, result.output
    saved = json.loads((root / "nb.ipynb").read_text())["cells"]
    first, magic, body = ("".join(c["source"]) for c in saved)
    assert first.startswith("%pip install azure-storage-blob\n!az login\n") and magic == cells[1]
    assert 'BlobServiceClient(os.environ["AZURE_STORAGE_ACCOUNT_URL"], credential=credential)' in body
    assert "async with client:" in body and "await client.close()" in body


def test_notebook_messages_name_the_cell(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cells = ("import os\nfrom azure.storage.blob import BlobServiceClient",
             "def make(conn):\n    return BlobServiceClient.from_connection_string(conn)")
    root = make_repo(tmp_path / "repo", {"nb.ipynb": notebook(*cells)})
    monkeypatch.chdir(root)
    result = fix("--diff", ".")
    assert "nb.ipynb[cell 2]:2: manual: BlobServiceClient" in result.output, result.output
    assert "\n:" not in result.output and not result.output.startswith(":")


def test_rewrite_problem_uses_the_originals_grammar() -> None:
    from mi_migrate.fix.syntax import rewrite_problem

    assert rewrite_problem("x = 1\n", "x = (\n") is not None
    assert rewrite_problem("await x\n", "await y\n") is None  # libcst's grammar: not compiled at all
    assert rewrite_problem("await x\n", "await y\n", notebook=True) is None
    problem = rewrite_problem("await x\n", "await (\n", notebook=True)
    assert problem is not None and problem.line == 1
    assert rewrite_problem("def f():\n    return 1\n", "return 1\n") is not None  # compiled: 'return' outside
