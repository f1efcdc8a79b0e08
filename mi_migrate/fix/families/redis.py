"""Azure Cache for Redis (and Azure Managed Redis): redis-py clients signed in with the access key.

Rewritten (migration.md §8.4): the key goes; the client gets `credential_provider=` from redis-entraid, which
fetches and renews Entra tokens for https://redis.azure.com itself (a streaming provider re-AUTHs before expiry),
over TLS. `from_url` with a literal URL becomes `Redis(host=…, port=…, ssl=True, …)`; an env-held URL moves to a
new setting without the key. redis-entraid builds its own credential (DefaultAzureCredential, or MSAL's managed
identity client with --credential managed-identity), so the module credential is not used.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import libcst as cst
from libcst.metadata import QualifiedNameProvider

from mi_migrate.fix.codemod import CallSite, Planner, Target
from mi_migrate.fix.families.common import rebuild_args
from mi_migrate.fix.families.db_common import (
    apply_source,
    forget_secret,
    has_star,
    keyword,
    known_value,
    source_of,
    unknown_setting_reason,
)
from mi_migrate.fix.model import Change

AZURE_SUFFIXES = (".redis.cache.windows.net", ".redis.azure.net", ".redisenterprise.cache.azure.net")
SCOPE = "https://redis.azure.com/.default"
RESOURCE = "https://redis.azure.com/"
PROVIDERS = "redis_entraid.cred_provider"
POSITIONAL = ("host", "port", "db", "password")
CLIENTS = ("redis.Redis", "redis.StrictRedis", "redis.client.Redis", "redis.client.StrictRedis", "redis.asyncio.Redis",
           "redis.asyncio.StrictRedis", "redis.asyncio.client.Redis")
URL_CALLS = ("redis.from_url", "redis.asyncio.from_url", *(f"{c}.from_url" for c in CLIENTS))
NOTES = (
    "Enable Microsoft Entra authentication on the cache, then add an access-policy assignment for the app's "
    "identity: az redis access-policy-assignment create -n <cache> -g <resource-group> --policy-assignment-name "
    "<name> --access-policy-name \"Data Contributor\" --object-id <principal-object-id> --object-id-alias <alias>.",
    "Once no client uses the access key, disable access-key authentication on the cache and regenerate the keys.",
)


def is_azure(host: str | None) -> bool:
    return bool(host) and str(host).lower().endswith(AZURE_SUFFIXES)


def provider_expr(planner: Planner) -> cst.BaseExpression:
    """redis-entraid's credential provider for the chosen identity (signatures checked against redis-entraid 1.2.2)."""
    options = planner.options
    client_id: str | None = None
    if options.client_id_env:
        planner.add_import("os")
        client_id = f'os.environ["{options.client_id_env}"]'
    elif options.client_id:
        client_id = f'"{options.client_id}"'
    if options.credential == "managed-identity":
        planner.add_import(PROVIDERS, "create_from_managed_identity")
        planner.add_import(PROVIDERS, "ManagedIdentityType")
        if client_id is None:
            return cst.parse_expression(f'create_from_managed_identity(identity_type=ManagedIdentityType.'
                                        f'SYSTEM_ASSIGNED, resource="{RESOURCE}")')
        planner.add_import(PROVIDERS, "ManagedIdentityIdType")
        return cst.parse_expression(
            f'create_from_managed_identity(identity_type=ManagedIdentityType.USER_ASSIGNED, resource="{RESOURCE}", '
            f"id_type=ManagedIdentityIdType.CLIENT_ID, id_value={client_id})")
    planner.add_import(PROVIDERS, "create_from_default_azure_credential")
    extra = f', app_kwargs={{"managed_identity_client_id": {client_id}}}' if client_id else ""
    return cst.parse_expression(f'create_from_default_azure_credential(("{SCOPE}",){extra})')


def _change(site: CallSite, host: str, fields: dict[str, object], removed: list[str]) -> Change:
    notes = list(NOTES)
    if fields.get("setting"):
        notes.append(f"Set {fields['setting']} (the same URL without the key) wherever {fields['old_setting']} is "
                     f"set, then delete {fields['old_setting']}: it holds the access key.")
    notes.extend(f"Delete the setting {name}: the code no longer reads the access key." for name in removed)
    extra: dict[str, object] = {"requires": ["redis-entraid"], "scope": SCOPE}
    if removed:
        extra["removed_settings"] = removed
    return site.change("rewritten", endpoint=host, resource=host.split(".")[0], notes=tuple(notes), extra=extra,
                       **fields)  # type: ignore[arg-type]


def plan_client(site: CallSite, planner: Planner) -> Change | None:
    """Redis(host=…, port=6380, password=<key>, ssl=True) → credential_provider= instead of the key."""
    positional = [a for a in site.node.args if a.keyword is None and not a.star]
    named = dict(zip(POSITIONAL, positional, strict=False))
    named.update({a.keyword.value: a for a in site.node.args if a.keyword is not None})
    password = named.get("password")
    if password is None or "credential_provider" in named:
        return None
    if has_star(site):
        return site.change("manual", reason="arguments are passed with * or **: cannot tell how it signs in")
    host = known_value(named["host"].value, planner) if "host" in named else None
    if not isinstance(host, str):
        return site.change("manual", reason="the host is computed at run time or missing: cannot tell whether it "
                           "is Azure Cache for Redis")
    if not host.strip():
        return site.change("manual", reason="the host is an empty placeholder: cannot tell whether it is Azure "
                           "Cache for Redis")
    if not is_azure(host):
        return site.change("manual", resource=host, reason=f"not Azure Cache for Redis ({host}): Entra sign-in "
                           "does not apply")
    if password in positional:
        return site.change("manual", resource=host, reason="the key is passed positionally: pass it by keyword "
                           "first")
    removed = [name for arg in (password, named.get("username")) if arg is not None
               if (name := forget_secret(arg.value, planner))]
    args: list[cst.Arg] = []
    for arg in site.node.args:
        if arg is password or arg is named.get("username"):
            continue
        if arg is named.get("ssl") and isinstance(arg.value, cst.Name) and arg.value.value == "False":
            arg = arg.with_changes(value=cst.Name("True"))
        args.append(arg)
    if "port" not in named:
        args.append(keyword("port", "6380"))
    if "ssl" not in named:
        args.append(keyword("ssl", "True"))
    args.append(keyword("credential_provider", provider_expr(planner)))
    planner.replace(site.node, site.node.with_changes(args=rebuild_args(site.node, args)))
    return _change(site, host, {}, removed)


def plan_from_url(site: CallSite, planner: Planner) -> Change | None:
    """from_url("rediss://:<key>@<cache>.redis.cache.windows.net:6380/0") → Redis(host=…, ssl=True, provider)."""
    url = site.arg(0, "url")
    if url is None or url.star:
        return None
    found = source_of(url.value, planner)
    if isinstance(found, str):
        return None
    if found.text is None:
        return site.change("manual", reason=unknown_setting_reason(found)) if "password" in {
            a.keyword.value for a in site.node.args if a.keyword} else None
    split = urlsplit(found.text.strip())
    if split.scheme not in ("redis", "rediss") or not (split.password or split.username):
        return None
    host = split.hostname or ""
    if not is_azure(host):
        return site.change("manual", resource=host, reason=f"not Azure Cache for Redis ({host}): Entra sign-in "
                           "does not apply")
    port = split.port or 6380
    db = split.path.strip("/") or "0"
    rest = [a for a in site.node.args if a is not url and not (a.keyword and a.keyword.value in ("password",
                                                                                                  "username"))]
    provider = keyword("credential_provider", provider_expr(planner))
    if found.env is not None:  # keep from_url; the setting's new value has no key and uses TLS
        clean = urlunsplit(("rediss", f"{host}:{port}", split.path, split.query, ""))
        call = site.node.with_changes(args=rebuild_args(site.node, [url, *rest, provider]))
        call, fields = apply_source(found, clean, call, planner)
        planner.replace(site.node, call)
        return _change(site, host, fields, [])
    if found.variable is not None:
        planner.use_variable(found.variable)
    head = [keyword("host", f'"{host}"'), keyword("port", str(port))]
    if db != "0":
        head.append(keyword("db", db))
    head.append(keyword("ssl", "True"))
    call = site.node.with_changes(func=_client_func(site, planner), args=rebuild_args(site.node, [*head, *rest,
                                                                                                  provider]))
    planner.replace(site.node, call)
    return _change(site, host, {}, [])


def _client_func(site: CallSite, planner: Planner) -> cst.BaseExpression:
    """The client class for a from_url call: `redis.from_url` → `redis.Redis`, `Redis.from_url` → `Redis`."""
    func = site.node.func
    if isinstance(func, cst.Attribute):
        owner = {q.name for q in planner.meta(QualifiedNameProvider, func.value, set())}
        if owner & set(CLIENTS):
            return func.value
        return func.with_changes(attr=cst.Name("Redis"))
    module = "redis.asyncio" if site.qualified.startswith("redis.asyncio") else "redis"
    planner.add_import(module, "Redis")
    return cst.Name("Redis")


def targets() -> list[Target]:
    return [
        Target("redis", "redis", "Redis", CLIENTS, plan_client),
        Target("redis", "redis", "from_url", URL_CALLS, plan_from_url),
    ]
