"""Dependency files gain azure-identity (and what rewrites ask for) as text edits; notebooks are rewritten cell by
cell in nbformat's layout, magics intact."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mi_migrate.fix.dependencies import add_to_pyproject, add_to_requirements, ensure, manifests
from mi_migrate.fix.model import Change, FixOptions
from mi_migrate.fix.notebooks import fix_notebook
from mi_migrate.fix.settings import RepoSettings
from mi_migrate.testing import fakes

PACKAGES = ["azure-identity", "redis-entraid"]


def change(path: str = "app.py", status: str = "rewritten", **extra: object) -> Change:
    return Change(path, 1, 1, "azure-storage-blob", "BlobServiceClient", "storage", status, extra=dict(extra))


@pytest.mark.parametrize(("before", "after"), [
    ("requests\n", "requests\nazure-identity\nredis-entraid\n"),
    ("requests", "requests\nazure-identity\nredis-entraid\n"),
    ("requests\r\n", "requests\r\nazure-identity\r\nredis-entraid\r\n"),
    ("Azure_Identity[aio]>=1.15 ; python_version > '3.8'  # auth\nredis.entraid==1\n",
     "Azure_Identity[aio]>=1.15 ; python_version > '3.8'  # auth\nredis.entraid==1\n"),
    ("# azure-identity\n-r base.txt\n", "# azure-identity\n-r base.txt\nazure-identity\nredis-entraid\n"),
])
def test_requirements(before: str, after: str) -> None:
    assert add_to_requirements(before, PACKAGES) == after


@pytest.mark.parametrize(("before", "after"), [
    ('[project]\ndependencies = [\n    "a",  # why\n    "b"\n]\n',
     '[project]\ndependencies = [\n    "a",  # why\n    "b",\n    "azure-identity",\n    "redis-entraid"\n]\n'),
    ('[project]\ndependencies = [\n  "a",\n]\n[tool.x]\n',
     '[project]\ndependencies = [\n  "a",\n  "azure-identity",\n  "redis-entraid",\n]\n[tool.x]\n'),
    ('[project]\ndependencies = ["a", "azure.identity>=1"]\n',
     '[project]\ndependencies = ["a", "azure.identity>=1", "redis-entraid"]\n'),
    ("[project]\ndependencies = []\n", '[project]\ndependencies = ["azure-identity", "redis-entraid"]\n'),
    ('[project]\nname = "x"\n\n[build-system]\n',
     '[project]\nname = "x"\ndependencies = [\n    "azure-identity",\n    "redis-entraid",\n]\n\n[build-system]\n'),
    ('[project]\ndynamic = ["dependencies"]\n', '[project]\ndynamic = ["dependencies"]\n'),
])
def test_pyproject(before: str, after: str) -> None:
    assert add_to_pyproject(before, PACKAGES) == after


def test_pyproject_without_project_table() -> None:
    assert add_to_pyproject('[tool.poetry]\nname = "x"\n', PACKAGES) is None


def test_nearest_manifest_and_requires(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("flask\n")
    (tmp_path / "requirements-dev.txt").write_text("pytest\n")
    (tmp_path / "func").mkdir()
    (tmp_path / "func" / "requirements.txt").write_text("azure-functions\n")
    assert manifests(tmp_path, ["func/app.py", "web/app.py"]) == [
        (tmp_path / "func" / "requirements.txt").resolve(), (tmp_path / "requirements.txt").resolve()]
    fixes = ensure(tmp_path, [change("func/app.py", requires=["redis-entraid"]), change("x.py", "manual")],
                   write=True)
    assert [f.path for f in fixes] == ["func/requirements.txt"]
    assert (tmp_path / "func" / "requirements.txt").read_text() == "azure-functions\nazure-identity\nredis-entraid\n"
    assert (tmp_path / "requirements-dev.txt").read_text() == "pytest\n"


def test_ensure_dry_run_and_nothing_rewritten(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("flask\n")
    (fix,) = ensure(tmp_path, [change()], write=False)
    assert fix.changed and fix.updated == "flask\nazure-identity\n"
    assert (tmp_path / "requirements.txt").read_text() == "flask\n"
    assert ensure(tmp_path, [change(status="manual")], write=True) == []


def test_no_manifest_is_reported(tmp_path: Path) -> None:
    (fix,) = ensure(tmp_path, [change()], write=True)
    assert fix.error and "azure-identity" in fix.error and not fix.changed


# -- notebooks -------------------------------------------------------------------------------------------------


def code_cell(*lines: str) -> dict[str, object]:
    return {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": list(lines)}


def write_notebook(path: Path, cells: list[dict[str, object]]) -> str:
    notebook = {"cells": cells, "metadata": {"kernelspec": {"name": "python3"}}, "nbformat": 4, "nbformat_minor": 5}
    text = fakes.expand(json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    path.write_text(text)
    return text


CS = "DefaultEndpointsProtocol=https;AccountName=nbacct;AccountKey=«b64:64»;EndpointSuffix=core.windows.net"


def test_notebook_cells_rewritten(tmp_path: Path) -> None:
    path = tmp_path / "explore.ipynb"
    write_notebook(path, [
        {"cell_type": "markdown", "metadata": {}, "source": ["# Explore café"]},
        code_cell("%pip install azure-storage-blob\n", "import os\n",
                  "from azure.storage.blob import BlobServiceClient"),
        code_cell(f'CONN = "{CS}"'),
        code_cell("!ls\n", "svc = BlobServiceClient.from_connection_string(CONN)\n",
                  "for c in svc.list_containers():\n", "    print(c)"),
        code_cell("%%bash\n", "echo from_connection_string"),
        code_cell("def broken(:"),
    ])
    fix = fix_notebook(path, "explore.ipynb", FixOptions(), RepoSettings(tmp_path))
    assert fix is not None and fix.error is None and fix.updated is not None
    text = path.read_text()
    assert text == fix.updated and text.endswith("}\n") and text.startswith('{\n "cells": [\n')
    assert "café" in text and "AccountKey" not in text
    cells = json.loads(text)["cells"]
    assert cells[1]["source"] == ["%pip install azure-storage-blob\n", "import os\n",
                                  "from azure.storage.blob import BlobServiceClient\n",
                                  "from azure.identity import DefaultAzureCredential\n", "\n",
                                  "credential = DefaultAzureCredential()"]
    assert cells[2]["source"] == []
    assert cells[3]["source"] == ["!ls\n", 'svc = BlobServiceClient("https://nbacct.blob.core.windows.net", '
                                  "credential=credential)\n", "for c in svc.list_containers():\n", "    print(c)"]
    assert cells[4]["source"] == ["%%bash\n", "echo from_connection_string"]
    assert cells[5]["source"] == ["def broken(:"]
    assert text.count("DefaultAzureCredential()") == 1
    (rewritten,) = fix.changes
    assert (rewritten.path, rewritten.line, rewritten.extra["cell"]) == ("explore.ipynb", 2, 3)


def test_notebook_check_mode_and_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "n.ipynb"
    original = write_notebook(path, [code_cell("from azure.storage.blob import BlobServiceClient\n",
                                               f'svc = BlobServiceClient.from_connection_string("{CS}")')])
    fix = fix_notebook(path, "n.ipynb", FixOptions(write=False), RepoSettings(tmp_path))
    assert fix is not None and fix.changed
    assert path.read_text() == original
    untouched = tmp_path / "u.ipynb"
    same = write_notebook(untouched, [code_cell("import azure.storage.blob\n", "print(1)")])
    fix = fix_notebook(untouched, "u.ipynb", FixOptions(), RepoSettings(tmp_path))
    assert fix is not None and not fix.changed and untouched.read_text() == same


def test_notebook_not_json_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "bad.ipynb"
    path.write_text("{not json")
    fix = fix_notebook(path, "bad.ipynb", FixOptions(), RepoSettings(tmp_path))
    assert fix is not None and fix.error and path.read_text() == "{not json"
