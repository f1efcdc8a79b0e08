"""What the per-format readers extract from a template: app resources, key references wired into them, their
managed identity, and role assignments. The checks in mi_migrate.scan.iac work on this, not on the syntax.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mi_migrate.scan.iac.blocks import Block, Blocks

# Resource-type fragments → service (Terraform types and ARM types alike; the first match wins).
SERVICES = (
    ("webpubsub", "webpubsub"), ("web_pubsub", "webpubsub"), ("signalr", "signalr"), ("storage", "storage"),
    ("servicebus", "servicebus"), ("eventhub", "eventhubs"), ("cosmosdb", "cosmos"), ("documentdb", "cosmos"),
    ("redis", "redis"), ("search", "search"), ("cognitive", "cognitive"), ("openai", "cognitive"),
    ("app_configuration", "appconfig"), ("appconfiguration", "appconfig"), ("eventgrid", "eventgrid"),
    ("communication", "communication"), ("iothub", "iothub"), ("devices/", "iothub"), ("key_vault", "keyvault"),
    ("keyvault", "keyvault"),
)
# App (compute) resources: they run code, carry settings and a managed identity.
TF_APP = re.compile(
    r"^azurerm_(?:(?:linux|windows)_(?:web_app|function_app)(?:_slot)?|function_app(?:_slot|_flex_consumption)?"
    r"|app_service(?:_slot)?|container_app(?:_job)?|container_group|kubernetes_cluster|spring_cloud_app"
    r"|logic_app_standard|(?:linux_|windows_|orchestrated_)?virtual_machine(?:_scale_set)?)$"
)
AZ_APP = re.compile(
    r"^microsoft\.(?:web/sites(?:/slots)?|app/(?:containerapps|jobs)|containerservice/managedclusters"
    r"|compute/(?:virtualmachines|virtualmachinescalesets)|containerinstance/containergroups)$",
    re.IGNORECASE,
)
# Settings/config children of apps: key wiring there counts too (Microsoft.Web/sites/config 'appsettings').
AZ_APP_SETTINGS = re.compile(r"^microsoft\.(?:web/sites|app/containerapps|app/jobs)/", re.IGNORECASE)
LINE_TOKEN = re.compile(
    r"""("(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|[\w.$-]+)[ \t]*(=(?![=>])|:)"""
    r"""|"(?:[^"\\\n]|\\.)*"?|'(?:[^'\\\n]|\\.)*'?|."""
)


def service_of(text: str) -> str | None:
    lower = text.lower()
    return next((service for fragment, service in SERVICES if fragment in lower), None)


def service_from_value(text: str) -> str | None:
    """A connection string assembled around the key names its service."""
    lower = text.lower()
    if "accountname=" in lower or ".blob." in lower or "storage" in lower:
        return "storage"
    if "accountendpoint=" in lower or "documents.azure.com" in lower or "cosmos" in lower:
        return "cosmos"
    if "eventhub" in lower:
        return "eventhubs"
    if "endpoint=sb://" in lower or "servicebus" in lower:
        return "servicebus"
    return None


@dataclass(frozen=True)
class Resource:
    kind: str  # azurerm_linux_web_app | Microsoft.Web/sites
    name: str  # azurerm_linux_web_app.app | Bicep symbol | ARM name expression
    block: Block
    offset: int  # where its declaration starts

    @property
    def is_app(self) -> bool:
        return bool(TF_APP.match(self.kind) or AZ_APP.match(self.kind))

    @property
    def takes_settings(self) -> bool:
        return self.is_app or bool(AZ_APP_SETTINGS.match(self.kind))


@dataclass(frozen=True)
class KeyRef:
    start: int
    end: int
    reference: str  # the expression (a reference to a key, never the key)
    service: str
    setting: str | None = None  # the app setting / attribute it feeds


@dataclass(frozen=True)
class Identity:
    type: str  # SystemAssigned | UserAssigned | "SystemAssigned, UserAssigned" | none
    ids: tuple[str, ...]
    start: int
    end: int


@dataclass(frozen=True)
class RoleAssignment:
    start: int
    end: int
    name: str
    role: str  # the role expression (name or GUID text)
    scope: str  # the scope expression
    scope_service: str | None
    principal: str  # the principal expression


class Template:
    """Common reader interface; subclasses fill `resources` and implement the extraction methods."""

    def __init__(self, text: str, syntax: str) -> None:
        self.text = text
        self.blocks = Blocks(text, syntax)
        self.resources: list[Resource] = []

    def key_refs(self, resource: Resource) -> list[KeyRef]:
        raise NotImplementedError

    def identity(self, resource: Resource) -> Identity | None:
        raise NotImplementedError

    def role_assignments(self) -> list[RoleAssignment]:
        raise NotImplementedError

    def line_key(self, offset: int) -> str | None:
        """The last key on the line of `offset` before it (`"AzureWebJobsStorage" = `, `name: `, `"value": `),
        skipping string contents so `AccountName=` inside a value is not taken for a key."""
        start = self.blocks.code.rfind("\n", 0, offset) + 1
        key = None
        for match in LINE_TOKEN.finditer(self.blocks.code, start, offset):
            if match.group(2):
                key = match.group(1).strip("'\"")
        return key

    def setting_for(self, offset: int) -> str | None:
        """The setting a value at `offset` feeds: its key, or for `value` members the sibling `name`."""
        key = self.line_key(offset)
        if key is None or key.lower() not in ("value", "secretref", "connectionstring", "connection_string"):
            return key
        blocks = self.blocks.enclosing(offset)
        if not blocks:
            return key
        direct = self.blocks.direct(blocks[-1])
        match = re.search(r"""(?m)(?:^|[{,])[ \t]*["']?name["']?[ \t]*[=:][ \t]*["']([^"'\n]+)["']""", direct)
        return match.group(1) if match else key
