"""Malformed structured files are scanned as text with a note; the line scan's findings stand; nothing raises."""

from __future__ import annotations

import pytest

from tests.test_structured_formats import CONN, KEY, assert_at, scan


@pytest.mark.parametrize(
    ("filename", "text", "note"),
    [
        ("local.settings.json", f'{{\n  "Values": {{\n    "Storage": "{CONN}",\n  }}\n  "x": \n', "invalid JSON"),
        ("appsettings.json", f'{{"Storage": "{CONN}}}\n', "invalid JSON at line 1"),
        ("deploy.yaml", f"env:\n\t- name: X\n  value: {CONN}\n", "invalid YAML at line 2"),
        ("values.yaml", f'conn: "{CONN}\nother: 1\n', "invalid YAML"),
        ("nb.ipynb", f"not json at all\nconn = '{CONN}'\n", "invalid notebook JSON at line 1"),
        ("web.config", f'<configuration>\n<add name="x" connectionString="{CONN}">\n</configuration>', "invalid XML"),
        ("main.tf", f'resource "x" "y" {{\n  conn = "{CONN}\n}}\n', "invalid Terraform at line 2"),
        ("main.bicep", f"param k string = '{CONN}\n", "invalid Bicep at line 1"),
        (".env", f'A=1\nCONN="{CONN}\n', "invalid .env at line 2"),
        ("pyproject.toml", f'[tool]\nconn = "{CONN}\n', "invalid TOML at line 2"),
    ],
)
def test_malformed_file_is_scanned_as_text_with_a_note(filename: str, text: str, note: str) -> None:
    findings, notes = scan(filename, text)
    assert any(n.message.startswith("scanned as text: ") and note in n.message for n in notes), notes
    secrets = [f for f in findings if f.kind.value == "secret"]
    assert secrets, "the line scan still reports the key"
    assert all(f.key_path is None for f in secrets)
    assert_at(secrets[0], text, KEY)


@pytest.mark.parametrize(
    ("filename", "text"),
    [
        ("a.json", "[" * 5000 + "]" * 5000),
        ("a.json", '{"a": "\\ud800 AccountKey=x"}'),
        ("a.yaml", "a: &x [*x]\nkey: AccountKey=1\n"),
        ("a.yaml", "kind: Secret\ndata:\n  x: '!!!notbase64'\n  y: " + "QUJD" * 3 + "\n"),
        ("a.ipynb", '{"cells": "nope", "AccountKey": 1}'),
        ("a.ipynb", '{"cells": [{"cell_type": "code", "source": "def (:\\n x = \\"a\\" \\"AccountKey=b\\""}]}'),
        ("a.py", 'x = ("AccountKey=" "abc"\n'),
        ("a.tf", 'a = "${x["AccountKey"]}" }'),
        ("a.bicep", "var a = '${'AccountKey'}'\n]"),
        ("web.config", "<a><b key='AccountKey' value='&bogus;'/></a>"),
        ("Dockerfile", "ENV\nARG \\\n"),
        (".env", "export\n=AccountKey\n"),
    ],
)
def test_odd_inputs_never_raise(filename: str, text: str) -> None:
    scan(filename, text)
