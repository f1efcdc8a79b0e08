"""azure-servicebus (client and administration client), azure-eventhub (producer, consumer) and the Event Hubs
blob checkpoint store, sync and async.

Traps handled (migration.md §1 rule 5, §2.7, §2.8): the namespace is always written as the bare host
(`ServiceBusAdministrationClient` and the Event Hubs clients do not strip `sb://`); the new constructors take
the namespace by keyword, so every other argument is named too; an Event Hubs client needs the hub name the
connection string's EntityPath used to carry; the checkpoint store's aio module name has no `.aio` in it, and its
aio constructor takes `credential` keyword-only (always emitted as a keyword). Emulator strings stay manual.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import libcst as cst

from mi_migrate.fix.codemod import CallSite, Planner, Target
from mi_migrate.fix.families.common import ConnectionStringClient as Spec
from mi_migrate.fix.families.common import EndpointPlan, plan_from_connection_string, targets_for
from mi_migrate.fix.model import Change
from mi_migrate.fix.settings import new_setting_name
from mi_migrate.fix.values import EnvRead, Literal, Variable, resolve, string_node, with_setting_name

NAMESPACE = "FULLY_QUALIFIED_NAMESPACE"
EMULATOR = "the emulator connection string (UseDevelopmentEmulator=true) has no managed identity"


def _amqp_check(connection_string: str) -> str | None:
    if "usedevelopmentemulator=true" in connection_string.lower().replace(" ", ""):
        return EMULATOR
    return None


def _entity_note(site: CallSite, planner: Planner, plan: EndpointPlan) -> tuple[list[cst.Arg], dict[str, Any]]:
    """Service Bus: EntityPath made the client check entity names against it; the new client does not."""
    entity = plan.derived.get("entity")
    if not entity:
        return [], {}
    note = (f"the old connection string was scoped to the entity `{entity}` (EntityPath): pass entity names "
            "explicitly (get_queue_sender/get_queue_receiver/get_topic_sender/...) and grant the role on that "
            "entity or the namespace")
    return [], {"notes": (note,), "extra": {"entity": entity}}


def _eventhub_name(site: CallSite, planner: Planner, plan: EndpointPlan) -> tuple[list[cst.Arg], dict[str, Any]]:
    """The hub name: the eventhub_name keyword wins (kept as is); else EntityPath; else a new app setting."""
    if site.arg(None, "eventhub_name") is not None:
        return [], {}
    entity = plan.derived.get("entity")
    source = plan.source
    if entity:
        like = source.node if isinstance(source, Literal) else None
        arg = cst.Arg(keyword=cst.Name("eventhub_name"), value=string_node(entity, like), equal=_equal())
        fields: dict[str, Any] = {"extra": {"eventhub_name": entity}}
        if isinstance(source, EnvRead):
            fields["notes"] = (f"eventhub_name `{entity}` was taken from EntityPath in the repository's value of "
                               f"{source.name}; make sure every environment uses that hub",)
        return [arg], fields
    assert isinstance(source, EnvRead)  # a literal without EntityPath was left manual before planning
    name = new_setting_name(source.name, "EVENTHUB_NAME")
    arg = cst.Arg(keyword=cst.Name("eventhub_name"), value=with_setting_name(source, name), equal=_equal())
    note = f"set the app setting {name} to the event hub name (the EntityPath of the old connection string)"
    return [arg], {"notes": (note,), "extra": {"eventhub_name_setting": name}}


def _equal() -> cst.AssignEqual:
    return cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace(""))


def plan_eventhub(site: CallSite, planner: Planner) -> Change | None:
    """A literal string without EntityPath and no eventhub_name keyword names no hub: the call stays manual."""
    conn = site.arg(0, "conn_str")
    if conn is not None and site.arg(None, "eventhub_name") is None:
        value = resolve(conn.value, planner.meta)
        value = value.value if isinstance(value, Variable) else value
        if isinstance(value, Literal) and "entitypath=" not in value.value.lower().replace(" ", ""):
            return site.change("manual", reason="the connection string names no event hub (EntityPath) and no "
                                                "eventhub_name is passed")
    return plan_from_connection_string(site, planner)


def plan_async(site: CallSite, planner: Planner) -> Change | None:
    """checkpointstoreblobaio: an aio module whose name has no `.aio`."""
    return plan_from_connection_string(replace(site, is_async=True), planner)


SERVICEBUS = (
    Spec("ServiceBusClient", "servicebus", NAMESPACE, endpoint_keyword="fully_qualified_namespace",
         check=_amqp_check, extend=_entity_note),
)
SERVICEBUS_ADMIN = (
    Spec("ServiceBusAdministrationClient", "servicebus", NAMESPACE, endpoint_keyword="fully_qualified_namespace",
         check=_amqp_check, extend=_entity_note),
)
EVENTHUB = (
    Spec("EventHubProducerClient", "eventhubs", NAMESPACE, endpoint_keyword="fully_qualified_namespace",
         check=_amqp_check, extend=_eventhub_name),
    Spec("EventHubConsumerClient", "eventhubs", NAMESPACE, positional=("consumer_group",),
         endpoint_keyword="fully_qualified_namespace", check=_amqp_check, extend=_eventhub_name),
)
CHECKPOINT = Spec("BlobCheckpointStore", "blob", "ACCOUNT_URL", positional=("container_name", "credential"),
                  endpoint_keyword="blob_account_url")
CHECKPOINT_MODULE = "azure.eventhub.extensions.checkpointstoreblob"


def targets() -> list[Target]:
    eventhub = [replace(t, plan=plan_eventhub)
                for t in targets_for("azure-eventhub", "eventhubs", ("azure.eventhub",), ("azure.eventhub.aio",),
                                     EVENTHUB)]
    method = f"{CHECKPOINT.client}.{CHECKPOINT.method}"
    return [
        *targets_for("azure-servicebus", "servicebus", ("azure.servicebus",), ("azure.servicebus.aio",), SERVICEBUS),
        *targets_for("azure-servicebus", "servicebus", ("azure.servicebus.management",),
                     ("azure.servicebus.aio.management",), SERVICEBUS_ADMIN),
        *eventhub,
        Target("azure-eventhub-checkpointstoreblob", "storage", CHECKPOINT.client, (f"{CHECKPOINT_MODULE}.{method}",),
               plan_from_connection_string, {"spec": CHECKPOINT}),
        Target("azure-eventhub-checkpointstoreblob-aio", "storage", CHECKPOINT.client,
               (f"{CHECKPOINT_MODULE}aio.{method}",), plan_async, {"spec": CHECKPOINT}),
    ]

