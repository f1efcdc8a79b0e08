"""The documented false-negative classes of line scanners (knowledge/azure-credentials.md §6-§8): a key split
across adjacent Python literals, wrapped in a YAML block scalar, hidden by JSON escapes, or base64-encoded in a
Kubernetes Secret. Each is found, with the key path and the file position of where the key starts."""

from __future__ import annotations

import base64
import json

from mi_migrate.testing import fakes
from tests.test_structured_formats import CONN, KEY, assert_at, only, position, scan


def secrets(findings):
    return [f for f in findings if f.kind.value == "secret"]


def test_adjacent_python_literals_in_parentheses() -> None:
    text = (
        "import os\n\nCONN = (\n    \"DefaultEndpointsProtocol=https;AccountName=acme;\"\n"
        f'    "AccountKey={KEY[:40]}"  # split for line length\n    "{KEY[40:]};EndpointSuffix=core.windows.net"\n)\n'
    )
    findings, _ = scan("app/settings.py", text)
    finding = only(secrets(findings), "CONN")
    assert finding.rule_id == "AZ101"
    assert_at(finding, text, KEY[:40])
    assert finding.span.end_line == finding.span.line + 1  # the key continues in the next literal


def test_plus_concatenation_and_backslash_continuation() -> None:
    text = (
        f'conn = "DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=" + "{KEY[:30]}" \\\n'
        f'    + "{KEY[30:]}"\nclient(conn_str="AccountName=acme;" "AccountKey={KEY}")\n'
    )
    findings, _ = scan("tool.py", text)
    assert_at(only(secrets(findings), "conn"), text, KEY[:30])
    assert_at(only(secrets(findings), "conn_str"), text, KEY)


def test_yaml_folded_block_scalar_with_a_wrapped_key() -> None:
    text = (
        "storage:\n  connectionString: >-\n    DefaultEndpointsProtocol=https;AccountName=acme;"
        f"AccountKey={KEY[:50]}\n    {KEY[50:]};EndpointSuffix=core.windows.net\n"
    )
    finding = only(secrets(scan("values.yaml", text)[0]), "storage.connectionString")
    assert_at(finding, text, KEY[:50])
    assert (finding.span.end_line, finding.span.end_column) == (4, 5 + len(KEY) - 50)


def test_yaml_literal_block_and_escaped_double_quotes() -> None:
    text = (
        f'config: |\n  [storage]\n  connection = {CONN}\nquoted: "AccountName=acme;AccountKey={KEY[:20]}\\\n'
        f'  {KEY[20:]}"\n'
    )
    findings = secrets(scan("app.yaml", text)[0])
    assert_at(only(findings, "config"), text, KEY)
    assert_at(only(findings, "quoted"), text, KEY[:20], 1)


def test_json_unicode_and_slash_escapes() -> None:
    escaped = CONN.replace("AccountKey", "Account\\u004bey").replace("/", "\\/")
    text = '{\n  "Values": {\n    "Storage": "' + escaped + '"\n  }\n}\n'
    assert "AccountKey" not in text
    finding = only(secrets(scan("local.settings.json", text)[0]), "Values.Storage")
    key_in_file = KEY.replace("/", "\\/")
    assert_at(finding, text, key_in_file[:10])
    assert finding.span.end_column == position(text, key_in_file)[1] + len(key_in_file)


def test_base64_kubernetes_secret_data() -> None:
    encoded = base64.b64encode(CONN.encode()).decode()
    key_only = base64.b64encode(KEY.encode()).decode()
    text = (
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: storage\ntype: Opaque\ndata:\n"
        f"  AZURE_STORAGE_CONNECTION_STRING: {encoded}\n  AZURE_STORAGE_KEY: '{key_only}'\n"
        f"stringData:\n  plain: {CONN}\n"
    )
    assert "accountkey" not in text.lower().split("stringdata")[0]
    findings = secrets(scan("k8s/secret.yaml", text)[0])
    conn = only(findings, "data.AZURE_STORAGE_CONNECTION_STRING")
    assert conn.fields["encoding"] == "base64-decoded"
    assert_at(conn, text, encoded)
    assert conn.span.end_column == position(text, encoded)[1] + len(encoded)
    key = only(findings, "data.AZURE_STORAGE_KEY")
    assert_at(key, text, key_only)
    assert_at(only(findings, "stringData.plain"), text, KEY)


def test_notebook_source_and_output_by_cell_and_line() -> None:
    notebook = {
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": ["# Upload\n"]},
            {
                "cell_type": "code",
                "metadata": {},
                "execution_count": 1,
                "source": [
                    "from azure.storage.blob import BlobServiceClient\n",
                    'conn = "DefaultEndpointsProtocol=https;AccountName=acme;" \\\n',
                    f'    "AccountKey={KEY}"\n',
                ],
                "outputs": [{"output_type": "stream", "name": "stdout", "text": [f"using {CONN}\n"]}],
            },
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    text = json.dumps(notebook, indent=1)
    findings = secrets(scan("analysis.ipynb", text)[0])
    source = only(findings, "cells[1].source")
    assert (source.fields["cell"], source.fields["cell_line"]) == ("1", "3")
    assert_at(source, text, KEY)
    output = only(findings, "cells[1].outputs[0].text")
    assert (output.fields["cell"], output.fields["cell_line"]) == ("1", "1")
    assert_at(output, text, KEY, 1)


def test_fakes_only() -> None:
    assert KEY.startswith("FAKE") and fakes.expand("«b64:64»") != ""
