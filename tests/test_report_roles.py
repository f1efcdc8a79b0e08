"""Least-privilege role inference from the calls the code makes (mi_migrate/report/roles.toml)."""

from __future__ import annotations

import pytest

from mi_migrate.report import roles


def role(api: str, ops: set[str], clients: frozenset[str] = frozenset()) -> list[str]:
    return [g.role for g in roles.reduce(roles.infer(api, ops, set(clients)))]


@pytest.mark.parametrize(("api", "ops", "clients", "expected"), [
    ("blob", {"download_blob", "list_blobs", "get_blob_properties"}, (), ["Storage Blob Data Reader"]),
    ("blob", {"download_blob", "upload_blob"}, (), ["Storage Blob Data Contributor"]),
    ("blob", {"delete_blob"}, (), ["Storage Blob Data Contributor"]),
    ("blob", {"get_container_client"}, (), ["Storage Blob Data Contributor"]),  # untraced sub-client: default
    ("blob", {"get_user_delegation_key", "list_blobs"}, (), ["Storage Blob Data Reader", "Storage Blob Delegator"]),
    ("queue", {"send_message"}, (), ["Storage Queue Data Message Sender"]),
    ("queue", {"receive_messages", "delete_message"}, (), ["Storage Queue Data Message Processor"]),
    # send + receive: the sender and the receiver role, not the contributor/owner role that manages entities
    ("queue", {"send_message", "receive_messages"}, (),
     ["Storage Queue Data Message Sender", "Storage Queue Data Message Processor"]),
    ("queue", {"peek_messages"}, (), ["Storage Queue Data Reader"]),
    ("table", {"query_entities"}, (), ["Storage Table Data Reader"]),
    ("table", {"upsert_entity"}, (), ["Storage Table Data Contributor"]),
    ("servicebus", {"get_queue_sender", "send_messages"}, (), ["Azure Service Bus Data Sender"]),
    ("servicebus", {"get_queue_receiver"}, (), ["Azure Service Bus Data Receiver"]),
    ("servicebus", {"get_queue_sender", "get_queue_receiver"}, (),
     ["Azure Service Bus Data Sender", "Azure Service Bus Data Receiver"]),
    ("servicebus", {"create_queue"}, ("ServiceBusAdministrationClient",), ["Azure Service Bus Data Owner"]),
    ("eventhubs", {"send_batch"}, ("EventHubProducerClient",), ["Azure Event Hubs Data Sender"]),
    ("eventhubs", {"receive"}, ("EventHubConsumerClient",), ["Azure Event Hubs Data Receiver"]),
    ("eventhubs", set(), ("EventHubProducerClient", "EventHubConsumerClient"),
     ["Azure Event Hubs Data Sender", "Azure Event Hubs Data Receiver"]),
    ("cosmos", {"read_item", "query_items"}, (), ["Cosmos DB Built-in Data Reader"]),
    ("cosmos", {"upsert_item"}, (), ["Cosmos DB Built-in Data Contributor"]),
    ("appconfig", {"get_configuration_setting"}, (), ["App Configuration Data Reader"]),
    ("appconfig", {"set_configuration_setting"}, (), ["App Configuration Data Owner"]),
    ("search", {"search"}, (), ["Search Index Data Reader"]),
    ("search", {"upload_documents"}, (), ["Search Index Data Contributor"]),
    ("search", set(), ("SearchIndexClient",), ["Search Service Contributor"]),
    ("openai", {"create"}, (), ["Cognitive Services OpenAI User"]),
    ("keyvault", {"get_secret"}, (), ["Key Vault Secrets User"]),
    ("keyvault", {"set_secret"}, (), ["Key Vault Secrets Officer"]),
    ("redis", {"get", "set"}, (), ["Data Contributor"]),
    ("redis", {"flushall"}, (), ["Data Owner"]),
])
def test_inference(api, ops, clients, expected):
    assert role(api, ops, frozenset(clients)) == expected


def test_every_rbac_role_named_in_the_table_has_a_guid():
    table = roles.table()
    for api, info in table["apis"].items():
        for name in info.get("roles", {}).values():
            if info.get("kind", "rbac") in ("rbac", "cosmos"):
                assert roles.guid(name), (api, name)
    assert roles.guid("Storage Blob Data Reader") == "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"
    assert roles.guid("Cosmos DB Built-in Data Contributor") == "00000000-0000-0000-0000-000000000002"


def test_reduce_drops_covered_roles():
    grants = [roles.Grant("Storage Blob Data Reader", "rbac", "a"), roles.Grant("Storage Blob Data Owner", "rbac", "b")]
    assert [g.role for g in roles.reduce(grants)] == ["Storage Blob Data Owner"]


def test_redis_and_database_commands():
    grant = roles.infer("redis", {"get"}, set())[0]
    (line,) = roles.az_commands("redis", "cache1", [grant])
    assert line.startswith("az redis access-policy-assignment create")
    assert '--access-policy-name "Data Contributor"' in line
    sql = roles.database_sql("postgres", "pg1", "app", ["SELECT"])
    assert "pgaadauth_create_principal('<identity-name>', false, false)" in sql
    assert roles.database_grants("sql", ["SELECT 1"])[0] == ["db_datareader"]
    assert "db_ddladmin" in roles.database_grants("sql", ["CREATE TABLE t (id int)"])[0]


def test_family_mapping():
    assert roles.api_for_family("azure-storage-queue") == "queue"
    assert roles.api_for_family("azure-storage-file-datalake") == "blob"
    assert roles.api_for_family("azure-eventhub-checkpointstoreblob-aio") == "blob"
    assert roles.api_for_family("azure-eventhub") == "eventhubs"
    assert roles.api_for_family("psycopg2") == "postgres"
    assert roles.api_for_family("unknown-family", "cosmos") == "cosmos"
