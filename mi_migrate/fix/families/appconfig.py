"""azure-appconfiguration `AzureAppConfigurationClient` (sync and .aio) and azure-appconfiguration-provider
`load(connection_string=...)`.

Traps handled (migration.md §2.9): the client's parameter is `connection_string` (not `conn_str`) and the new
constructor names the endpoint `base_url`; the provider's `load` takes the connection string keyword-only and
the endpoint as `endpoint=` (its first positional parameter), so only the keyword form is rewritten.
"""

from __future__ import annotations

import libcst as cst

from mi_migrate.fix.codemod import CallSite, Planner, Target
from mi_migrate.fix.families.common import ConnectionStringClient as Spec
from mi_migrate.fix.families.common import credential_arg, endpoint_for, rebuild_args, require_https, targets_for
from mi_migrate.fix.model import Change
from mi_migrate.fix.values import Literal, Variable, resolve

CHECK = require_https("appconfig")
CLIENTS = (
    Spec("AzureAppConfigurationClient", "appconfig", "ENDPOINT", connection_keywords=("connection_string",),
         endpoint_keyword="base_url", check=CHECK),
)
PROVIDER = ("azure.appconfiguration.provider.load", "azure.appconfiguration.provider.aio.load")


def plan_provider_load(site: CallSite, planner: Planner) -> Change | None:
    """`load(connection_string=cs, ...)` → `load(endpoint=<Endpoint>, ..., credential=credential)`."""
    conn = site.arg(None, "connection_string")
    if conn is None:
        return None  # load(endpoint, credential, ...) already
    if site.arg(None, "credential") is not None:
        return site.change("manual", reason="load() is given both a connection string and a credential")
    value = resolve(conn.value, planner.meta)
    value = value.value if isinstance(value, Variable) else value
    reason = CHECK(value.value) if isinstance(value, Literal) else None
    if reason:
        return site.change("manual", reason=reason)
    plan = endpoint_for(conn.value, "appconfig", "ENDPOINT", planner)
    if isinstance(plan, str):
        return site.change("manual", reason=plan)
    args = [arg.with_changes(keyword=cst.Name("endpoint"), value=plan.expression) if arg is conn else arg
            for arg in site.node.args]
    args.append(credential_arg(planner, site))
    planner.replace(site.node, site.node.with_changes(args=rebuild_args(site.node, args)))
    return site.change("rewritten", operations=("load",), **plan.fields)


def targets() -> list[Target]:
    return [
        *targets_for("azure-appconfiguration", "appconfig", ("azure.appconfiguration",),
                     ("azure.appconfiguration.aio",), CLIENTS),
        Target("azure-appconfiguration-provider", "appconfig", "load", PROVIDER, plan_provider_load),
    ]
