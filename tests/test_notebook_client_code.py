"""Key-based client code in Jupyter notebooks (mi_migrate.scan.python.notebook_cells): `scan` reads the code cells
as the one module they run as, places each finding at its characters in the notebook's JSON, and the report pairs
it with the rewrite `fix` plans for the same cell line. Runs under both candidate engines (tests/conftest.py)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import jsonschema
import pytest

from mi_migrate.api import build_report
from mi_migrate.core.finding import Finding
from mi_migrate.fix.model import FixOptions
from mi_migrate.report import schema
from mi_migrate.scan.files import scan_bytes
from mi_migrate.scan.model import ScanSettings
from mi_migrate.testing import fakes


def _notebook(*cells: list[str] | str, cell_type: str = "code") -> str:
    """nbformat 4 with one cell per argument (a list of source lines, or one string), indented as Jupyter does."""
    body = [{"cell_type": "markdown", "metadata": {}, "source": ["# Storage walkthrough\n"]}]
    for source in cells:
        body.append({"cell_type": cell_type, "execution_count": None, "metadata": {}, "outputs": [],
                     "source": source})
    return json.dumps({"cells": body, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1) + "\n"


def _scan(text: str, name: str = "walkthrough.ipynb") -> list:
    found, _ = scan_bytes(name, text.encode("utf-8"), ScanSettings())
    return found


def _at(text: str, finding: Finding) -> str:
    """The file text the finding's span covers (single-line spans)."""
    line = text.splitlines()[finding.span.line - 1]
    return line[finding.span.column - 1 : finding.span.end_column - 1]


IMPORTS = ["%pip install azure-storage-blob\n", "import os\n", "from azure.storage.blob import BlobServiceClient\n"]
CONNECT = ['conn = os.environ["AZURE_STORAGE_CONNECTION_STRING"]\n',
           "svc = BlobServiceClient.from_connection_string(conn)\n", "svc.get_container_client('c')"]


def test_client_built_from_a_setting_read_in_another_cell_is_reported_at_its_characters() -> None:
    text = _notebook(IMPORTS, ["!ls -la\n", "x = !pwd\n"], CONNECT)
    (finding,) = [f for f in _scan(text) if f.rule_id.startswith("AZ2")]
    assert finding.rule_id == "AZ201"
    assert _at(text, finding) == "BlobServiceClient.from_connection_string(conn)"
    assert finding.key_path == "cells[3].source"
    assert finding.fields["cell"] == "3" and finding.fields["cell_line"] == "2"
    assert finding.fields["setting"] == "AZURE_STORAGE_CONNECTION_STRING"  # followed from cell 3's first line


def test_cell_source_as_one_string_and_escaped_characters_still_map_to_the_file() -> None:
    """nbformat also allows a cell's source as one string; JSON escapes (quotes, \\u) shift every column."""
    source = ('label = "caf\u00e9 \\"demo\\""\nfrom azure.storage.blob import BlobServiceClient\n'
              'client = BlobServiceClient("https://acme.blob.core.windows.net", credential=os.environ["KEY"])\n')
    text = json.dumps({"cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "source": "import os\n"},
                                 {"cell_type": "code", "metadata": {}, "outputs": [], "source": source}],
                       "metadata": {}, "nbformat": 4, "nbformat_minor": 5})  # ASCII-escaped, all on one line
    (finding,) = [f for f in _scan(text) if f.rule_id == "AZ202"]
    assert finding.span.line == 1 and text[finding.span.column - 1:].startswith("BlobServiceClient(")
    assert finding.fields["cell"] == "1" and finding.fields["cell_line"] == "3"


def test_cell_magic_cells_and_cells_that_do_not_parse_are_left_out_not_the_notebook() -> None:
    broken = ["def unfinished(:\n"]
    bash = ["%%bash\n", "BlobServiceClient.from_connection_string(conn)\n"]
    text = _notebook(IMPORTS, broken, bash, CONNECT)
    found = [f for f in _scan(text) if f.rule_id.startswith("AZ2")]
    assert [(f.rule_id, f.fields["cell"]) for f in found] == [("AZ201", "4")]


def test_markdown_and_outputs_naming_a_client_are_not_code() -> None:
    text = _notebook(["from azure.storage.blob import BlobServiceClient\n"],
                     ["BlobServiceClient.from_connection_string(conn)\n"], cell_type="markdown")
    assert [f for f in _scan(text) if f.rule_id.startswith("AZ2")] == []


def test_notebook_without_an_sdk_import_is_not_read_as_code(monkeypatch: pytest.MonkeyPatch) -> None:
    from mi_migrate.scan.python import notebook_cells

    seen: list[str] = []
    real = notebook_cells._module
    monkeypatch.setattr(notebook_cells, "_module", lambda cells: seen.append("read") or real(cells))
    _scan(_notebook(["import pandas as pd\n", "df = pd.read_csv('x.csv')\n"]))
    assert seen == []
    _scan(_notebook(IMPORTS, CONNECT))
    assert seen == ["read"]


def test_secret_literal_in_a_cell_is_one_finding_at_the_file_position() -> None:
    """The analysis' secret-argument check and the text rules see the same key: one finding, the key's span."""
    key = fakes.fake_alnum(32, random.Random(9))
    text = _notebook(["from openai import AzureOpenAI\n",
                      f'client = AzureOpenAI(api_key="{key}", api_version="2024-06-01",\n',
                      '                     azure_endpoint="https://acme.openai.azure.com")\n'])
    found = _scan(text)
    spans = [(f.span.line, f.span.column) for f in found if f.secret_hash]
    assert len(spans) == len(set(spans))  # no secret reported twice at one place
    assert any(f.rule_id.startswith("AZ2") and f.fields.get("cell") == "1" for f in found)


def test_report_pairs_the_notebook_finding_with_its_rewrite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "explore.ipynb").write_text(_notebook(IMPORTS, CONNECT), encoding="utf-8")
    monkeypatch.chdir(tmp_path)  # without a config file the scan root is the current directory
    data = build_report(FixOptions(paths=(".",), write=False))
    jsonschema.validate(data, schema(), cls=jsonschema.Draft202012Validator)
    (entry,) = [e for e in data["findings"] if e["kind"] == "key-based-code"]
    assert entry["rule_id"] == "AZ201" and entry["status"] == "rewritten"
    text = (tmp_path / "explore.ipynb").read_text(encoding="utf-8")
    assert "from_connection_string" in text.splitlines()[entry["line"] - 1]  # the notebook's own line
    assert "-" in entry["diff"] and "credential=credential" in entry["diff"]


def test_fix_lists_a_notebook_call_it_cannot_rewrite_once_in_cell_coordinates(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`fix` lists every call site the scan reports: in a notebook, a client with no rewrite family becomes a manual
    step at its cell and line, and a call it rewrites is not listed a second time."""
    from mi_migrate.fix.runner import plan_fixes

    speech = ["import azure.cognitiveservices.speech as speechsdk\n", 'key = os.environ["SPEECH_KEY"]\n',
              'speech_config = speechsdk.SpeechConfig(subscription=key, region="westeurope")\n']
    (tmp_path / "explore.ipynb").write_text(_notebook(IMPORTS, CONNECT, speech), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = plan_fixes(FixOptions(paths=(".",), write=False))
    changes = sorted((c.extra.get("cell"), c.line, c.status, c.client) for c in result.changes)
    assert changes == [(2, 2, "rewritten", "BlobServiceClient"), (3, 3, "manual", "SpeechConfig")], changes


def test_a_cell_with_python_312_fstrings_is_read_with_them_blanked() -> None:
    """f"{h.get("x-ms-region")}" (quotes nested in an f-string) parses from Python 3.12 on; here the f-strings are
    blanked, as in a module, so the client built in that cell is still reported at its place."""
    cell = ["from openai import AzureOpenAI\n",
            'client = AzureOpenAI(azure_endpoint=url, api_key=os.environ["KEY"], api_version="2024-06-01")\n',
            'print(f"region: {headers.get("x-ms-region")}")\n']
    text = _notebook(["import os\n"], cell)
    (finding,) = [f for f in _scan(text) if f.rule_id.startswith("AZ2")]
    assert finding.fields["cell"] == "2" and finding.fields["cell_line"] == "2"
    assert _at(text, finding).startswith("AzureOpenAI(azure_endpoint=url")


def test_report_places_a_notebook_change_the_scan_does_not_report_at_its_file_line(tmp_path: Path) -> None:
    """A change `fix` lists with no finding beside it (a call the scan does not report) counts lines within its
    cell; the report's entry gets the notebook file's lines, and the cell and cell line as fields."""
    from mi_migrate.fix.model import Change
    from mi_migrate.report.model import _finding_entry, _NotebookLines

    source = 'label = "caf\u00e9 \\"x\\""\nsvc = BlobServiceClient.from_connection_string("")\n'
    text = json.dumps({"cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "source": "import os\n"},
                                 {"cell_type": "markdown", "metadata": {}, "source": ["# two\n"]},
                                 {"cell_type": "code", "metadata": {}, "outputs": [],
                                  "source": source.splitlines(keepends=True)}],
                       "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1)
    (tmp_path / "nb.ipynb").write_text(text, encoding="utf-8")
    change = Change(path="nb.ipynb", line=2, end_line=2, family="azure-storage-blob", client="BlobServiceClient",
                    service="storage", status="manual", reason="the connection string is empty", extra={"cell": 2})
    entry = _finding_entry("", None, change)
    _NotebookLines(tmp_path).place(entry, change)
    assert "from_connection_string" in text.splitlines()[entry["line"] - 1]
    assert entry["end_line"] == entry["line"]
    assert entry["fields"]["cell"] == "2" and entry["fields"]["cell_line"] == "2"
    missing = Change(path="gone.ipynb", line=2, end_line=2, family="f", client="C", service="s", status="manual",
                     extra={"cell": 2})
    untouched = _finding_entry("", None, missing)
    _NotebookLines(tmp_path).place(untouched, missing)
    assert untouched["line"] == 2  # an unreadable notebook keeps the cell line it was given
