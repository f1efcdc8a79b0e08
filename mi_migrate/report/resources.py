"""Findings and code changes grouped by the Azure resource they reach (account, namespace, endpoint, server), with
the grants, commands, settings and rotation steps for each. Values come from parsed fields and derived endpoints,
never from a secret.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from mi_migrate.core.finding import Finding, Kind
from mi_migrate.fix.model import Change
from mi_migrate.report import roles, snippets

# resource types that share one Azure resource kind for grouping (an Event Hubs namespace is *.servicebus...).
# Azure OpenAI and the other AI services are never merged: each is its own account with its own data role.
GROUP = {"eventhubs": "servicebus", "openai": "cognitive"}
# the DNS suffixes a real endpoint of each resource type ends with: other hosts (www.myblob.com, example.com,
# localhost) name no Azure resource
AZURE_SUFFIXES = {
    "storage": (".core.windows.net", ".core.chinacloudapi.cn", ".core.usgovcloudapi.net"),
    "servicebus": (".servicebus.windows.net",), "eventhubs": (".servicebus.windows.net",),
    "cosmos": (".documents.azure.com", ".cosmos.azure.com", ".table.cosmos.azure.com"),
    "openai": (".openai.azure.com", ".cognitiveservices.azure.com", ".services.ai.azure.com"),
    "cognitive": (".cognitiveservices.azure.com", ".api.cognitive.microsoft.com", ".services.ai.azure.com",
                  ".openai.azure.com"),
    "search": (".search.windows.net", ".search.azure.cn"), "keyvault": (".vault.azure.net",),
    "appconfig": (".azconfig.io", ".appconfig.azure.com"), "redis": (".redis.cache.windows.net",
                                                                       ".redis.azure.net"),
    "sql": (".database.windows.net",), "postgres": (".postgres.database.azure.com",),
    "eventgrid": (".eventgrid.azure.net",), "webpubsub": (".webpubsub.azure.com",),
    "signalr": (".service.signalr.net",), "iothub": (".azure-devices.net",),
    "communication": (".communication.azure.com",),
}
PLACEHOLDER = re.compile(r"(?i)(^your|[_-]your|^my(account|storage|namespace|server|service|resource|search|vault|"
                         r"cache|endpoint)s?$|xxx|placeholder|example|changeme|replace|^<|[<>\[\]{}$%\s]|\.\.\.|"
                         r"^(account|accountname|storageaccount|namespace|name|resource|endpoint|server|service|"
                         r"devstoreaccount1|localhost|none|null|undefined|test|dummy|fake|foo|bar)$)")
# which AI service an azure-ai-* / azure-cognitiveservices-* family calls: one account each
AI_FLAVOURS = (("openai", "openai"), ("formrecognizer", "documentintelligence"),
               ("formsrecognizer", "documentintelligence"), ("documentintelligence", "documentintelligence"),
               ("textanalytics", "language"), ("language", "language"), ("questionanswering", "language"),
               ("conversations", "language"), ("vision", "vision"), ("face", "face"),
               ("contentsafety", "contentsafety"), ("translation", "translator"), ("translator", "translator"),
               ("inference", "inference"), ("speech", "speech"))
NAME_FIELDS = ("account", "namespace", "cache", "server", "hub", "store", "service_name", "vault", "topic")
SETTING_SUFFIX = {
    "storage": "ACCOUNT_URL", "servicebus": "FULLY_QUALIFIED_NAMESPACE", "eventhubs": "FULLY_QUALIFIED_NAMESPACE",
    "cosmos": "ENDPOINT", "redis": "HOST", "sql": "SERVER", "postgres": "HOST",
}


@dataclass
class Resource:
    group: str
    name: str | None
    types: set[str] = field(default_factory=set)
    endpoint: str | None = None
    finding_ids: list[str] = field(default_factory=list)
    apis: dict[str, set[str]] = field(default_factory=dict)  # api → operations
    clients: dict[str, set[str]] = field(default_factory=dict)  # api → client classes
    sources: dict[str, str] = field(default_factory=dict)  # api → "code" | "file"
    grants: list[roles.Grant] = field(default_factory=list)
    files: set[str] = field(default_factory=set)
    apps: set[str] = field(default_factory=set)
    fields: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    flavour: str = ""  # the AI service of a Cognitive Services account (documentintelligence, language, ...)
    # per app (or the developer): api → operations / clients, and the grants that app's identity needs
    app_apis: dict[str, dict[str, set[str]]] = field(default_factory=dict)
    app_clients: dict[str, dict[str, set[str]]] = field(default_factory=dict)
    app_grants: dict[str, list[roles.Grant]] = field(default_factory=dict)

    @property
    def type(self) -> str:
        if self.group == "servicebus":
            return "eventhubs" if "eventhubs" in self.types or "eventhubs" in self.apis else "servicebus"
        if self.group == "cognitive":
            return "openai" if "openai" in self.types or "openai" in self.apis else "cognitive"
        return self.group

    @property
    def display_name(self) -> str:
        return self.name or f"<{self.flavour or self.type}-name>"

    @property
    def id(self) -> str:
        return f"{self.type}-{roles.slug(self.display_name).replace('_', '-')}"


def host_name(value: str | None) -> str | None:
    if not value:
        return None
    try:
        host = urlsplit(value if "://" in value else "x://" + value).hostname
    except ValueError:
        return None
    return host.split(".")[0] if host else None


def is_placeholder(name: str | None) -> bool:
    return not name or bool(PLACEHOLDER.search(name)) or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{1,62}", name)


def azure_endpoint(kind: str, endpoint: str | None) -> bool:
    """Is `endpoint` a real Azure endpoint of `kind` (its host under one of the kind's Azure DNS suffixes)?"""
    if not endpoint:
        return False
    try:
        host = urlsplit(endpoint if "://" in endpoint else "x://" + endpoint).hostname or ""
    except ValueError:
        return False
    suffixes = AZURE_SUFFIXES.get(kind, ())
    return bool(suffixes) and host.endswith(suffixes) and not is_placeholder(host.split(".")[0])


def ai_flavour(family: str, service: str = "") -> str:
    text = f"{family} {service}".lower().replace("-", "").replace("_", "")
    return next((flavour for piece, flavour in AI_FLAVOURS if piece in text), "")


def real_target(kind: str, name: str | None, endpoint: str | None) -> tuple[str | None, str | None]:
    """Keep a name and endpoint only when they come from a real endpoint or account name, not a placeholder."""
    if endpoint and not azure_endpoint(kind, endpoint):
        endpoint = None
    if name and (is_placeholder(name) or (endpoint is None and "." in name)):
        name = None
    if name is None and endpoint:
        name = host_name(endpoint)
    return name, endpoint


def finding_target(finding: Finding) -> tuple[str, str | None, str | None] | None:
    """(resource type, name, endpoint) a finding reaches, from its parsed fields; None for non-Azure ones."""
    kind = roles.SERVICE_RESOURCE.get(finding.service)
    if kind is None:
        return None
    f = finding.fields
    name = next((f[k] for k in NAME_FIELDS if f.get(k)), None)
    if name is None and f.get("resource") and not f.get("sas_type"):
        name = f["resource"]
    endpoint = f.get("endpoint") or None
    if kind == "sql" and name:
        name = name.split(".")[0]
    name, endpoint = real_target(kind, name, endpoint)
    return kind, name, endpoint


def change_target(change: Change) -> tuple[str, str | None, str | None, str | None]:
    api = roles.api_for_family(change.family, change.service)
    kind = roles.api_info(api)["resource"] if api else roles.SERVICE_RESOURCE.get(change.service, change.service)
    endpoint = change.endpoint or change.setting_value
    name, endpoint = real_target(kind, change.resource, endpoint)
    return kind, name, endpoint, api


class Grouper:
    """Collects findings and changes into resources; unnamed ones join the only named resource of their kind."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.resources: dict[tuple[str, str | None], Resource] = {}
        self._texts: dict[str, str] = {}

    def text(self, rel: str) -> str:
        if rel not in self._texts:
            try:
                self._texts[rel] = (self.root / rel).read_text(encoding="utf-8", errors="replace")
            except OSError:
                self._texts[rel] = ""
        return self._texts[rel]

    def get(self, kind: str, name: str | None, endpoint: str | None = None, flavour: str = "") -> Resource:
        """The resource of `kind` called `name`; AI accounts are keyed by their service too (flavour), so Document
        Intelligence, Language and OpenAI are never one account."""
        group = GROUP.get(kind, kind)
        if group == "cognitive":
            if flavour == "openai":
                kind = "openai"
            flavour = "openai" if kind == "openai" else (flavour or "cognitive")
        else:
            flavour = ""
        key = (group, flavour, name.lower() if name else None)
        resource = self.resources.get(key)
        if resource is None:
            resource = self.resources[key] = Resource(group, name, flavour=flavour)
        resource.types.add(kind)
        if endpoint and not resource.endpoint:
            resource.endpoint = endpoint
        return resource

    def add_usage(self, resource: Resource, api: str | None, ops: tuple[str, ...] | list[str], client: str,
                  path: str, app: str | None = None) -> None:
        if api is None:
            return
        operations = resource.apis.setdefault(api, set())
        operations.update(ops)
        resource.clients.setdefault(api, set()).add(client)
        resource.sources.setdefault(api, "code")
        seen = set(ops)
        if "cosmos" != api and not any(roles.classify(api, op) not in (None, "navigate") for op in ops):
            from_file = roles.file_operations(api, self.text(path))
            if from_file:
                operations.update(from_file)
                seen |= from_file
                resource.sources[api] = "file"
        if app is not None:
            resource.app_apis.setdefault(app, {}).setdefault(api, set()).update(seen)
            resource.app_clients.setdefault(app, {}).setdefault(api, set()).add(client)

    def merge_unnamed(self) -> None:
        for (group, flavour, name), resource in list(self.resources.items()):
            if name is not None:
                continue
            named = [r for (g, f, n), r in self.resources.items() if g == group and f == flavour and n is not None]
            if len(named) == 1:
                target = named[0]
                target.types |= resource.types
                target.finding_ids += resource.finding_ids
                for api, ops in resource.apis.items():
                    target.apis.setdefault(api, set()).update(ops)
                    target.clients.setdefault(api, set()).update(resource.clients.get(api, set()))
                    target.sources.setdefault(api, resource.sources.get(api, "code"))
                for app, apis in resource.app_apis.items():
                    for api, ops in apis.items():
                        target.app_apis.setdefault(app, {}).setdefault(api, set()).update(ops)
                        target.app_clients.setdefault(app, {}).setdefault(api, set()).update(
                            resource.app_clients.get(app, {}).get(api, set()))
                target.files |= resource.files
                target.apps |= resource.apps
                target.endpoint = target.endpoint or resource.endpoint
                for key, value in resource.fields.items():
                    target.fields.setdefault(key, value)
                target.grants += resource.grants
                del self.resources[(group, flavour, name)]


def _grants_for(resource: Resource, apis: dict[str, set[str]], clients: dict[str, set[str]]) -> list[roles.Grant]:
    grants: list[roles.Grant] = []
    for api, ops in sorted(apis.items()):
        info = roles.api_info(api)
        if info.get("kind") == "database":
            continue
        if resource.type == "openai" and api == "cognitive":
            api = "openai"  # an Azure OpenAI account: the OpenAI data role, never Cognitive Services User
        grants += roles.infer(api, ops, clients.get(api, set()), resource.sources.get(api, "code"))
        if info.get("note") and info["note"] not in resource.notes:
            resource.notes.append(info["note"])
    return grants


def compute_grants(resource: Resource, grouper: Grouper) -> None:
    """The resource's grants (every app's needs) and, per app, only what that app's calls need."""
    extra = list(resource.grants)  # Functions bindings' roles, added per app below as well
    resource.grants = roles.reduce(extra + _grants_for(resource, resource.apis, resource.clients))
    for app, apis in resource.app_apis.items():
        own = _grants_for(resource, apis, resource.app_clients.get(app, {}))
        resource.app_grants[app] = roles.reduce(resource.app_grants.get(app, []) + own)


def database_section(resource: Resource, grouper: Grouper) -> dict[str, Any] | None:
    if resource.type not in ("sql", "postgres"):
        return None
    texts = [grouper.text(path) for path in sorted(resource.files) if path.endswith((".py", ".pyw", ".sql"))]
    db_roles, reason = roles.database_grants(resource.type, texts)
    database = resource.fields.get("database") or "<database>"
    return {"roles": db_roles, "reason": reason,
            "sql": roles.database_sql(resource.type, resource.display_name, database, db_roles)}


def resource_dict(resource: Resource, grouper: Grouper) -> dict[str, Any]:
    kind, name = resource.type, resource.display_name
    info = roles.resource_info(kind)
    database = database_section(resource, grouper)
    az = snippets.az_commands(kind, name, resource.grants)
    notes = list(resource.notes)
    if not resource.apis and not resource.grants and database is None:
        notes.append("No client code in the scanned paths uses this resource: grant the role matching what the "
                     "consumers outside this repository do, or just rotate the key if nothing uses it any more.")
    if kind == "sql":
        notes.append(f'Set a Microsoft Entra admin first: az sql server ad-admin create -g "$RG" -s {name} '
                     '--display-name <admin-group> --object-id <admin-group-object-id>')
    return {
        "id": resource.id, "type": kind, "label": info.get("label", kind), "name": name,
        "endpoint": resource.endpoint, "apps": sorted(resource.apps), "findings": resource.finding_ids,
        "operations": {api: sorted(ops) for api, ops in sorted(resource.apis.items())},
        "grants": [g.to_dict() for g in resource.grants], "database": database,
        "scope_command": roles.scope_command(kind, name), "az": az,
        "bicep": snippets.bicep(kind, name, resource.grants),
        "terraform": snippets.terraform(kind, name, resource.grants),
        "notes": notes,
    }


# -- settings and rotation -------------------------------------------------------------------------------------

SETTING_AT = re.compile(r"""^\s*(?:export\s+)?["']?([A-Za-z_][A-Za-z0-9_.:\-]*)["']?\s*[:=]""")


CONFIG_FILE = re.compile(r"(?i)(^|/)(\.env[\w.-]*|[\w.-]*\.env|local\.settings[\w.-]*\.json|appsettings[\w.-]*\.json|"
                         r"[\w.-]*\.(ini|cfg|conf|properties|toml|ya?ml)|(config|settings)[\w.-]*\.json)$")


def is_config_file(rel: str) -> bool:
    """A file that holds app settings (not code in another language, not a test fixture or a data file)."""
    from mi_migrate.report.apps import is_test_path

    return bool(CONFIG_FILE.search(rel)) and not is_test_path(rel)


def setting_name(grouper: Grouper, finding: Finding, settings_only: bool = False) -> str | None:
    """The name of the setting/variable a finding's value is assigned to (the name only, never the value).
    With `settings_only`, only app settings: a key in a settings file or an environment read in Python, never
    a local variable of Python or of another language."""
    if settings_only and not (is_config_file(finding.path) or finding.path.endswith((".py", ".pyw"))):
        return None
    if finding.key_path:
        return finding.key_path.split(".")[-1].split(":")[-1]
    lines = grouper.text(finding.path).splitlines()
    if not 0 < finding.span.line <= len(lines):
        return None
    if finding.path.endswith((".py", ".pyw")):
        window = "\n".join(lines[max(0, finding.span.line - 6):finding.span.line])
        env = re.findall(r"""(?:environ\.get|getenv|environ\[)\(?\s*["']([A-Za-z_][A-Za-z0-9_]*)["']""", window)
        if env:
            return env[-1]
        if settings_only:
            return None
        assigned = re.findall(r"(?m)^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?::[^=\n]+)?=(?!=)", window)
        return assigned[-1] if assigned else None
    match = SETTING_AT.match(lines[finding.span.line - 1])
    return match.group(1) if match else None


def new_setting(kind: str, old: str, fields: dict[str, str]) -> tuple[str, str] | None:
    from mi_migrate.fix.settings import new_setting_name

    suffix = SETTING_SUFFIX.get(kind, "ENDPOINT")
    endpoint = fields.get("endpoint") or ""
    if kind in ("servicebus", "eventhubs"):
        value = host_name(endpoint) and urlsplit(endpoint if "://" in endpoint else "x://" + endpoint).hostname
    elif kind == "sql":
        value = fields.get("server")
    elif kind in ("cosmos", "storage", "appconfig", "search", "openai", "cognitive"):
        value = endpoint or None
    else:
        value = endpoint or None
    if not value or (kind == "sql" and old.upper().endswith(("SERVER", "HOST"))):
        return None
    return new_setting_name(old, suffix), value


OTHER_ROTATION = {
    "entra": ["az ad app credential list --id <application-id>",
              "az ad app credential delete --id <application-id> --key-id <key-id-of-the-leaked-secret>"],
    "identity": ["az ad app credential list --id <application-id>",
                 "az ad app credential delete --id <application-id> --key-id <key-id-of-the-leaked-secret>"],
    "acr": ["az acr credential renew -n <registry> --password-name password",
            "az acr update -n <registry> --admin-enabled false   # then pull with the identity: AcrPull"],
    "functions": ["az functionapp keys set -g \"$RG\" -n <function-app> --key-type functionKeys "
                  "--key-name default   # a new value is generated"],
    "devops": ["Revoke the personal access token in Azure DevOps: User settings → Personal access tokens → Revoke"],
}


def rotation_entry(finding: Finding, finding_id: str, resource: Resource | None,
                   content_share: bool = False) -> dict[str, Any]:
    """How to rotate one leaked key and, once nothing uses keys, turn key auth off (never on an account holding a
    Functions content share: it is mounted with the key)."""
    kind = resource.type if resource else roles.SERVICE_RESOURCE.get(finding.service, finding.service)
    info = roles.resource_info(kind)
    name = resource.display_name if resource else f"<{kind}-name>"
    values = {"name": name, "policy": finding.fields.get("policy") or "<policy-name>",
              "user": finding.fields.get("user") or "<user>"}
    commands = [c.format(**values) for c in info.get("rotate", [])] or OTHER_ROTATION.get(finding.service, [])
    notes = []
    if finding.fields.get("sas_type") and info.get("sas_note"):
        notes.append(info["sas_note"].format(**values))
    if finding.fields.get("expiry"):
        notes.append(f"SAS expiry {finding.fields['expiry']}"
                     + (" (already expired)" if finding.fields.get("expired") == "true" else ""))
    if not commands:
        notes.append("Rotate it where it was issued.")
    disable = info.get("disable")
    if content_share and kind == "storage":
        notes.append("Keep shared-key access on: a Functions app on a Consumption or Elastic Premium plan mounts its "
                     "content share (WEBSITE_CONTENTAZUREFILECONNECTIONSTRING) with this account's key, and "
                     "`allowSharedKeyAccess: false` stops it. Rotate the key and update that setting instead.")
        disable = None
    entry = {"finding": finding_id, "path": finding.path, "line": finding.span.line, "service": finding.service,
             "resource": resource.id if resource else None, "evidence": finding.evidence, "commands": commands,
             "notes": notes, "disable_key_auth": disable.format(**values) if disable else None}
    if finding.origin.get("commit"):  # from `report --history`: a key git history still holds
        entry["commit"] = finding.origin["commit"]
        entry["history_status"] = finding.origin.get("status", "")
        notes.append(f"In git history since commit {finding.origin['commit'][:7]} "
                     f"({str(finding.origin.get('date', ''))[:10]}): {finding.origin.get('status', '')}.")
    return entry


def is_secret(finding: Finding) -> bool:
    return finding.kind in (Kind.SECRET, Kind.THIRD_PARTY_SECRET)
