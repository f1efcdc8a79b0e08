"""Emulator, localhost and http:// connections are never rewritten: Azurite without OAuth ignores bearer tokens,
the emulators take only their well-known keys, and the SDKs refuse to send a token over plain HTTP."""

from __future__ import annotations

from pathlib import Path

import pytest

from mi_migrate.fix.endpoints import local_reason
from tests.rewrite_support import rewrite, write_settings

AZURITE = ("DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=«b64:64»;"
           "BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;")


@pytest.mark.parametrize("value", [
    "UseDevelopmentStorage=true",
    AZURITE,
    "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=«b64:64»;BlobEndpoint=https://azurite:10000/acct",
    "DefaultEndpointsProtocol=http;AccountName=acct;AccountKey=«b64:64»;EndpointSuffix=core.windows.net",
    "Endpoint=sb://localhost;SharedAccessKeyName=Root;SharedAccessKey=«b64:32»;UseDevelopmentEmulator=true;",
    "AccountEndpoint=https://localhost:8081/;AccountKey=«b64:64»;",
    "Endpoint=http://host.docker.internal:7071/;Id=x;Secret=«b64:32»",
    "http://127.0.0.1:10000/devstoreaccount1",
])
def test_local_connections_have_a_reason(value: str) -> None:
    from mi_migrate.testing import fakes

    assert local_reason(fakes.expand(value))


def test_azure_endpoints_have_none() -> None:
    from mi_migrate.testing import fakes

    assert local_reason(fakes.expand(
        "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=«b64:64»;EndpointSuffix=core.windows.net")) is None
    assert local_reason("https://acct.blob.core.windows.net/") is None


def test_literal_and_setting_emulator_connections_stay(tmp_path: Path) -> None:
    write_settings(tmp_path, ".env", f"""\
        AZURE_STORAGE_CONNECTION_STRING="{AZURITE}"
        COSMOS_CONNECTION_STRING=AccountEndpoint=https://localhost:8081/;AccountKey=«b64:64»;
        PROD_STORAGE_CONNECTION_STRING=DefaultEndpointsProtocol=https;AccountName=prod;AccountKey=«b64:64»;
        """)
    code = f'''\
        import os
        from azure.cosmos import CosmosClient
        from azure.storage.blob import BlobServiceClient

        EMU = "{AZURITE}"

        def literal():
            return BlobServiceClient.from_connection_string(EMU)

        def setting():
            return BlobServiceClient.from_connection_string(os.environ["AZURE_STORAGE_CONNECTION_STRING"])

        def cosmos():
            return CosmosClient.from_connection_string(os.environ["COSMOS_CONNECTION_STRING"])

        def prod():
            return BlobServiceClient.from_connection_string(os.environ["PROD_STORAGE_CONNECTION_STRING"])
        '''
    updated, changes = rewrite(code, tmp_path)
    by_line = {c.line: c for c in changes}
    assert [c.status for c in sorted(changes, key=lambda c: c.line)] == ["manual", "manual", "manual", "rewritten"]
    assert "devstoreaccount1" in (by_line[8].reason or "")
    assert "AZURE_STORAGE_CONNECTION_STRING" in (by_line[11].reason or "")
    assert "localhost" in (by_line[14].reason or "")
    assert updated.count("from_connection_string(") == 3
    assert 'BlobServiceClient(os.environ["PROD_STORAGE_ACCOUNT_URL"], credential=credential)' in updated
