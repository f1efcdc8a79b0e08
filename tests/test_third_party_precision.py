"""Precision of the detect-secrets plugins on real-code shapes (issue 10): keyword context for IBM Cloud IAM, hash
files and hash-valued keys, labels and test fixtures that say what they are, and letter-only URL passwords."""

from __future__ import annotations

import base64
import json
import random

import pytest

from mi_migrate.scan.files import scan_bytes
from mi_migrate.scan.model import ScanSettings
from mi_migrate.testing import fakes

RNG = random.Random(10)


def findings(text: str, filename: str) -> list:
    found, _ = scan_bytes(filename, text.encode(), ScanSettings())
    return found


def errors(text: str, filename: str) -> list:
    return [f for f in findings(text, filename) if f.severity.label == "error"]


def word44() -> str:
    return "FAKE" + "".join(RNG.choice(fakes.ALNUM + "_-") for _ in range(40))


# -- IBM Cloud IAM: the plugin's prefix group may be empty, so it needs IBM context ------------------------------


def test_camel_case_event_name_under_key_is_not_an_ibm_key() -> None:
    name = "RealtimeServerEventConversationItemRetrieved"  # 44 letters: the shape the plugin wants
    text = json.dumps({"key": name, "value": "x"}, indent=2)
    assert not [f for f in findings(text, "specs/openai.json") if f.fields.get("plugin") == "IbmCloudIamDetector"]


def test_ibm_key_with_ibm_context_is_still_found() -> None:
    text = f'ibm_cloud_iam_api_key = "{word44()}"\n'
    hits = [f for f in findings(text, "deploy.py") if f.fields.get("plugin") == "IbmCloudIamDetector"]
    assert hits and hits[0].severity.label == "error"


def test_document_id_under_key_is_not_an_ibm_key() -> None:
    text = f'const doc = {{ key: "doc_{"".join(RNG.choice("abcdef0123456789") for _ in range(40))}" }};\n'
    assert not errors(text, "mocks/SampleData.ts")


# -- hashes: baseline, tsbuildinfo, lock files -------------------------------------------------------------------


def _hex(n_bytes: int) -> str:
    return "fa4e" + RNG.randbytes(n_bytes).hex()[4:]


def _sri(n_bytes: int) -> str:
    return "sha512-" + base64.b64encode(RNG.randbytes(n_bytes)).decode()


HASH_FILES = {
    ".secrets.baseline": json.dumps(
        {"version": "1.5.0", "results": {"app/settings.py": [
            {"type": "Secret Keyword", "filename": "app/settings.py", "hashed_secret": _hex(20),
             "is_verified": False, "line_number": 12},
            {"type": "Base64 High Entropy String", "filename": ".env", "hashed_secret": _hex(20),
             "is_verified": False, "line_number": 3}]}}, indent=2),
    "tsconfig.tsbuildinfo": json.dumps(
        {"program": {"fileNames": ["a.ts", "b.ts"], "fileInfos": [
            {"version": _hex(32), "signature": _hex(32), "affectsGlobalScope": True},
            {"version": _hex(32), "signature": _hex(32)}], "options": {"composite": True}}, "version": "5.4.5"}),
    "package-lock.json": json.dumps(
        {"name": "x", "lockfileVersion": 3, "packages": {
            "node_modules/@azure/storage-blob": {"version": "12.1.0", "integrity": _sri(64)},
            "node_modules/@azure/keyvault-secrets": {"version": "4.0.0", "integrity": _sri(64)}}}, indent=2),
    "yarn.lock": (
        '"@azure/keyvault-secrets@^4":\n  version "4.0.0"\n'
        f'  resolved "https://registry.yarnpkg.com/@azure/keyvault-secrets/-/k-4.0.0.tgz#{_hex(20)}"\n'
        f"  integrity {_sri(64)}\n"
    ),
    "poetry.lock": (
        '[[package]]\nname = "azure-keyvault-secrets"\nversion = "4.8.0"\nfiles = [\n'
        f'    {{file = "azure_keyvault_secrets-4.8.0.tar.gz", hash = "sha256:{_hex(32)}"}},\n]\n'
    ),
    "Pipfile.lock": json.dumps(
        {"_meta": {"hash": {"sha256": _hex(32)}}, "default": {
            "azure-keyvault-secrets": {"hashes": [f"sha256:{_hex(32)}", f"sha256:{_hex(32)}"], "version": "==4.8"},
            "azure-storage-blob": {"hashes": [f"sha256:{_hex(32)}"]}}}, indent=2),
    "requirements.txt": f"azure-keyvault-secrets==4.8.0 \\\n    --hash=sha256:{_hex(32)}\n",
}


@pytest.mark.parametrize("name", sorted(HASH_FILES))
def test_hash_files_have_no_findings(name: str) -> None:
    found = findings(HASH_FILES[name], name)
    assert not [f for f in found if f.severity.label == "error"], [(f.rule_id, f.span.line) for f in found]
    assert not [f for f in found if f.rule_id.startswith("AZ3")], [(f.rule_id, f.span.line) for f in found]


def test_hashed_secret_key_in_any_json_is_a_hash() -> None:
    assert not findings(f'{{"hashed_secret": "{_hex(20)}"}}\n', "audit.json")


def test_a_real_secret_next_to_a_hash_key_is_still_found() -> None:
    secret = fakes.fake_alnum(24, RNG) + "!7"
    text = f'{{"hashed_secret": "{_hex(20)}", "db_password": "{secret}"}}\n'
    assert [f for f in errors(text, "audit.json") if f.rule_id == "AZ303"]


# -- keyword values that say what they are ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        '"WebchatSecret": "from app settings",',  # prose
        'account_key = "mykey123"',  # a placeholder word and a counter
        f'env.AZURE_BLOB_ACCOUNT_KEY = "{base64.b64encode(b"test-account-key").decode()}"',  # base64 of a label
    ],
)
def test_labels_are_not_secrets(line: str) -> None:
    name = "appsettings.json" if line.startswith('"') else "tests/test_client.py"
    text = "{\n  " + line + "\n}\n" if name.endswith(".json") else line + "\n"
    assert not [f for f in findings(text, name) if f.rule_id == "AZ303"]


def test_a_real_key_in_a_test_file_is_still_a_real_key() -> None:
    secret = fakes.fake_alnum(40, RNG)
    for path in ("tests/test_client.py", "src/client.py"):
        hits = [f for f in errors(f'CLIENT_SECRET = "{secret}"\n', path) if f.rule_id == "AZ303"]
        assert hits, path


# -- basic auth: the password slot of a URL ------------------------------------------------------------------------


@pytest.mark.parametrize("password", ["django", "zebrafinch", "Tr0ub4dor9"])
def test_django_database_url_password_is_found(password: str) -> None:
    text = f"DATABASES = {{'default': dj_database_url.parse('mysql://root:{password}@localhost:3306/app')}}\n"
    hits = [f for f in errors(text, "mysite/settings.py") if f.fields.get("plugin") == "BasicAuthDetector"]
    assert hits, password


@pytest.mark.parametrize("password", ["password", "pass", "<password>", "${DB_PASSWORD}", "example"])
def test_url_password_placeholders_are_not_found(password: str) -> None:
    text = f"DATABASE_URL = 'mysql://root:{password}@localhost:3306/app'\n"
    assert not [f for f in findings(text, "mysite/settings.py") if f.fields.get("plugin") == "BasicAuthDetector"]
