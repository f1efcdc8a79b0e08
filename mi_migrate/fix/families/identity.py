"""`ClientSecretCredential(tenant_id, client_id, client_secret)` (sync and `azure.identity.aio`) → the managed
identity credential chosen in FixOptions.

A construction assigned to a name becomes `DefaultAzureCredential(...)` / `ManagedIdentityCredential(...)` in
place (its users keep working); one passed straight into a client becomes the module's credential. The settings
that fed the service principal are reported for deletion: AZURE_CLIENT_ID in particular, because
DefaultAzureCredential would read it as the *managed identity's* client id.
"""

from __future__ import annotations

import libcst as cst
from libcst.metadata import ParentNodeProvider

from mi_migrate.fix.codemod import CallSite, Planner, Target
from mi_migrate.fix.model import Change
from mi_migrate.fix.values import EnvRead, Literal, Variable, resolve

PARAMETERS = ("tenant_id", "client_id", "client_secret")
SECRET_ORDER = {"client_secret": 0, "client_id": 1, "tenant_id": 2}


def _settings(site: CallSite, planner: Planner) -> tuple[dict[str, str], list[str], bool]:
    """(parameter → setting it read, keywords dropped besides the three, whether the secret was a literal)."""
    settings: dict[str, str] = {}
    literal_secret = False
    for index, name in enumerate(PARAMETERS):
        arg = site.arg(index, name)
        if arg is None:
            continue
        value = resolve(arg.value, planner.meta)
        if isinstance(value, Variable):
            planner.use_variable(value)
            value = value.value
        if isinstance(value, EnvRead):
            settings[name] = value.name
        elif isinstance(value, Literal) and name == "client_secret":
            literal_secret = True
    positional = [a for a in site.node.args if a.keyword is None and not a.star]
    dropped = [a.keyword.value for a in site.node.args if a.keyword is not None and a.keyword.value not in PARAMETERS]
    dropped += [f"positional argument {i + 1}" for i in range(len(PARAMETERS), len(positional))]
    return settings, dropped, literal_secret


def _chosen_call(planner: Planner, is_async: bool) -> cst.BaseExpression:
    """`DefaultAzureCredential(...)` / `ManagedIdentityCredential(...)` as configured (imports added)."""
    statement = planner.credential_statement(is_async, "_")
    return cst.parse_expression(statement.split(" = ", 1)[1])


def plan(site: CallSite, planner: Planner) -> Change | None:
    if any(a.star for a in site.node.args):
        return site.change("manual", reason="*args/**kwargs: cannot tell which service principal settings are used")
    parent = planner.meta(ParentNodeProvider, site.node)
    assigned = isinstance(parent, cst.Assign | cst.AnnAssign) or isinstance(parent, cst.WithItem)
    settings, dropped, literal_secret = _settings(site, planner)
    if assigned:
        replacement: cst.BaseExpression = _chosen_call(planner, site.is_async)
    else:
        replacement = planner.credential(site.is_async)
    planner.replace(site.node, replacement)
    planner.drop_import_if_unused("azure.identity.aio" if site.is_async else "azure.identity", "ClientSecretCredential")
    ordered = sorted(settings.items(), key=lambda item: SECRET_ORDER[item[0]])
    notes = [f"delete the app setting {setting} ({parameter} of the service principal)"
             + (" or set it to the managed identity's client id: DefaultAzureCredential reads it"
                if setting == "AZURE_CLIENT_ID" else "") for parameter, setting in ordered[1:]]
    if "client_id" not in settings:
        notes.append("if the app sets AZURE_CLIENT_ID to the service principal's id, delete it or set it to the "
                     "managed identity's client id (DefaultAzureCredential reads it)")
    if literal_secret:
        notes.append("the client secret was written in the code: delete it from the app registration "
                     "(az ad app credential delete), it stays in the repository history")
    else:
        notes.append("delete the client secret from the app registration once the managed identity has its roles")
    if dropped:
        notes.append("dropped arguments the managed identity does not take: " + ", ".join(dropped))
    old_setting = ordered[0][1] if ordered else None
    return site.change("rewritten", old_setting=old_setting, notes=tuple(notes),
                       extra={"delete_settings": [setting for _, setting in ordered]})


def plan_manual(site: CallSite, planner: Planner) -> Change | None:
    return site.change("manual", reason=site.target.options["reason"])


def targets() -> list[Target]:
    return [
        Target("azure-identity", "identity", "ClientSecretCredential",
               ("azure.identity.ClientSecretCredential", "azure.identity.aio.ClientSecretCredential"), plan),
        Target("azure-identity", "identity", "UsernamePasswordCredential",
               ("azure.identity.UsernamePasswordCredential",), plan_manual,
               {"reason": "a password signs in as a user; give the app a managed identity with the roles the "
                          "user had, then use DefaultAzureCredential"}),
        Target("azure-common", "identity", "ServicePrincipalCredentials",
               ("azure.common.credentials.ServicePrincipalCredentials",), plan_manual,
               {"reason": "legacy msrestazure credential: move the code to an azure-identity based SDK first"}),
    ]
