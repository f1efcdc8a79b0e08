"""Least-privilege data-plane roles from the calls the code makes, and the commands that grant them.

The facts (role names, GUIDs, per-API call vocabularies, resource-type addressing) live in roles.toml; this
module only applies them. A role is chosen from the classes of the calls seen on a client:
admin > write > send+receive > send | receive > read > unknown (no classified call: the broader default role).
"""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources as importlib_resources
from typing import Any

CLASS_ORDER = ("admin", "write", "send+receive", "send", "receive", "read", "unknown")
PRINCIPAL = "$PRINCIPAL_ID"
COSMOS_ASSIGNMENT = "Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments@2024-05-15"


@functools.cache
def table() -> dict[str, Any]:
    text = importlib_resources.files("mi_migrate.report").joinpath("roles.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def guid(role: str) -> str | None:
    return table()["roles"].get(role)


def resource_info(kind: str) -> dict[str, Any]:
    return table()["resources"].get(kind, {"label": kind})


def api_info(api: str) -> dict[str, Any]:
    return table()["apis"][api]


def api_for_family(family: str, service: str = "") -> str | None:
    """azure-storage-queue → queue; falls back to the finding's service when the family is unknown."""
    family = family.lower()
    for name, info in table()["apis"].items():
        if any(piece in family for piece in info.get("families", ())):
            return name
    return SERVICE_API.get(service)


# scan finding service → (resource type, default API)
SERVICE_RESOURCE = {
    "storage": "storage", "servicebus": "servicebus", "eventhubs": "eventhubs", "cosmos": "cosmos",
    "appconfig": "appconfig", "appconfiguration": "appconfig", "search": "search", "openai": "openai",
    "cognitive": "cognitive", "cognitiveservices": "cognitive", "keyvault": "keyvault", "redis": "redis",
    "sql": "sql", "postgres": "postgres", "eventgrid": "eventgrid", "webpubsub": "webpubsub",
    "signalr": "signalr", "iothub": "iothub", "appinsights": "appinsights", "communication": "communication",
}
SERVICE_API = {
    "servicebus": "servicebus", "eventhubs": "eventhubs", "cosmos": "cosmos", "appconfig": "appconfig",
    "appconfiguration": "appconfig", "search": "search", "openai": "openai", "cognitive": "cognitive",
    "cognitiveservices": "cognitive", "keyvault": "keyvault", "redis": "redis", "sql": "sql",
    "postgres": "postgres", "eventgrid": "eventgrid", "webpubsub": "webpubsub", "signalr": "signalr",
    "iothub": "iothub", "appinsights": "appinsights", "communication": "communication",
}


def classify(api: str, op: str) -> str | None:
    """read / write / send / receive / admin for a call name; navigate for sub-client getters; None if unknown."""
    info = api_info(api)
    for klass in ("navigate", "admin", "write", "send", "receive", "read"):
        if op in info.get(klass, ()):
            return klass
    for klass in ("admin", "write", "read"):
        if any(op.startswith(p) for p in info.get(f"{klass}_prefixes", ())):
            return klass
    return None


@dataclass
class Grant:
    """One role to grant on one resource, and why."""

    role: str
    kind: str  # rbac | cosmos | redis | database
    reason: str
    operations: list[str] = field(default_factory=list)
    api: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"role": self.role, "guid": guid(self.role), "kind": self.kind, "reason": self.reason,
                "operations": sorted(set(self.operations)), "api": self.api}


def infer(api: str, ops: set[str], clients: set[str], source: str = "code") -> list[Grant]:
    """The least-privilege grant(s) for the calls `ops` made through clients of `api`."""
    info = api_info(api)
    roles: dict[str, str] = info.get("roles", {})
    if not roles:
        return []
    kind = info.get("kind", "rbac")
    classes: dict[str, list[str]] = {}
    for client in clients:
        hint = info.get("clients", {}).get(client)
        if hint:
            classes.setdefault(hint, []).append(client)
    for op in ops:
        klass = classify(api, op)
        if klass and klass != "navigate":
            classes.setdefault(klass, []).append(op)
    if "send" in classes and "receive" in classes:
        if "send" in roles and "receive" in roles and not classes.keys() & {"admin", "write"}:
            # least privilege: the sender role and the receiver role, not the owner role that also manages entities
            return [Grant(roles[k], kind, f"{k} calls on the client: {', '.join(sorted(set(classes[k])))}",
                          sorted(set(classes[k])), api) for k in ("send", "receive")]
        classes["send+receive"] = classes["send"] + classes["receive"]
    key = next((k for k in CLASS_ORDER if k in classes and k in roles), "unknown")
    role = roles.get(key) or roles.get("unknown")
    if role is None:
        return []
    seen = sorted(set(classes.get(key, ())))
    if key == "unknown":
        navigated = sorted(op for op in ops if classify(api, op) == "navigate")
        why = (f"only sub-clients are taken ({', '.join(navigated)}) and their calls were not traced"
               if navigated else "no data-plane call was traced")
        reason = f"{why}: the default role; narrow it once you know what the code does"
    else:
        where = "in the same file" if source == "file" else "on the client"
        reason = f"{key} calls {where}: {', '.join(seen)}"
    grants = [Grant(role, kind, reason, seen, api)]
    for op, extra in info.get("extra", {}).items():
        if op in ops:
            grants.append(Grant(extra, kind, f"{op} needs it", [op], api))
    return grants


def file_operations(api: str, text: str) -> set[str]:
    """Exact-name calls of `api`'s vocabulary anywhere in a file: used when the client hands out sub-clients."""
    info = api_info(api)
    vocabulary = {op for klass in ("admin", "write", "send", "receive", "read") for op in info.get(klass, ())}
    called = set(re.findall(r"\.([A-Za-z_][A-Za-z0-9_]*)\s*\(", text))
    return called & vocabulary


def reduce(grants: list[Grant]) -> list[Grant]:
    """Merge duplicates and drop roles a broader granted role already covers."""
    merged: dict[str, Grant] = {}
    for grant in grants:
        if grant.role in merged:
            existing = merged[grant.role]
            existing.operations = sorted(set(existing.operations) | set(grant.operations))
            if grant.reason not in existing.reason:
                existing.reason = f"{existing.reason}; {grant.reason}"
        else:
            merged[grant.role] = Grant(grant.role, grant.kind, grant.reason, list(grant.operations), grant.api)
    covered = {c for role in merged for c in table()["supersedes"].get(role, ())}
    return [g for role, g in merged.items() if role not in covered]


# -- commands ------------------------------------------------------------------------------------------------

def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "x"


def scope_command(kind: str, name: str) -> str | None:
    show = resource_info(kind).get("show")
    return show.format(name=name) if show else None


def az_commands(kind: str, name: str, grants: list[Grant], extra: dict[str, str] | None = None) -> list[str]:
    """`az` lines granting `grants` to $PRINCIPAL_ID on the resource (set $RG and $PRINCIPAL_ID first)."""
    lines: list[str] = []
    show = scope_command(kind, name)
    for grant in grants:
        if grant.kind == "rbac" and show:
            lines.append(f'az role assignment create --assignee-object-id "{PRINCIPAL}" '
                         f'--assignee-principal-type ServicePrincipal --role "{grant.role}" --scope "$({show})"')
        elif grant.kind == "cosmos":
            lines.append(f'az cosmosdb sql role assignment create -g "$RG" --account-name {name} '
                         f'--role-definition-id {guid(grant.role)} --principal-id "{PRINCIPAL}" '
                         f'--scope "$({show})"')
        elif grant.kind == "redis":
            lines.append(f'az redis access-policy-assignment create -g "$RG" -n {name} '
                         f'--policy-assignment-name {slug(grant.role)}-app --access-policy-name "{grant.role}" '
                         f'--object-id "{PRINCIPAL}" --object-id-alias "<identity-name>"')
    if kind == "search" and grants:
        enable = resource_info(kind).get("enable")
        if enable:
            lines.insert(0, enable.format(name=name) + "   # accept Entra tokens (keys keep working)")
    return lines


SQL_WRITE = re.compile(r"(?i)\b(insert\s+into|update\s+\w+\s+set|delete\s+from|merge\s+into)\b")
SQL_DDL = re.compile(r"(?i)\b(create|alter|drop)\s+(table|index|view|schema)\b")


def database_grants(kind: str, texts: list[str]) -> tuple[list[str], str]:
    """Database roles from the SQL the code runs (reads always; writes/DDL when seen), and the reason."""
    joined = "\n".join(texts)
    writes, ddl = bool(SQL_WRITE.search(joined)), bool(SQL_DDL.search(joined))
    if kind == "sql":
        roles = ["db_datareader"] + (["db_datawriter"] if writes else []) + (["db_ddladmin"] if ddl else [])
    else:
        roles = ["SELECT"] + (["INSERT", "UPDATE", "DELETE"] if writes else []) + (["CREATE"] if ddl else [])
    seen = [w for w, hit in (("INSERT/UPDATE/DELETE statements", writes), ("DDL statements", ddl)) if hit]
    reason = ("SQL seen in the code: " + ", ".join(seen)) if seen else "no writing SQL seen in the code: read only"
    return roles, reason


def database_sql(kind: str, name: str, database: str, roles: list[str]) -> str:
    """The statements that create the identity's database user (run as the server's Microsoft Entra admin)."""
    user = "<identity-name>"
    if kind == "sql":
        lines = [f"-- connect to database [{database}] on {name}.database.windows.net as the Microsoft Entra admin",
                 f"CREATE USER [{user}] FROM EXTERNAL PROVIDER;"]
        lines += [f"ALTER ROLE {role} ADD MEMBER [{user}];" for role in roles]
        return "\n".join(lines) + "\n"
    lines = [f"-- connect to database postgres on {name}.postgres.database.azure.com as the Microsoft Entra admin",
             f"select * from pgaadauth_create_principal('{user}', false, false);",
             f"-- then in database {database}:",
             f'GRANT {", ".join(roles)} ON ALL TABLES IN SCHEMA public TO "{user}";']
    return "\n".join(lines) + "\n"
