"""`fix` on the storage families: exact before/after for each client shape, then the rewritten code is run against a
local managed-identity endpoint to prove it authenticates with a bearer token for https://storage.azure.com."""

from __future__ import annotations

import asyncio
import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from mi_migrate.fix.model import FileFix, FixOptions
from mi_migrate.fix.settings import RepoSettings
from mi_migrate.fix.source import fix_source
from mi_migrate.testing import fakes
from tests.identity_support import capture_requests, identity_endpoint, use_identity_endpoint

CS = "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=«b64:64»;EndpointSuffix=core.windows.net"


def rewrite(root: Path, code: str, **options: Any) -> FileFix:
    text = fakes.expand(textwrap.dedent(code).lstrip("\n"))
    fix = fix_source("app.py", text, FixOptions(**options), RepoSettings(root))
    assert fix.error is None
    return fix


def after(root: Path, code: str, **options: Any) -> str:
    fix = rewrite(root, code, **options)
    assert fix.updated is not None, [c.reason for c in fix.changes]
    assert "AccountKey" not in fix.updated
    compile(fix.updated, "app.py", "exec")
    return fix.updated


def expected(code: str) -> str:
    return textwrap.dedent(code).lstrip("\n")


def test_blob_clients_positional_container_blob_snapshot(tmp_path: Path) -> None:
    assert after(tmp_path, f"""
        from azure.storage.blob import BlobServiceClient, ContainerClient, BlobClient

        CS = "{CS}"
        svc = BlobServiceClient.from_connection_string(CS)  # the service
        cont = ContainerClient.from_connection_string(CS, "photos")
        blob = BlobClient.from_connection_string(CS, "photos", "cat.jpg", "2024-01-01T00:00:00Z")
        """) == expected("""
        from azure.storage.blob import BlobServiceClient, ContainerClient, BlobClient
        from azure.identity import DefaultAzureCredential

        credential = DefaultAzureCredential()
        svc = BlobServiceClient("https://acct.blob.core.windows.net", credential=credential)  # the service
        cont = ContainerClient("https://acct.blob.core.windows.net", "photos", credential=credential)
        blob = BlobClient("https://acct.blob.core.windows.net", "photos", "cat.jpg", "2024-01-01T00:00:00Z", credential=credential)
        """)  # noqa: E501


def test_queue_share_datalake_tables(tmp_path: Path) -> None:
    conn = "BlobEndpoint=https://blobs.example.com/;QueueEndpoint=https://q.example.com;AccountName=acct;AccountKey=«b64:64»"
    assert after(tmp_path, f"""
        from azure.data.tables import TableServiceClient, TableClient
        from azure.storage.filedatalake import DataLakeServiceClient, FileSystemClient
        from azure.storage.fileshare import ShareServiceClient, ShareFileClient
        from azure.storage.queue import QueueServiceClient, QueueClient

        CS = "{conn}"
        t = TableServiceClient.from_connection_string(CS)
        tc = TableClient.from_connection_string(conn_str=CS, table_name="t")
        tp = TableClient.from_connection_string(CS, "t")
        d = DataLakeServiceClient.from_connection_string(CS)
        fs = FileSystemClient.from_connection_string(CS, "fs")
        s = ShareServiceClient.from_connection_string(CS)
        f = ShareFileClient.from_connection_string(CS, "share", "a/b.txt")
        q = QueueServiceClient.from_connection_string(CS)
        qc = QueueClient.from_connection_string(
            CS,
            "jobs",
            message_encode_policy=None,
        )
        """) == expected("""
        from azure.data.tables import TableServiceClient, TableClient
        from azure.storage.filedatalake import DataLakeServiceClient, FileSystemClient
        from azure.storage.fileshare import ShareServiceClient, ShareFileClient
        from azure.storage.queue import QueueServiceClient, QueueClient
        from azure.identity import DefaultAzureCredential

        credential = DefaultAzureCredential()
        t = TableServiceClient("https://acct.table.core.windows.net", credential=credential)
        tc = TableClient("https://acct.table.core.windows.net", table_name="t", credential=credential)
        tp = TableClient("https://acct.table.core.windows.net", "t", credential=credential)
        d = DataLakeServiceClient("https://blobs.example.com", credential=credential)
        fs = FileSystemClient("https://blobs.example.com", "fs", credential=credential)
        s = ShareServiceClient("https://acct.file.core.windows.net", credential=credential, token_intent="backup")
        f = ShareFileClient("https://acct.file.core.windows.net", "share", "a/b.txt", credential=credential, token_intent="backup")
        q = QueueServiceClient("https://q.example.com", credential=credential)
        qc = QueueClient(
            "https://q.example.com",
            "jobs",
            message_encode_policy=None,
            credential=credential,
        )
        """)  # noqa: E501


def test_datalake_endpoint_from_account_and_china_suffix(tmp_path: Path) -> None:
    china = CS.replace("core.windows.net", "core.chinacloudapi.cn")
    assert after(tmp_path, f"""
        from azure.storage.filedatalake import DataLakeServiceClient
        from azure.storage.blob import BlobServiceClient
        d = DataLakeServiceClient.from_connection_string("{china}")
        b = BlobServiceClient.from_connection_string("{china}")
        """).splitlines()[-2:] == [
        'd = DataLakeServiceClient("https://acct.dfs.core.chinacloudapi.cn", credential=credential)',
        'b = BlobServiceClient("https://acct.blob.core.chinacloudapi.cn", credential=credential)',
    ]


def test_module_import_styles_and_aliases(tmp_path: Path) -> None:
    assert after(tmp_path, """
        import os
        from azure.storage import blob
        import azure.storage.queue as q
        from azure.storage.blob import ContainerClient as CC

        a = blob.BlobServiceClient.from_connection_string(os.environ["AZURE_STORAGE_CONNECTION_STRING"])
        b = q.QueueClient.from_connection_string(os.getenv("QUEUE_CONN"), "jobs")
        c = CC.from_connection_string(os.environ.get("STORAGE_CONN", ""), "c")
        """) == expected("""
        import os
        from azure.storage import blob
        import azure.storage.queue as q
        from azure.storage.blob import ContainerClient as CC
        from azure.identity import DefaultAzureCredential

        credential = DefaultAzureCredential()

        a = blob.BlobServiceClient(os.environ["AZURE_STORAGE_ACCOUNT_URL"], credential=credential)
        b = q.QueueClient(os.getenv("QUEUE_ACCOUNT_URL"), "jobs", credential=credential)
        c = CC(os.environ.get("STORAGE_ACCOUNT_URL", ""), "c", credential=credential)
        """)


def test_sync_and_aio_in_one_module(tmp_path: Path) -> None:
    assert after(tmp_path, """
        import os
        import azure.storage.blob.aio as aio
        from azure.storage.blob import BlobServiceClient

        sync = BlobServiceClient.from_connection_string(os.environ["AZURE_STORAGE_CONNECTION_STRING"])


        async def main():
            async with aio.BlobServiceClient.from_connection_string(os.environ["AZURE_STORAGE_CONNECTION_STRING"]) as svc:
                await svc.get_account_information()
        """) == expected("""
        import os
        import azure.storage.blob.aio as aio
        from azure.storage.blob import BlobServiceClient
        from azure.identity.aio import DefaultAzureCredential as AsyncDefaultAzureCredential
        from azure.identity import DefaultAzureCredential

        credential = DefaultAzureCredential()
        async_credential = AsyncDefaultAzureCredential()

        sync = BlobServiceClient(os.environ["AZURE_STORAGE_ACCOUNT_URL"], credential=credential)


        async def main():
            async with aio.BlobServiceClient(os.environ["AZURE_STORAGE_ACCOUNT_URL"], credential=async_credential) as svc:
                await svc.get_account_information()
        """)  # noqa: E501


def test_env_setting_value_derived_from_dotenv_and_local_settings(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(fakes.expand(
        'AZURE_STORAGE_CONNECTION_STRING="' + CS.replace("AccountName=acct", "AccountName=envacct") + '"\n'))
    (tmp_path / "local.settings.json").write_text(json.dumps({"IsEncrypted": False, "Values": {
        "AzureWebJobsStorage": fakes.expand(CS.replace("AccountName=acct", "AccountName=fnacct"))}}))
    fix = rewrite(tmp_path, """
        import os
        from azure.storage.blob import BlobServiceClient
        from azure.storage.queue import QueueServiceClient
        a = BlobServiceClient.from_connection_string(os.environ["AZURE_STORAGE_CONNECTION_STRING"])
        b = QueueServiceClient.from_connection_string(os.environ["AzureWebJobsStorage"])
        """)
    assert fix.updated is not None
    assert 'os.environ["AzureWebJobsStorage__queueServiceUri"]' in fix.updated
    (a, b) = fix.changes
    assert (a.old_setting, a.setting, a.setting_value) == (
        "AZURE_STORAGE_CONNECTION_STRING", "AZURE_STORAGE_ACCOUNT_URL", "https://envacct.blob.core.windows.net")
    assert (b.setting, b.setting_value) == ("AzureWebJobsStorage__queueServiceUri", "https://fnacct.queue.core.windows.net")
    assert "FAKE" not in json.dumps([a.to_dict(), b.to_dict()])


def test_variables_followed_and_removed_or_kept_with_note(tmp_path: Path) -> None:
    shared_line = fakes.expand(f'SHARED = "{CS.replace("acct", "shared")}"')
    fix = rewrite(tmp_path, f"""
        import os
        from azure.storage.blob import BlobServiceClient

        CS = "{CS}"
        {shared_line}


        def make():
            # read the setting
            conn = os.environ["STORAGE_CONN"]
            return BlobServiceClient.from_connection_string(conn)


        other = BlobServiceClient.from_connection_string(CS)
        shared = BlobServiceClient.from_connection_string(SHARED)
        print(SHARED)
        """)
    assert fix.updated is not None
    assert fix.updated == expected(f"""
        import os
        from azure.storage.blob import BlobServiceClient
        from azure.identity import DefaultAzureCredential

        credential = DefaultAzureCredential()
        {shared_line}


        def make():
            # read the setting
            return BlobServiceClient(os.environ["STORAGE_ACCOUNT_URL"], credential=credential)


        other = BlobServiceClient("https://acct.blob.core.windows.net", credential=credential)
        shared = BlobServiceClient("https://shared.blob.core.windows.net", credential=credential)
        print(SHARED)
        """)
    notes = [c.notes for c in fix.changes]
    assert notes[:2] == [(), ()] and "`SHARED` is still used elsewhere" in notes[2][0]


@pytest.mark.parametrize(("argument", "reason"), [
    ('f"AccountName={name};AccountKey={key}"', "f-string"),
    ("get_conn()", "computed at run time"),
    ('"UseDevelopmentStorage=true"', "UseDevelopmentStorage=true"),
    ("conn", "assigned 2 times"),
])
def test_manual_steps_keep_the_code(tmp_path: Path, argument: str, reason: str) -> None:
    code = f"""
        from azure.storage.blob import BlobServiceClient
        conn = "a"
        conn = "b"
        svc = BlobServiceClient.from_connection_string({argument})
        """
    fix = rewrite(tmp_path, code)
    assert fix.updated is None
    (change,) = fix.changes
    assert change.status == "manual" and reason in (change.reason or "")


@pytest.mark.parametrize(("options", "statement"), [
    ({"credential": "managed-identity"}, "credential = ManagedIdentityCredential()"),
    ({"credential": "managed-identity", "client_id_env": "AZURE_CLIENT_ID"},
     'credential = ManagedIdentityCredential(client_id=os.environ["AZURE_CLIENT_ID"])'),
    ({"client_id_env": "APP_IDENTITY"},
     'credential = DefaultAzureCredential(managed_identity_client_id=os.environ["APP_IDENTITY"])'),
    ({"client_id": "00000000-0000-0000-0000-0000000000c1"},
     'credential = DefaultAzureCredential(managed_identity_client_id="00000000-0000-0000-0000-0000000000c1")'),
])
def test_credential_options(tmp_path: Path, options: dict[str, str], statement: str) -> None:
    code = after(tmp_path, """
        from azure.storage.blob import BlobServiceClient
        svc = BlobServiceClient.from_connection_string(CONN)
        CONN = "%s"
        """ % CS, **options)  # noqa: UP031
    assert statement in code.splitlines()
    assert "import os" in code if "os.environ" in statement else True


# -- the rewritten code runs ---------------------------------------------------------------------------------


def run_rewritten(tmp_path: Path, code: str, **options: Any) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": "rewritten"}
    exec(compile(after(tmp_path, code, **options), "rewritten.py", "exec"), namespace)
    return namespace


SYNC_CASES = [
    ("azure.storage.blob", "BlobServiceClient.from_connection_string(CS)",
     lambda c: c.get_container_client("c").create_container(), "acct.blob.core.windows.net"),
    ("azure.storage.queue", 'QueueClient.from_connection_string(CS, "jobs")',
     lambda c: c.send_message("hi"), "acct.queue.core.windows.net"),
    ("azure.storage.fileshare", 'ShareClient.from_connection_string(CS, "share")',
     lambda c: c.get_directory_client("d").get_directory_properties(), "acct.file.core.windows.net"),
    ("azure.storage.filedatalake", "DataLakeServiceClient.from_connection_string(CS)",
     lambda c: c.get_file_system_client("fs").create_directory("d"), "acct.dfs.core.windows.net"),
    ("azure.data.tables", 'TableClient.from_connection_string(CS, "t")',
     lambda c: c.upsert_entity({"PartitionKey": "p", "RowKey": "r"}), "acct.table.core.windows.net"),
]


@pytest.mark.parametrize(("module", "call", "operation", "host"), SYNC_CASES, ids=[c[0] for c in SYNC_CASES])
def test_rewritten_sync_client_sends_bearer_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, module: str, call: str, operation: Any, host: str
) -> None:
    client_name = call.split(".")[0]
    with identity_endpoint() as endpoint, capture_requests(status=201) as sent:
        use_identity_endpoint(monkeypatch, endpoint)
        namespace = run_rewritten(tmp_path, f"""
            from {module} import {client_name}
            CS = "{CS}"
            client = {call}
            """)
        try:
            operation(namespace["client"])
        except Exception:
            pass
    assert sent, "no request was sent"
    request = sent[0]
    assert request.url.startswith(f"https://{host}/")
    assert request.authorization.startswith("Bearer ")
    assert request.bearer_audience == "https://storage.azure.com"
    assert endpoint.resources and set(endpoint.resources) == {"https://storage.azure.com"}
    assert "AccountKey" not in json.dumps(request.headers)


def test_rewritten_user_assigned_identity_presents_client_id(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_IDENTITY_ID", "00000000-0000-0000-0000-0000000000c1")
    with identity_endpoint() as endpoint, capture_requests(status=201) as sent:
        use_identity_endpoint(monkeypatch, endpoint)
        namespace = run_rewritten(tmp_path, f"""
            from azure.storage.blob import ContainerClient
            client = ContainerClient.from_connection_string("{CS}", "c")
            """, credential="managed-identity", client_id_env="APP_IDENTITY_ID")
        namespace["client"].create_container()
    assert sent[0].bearer_audience == "https://storage.azure.com"
    assert [r.client_id for r in endpoint.requests] == ["00000000-0000-0000-0000-0000000000c1"]


AIO_CASES = [
    ("azure.storage.blob.aio", "BlobServiceClient.from_connection_string(CS)", "https://acct.blob.core.windows.net"),
    ("azure.storage.queue.aio", 'QueueClient.from_connection_string(CS, "jobs")', "https://acct.queue.core.windows.net"),
    ("azure.storage.fileshare.aio", 'ShareClient.from_connection_string(CS, "share")',
     "https://acct.file.core.windows.net"),
    ("azure.storage.filedatalake.aio", "DataLakeServiceClient.from_connection_string(CS)",
     "https://acct.dfs.core.windows.net"),
    ("azure.data.tables.aio", 'TableClient.from_connection_string(CS, "t")', "https://acct.table.core.windows.net"),
]


@pytest.mark.parametrize(("module", "call", "url"), AIO_CASES, ids=[c[0] for c in AIO_CASES])
def test_rewritten_aio_client_uses_async_credential(tmp_path: Path, module: str, call: str, url: str) -> None:
    import azure.identity.aio

    client_name = call.split(".")[0]
    namespace = run_rewritten(tmp_path, f"""
        from {module} import {client_name}
        CS = "{CS}"


        async def make():
            return {call}
        """)
    assert "CS" not in namespace

    async def check() -> None:
        client = await namespace["make"]()
        try:
            assert client.url.startswith(url)
            credential = namespace["credential"]
            assert type(credential).__module__.startswith("azure.identity.aio")
            assert isinstance(credential, azure.identity.aio.DefaultAzureCredential)
        finally:
            await client.close()
            await namespace["credential"].close()

    asyncio.run(check())
