"""Precision: placeholders, references, deploy-time values, emulators, hashes and bundles are not secrets."""

from __future__ import annotations

import pytest

from tests.conftest import scan_snippet

STORAGE = "DefaultEndpointsProtocol=https;AccountName=acme;AccountKey={};EndpointSuffix=core.windows.net"
PLACEHOLDERS = [
    "<your-key>", "${STORAGE_KEY}", "$(StorageKey)", "%STORAGE_KEY%", "{{ storage_key }}", "{{storage_key}}",
    "x" * 86 + "==", "YOUR_KEY", "YOUR_STORAGE_ACCOUNT_KEY", "A" * 86 + "==", "0" * 88,
    "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/storage/)", "«b64:63»", "«b64:65»",
    "#{StorageKey}#", "__STORAGE_KEY__", "$STORAGE_KEY", "REPLACE_ME",
]


def error_findings(text: str, filename: str = "settings.txt") -> list[object]:
    findings, _ = scan_snippet(text, filename, third_party=False)
    return [f for f in findings if f.severity.label == "error"]


@pytest.mark.parametrize("value", PLACEHOLDERS)
def test_placeholder_in_connection_string_is_not_a_secret(value: str) -> None:
    assert not error_findings(STORAGE.format(value))


@pytest.mark.parametrize(
    "text",
    [
        "AccountKey=[listKeys(resourceId('Microsoft.Storage/storageAccounts', 'acme'), '2023-01-01').keys[0].value]",
        "value = azurerm_storage_account.acme.primary_access_key",
        'connection_string = azurerm_storage_account.acme.primary_connection_string',
        "AccountKey=${azurerm_storage_account.acme.primary_access_key}",
    ],
)
def test_deploy_time_values_are_not_secrets(text: str) -> None:
    assert not error_findings(text, "main.tf")


@pytest.mark.parametrize(
    "text",
    [
        'UseDevelopmentStorage=true',
        'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=«emulator:azurite»;',
        'AccountEndpoint=https://localhost:8081/;AccountKey=«emulator:cosmos»;',
        'AccountKey=«emulator:azurite»',
        'Endpoint=sb://localhost;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=SAS_KEY_VALUE;'
        'UseDevelopmentEmulator=true;',
        'DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=«b64:64»;BlobEndpoint=https://127.0.0.1:10000/acme',
    ],
)
def test_emulators_are_notes_at_most(text: str) -> None:
    findings, _ = scan_snippet(text, "local.settings.json", third_party=False)
    assert all(f.severity.label == "note" for f in findings), [(f.rule_id, f.severity) for f in findings]


@pytest.mark.parametrize(
    "text",
    [
        'id = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"',
        'api_key_id = "«hex:32»"',
        "commit «hex:40»",
        'md5sum = "«hex:32»"',
        'sha256 = "«hex:64»"',
        '<script src="x.js" integrity="sha512-«b64:64»" crossorigin="anonymous"></script>',
        '<link integrity="sha384-«b64:48»">',
        'etag = "«hex:32»"',
    ],
)
def test_hashes_and_ids_are_not_secrets(text: str) -> None:
    findings, _ = scan_snippet(text, "page.py", third_party=False)
    assert not findings, [(f.rule_id, f.message) for f in findings]


@pytest.mark.parametrize("filename", ["package-lock.json", "poetry.lock", "yarn.lock", "static/app.min.js"])
def test_lock_files_and_bundles_carry_no_context_keys(filename: str) -> None:
    text = '{"api_key": "«hex:32»", "resolved": "https://registry/x", "integrity": "sha512-«b64:64»"}'
    assert not error_findings(text, filename)


def test_instrumentation_key_is_informational() -> None:
    findings, _ = scan_snippet(
        "InstrumentationKey=11111111-2222-3333-4444-555555555555;IngestionEndpoint=https://x.in.applicationinsights"
        ".azure.com/", third_party=False)
    assert [f.severity.label for f in findings] == ["note"]


@pytest.mark.parametrize(
    ("text", "filename"),
    [
        ('AccountKey = «b64:64»; AccountName = acme', "a.txt"),
        ("'AccountName=acme;AccountKey=«b64:64»'", "a.py"),
        ('{"Storage": "AccountName=acme;AccountKey=«b64:64»"}', "appsettings.json"),
        ("storage: \"AccountName=acme;AccountKey=«b64:64»\"", "values.yml"),
        ('<add key="Storage" value="AccountName=acme;AccountKey=«b64:64»"/>', "app.config"),
        ("STORAGE=AccountName=acme;AccountKey=«b64:64»", ".env"),
        ("func --conn 'AccountName=acme;AccountKey=«b64:64»'", "run.sh"),
        ('{"cells": [{"source": ["c = \\"AccountName=acme;AccountKey=«b64:64»\\"\\n"]}]}', "nb.ipynb"),
        ("ENDPOINTSUFFIX=core.windows.net;ACCOUNTKEY=«b64:64»;accountname=acme", "a.txt"),
    ],
)
def test_connection_string_any_order_case_and_container(text: str, filename: str) -> None:
    findings = error_findings(text, filename)
    assert [f.rule_id for f in findings] == ["AZ101"]
    assert findings[0].fields["account"] == "acme"


def test_secret_span_points_at_the_key() -> None:
    findings, text = scan_snippet('x = "AccountName=acme;AccountKey=«b64:64»"\n', "a.py", third_party=False)
    span = findings[0].span
    line = text.splitlines()[span.line - 1]
    assert line[span.column - 1 : span.end_column - 1].startswith("FAKE")
    assert span.end_column - span.column == 88


def test_inline_comment_after_a_key_is_not_part_of_it() -> None:
    findings = error_findings(
        "SB=Endpoint=sb://acme.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=«b64:32»  # dev ns",
        ".env",
    )
    assert [f.rule_id for f in findings] == ["AZ104"]
