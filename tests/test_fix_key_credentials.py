"""key_credentials family: AzureKeyCredential / named key / SAS / account-key / key-dict / SAS-URL clients → the
module's token credential, checked as exact text and by running the rewritten code against the real SDKs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mi_migrate.fix.codemod import transform
from mi_migrate.fix.families import key_credentials
from mi_migrate.fix.model import Change, FixOptions
from mi_migrate.fix.settings import RepoSettings
from mi_migrate.testing import fakes
from tests.identity_support import capture_requests, identity_endpoint, use_identity_endpoint


def rewrite(source: str, tmp_path: Path, **options: object) -> tuple[str, list[Change]]:
    code, changes = transform(source, key_credentials.targets(), FixOptions(**options),  # type: ignore[arg-type]
                              RepoSettings(tmp_path))
    again, more = transform(code, key_credentials.targets(), FixOptions(**options),  # type: ignore[arg-type]
                            RepoSettings(tmp_path))
    assert again == code, "a second run must change nothing"
    assert not [c for c in more if c.status == "rewritten"]
    return code, changes


def test_search_alias_positional_and_keyword_share_one_credential(tmp_path: Path) -> None:
    source = '''import os

from azure.core.credentials import AzureKeyCredential
from azure.search.documents import SearchClient as SC
from azure.search.documents.indexes import SearchIndexClient

key = os.environ["AZURE_SEARCH_KEY"]
cred = AzureKeyCredential(key)
search = SC(os.environ["AZURE_SEARCH_ENDPOINT"], "hotels", cred)
indexes = SearchIndexClient(endpoint=os.environ["AZURE_SEARCH_ENDPOINT"], credential=cred)
'''
    code, changes = rewrite(source, tmp_path)
    assert code == '''import os
from azure.search.documents import SearchClient as SC
from azure.search.documents.indexes import SearchIndexClient
from azure.identity import DefaultAzureCredential

credential = DefaultAzureCredential()
search = SC(os.environ["AZURE_SEARCH_ENDPOINT"], "hotels", credential)
indexes = SearchIndexClient(endpoint=os.environ["AZURE_SEARCH_ENDPOINT"], credential=credential)
'''
    assert [(c.client, c.status, c.old_setting) for c in changes] == [
        ("SearchClient", "rewritten", "AZURE_SEARCH_KEY"), ("SearchIndexClient", "rewritten", "AZURE_SEARCH_KEY")]
    assert changes[0].extra == {"credential": "AzureKeyCredential", "endpoint_setting": "AZURE_SEARCH_ENDPOINT"}
    assert changes[0].setting is None  # the endpoint setting is unchanged


def test_key_credential_kept_while_something_else_uses_it(tmp_path: Path) -> None:
    source = '''import os
from azure.core.credentials import AzureKeyCredential
from azure.search.documents import SearchClient

key = os.environ["AZURE_SEARCH_KEY"]
cred = AzureKeyCredential(key)
search = SearchClient("https://acme.search.windows.net", "hotels", cred)
other(cred)
'''
    code, _ = rewrite(source, tmp_path)
    assert 'key = os.environ["AZURE_SEARCH_KEY"]\ncred = AzureKeyCredential(key)\n' in code
    assert 'SearchClient("https://acme.search.windows.net", "hotels", credential)' in code


def test_keyword_multiline_and_inline_key_credentials(tmp_path: Path) -> None:
    source = '''import os
from azure.core.credentials import AzureKeyCredential
from azure.ai.textanalytics import TextAnalyticsClient
from azure.eventgrid import EventGridPublisherClient


def publisher():
    return EventGridPublisherClient(
        "https://topic.westus-1.eventgrid.azure.net/api/events",
        credential=AzureKeyCredential(os.getenv("EVENTGRID_KEY")),
    )


text = TextAnalyticsClient("https://acme.cognitiveservices.azure.com/", AzureKeyCredential(KEY), default_language="en")
'''
    code, changes = rewrite(source, tmp_path)
    assert code == '''import os
from azure.ai.textanalytics import TextAnalyticsClient
from azure.eventgrid import EventGridPublisherClient
from azure.identity import DefaultAzureCredential

credential = DefaultAzureCredential()


def publisher():
    return EventGridPublisherClient(
        "https://topic.westus-1.eventgrid.azure.net/api/events",
        credential=credential,
    )


text = TextAnalyticsClient("https://acme.cognitiveservices.azure.com/", credential, default_language="en")
'''
    assert [c.old_setting for c in changes] == ["EVENTGRID_KEY", None]
    assert changes[1].endpoint == "https://acme.cognitiveservices.azure.com/" and changes[1].resource == "acme"


def test_async_named_key_credential_gets_the_aio_credential(tmp_path: Path) -> None:
    source = '''import os
from azure.core.credentials import AzureNamedKeyCredential
from azure.servicebus.aio import ServiceBusClient

cred = AzureNamedKeyCredential("RootManageSharedAccessKey", os.environ["SERVICEBUS_KEY"])


async def send():
    async with ServiceBusClient("acme.servicebus.windows.net", cred) as client:
        await client.get_queue_sender("orders").send_messages([])
'''
    code, changes = rewrite(source, tmp_path)
    assert code == '''import os
from azure.servicebus.aio import ServiceBusClient
from azure.identity.aio import DefaultAzureCredential

credential = DefaultAzureCredential()


async def send():
    async with ServiceBusClient("acme.servicebus.windows.net", credential) as client:
        await client.get_queue_sender("orders").send_messages([])
'''
    assert changes[0].is_async and changes[0].old_setting == "SERVICEBUS_KEY"
    assert changes[0].operations == ("get_queue_sender", "send_messages")


def test_storage_key_forms_and_sas_urls(tmp_path: Path) -> None:
    key = fakes.expand("«b64:64»")
    source = f'''import os
from azure.core.credentials import AzureSasCredential
from azure.data.tables import TableClient
from azure.storage import blob as b
from azure.storage.blob import BlobClient, BlobServiceClient
from azure.storage.fileshare import ShareClient

ACCOUNT_KEY = "{key}"
svc = BlobServiceClient("https://acme.blob.core.windows.net", credential=os.environ["STORAGE_ACCOUNT_KEY"])
blob = BlobClient("https://acme.blob.core.windows.net", "c", "b", None, ACCOUNT_KEY)
share = ShareClient("https://acme.file.core.windows.net", "s", credential={{"account_name": "acme", "account_key": k}})
table = TableClient("https://acme.table.core.windows.net", "t", credential=AzureSasCredential(os.environ["TABLE_SAS"]))
sas_url = "https://acme.blob.core.windows.net/?sv=2022-11-02&sig={fakes.expand("«alnum:20»")}"
svc2 = BlobServiceClient(sas_url)
container = b.ContainerClient.from_container_url(f"https://acme.blob.core.windows.net/c?{{sas_token}}")
'''
    code, changes = rewrite(source, tmp_path)
    assert code == '''import os
from azure.data.tables import TableClient
from azure.storage import blob as b
from azure.storage.blob import BlobClient, BlobServiceClient
from azure.storage.fileshare import ShareClient
from azure.identity import DefaultAzureCredential

credential = DefaultAzureCredential()
svc = BlobServiceClient("https://acme.blob.core.windows.net", credential=credential)
blob = BlobClient("https://acme.blob.core.windows.net", "c", "b", None, credential)
share = ShareClient("https://acme.file.core.windows.net", "s", credential=credential, token_intent="backup")
table = TableClient("https://acme.table.core.windows.net", "t", credential=credential)
sas_url = "https://acme.blob.core.windows.net/"
svc2 = BlobServiceClient(sas_url, credential=credential)
container = b.ContainerClient.from_container_url("https://acme.blob.core.windows.net/c", credential=credential)
'''
    assert key not in code
    assert [c.extra["credential"] for c in changes] == [
        "account-key", "account-key", "key-dict", "AzureSasCredential", "sas-url", "sas-url"]
    assert [c.old_setting for c in changes] == ["STORAGE_ACCOUNT_KEY", None, None, "TABLE_SAS", None, None]
    assert any("rotate" in note for note in changes[1].notes)  # the literal key was in the code


def test_manual_steps_leave_the_code_alone(tmp_path: Path) -> None:
    source = '''from azure.core.credentials import AzureKeyCredential
from azure.ai.anomalydetector import AnomalyDetectorClient
from azure.storage.blob import BlobServiceClient, ContainerClient

local = BlobServiceClient("http://127.0.0.1:10000/devstoreaccount1", credential=account_key)


def make(url, primary):
    account_key = primary
    if not account_key:
        account_key = fallback()
    return ContainerClient(url, "c", credential=account_key)

detector = AnomalyDetectorClient(endpoint, AzureKeyCredential(key))
'''
    code, changes = rewrite(source, tmp_path)
    assert code == source
    assert [(c.client, c.status) for c in changes] == [
        ("BlobServiceClient", "manual"), ("ContainerClient", "manual"), ("AzureKeyCredential", "manual")]
    assert "HTTPS" in (changes[0].reason or "")
    assert "account_key" in (changes[1].reason or "")
    assert (changes[2].reason or "").startswith("a key credential for AnomalyDetectorClient, a client mi-migrate does")


def test_a_key_parameter_no_longer_authenticates(tmp_path: Path) -> None:
    """`def make(url, account_key): ContainerClient(url, "c", credential=account_key)`: the endpoint is already
    separate, so only the credential changes; the parameter is left for the caller side, with a note."""
    source = '''from azure.storage.blob import ContainerClient


def make(url, account_key):
    return ContainerClient(url, "c", credential=account_key)
'''
    code, [change] = rewrite(source, tmp_path)
    assert change.status == "rewritten"
    assert 'return ContainerClient(url, "c", credential=credential)' in code
    assert any("`account_key` parameter no longer authenticates" in n for n in change.notes)


def test_a_local_credential_name_is_never_shadowing_the_token_credential(tmp_path: Path) -> None:
    """A local `credential` that stays (it is used again) would shadow the module's credential: the call would
    still get the key. The module's credential takes another name; a local that goes does not need one."""
    source = '''from azure.storage.blob import BlobServiceClient


def kept(url, sas_token):
    credential = sas_token
    print(len(credential))
    return BlobServiceClient(url, credential=credential)


def removed(url, sas_token):
    credential = sas_token
    return BlobServiceClient(url, credential=credential)
'''
    code, changes = rewrite(source, tmp_path)
    assert [c.status for c in changes] == ["rewritten", "rewritten"]
    assert "credential_2 = DefaultAzureCredential()" in code
    assert code.count("BlobServiceClient(url, credential=credential_2)") == 2
    assert "    credential = sas_token\n    print(len(credential))" in code


def test_token_credentials_are_not_touched(tmp_path: Path) -> None:
    source = '''from azure.identity import DefaultAzureCredential
from azure.storage.blob import BlobServiceClient

svc = BlobServiceClient("https://acme.blob.core.windows.net", credential=DefaultAzureCredential())
other = BlobServiceClient(account_url)
'''
    assert rewrite(source, tmp_path) == (source, [])


LANGUAGE = json.dumps({"kind": "LanguageDetectionResults", "results": {"errors": [], "modelVersion": "x", "documents": [
    {"id": "0", "warnings": [], "detectedLanguage": {"name": "English", "iso6391Name": "en", "confidenceScore": 1.0}}]}}
).encode()
RUNTIME = {
    "search": ('''import os
from azure.core.credentials import AzureKeyCredential
from azure.search.documents import SearchClient
client = SearchClient(os.environ["AZURE_SEARCH_ENDPOINT"], "hotels", AzureKeyCredential(os.environ["AZURE_SEARCH_KEY"]))
''', lambda c, ns: c.get_document_count(), b"5", {}, "https://acme.search.windows.net/indexes('hotels')/docs/$count",
               "https://search.azure.com"),
    "textanalytics": ('''from azure.core.credentials import AzureKeyCredential
from azure.ai.textanalytics import TextAnalyticsClient
client = TextAnalyticsClient("https://acme.cognitiveservices.azure.com", AzureKeyCredential(KEY))
''', lambda c, ns: c.detect_language(["hello"]), LANGUAGE, {},
                      "https://acme.cognitiveservices.azure.com/language/:analyze-text",
                      "https://cognitiveservices.azure.com"),
    "eventgrid": ('''from azure.core.credentials import AzureKeyCredential
from azure.eventgrid import EventGridEvent, EventGridPublisherClient
client = EventGridPublisherClient("https://topic.westus-1.eventgrid.azure.net/api/events", AzureKeyCredential(KEY))
''', lambda c, ns: c.send([ns["EventGridEvent"](subject="s", event_type="t", data={}, data_version="1")]), b"", {},
                  "https://topic.westus-1.eventgrid.azure.net/api/events", "https://eventgrid.azure.net"),
    "storage": ('''import os
from azure.storage.blob import BlobServiceClient
client = BlobServiceClient("https://acme.blob.core.windows.net/?sv=2022-11-02&sig=FAKE", credential=os.environ["K"])
''', lambda c, ns: c.get_account_information(), b"",
                {"x-ms-sku-name": "Standard_LRS", "x-ms-account-kind": "StorageV2"},
                "https://acme.blob.core.windows.net/?restype=account&comp=properties", "https://storage.azure.com"),
}


@pytest.mark.parametrize("name", list(RUNTIME))
def test_rewritten_code_sends_a_bearer_token(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source, call, body, headers, url, audience = RUNTIME[name]
    code, _ = rewrite(source, tmp_path)
    assert "AzureKeyCredential" not in code and "os.environ[\"K\"]" not in code and "sig=" not in code
    with identity_endpoint() as ep:
        use_identity_endpoint(monkeypatch, ep)
        monkeypatch.setenv("AZURE_SEARCH_ENDPOINT", "https://acme.search.windows.net")
        monkeypatch.delenv("AZURE_SEARCH_KEY", raising=False)  # the key setting is gone: the code must not read it
        namespace: dict[str, object] = {}
        exec(compile(code, f"{name}.py", "exec"), namespace)
        with capture_requests(body=body, headers=headers) as reqs:
            call(namespace["client"], namespace)
    assert reqs[0].url.startswith(url)
    assert reqs[0].authorization.startswith("Bearer ")
    assert reqs[0].bearer_audience == audience
    assert ep.resources == [audience]
