"""`fix` for azure-servicebus, azure-eventhub and the Event Hubs blob checkpoint store: exact rewrites, and the
rewritten code run against the real SDKs with a local managed-identity endpoint."""

from __future__ import annotations

import asyncio

import pytest
from azure.core.credentials import TokenCredential
from azure.core.credentials_async import AsyncTokenCredential
from azure.core.exceptions import ResourceNotFoundError

from mi_migrate.testing import fakes
from tests.identity_support import capture_requests, identity_endpoint, use_identity_endpoint
from tests.rewrite_support import dedent, only, rewrite, run_module, write_settings

SB_CONN = "Endpoint=sb://ns1.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=«b64:32»"
EH_CONN = "Endpoint=sb://ns2.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=«b64:32»"


def test_alias_import_env_setting(tmp_path):
    code, changes = rewrite('''
        import os
        import azure.servicebus as sb

        with sb.ServiceBusClient.from_connection_string(os.environ["SERVICEBUS_CONNECTION_STRING"]) as client:
            with client.get_queue_sender("orders") as sender:
                sender.send_messages(sb.ServiceBusMessage("hello"))
    ''', tmp_path)
    assert code == dedent('''
        import os
        import azure.servicebus as sb
        from azure.identity import DefaultAzureCredential

        credential = DefaultAzureCredential()

        with sb.ServiceBusClient(fully_qualified_namespace=os.environ["SERVICEBUS_FULLY_QUALIFIED_NAMESPACE"], credential=credential) as client:
            with client.get_queue_sender("orders") as sender:
                sender.send_messages(sb.ServiceBusMessage("hello"))
    ''')  # noqa: E501
    change = only(changes, "ServiceBusClient")
    assert (change.status, change.old_setting, change.setting) == (
        "rewritten", "SERVICEBUS_CONNECTION_STRING", "SERVICEBUS_FULLY_QUALIFIED_NAMESPACE")
    assert change.operations == ("get_queue_sender", "send_messages")


def test_literal_with_entity_path_variable_keyword(tmp_path):
    code, changes = rewrite(f'''
        from azure.servicebus import ServiceBusClient

        CONN = "{SB_CONN};EntityPath=orders"
        client = ServiceBusClient.from_connection_string(conn_str=CONN, retry_total=5)
        receiver = client.get_queue_receiver("orders")
        messages = receiver.receive_messages(max_message_count=10)
    ''', tmp_path)
    assert code == dedent('''
        from azure.servicebus import ServiceBusClient
        from azure.identity import DefaultAzureCredential

        credential = DefaultAzureCredential()
        client = ServiceBusClient(fully_qualified_namespace="ns1.servicebus.windows.net", retry_total=5, credential=credential)
        receiver = client.get_queue_receiver("orders")
        messages = receiver.receive_messages(max_message_count=10)
    ''')  # noqa: E501
    change = only(changes, "ServiceBusClient")
    assert change.endpoint == "ns1.servicebus.windows.net" and change.resource == "ns1"
    assert change.operations == ("get_queue_receiver", "receive_messages")
    assert "EntityPath" in change.notes[0] and change.extra["entity"] == "orders"


def test_several_clients_one_credential_followed_variable(tmp_path):
    code, changes = rewrite('''
        import os

        from azure.eventhub import EventHubProducerClient
        from azure.servicebus import ServiceBusClient
        from azure.servicebus.management import ServiceBusAdministrationClient

        conn = os.getenv("SERVICEBUS_CONNECTION")
        client = ServiceBusClient.from_connection_string(conn)
        admin = ServiceBusAdministrationClient.from_connection_string(conn)
        admin.create_queue("orders")
        producer = EventHubProducerClient.from_connection_string(
            os.environ["EVENTHUB_CONNECTION_STRING"],
            eventhub_name="telemetry",
        )
        producer.send_batch(producer.create_batch())
    ''', tmp_path)
    assert code == dedent('''
        import os

        from azure.eventhub import EventHubProducerClient
        from azure.servicebus import ServiceBusClient
        from azure.servicebus.management import ServiceBusAdministrationClient
        from azure.identity import DefaultAzureCredential

        credential = DefaultAzureCredential()
        client = ServiceBusClient(fully_qualified_namespace=os.getenv("SERVICEBUS_FULLY_QUALIFIED_NAMESPACE"), credential=credential)
        admin = ServiceBusAdministrationClient(fully_qualified_namespace=os.getenv("SERVICEBUS_FULLY_QUALIFIED_NAMESPACE"), credential=credential)
        admin.create_queue("orders")
        producer = EventHubProducerClient(
            fully_qualified_namespace=os.environ["EVENTHUB_FULLY_QUALIFIED_NAMESPACE"],
            eventhub_name="telemetry",
            credential=credential,
        )
        producer.send_batch(producer.create_batch())
    ''')  # noqa: E501
    assert [c.status for c in changes] == ["rewritten"] * 3
    assert only(changes, "ServiceBusAdministrationClient").operations == ("create_queue",)
    producer = only(changes, "EventHubProducerClient")
    assert set(producer.operations) == {"send_batch", "create_batch"} and not producer.notes


def test_async_clients_use_async_credential(tmp_path):
    code, changes = rewrite('''
        import os

        from azure.servicebus.aio import ServiceBusClient
        from azure.servicebus.aio.management import ServiceBusAdministrationClient


        async def drain(queue):
            async with ServiceBusClient.from_connection_string(os.environ["SB_CONN"]) as client:
                async with client.get_queue_receiver(queue) as receiver:
                    for message in await receiver.receive_messages():
                        await receiver.complete_message(message)
            admin = ServiceBusAdministrationClient.from_connection_string(os.environ["SB_CONN"])
            await admin.get_queue_runtime_properties(queue)
    ''', tmp_path)
    assert code == dedent('''
        import os

        from azure.servicebus.aio import ServiceBusClient
        from azure.servicebus.aio.management import ServiceBusAdministrationClient
        from azure.identity.aio import DefaultAzureCredential

        credential = DefaultAzureCredential()


        async def drain(queue):
            async with ServiceBusClient(fully_qualified_namespace=os.environ["SB_FULLY_QUALIFIED_NAMESPACE"], credential=credential) as client:
                async with client.get_queue_receiver(queue) as receiver:
                    for message in await receiver.receive_messages():
                        await receiver.complete_message(message)
            admin = ServiceBusAdministrationClient(fully_qualified_namespace=os.environ["SB_FULLY_QUALIFIED_NAMESPACE"], credential=credential)
            await admin.get_queue_runtime_properties(queue)
    ''')  # noqa: E501
    client = only(changes, "ServiceBusClient")
    assert client.is_async and client.operations == ("get_queue_receiver", "receive_messages", "complete_message")
    assert only(changes, "ServiceBusAdministrationClient").is_async


def test_eventhub_name_from_repo_setting_entity_path(tmp_path):
    write_settings(tmp_path, ".env", f'EVENTHUB_CONNECTION_STRING="{EH_CONN};EntityPath=telemetry"\n')
    code, changes = rewrite('''
        import os
        from azure.eventhub import EventHubProducerClient

        producer = EventHubProducerClient.from_connection_string(conn_str=os.environ["EVENTHUB_CONNECTION_STRING"])
    ''', tmp_path)
    assert code == dedent('''
        import os
        from azure.eventhub import EventHubProducerClient
        from azure.identity import DefaultAzureCredential

        credential = DefaultAzureCredential()

        producer = EventHubProducerClient(fully_qualified_namespace=os.environ["EVENTHUB_FULLY_QUALIFIED_NAMESPACE"], eventhub_name="telemetry", credential=credential)
    ''')  # noqa: E501
    change = only(changes, "EventHubProducerClient")
    assert change.setting_value == "ns2.servicebus.windows.net" and change.resource == "ns2"
    assert "EVENTHUB_CONNECTION_STRING" in change.notes[0]


def test_eventhub_name_becomes_new_setting(tmp_path):
    code, changes = rewrite('''
        import os
        from azure.eventhub import EventHubProducerClient

        producer = EventHubProducerClient.from_connection_string(os.getenv("EventHubConnection"))
    ''', tmp_path)
    assert code == dedent('''
        import os
        from azure.eventhub import EventHubProducerClient
        from azure.identity import DefaultAzureCredential

        credential = DefaultAzureCredential()

        producer = EventHubProducerClient(fully_qualified_namespace=os.getenv("EventHubFullyQualifiedNamespace"), eventhub_name=os.getenv("EventHubName"), credential=credential)
    ''')  # noqa: E501
    change = only(changes, "EventHubProducerClient")
    assert change.extra["eventhub_name_setting"] == "EventHubName"
    assert any("EventHubName" in note for note in change.notes)


def test_async_consumer_positional_group_becomes_keyword(tmp_path):
    code, changes = rewrite(f'''
        from azure.eventhub.aio import EventHubConsumerClient

        client = EventHubConsumerClient.from_connection_string(
            "{EH_CONN};EntityPath=telemetry",
            "$Default",
            checkpoint_store=None,
        )


        async def main():
            async with client:
                await client.receive_batch(on_event_batch=print)
    ''', tmp_path)
    assert code == dedent('''
        from azure.eventhub.aio import EventHubConsumerClient
        from azure.identity.aio import DefaultAzureCredential

        credential = DefaultAzureCredential()

        client = EventHubConsumerClient(
            fully_qualified_namespace="ns2.servicebus.windows.net",
            eventhub_name="telemetry",
            consumer_group="$Default",
            checkpoint_store=None,
            credential=credential,
        )


        async def main():
            async with client:
                await client.receive_batch(on_event_batch=print)
    ''')
    change = only(changes, "EventHubConsumerClient")
    assert change.is_async and change.endpoint == "ns2.servicebus.windows.net"
    assert change.operations == ("receive_batch",)


@pytest.mark.parametrize("code, reason", [
    ("from azure.eventhub import EventHubProducerClient\n\n"
     f'p = EventHubProducerClient.from_connection_string("{EH_CONN}")\n',
     "names no event hub"),
    ('from azure.servicebus import ServiceBusClient\n\nc = ServiceBusClient.from_connection_string("Endpoint=sb://localhost;'
     'SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true;")\n',
     "emulator"),
    ("from azure.servicebus import ServiceBusClient\n\ndef make(conn):\n"
     "    return ServiceBusClient.from_connection_string(conn)\n", "is a parameter"),
])
def test_left_manual(tmp_path, code, reason):
    updated, changes = rewrite(code, tmp_path)
    assert updated == fakes.expand(code)
    assert [c.status for c in changes] == ["manual"] and reason in (changes[0].reason or "")


def test_checkpoint_store_sync_and_aio(tmp_path):
    code, changes = rewrite('''
        import os

        from azure.eventhub.extensions.checkpointstoreblob import BlobCheckpointStore
        from azure.eventhub.extensions.checkpointstoreblobaio import BlobCheckpointStore as AsyncStore

        store = BlobCheckpointStore.from_connection_string(os.environ["CHECKPOINT_STORAGE_CONNECTION_STRING"], "checkpoints")
        async_store = AsyncStore.from_connection_string(
            os.environ["CHECKPOINT_STORAGE_CONNECTION_STRING"], container_name="checkpoints"
        )
    ''', tmp_path)  # noqa: E501
    assert code == dedent('''
        import os

        from azure.eventhub.extensions.checkpointstoreblob import BlobCheckpointStore
        from azure.eventhub.extensions.checkpointstoreblobaio import BlobCheckpointStore as AsyncStore
        from azure.identity.aio import DefaultAzureCredential as AsyncDefaultAzureCredential
        from azure.identity import DefaultAzureCredential

        credential = DefaultAzureCredential()
        async_credential = AsyncDefaultAzureCredential()

        store = BlobCheckpointStore(blob_account_url=os.environ["CHECKPOINT_STORAGE_ACCOUNT_URL"], container_name="checkpoints", credential=credential)
        async_store = AsyncStore(
            blob_account_url=os.environ["CHECKPOINT_STORAGE_ACCOUNT_URL"],
            container_name="checkpoints",
            credential=async_credential
        )
    ''')  # noqa: E501
    assert [(c.is_async, c.setting) for c in changes] == [(False, "CHECKPOINT_STORAGE_ACCOUNT_URL"),
                                                          (True, "CHECKPOINT_STORAGE_ACCOUNT_URL")]


RUNTIME_MODULE = '''
import os

from azure.eventhub import EventHubConsumerClient, EventHubProducerClient
from azure.eventhub.extensions.checkpointstoreblob import BlobCheckpointStore
from azure.servicebus import ServiceBusClient
from azure.servicebus.management import ServiceBusAdministrationClient

sb_client = ServiceBusClient.from_connection_string(os.environ["SERVICEBUS_CONNECTION_STRING"])
admin = ServiceBusAdministrationClient.from_connection_string(os.environ["SERVICEBUS_CONNECTION_STRING"])
producer = EventHubProducerClient.from_connection_string(os.environ["EVENTHUB_CONNECTION_STRING"])
consumer = EventHubConsumerClient.from_connection_string(os.environ["EVENTHUB_CONNECTION_STRING"], "$Default")
store = BlobCheckpointStore.from_connection_string(os.environ["CHECKPOINT_STORAGE_CONNECTION_STRING"], "checkpoints")
'''
LIST_BLOBS = (b'<?xml version="1.0" encoding="utf-8"?><EnumerationResults ServiceEndpoint="https://cp1.blob.core.windows.net/"'
              b' ContainerName="checkpoints"><Blobs /><NextMarker /></EnumerationResults>')


def test_runtime_rewritten_messaging_clients(tmp_path, monkeypatch):
    from azure.eventhub._constants import JWT_TOKEN_SCOPE as EVENTHUB_SCOPE
    from azure.servicebus._common.constants import JWT_TOKEN_SCOPE as SERVICEBUS_SCOPE

    write_settings(tmp_path, ".env", f'''
        SERVICEBUS_CONNECTION_STRING="{SB_CONN}"
        EVENTHUB_CONNECTION_STRING="{EH_CONN}"
        CHECKPOINT_STORAGE_CONNECTION_STRING="DefaultEndpointsProtocol=https;AccountName=cp1;AccountKey=«b64:64»;EndpointSuffix=core.windows.net"
    ''')
    code, changes = rewrite(RUNTIME_MODULE, tmp_path)
    assert "CONNECTION_STRING" not in code and all(c.status == "rewritten" for c in changes)
    for name in ("SERVICEBUS_CONNECTION_STRING", "EVENTHUB_CONNECTION_STRING", "CHECKPOINT_STORAGE_CONNECTION_STRING"):
        monkeypatch.delenv(name, raising=False)
    for change in changes:
        monkeypatch.setenv(change.setting, change.setting_value)
    hub_setting = only(changes, "EventHubProducerClient").extra["eventhub_name_setting"]
    monkeypatch.setenv(hub_setting, "telemetry")
    with identity_endpoint() as ep:
        use_identity_endpoint(monkeypatch, ep)
        ns = run_module(code)
        assert ns["sb_client"].fully_qualified_namespace == "ns1.servicebus.windows.net"
        assert ns["producer"]._address.hostname == "ns2.servicebus.windows.net"
        assert ns["producer"].eventhub_name == "telemetry"
        assert ns["consumer"]._address.hostname == "ns2.servicebus.windows.net"
        assert ns["consumer"]._consumer_group == "$Default"
        for client in (ns["sb_client"], ns["producer"], ns["consumer"]):
            assert isinstance(client._credential, TokenCredential)
        assert ns["credential"].get_token(SERVICEBUS_SCOPE).token
        assert ns["credential"].get_token(EVENTHUB_SCOPE).token
        with capture_requests() as reqs:
            with pytest.raises(ResourceNotFoundError):  # the canned "{}" is no queue description
                ns["admin"].get_queue("orders")
        assert reqs[0].url.startswith("https://ns1.servicebus.windows.net/orders")
        assert reqs[0].authorization.startswith("Bearer ")
        assert reqs[0].bearer_audience == "https://servicebus.azure.net/"
        with capture_requests(body=LIST_BLOBS, headers={"Content-Type": "application/xml"}) as reqs:
            assert list(ns["store"].list_ownership("ns2.servicebus.windows.net", "telemetry", "$Default")) == []
        assert reqs[0].url.startswith("https://cp1.blob.core.windows.net/checkpoints?")
        assert reqs[0].authorization.startswith("Bearer ")
        assert reqs[0].bearer_audience == "https://storage.azure.com"
        assert {"https://servicebus.azure.net/", "https://eventhubs.azure.net/", "https://storage.azure.com"} <= set(
            ep.resources)
        ns["producer"].close()
        ns["consumer"].close()
        ns["sb_client"].close()


def test_runtime_rewritten_async_clients(tmp_path, monkeypatch):
    from azure.servicebus._common.constants import JWT_TOKEN_SCOPE

    code, changes = rewrite(f'''
        from azure.eventhub.aio import EventHubProducerClient
        from azure.servicebus.aio import ServiceBusClient

        sb_client = ServiceBusClient.from_connection_string("{SB_CONN}")
        producer = EventHubProducerClient.from_connection_string("{EH_CONN}", eventhub_name="telemetry")
    ''', tmp_path)
    assert [c.endpoint for c in changes] == ["ns1.servicebus.windows.net", "ns2.servicebus.windows.net"]
    with identity_endpoint() as ep:
        use_identity_endpoint(monkeypatch, ep)
        ns = run_module(code)
        assert ns["sb_client"].fully_qualified_namespace == "ns1.servicebus.windows.net"
        assert ns["producer"]._address.hostname == "ns2.servicebus.windows.net"
        credential = ns["sb_client"]._credential
        assert credential is ns["producer"]._credential and isinstance(credential, AsyncTokenCredential)

        async def token() -> str:
            async with credential:
                return (await credential.get_token(JWT_TOKEN_SCOPE)).token

        assert asyncio.run(token())
        assert ep.resources == ["https://servicebus.azure.net/"]
