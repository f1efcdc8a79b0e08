"""azure-cosmos `CosmosClient` (sync and .aio): `from_connection_string` and the account key passed as
`credential=` (a string, or `{"masterKey": ...}`) both become the account endpoint + a token credential.

Traps handled (migration.md §1 rule 2, §2.6): the sync `from_connection_string(conn, credential, consistency_level)`
takes consistency_level third, so once the key argument goes it is passed by name; the aio variant is keyword-only
(the credential is always a keyword); resource-token dicts and the local emulator (loopback endpoint, fixed key)
have no identity equivalent and stay manual.
"""

from __future__ import annotations

import re

import libcst as cst

from mi_migrate.fix.codemod import CallSite, Planner, Target
from mi_migrate.fix.families.common import ConnectionStringClient as Spec
from mi_migrate.fix.families.common import operations, require_https, targets_for
from mi_migrate.fix.model import Change
from mi_migrate.fix.values import EnvRead, Literal, Unknown, Variable, resolve, string_value

MODULES = ("azure.cosmos", "azure.cosmos.cosmos_client")  # the second: the v3 SDK's samples import it
AIO_MODULES = ("azure.cosmos.aio",)
FROM_CONNECTION_STRING = (
    Spec("CosmosClient", "cosmos", "ENDPOINT", positional=("credential", "consistency_level"),
         check=require_https("cosmos")),
)
KEYISH = re.compile(r"(?i)key|secret|master")


def _key_value(arg: cst.Arg) -> tuple[cst.BaseExpression, str | None]:
    """The expression holding the key: the argument itself, or the `masterKey` entry of a dict literal; the
    second item explains why a dict cannot be rewritten (resource tokens)."""
    if not isinstance(arg.value, cst.Dict):
        return arg.value, None
    for element in arg.value.elements:
        if isinstance(element, cst.DictElement) and string_value(element.key) == "masterKey":
            if len(arg.value.elements) != 1:
                return arg.value, "the credential dict holds more than the master key"
            return element.value, None
    return arg.value, "resource tokens (a dict of permission tokens) have no managed-identity equivalent"


def plan_key_credential(site: CallSite, planner: Planner) -> Change | None:
    """`CosmosClient(url, credential=<key>)` → `CosmosClient(url, credential=credential)`.

    Only a key the fix can see (a literal, an app setting, a variable holding either, a masterKey dict) is
    replaced; any other value may already be a token credential and is left alone."""
    arg = site.arg(1, "credential")
    if arg is None or arg.star:
        return None
    node, refusal = _key_value(arg)
    value = resolve(node, planner.meta)
    variable = value if isinstance(value, Variable) else None
    if variable is not None:
        value = variable.value
    if isinstance(value, Unknown):
        source = cst.Module(body=[]).code_for_node(node)
        if refusal is None and not KEYISH.search(source):
            return None  # e.g. a credential object built elsewhere: nothing key-based to see
        return site.change("manual", reason=refusal or f"the key comes from `{source}`: {value.reason}")
    if refusal is not None:
        return site.change("manual", reason=refusal)
    url = site.arg(0, "url")
    fields: dict[str, object] = {}
    if url is not None:
        reason = _url_fields(url.value, planner, fields)
        if reason:
            return site.change("manual", reason=reason)
    if isinstance(value, EnvRead):
        fields["old_setting"] = value.name
    if variable is not None:
        planner.use_variable(variable)
    planner.replace(arg, arg.with_changes(value=planner.credential(site.is_async)))
    return site.change("rewritten", operations=operations(site, planner), **fields)  # type: ignore[arg-type]


def _url_fields(node: cst.BaseExpression, planner: Planner, fields: dict[str, object]) -> str | None:
    """Report fields for the (unchanged) url argument; a literal emulator or http:// url stays manual."""
    value = resolve(node, planner.meta)
    value = value.value if isinstance(value, Variable) else value
    if isinstance(value, Literal):
        reason = require_https("cosmos")(f"AccountEndpoint={value.value}")
        if reason:
            return reason
        fields["endpoint"] = value.value
        fields["resource"] = value.value.split("//")[-1].split(".")[0]
    elif isinstance(value, EnvRead):
        fields["setting"] = value.name
        if planner.settings.get(value.name):
            fields["setting_value"] = planner.settings.get(value.name)
    return None


def targets() -> list[Target]:
    names = tuple(f"{module}.CosmosClient" for module in MODULES + AIO_MODULES)
    return [
        *targets_for("azure-cosmos", "cosmos", MODULES, AIO_MODULES, FROM_CONNECTION_STRING),
        Target("azure-cosmos", "cosmos", "CosmosClient", names, plan_key_credential),
    ]

