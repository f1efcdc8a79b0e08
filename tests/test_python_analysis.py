"""Python-aware key-based code findings (AZ201-AZ205): qualified names, shadowing, robustness and speed."""

from __future__ import annotations

import time

import pytest

from mi_migrate.core.rules import load_rules
from mi_migrate.scan.python import analysis as python_analysis
from tests.conftest import scan_snippet

PY = "app.py"
IMPORT = "from azure.storage.blob import BlobServiceClient\n"
CALL = "BlobServiceClient.from_connection_string(c)\n"


def found(text: str, rule_id: str | None = None) -> list:
    findings, _ = scan_snippet(text, PY, third_party=False)
    return [f for f in findings if f.rule_id.startswith("AZ2") and (rule_id is None or f.rule_id == rule_id)]


def one(text: str, rule_id: str) -> dict[str, str]:
    hits = found(text, rule_id)
    assert len(hits) == 1, hits
    assert hits[0].severity.label == "warning" and hits[0].kind.value == "key-based-code"
    assert hits[0].evidence == ""
    return hits[0].fields


FAMILIES = [
    ("azure.storage.blob", "BlobServiceClient", "azure-storage-blob", "storage"),
    ("azure.storage.blob", "ContainerClient", "azure-storage-blob", "storage"),
    ("azure.storage.queue", "QueueClient", "azure-storage-queue", "storage"),
    ("azure.storage.fileshare", "ShareFileClient", "azure-storage-file-share", "storage"),
    ("azure.storage.filedatalake", "DataLakeServiceClient", "azure-storage-file-datalake", "storage"),
    ("azure.data.tables", "TableServiceClient", "azure-data-tables", "storage"),
    ("azure.cosmos", "CosmosClient", "azure-cosmos", "cosmos"),
    ("azure.servicebus", "ServiceBusClient", "azure-servicebus", "servicebus"),
    ("azure.servicebus.management", "ServiceBusAdministrationClient", "azure-servicebus", "servicebus"),
    ("azure.eventhub", "EventHubProducerClient", "azure-eventhub", "eventhubs"),
    ("azure.eventhub", "EventHubConsumerClient", "azure-eventhub", "eventhubs"),
    ("azure.appconfiguration", "AzureAppConfigurationClient", "azure-appconfiguration", "appconfiguration"),
    ("azure.communication.email", "EmailClient", "azure-communication-email", "communication"),
    ("azure.communication.sms", "SmsClient", "azure-communication-sms", "communication"),
    (
        "azure.communication.identity",
        "CommunicationIdentityClient",
        "azure-communication-identity",
        "communication",
    ),
    (
        "azure.messaging.webpubsubservice",
        "WebPubSubServiceClient",
        "azure-messaging-webpubsubservice",
        "webpubsub",
    ),
]


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "aio"])
@pytest.mark.parametrize(("module", "client", "family", "service"), FAMILIES, ids=[f[1] for f in FAMILIES])
def test_from_connection_string_every_family(module, client, family, service, is_async):
    if is_async:
        module = (
            module.replace(".management", ".aio.management") if "management" in module else module + ".aio"
        )
    text = (
        f'import os\nfrom {module} import {client}\nc = {client}.from_connection_string(os.getenv("CONN"))\n'
    )
    hits = found(text, "AZ201")
    assert len(hits) == 1
    assert hits[0].service == service
    assert hits[0].fields == {
        "client": client,
        "family": family,
        "method": "from_connection_string",
        "setting": "CONN",
        "async": str(is_async).lower(),
        "module": module,
        "qualified_name": f"{module}.{client}.from_connection_string",
    }


def test_checkpoint_store_and_iot_hub():
    aio = (
        "from azure.eventhub.extensions.checkpointstoreblobaio import BlobCheckpointStore as S\n"
        "S.from_connection_string(c, 'x')\n"
    )
    assert one(aio, "AZ201")["async"] == "true"
    assert one(
        "from azure.iot.hub import IoTHubRegistryManager\nIoTHubRegistryManager.from_connection_string(c)\n",
        "AZ201",
    )


def test_span_is_the_call_expression():
    text = IMPORT + "\nx = BlobServiceClient.from_connection_string(c)\n"
    span = found(text, "AZ201")[0].span
    assert (span.line, span.column, span.end_line, span.end_column) == (3, 5, 3, 48)


def test_span_columns_count_characters_not_bytes():
    text = IMPORT + "x = ('é', BlobServiceClient.from_connection_string(c))\n"
    assert found(text, "AZ201")[0].span.column == 11


@pytest.mark.parametrize(
    "text",
    [
        "import azure.storage.blob\nazure.storage.blob.BlobServiceClient.from_connection_string(c)\n",
        "import azure.storage.blob.aio as aio\naio.BlobServiceClient.from_connection_string(c)\n",
        "from azure.storage import blob as b\nb.BlobServiceClient.from_connection_string(c)\n",
        "from azure.storage.blob import BlobServiceClient as BSC\nBSC.from_connection_string(c)\n",
        "from azure.storage.blob import *\n" + CALL,
        "try:\n    from azure.storage.blob import BlobServiceClient\n"
        "except ImportError:\n    from mylib import BlobServiceClient\n"
        "BlobServiceClient.from_connection_string(c)\n",
        "def f():\n    from azure.storage.blob import BlobServiceClient\n"
        "    return BlobServiceClient.from_connection_string(c)\n",
        IMPORT + "class A:\n    def m(self):\n        return BlobServiceClient.from_connection_string(c)\n",
    ],
    ids=[
        "dotted",
        "import-as",
        "from-import-module-as",
        "alias",
        "star",
        "try-except",
        "local-import",
        "method",
    ],
)
def test_qualified_names_followed(text):
    assert one(text, "AZ201")["client"] == "BlobServiceClient"


@pytest.mark.parametrize(
    "text",
    [
        IMPORT + "def f(BlobServiceClient):\n    return BlobServiceClient.from_connection_string(c)\n",
        IMPORT + "def f():\n    BlobServiceClient = make()\n"
        "    return BlobServiceClient.from_connection_string(c)\n",
        IMPORT + "f = lambda BlobServiceClient: BlobServiceClient.from_connection_string(c)\n",
        IMPORT + "[B.from_connection_string(c) for B in clients]\n",
        IMPORT + "class A:\n    BlobServiceClient = Fake\n"
        "    x = BlobServiceClient.from_connection_string(c)\n",
        "from myproj.clients import BlobServiceClient\n" + CALL,
        "from .azure.storage.blob import BlobServiceClient\n" + CALL,
        "import azure\n" + CALL,
    ],
    ids=[
        "parameter",
        "local",
        "lambda",
        "comprehension",
        "class-attr",
        "other-package",
        "relative",
        "unimported",
    ],
)
def test_shadowed_or_foreign_names_are_not_azure(text):
    assert found(text) == []


def test_class_scope_does_not_leak_into_methods():
    text = (
        IMPORT + "class A:\n    BlobServiceClient = Fake\n"
        "    def m(self):\n        return BlobServiceClient.from_connection_string(c)\n"
    )
    assert len(found(text, "AZ201")) == 1


@pytest.mark.parametrize(
    ("code", "credential", "extra"),
    [
        ("BlobServiceClient(url, credential=os.environ['KEY'])", "account-key", {"setting": "KEY"}),
        ("BlobServiceClient(url, os.getenv('STORAGE_SAS'))", "sas-token", {"setting": "STORAGE_SAS"}),
        ("BlobServiceClient(url, credential='«b64:64»')", "account-key", {"literal": "true"}),
        (
            "BlobServiceClient(url, credential=AzureNamedKeyCredential('acct', k))",
            "AzureNamedKeyCredential",
            {},
        ),
        ("BlobServiceClient(url, credential=AzureSasCredential(s))", "AzureSasCredential", {}),
        ("BlobServiceClient(url, credential={'account_name': a, 'account_key': k})", "key-dict", {}),
        ("BlobServiceClient(url, credential=account_key)", "account-key", {"inferred": "name"}),
        ("BlobServiceClient(url + '?' + sas_token)", "sas-url", {}),
        ("BlobServiceClient('https://a.blob.core.windows.net/?sv=2022-11-02&sig=x')", "sas-url", {}),
        ("BlobClient(url, 'c', 'b', None, os.environ['KEY'])", "account-key", {"setting": "KEY"}),
    ],
)
def test_credential_forms(code, credential, extra):
    text = (
        "import os\nfrom azure.core.credentials import AzureNamedKeyCredential, AzureSasCredential\n"
        f"from azure.storage.blob import BlobServiceClient, BlobClient\nc = {code}\n"
    )
    fields = one(text, "AZ202")
    assert fields["credential"] == credential
    assert extra.items() <= fields.items()


def test_key_credential_through_a_variable_is_reported_once_at_the_client():
    text = (
        "import os\nfrom azure.core.credentials import AzureKeyCredential\n"
        "from azure.search.documents.aio import SearchClient\n"
        "cred = AzureKeyCredential(os.environ['SEARCH_KEY'])\nc = SearchClient(endpoint, 'idx', cred)\n"
    )
    fields = one(text, "AZ202")
    assert fields["client"] == "SearchClient" and fields["async"] == "true"
    assert fields["credential"] == "AzureKeyCredential" and fields["setting"] == "SEARCH_KEY"


def test_orphan_key_credential_is_reported_where_built():
    text = (
        "from azure.core.credentials import AzureKeyCredential\ncred = AzureKeyCredential(key)\nuse(cred)\n"
    )
    fields = one(text, "AZ202")
    assert fields["credential"] == "AzureKeyCredential" and "client" not in fields


@pytest.mark.parametrize(
    "text",
    [
        "from openai import AzureOpenAI\nAzureOpenAI(api_key=k, azure_endpoint=e)\n",
        "from openai import AsyncAzureOpenAI as A\nA(api_key=k)\n",
        "import openai\nopenai.AzureOpenAI(azure_endpoint=e, api_version=v)\n",
    ],
)
def test_openai_key(text):
    assert one(text, "AZ203")["family"] == "openai"


def test_client_secret_credential_sync_and_aio():
    sync = "from azure.identity import ClientSecretCredential\n"
    assert one(sync + "ClientSecretCredential(t, c, s)\n", "AZ204")
    aio = (
        "from azure.identity.aio import ClientSecretCredential\n"
        + "ClientSecretCredential(t, c, client_secret=s)\n"
    )
    assert one(aio, "AZ204")["async"] == "true"
    assert found("from azure.identity import ClientSecretCredential\nClientSecretCredential(t, c)\n") == []


def test_sql_password_connections():
    assert one("import pyodbc\npyodbc.connect('Server=acme.database.windows.net;UID=a;PWD=' + p)\n", "AZ205")
    pymssql = "import pymssql\npymssql.connect('acme.database.windows.net', 'app', os.environ['PW'], 'db')\n"
    assert one(pymssql, "AZ205")["family"] == "pymssql"
    assert found("import pyodbc\npyodbc.connect(os.environ['SQL_CONNECTION_STRING'])\n") == []


MIGRATED = """
import os
from azure.identity import DefaultAzureCredential, ManagedIdentityCredential, get_bearer_token_provider
from azure.identity.aio import DefaultAzureCredential as AsyncDefaultAzureCredential
from azure.storage.blob import BlobServiceClient
from azure.storage.blob.aio import BlobServiceClient as AsyncBlobServiceClient
from azure.servicebus import ServiceBusClient
from azure.cosmos import CosmosClient
from openai import AzureOpenAI

credential = DefaultAzureCredential()
blob = BlobServiceClient(os.environ["AZURE_STORAGE_ACCOUNT_URL"], credential=credential)
ablob = AsyncBlobServiceClient(account_url, credential=AsyncDefaultAzureCredential())
bus = ServiceBusClient("acme.servicebus.windows.net", ManagedIdentityCredential(client_id=cid))
cosmos = CosmosClient(url, credential)
provider = get_bearer_token_provider(credential, "https://cognitiveservices.azure.com/.default")
oai = AzureOpenAI(azure_endpoint=endpoint, api_version="2024-06-01", azure_ad_token_provider=provider)
"""


def test_migrated_code_is_not_a_finding():
    assert found(MIGRATED) == []


@pytest.mark.parametrize(
    "text",
    [
        IMPORT + "print 'python 2'\n" + CALL,
        IMPORT + "def (:\n    BlobServiceClient.from_connection_string(c)\n",
        IMPORT + "x = \0\n" + CALL,
    ],
    ids=["python2", "syntax-error", "null-byte"],
)
def test_unparsable_input_is_a_note(text):
    rules = load_rules()
    findings, notes = python_analysis.analyze(PY, text, text.lower().encode(), rules)
    assert findings == []
    assert len(notes) == 1 and notes[0].message.startswith("not parsed as Python")


@pytest.mark.parametrize(
    "body",
    [
        "(" * 10_000 + "1" + ")" * 10_000,
        "-" * 100_000 + "1",
        "+".join(["a"] * 200_000),
        "[" * 10_000 + "]" * 10_000,
    ],
    ids=["parens", "unary", "binop-chain", "lists"],
)
def test_deep_nesting_does_not_crash(body):
    text = IMPORT + f"x = {body}\n" + CALL
    findings, notes = python_analysis.analyze(PY, text, text.lower().encode(), load_rules())
    assert findings == [] and notes


def test_deep_but_parsable_nesting_is_walked_iteratively():
    text = IMPORT + "x = " + "+".join(["a"] * 2_000)
    text += "\n" + CALL
    findings, notes = python_analysis.analyze(PY, text, text.lower().encode(), load_rules())
    assert notes == [] and [f.rule_id for f in findings] == ["AZ201"]


def test_file_without_azure_imports_is_not_parsed_and_is_fast():
    chunk = (
        "def f(credential, password, api_key):\n    return from_connection_string(credential, pwd=password)\n"
    )
    text = chunk * (1_000_000 // len(chunk))
    lower = text.lower().encode()
    rules = load_rules()
    python_analysis.analyze(PY, text, lower, rules)  # warm the rule index
    start = time.perf_counter()
    assert python_analysis.analyze(PY, text, lower, rules) == ([], [])
    assert time.perf_counter() - start < 0.05


def _parsed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []
    real = python_analysis.parse

    def spy(rel_path: str, text: str):  # type: ignore[no-untyped-def]
        seen.append(rel_path)
        return real(rel_path, text)

    monkeypatch.setattr(python_analysis, "parse", spy)
    return seen


def test_azure_code_naming_no_matched_callable_is_not_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    """The Azure SDK's own modules import `azure`, take `credential` and open connections: without one of the
    rules' callables (or credential classes) under an imported root, nothing can resolve, so no parse."""
    parsed = _parsed(monkeypatch)
    text = (
        "from azure.core.pipeline import Pipeline\nimport sqlite3\n\n"
        "def build(credential, key, api_version):\n    conn = sqlite3.connect(':memory:')\n"
        "    return Pipeline(transport=credential, policies=[key, api_version, conn])\n"
    )
    assert python_analysis.analyze(PY, text, text.lower().encode(), load_rules()) == ([], [])
    assert parsed == []
    connect = "import pyodbc\nconn = pyodbc.connect('Server=tcp:x.database.windows.net;Password=' + p)\n"
    python_analysis.analyze(PY, connect, connect.lower().encode(), load_rules())
    assert parsed == [PY]  # the root and the name together do open the file


def test_identifiers_folded_by_nfkc_still_reach_the_analysis(monkeypatch: pytest.MonkeyPatch) -> None:
    """Python folds identifiers with NFKC: a full-width letter spells the same name, which the byte gate cannot
    see, so non-ASCII files are gated by their import roots alone."""
    text = "from azure.storage.blob import \uff22lobServiceClient\n\uff22lobServiceClient.from_connection_string(c)\n"
    findings, _ = python_analysis.analyze(PY, text, text.lower().encode(), load_rules())
    assert [(f.rule_id, f.fields["client"]) for f in findings] == [("AZ201", "BlobServiceClient")]


def test_rules_are_data_with_python_tables():
    rules = {r.id: r for r in load_rules() if r.id.startswith("AZ2")}
    assert {"AZ201", "AZ202", "AZ203", "AZ204", "AZ205"} <= set(rules)
    for rule in rules.values():
        assert rule.is_python_rule and not rule.patterns
        assert rule.python["check"] in python_analysis.CHECKS
