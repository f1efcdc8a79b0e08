"""`fix` for azure-cosmos and azure-appconfiguration (client and provider): exact rewrites, and the rewritten
code run against the real SDKs with a local managed-identity endpoint and a capturing transport."""

from __future__ import annotations

import json
from urllib.parse import unquote

import pytest
from azure.core.credentials import TokenCredential

from mi_migrate.testing import fakes
from tests.identity_support import capture_requests, identity_endpoint, use_identity_endpoint
from tests.rewrite_support import dedent, jwt_audience, only, rewrite, run_module, write_settings

COSMOS = "AccountEndpoint=https://acct1.documents.azure.com:443/;AccountKey=«b64:64»;"
APPCONFIG = "Endpoint=https://cfg1.azconfig.io;Id=«alnum:20»;Secret=«b64:32»"


def test_cosmos_env_setting_positional_consistency_becomes_keyword(tmp_path):
    code, changes = rewrite('''
        import os
        from azure.cosmos import CosmosClient, PartitionKey

        client = CosmosClient.from_connection_string(os.environ["COSMOS_CONNECTION_STRING"], None, "Session")
        database = client.get_database_client("shop")
        container = database.get_container_client("orders")
        container.create_item({"id": "1"})
        container.read_item("1", partition_key="1")
    ''', tmp_path)
    assert code == dedent('''
        import os
        from azure.cosmos import CosmosClient, PartitionKey
        from azure.identity import DefaultAzureCredential

        credential = DefaultAzureCredential()

        client = CosmosClient(os.environ["COSMOS_ENDPOINT"], consistency_level="Session", credential=credential)
        database = client.get_database_client("shop")
        container = database.get_container_client("orders")
        container.create_item({"id": "1"})
        container.read_item("1", partition_key="1")
    ''')
    change = only(changes, "CosmosClient")
    assert (change.old_setting, change.setting) == ("COSMOS_CONNECTION_STRING", "COSMOS_ENDPOINT")
    assert change.operations == ("get_database_client", "get_container_client", "create_item", "read_item")


def test_cosmos_async_alias_literal(tmp_path):
    code, changes = rewrite(f'''
        import azure.cosmos.aio as cosmos_aio


        async def main():
            async with cosmos_aio.CosmosClient.from_connection_string(
                "{COSMOS}", consistency_level="Eventual"
            ) as client:
                container = client.get_database_client("shop").get_container_client("orders")
                async for item in container.query_items("SELECT * FROM c"):
                    print(item)
    ''', tmp_path)
    assert code == dedent('''
        import azure.cosmos.aio as cosmos_aio
        from azure.identity.aio import DefaultAzureCredential

        credential = DefaultAzureCredential()


        async def main():
            async with cosmos_aio.CosmosClient(
                "https://acct1.documents.azure.com:443/",
                consistency_level="Eventual",
                credential=credential
            ) as client:
                container = client.get_database_client("shop").get_container_client("orders")
                async for item in container.query_items("SELECT * FROM c"):
                    print(item)
    ''')
    change = only(changes, "CosmosClient")
    assert change.is_async and (change.endpoint, change.resource) == ("https://acct1.documents.azure.com:443/", "acct1")
    assert change.operations == ("get_database_client", "get_container_client", "query_items")


def test_cosmos_key_in_credential_forms(tmp_path):
    code, changes = rewrite('''
        import os

        from azure.cosmos import CosmosClient

        URL = "https://acct1.documents.azure.com:443/"
        KEY = "«b64:64»"
        reader = CosmosClient(URL, credential=os.environ["COSMOS_KEY"])
        writer = CosmosClient(URL, {"masterKey": KEY})
        positional = CosmosClient(os.getenv("COSMOS_ENDPOINT"), os.getenv("COSMOS_PRIMARY_KEY"))
        writer.get_database_client("shop").get_container_client("orders").upsert_item({"id": "1"})
    ''', tmp_path)
    assert code == dedent('''
        import os

        from azure.cosmos import CosmosClient
        from azure.identity import DefaultAzureCredential

        credential = DefaultAzureCredential()

        URL = "https://acct1.documents.azure.com:443/"
        reader = CosmosClient(URL, credential=credential)
        writer = CosmosClient(URL, credential)
        positional = CosmosClient(os.getenv("COSMOS_ENDPOINT"), credential)
        writer.get_database_client("shop").get_container_client("orders").upsert_item({"id": "1"})
    ''')
    assert [(c.status, c.old_setting) for c in changes] == [
        ("rewritten", "COSMOS_KEY"), ("rewritten", None), ("rewritten", "COSMOS_PRIMARY_KEY")]
    assert changes[0].endpoint == "https://acct1.documents.azure.com:443/" and changes[2].setting == "COSMOS_ENDPOINT"
    assert changes[1].operations == ("get_database_client", "get_container_client", "upsert_item")


def test_cosmos_functions_setting_gets_identity_suffix(tmp_path):
    write_settings(tmp_path, "local.settings.json",
                   json.dumps({"IsEncrypted": False, "Values": {"CosmosDBConnection": COSMOS}}))
    code, changes = rewrite('''
        import os
        from azure.cosmos import CosmosClient

        client = CosmosClient.from_connection_string(os.environ["CosmosDBConnection"])
    ''', tmp_path)
    assert 'CosmosClient(os.environ["CosmosDBConnection__accountEndpoint"], credential=credential)' in code
    change = only(changes, "CosmosClient")
    assert change.setting_value == "https://acct1.documents.azure.com:443/" and change.resource == "acct1"


def test_cosmos_left_alone_or_manual(tmp_path):
    source = dedent('''
        from azure.cosmos import CosmosClient
        from azure.identity import DefaultAzureCredential

        aad = CosmosClient("https://acct1.documents.azure.com:443/", credential=DefaultAzureCredential())
        emulator = CosmosClient.from_connection_string("AccountEndpoint=https://localhost:8081/;AccountKey=«emulator:cosmos»;")


        def make(url, master_key):
            return CosmosClient(url, credential=master_key)


        tokens = CosmosClient("https://acct1.documents.azure.com:443/", {"dbs/shop/colls/orders": "«b64:32»"})
    ''')
    code, changes = rewrite(source, tmp_path)
    assert code == fakes.expand(source)
    assert [c.status for c in changes] == ["manual"] * 3  # the token-credential client is not reported at all
    assert "emulator" in changes[0].reason and "master_key" in changes[1].reason
    assert "resource tokens" in changes[2].reason


def test_appconfig_keyword_connection_string(tmp_path):
    code, changes = rewrite('''
        import os
        from azure.appconfiguration import AzureAppConfigurationClient, ConfigurationSetting

        client = AzureAppConfigurationClient.from_connection_string(connection_string=os.environ["APPCONFIG_CONNECTION_STRING"])
        setting = client.get_configuration_setting(key="color")
        client.set_configuration_setting(ConfigurationSetting(key="color", value="blue"))
    ''', tmp_path)  # noqa: E501
    assert code == dedent('''
        import os
        from azure.appconfiguration import AzureAppConfigurationClient, ConfigurationSetting
        from azure.identity import DefaultAzureCredential

        credential = DefaultAzureCredential()

        client = AzureAppConfigurationClient(base_url=os.environ["APPCONFIG_ENDPOINT"], credential=credential)
        setting = client.get_configuration_setting(key="color")
        client.set_configuration_setting(ConfigurationSetting(key="color", value="blue"))
    ''')
    change = only(changes, "AzureAppConfigurationClient")
    assert (change.old_setting, change.setting) == ("APPCONFIG_CONNECTION_STRING", "APPCONFIG_ENDPOINT")
    assert change.operations == ("get_configuration_setting", "set_configuration_setting")


def test_appconfig_async_followed_literal(tmp_path):
    code, changes = rewrite(f'''
        from azure.appconfiguration.aio import AzureAppConfigurationClient

        CONNECTION = "{APPCONFIG}"


        async def read(key):
            async with AzureAppConfigurationClient.from_connection_string(CONNECTION) as client:
                return await client.get_configuration_setting(key=key)
    ''', tmp_path)
    assert code == dedent('''
        from azure.appconfiguration.aio import AzureAppConfigurationClient
        from azure.identity.aio import DefaultAzureCredential

        credential = DefaultAzureCredential()


        async def read(key):
            async with AzureAppConfigurationClient(base_url="https://cfg1.azconfig.io", credential=credential) as client:
                return await client.get_configuration_setting(key=key)
    ''')  # noqa: E501
    change = only(changes, "AzureAppConfigurationClient")
    assert change.is_async and (change.endpoint, change.resource) == ("https://cfg1.azconfig.io", "cfg1")


def test_appconfig_provider_load_sync_and_async(tmp_path):
    write_settings(tmp_path, ".env", f"AZURE_APPCONFIG_CONNECTION_STRING={APPCONFIG}\n")
    code, changes = rewrite('''
        import os

        from azure.appconfiguration.provider import SettingSelector, load
        from azure.appconfiguration.provider.aio import load as load_async

        config = load(connection_string=os.environ["AZURE_APPCONFIG_CONNECTION_STRING"], selects=[SettingSelector(key_filter="app:*")])


        async def main():
            return await load_async(
                connection_string=os.environ["AZURE_APPCONFIG_CONNECTION_STRING"],
                trim_prefixes=["app:"],
            )
    ''', tmp_path)  # noqa: E501
    assert code == dedent('''
        import os

        from azure.appconfiguration.provider import SettingSelector, load
        from azure.appconfiguration.provider.aio import load as load_async
        from azure.identity.aio import DefaultAzureCredential as AsyncDefaultAzureCredential
        from azure.identity import DefaultAzureCredential

        credential = DefaultAzureCredential()
        async_credential = AsyncDefaultAzureCredential()

        config = load(endpoint=os.environ["AZURE_APPCONFIG_ENDPOINT"], selects=[SettingSelector(key_filter="app:*")], credential=credential)


        async def main():
            return await load_async(
                endpoint=os.environ["AZURE_APPCONFIG_ENDPOINT"],
                trim_prefixes=["app:"],
                credential=async_credential,
            )
    ''')  # noqa: E501
    assert [(c.is_async, c.setting, c.setting_value) for c in changes] == [
        (False, "AZURE_APPCONFIG_ENDPOINT", "https://cfg1.azconfig.io"),
        (True, "AZURE_APPCONFIG_ENDPOINT", "https://cfg1.azconfig.io")]


@pytest.mark.parametrize("code, reason", [
    ('from azure.appconfiguration import AzureAppConfigurationClient\n\n'
     'c = AzureAppConfigurationClient.from_connection_string("Endpoint=http://cfg1.example.test;Id=«alnum:20»;Secret=«b64:32»")\n',
     "needs HTTPS"),
    ('import os\nfrom azure.appconfiguration.provider import load\n\n'
     'c = load(connection_string=os.environ["APP_CONFIG"], credential=None)\n', "both"),
])
def test_appconfig_manual(tmp_path, code, reason):
    updated, changes = rewrite(code, tmp_path)
    assert updated == fakes.expand(code)
    assert [c.status for c in changes] == ["manual"] and reason in (changes[0].reason or "")


ACCOUNT = {  # what a Cosmos DB account read returns: enough for the SDK to accept it
    "id": "acct1", "_self": "",
    "writableLocations": [{"name": "West US", "databaseAccountEndpoint": "https://acct1.documents.azure.com:443/"}],
    "readableLocations": [{"name": "West US", "databaseAccountEndpoint": "https://acct1.documents.azure.com:443/"}],
    "enableMultipleWriteLocations": False, "userConsistencyPolicy": {"defaultConsistencyLevel": "Session"},
    "userReplicationPolicy": {"asyncReplication": False, "minReplicaSetSize": 3, "maxReplicasetSize": 4},
    "systemReplicationPolicy": {"minReplicaSetSize": 3, "maxReplicasetSize": 4},
    "readPolicy": {"primaryReadCoefficient": 1, "secondaryReadCoefficient": 1}, "queryEngineConfiguration": "{}",
}


def test_runtime_rewritten_cosmos_client(tmp_path, monkeypatch):
    write_settings(tmp_path, ".env", f"COSMOS_CONNECTION_STRING={COSMOS}\n")
    code, changes = rewrite('''
        import os
        from azure.cosmos import CosmosClient

        client = CosmosClient.from_connection_string(os.environ["COSMOS_CONNECTION_STRING"])
        keyed = CosmosClient("https://acct1.documents.azure.com:443/", credential=os.environ["COSMOS_KEY"])
    ''', tmp_path)
    assert "COSMOS_CONNECTION_STRING" not in code and "COSMOS_KEY" not in code
    monkeypatch.delenv("COSMOS_CONNECTION_STRING", raising=False)
    monkeypatch.delenv("COSMOS_KEY", raising=False)
    change = changes[0]
    monkeypatch.setenv(change.setting, change.setting_value)
    with identity_endpoint() as ep:
        use_identity_endpoint(monkeypatch, ep)
        with capture_requests(body=json.dumps(ACCOUNT).encode()) as reqs:
            ns = run_module(code)  # the constructor reads the database account
        for name in ("client", "keyed"):
            assert ns[name].client_connection.url_connection == "https://acct1.documents.azure.com:443/"
        assert isinstance(ns["credential"], TokenCredential)
        assert reqs and reqs[0].url.startswith("https://acct1.documents.azure.com:443/")
        # Cosmos DB sends the Entra token in its own form: `type=aad&ver=1.0&sig=<token>` (key auth: type=master)
        authorization = unquote(reqs[0].authorization)
        assert authorization.startswith("type=aad&ver=1.0&sig=")
        assert jwt_audience(authorization.split("sig=", 1)[1]) == "https://acct1.documents.azure.com"
        assert "https://acct1.documents.azure.com" in ep.resources
        ns["client"].close()
        ns["keyed"].close()


def test_runtime_rewritten_appconfig_client(tmp_path, monkeypatch):
    write_settings(tmp_path, ".env", f"APPCONFIG_CONNECTION_STRING={APPCONFIG}\n")
    code, changes = rewrite('''
        import os
        from azure.appconfiguration import AzureAppConfigurationClient

        client = AzureAppConfigurationClient.from_connection_string(os.environ["APPCONFIG_CONNECTION_STRING"])
    ''', tmp_path)
    monkeypatch.delenv("APPCONFIG_CONNECTION_STRING", raising=False)
    monkeypatch.setenv(changes[0].setting, changes[0].setting_value)
    reply = {"key": "color", "value": "blue", "label": None, "etag": "e1"}
    with identity_endpoint() as ep:
        use_identity_endpoint(monkeypatch, ep)
        ns = run_module(code)
        assert isinstance(ns["credential"], TokenCredential)
        with capture_requests(body=json.dumps(reply).encode()) as reqs:
            assert ns["client"].get_configuration_setting(key="color").value == "blue"
        assert reqs[0].url.startswith("https://cfg1.azconfig.io/kv/color")
        assert reqs[0].authorization.startswith("Bearer ")
        assert reqs[0].bearer_audience == "https://azconfig.io"
        assert ep.resources == ["https://azconfig.io"]


def test_cosmos_v3_module_path_and_key_by_position(tmp_path):
    """The v3 SDK's samples: `azure.cosmos.cosmos_client` under an alias, the master key by position, in the
    auth dict, with the consistency level after it; both become the token credential in the key's place."""
    code, changes = rewrite('''
        import os
        import azure.cosmos.cosmos_client as cosmos_client

        HOST = os.environ["ACCOUNT_HOST"]
        MASTER_KEY = os.environ["ACCOUNT_KEY"]
        client = cosmos_client.CosmosClient(HOST, MASTER_KEY, "Session")
        other = cosmos_client.CosmosClient(HOST, {"masterKey": MASTER_KEY})
    ''', tmp_path)
    assert code == dedent('''
        import os
        import azure.cosmos.cosmos_client as cosmos_client
        from azure.identity import DefaultAzureCredential

        credential = DefaultAzureCredential()

        HOST = os.environ["ACCOUNT_HOST"]
        client = cosmos_client.CosmosClient(HOST, credential, "Session")
        other = cosmos_client.CosmosClient(HOST, credential)
    ''')
    assert [c.status for c in changes] == ["rewritten", "rewritten"]
