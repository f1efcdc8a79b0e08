"""With `fix --keyvault-url-env NAME`: a non-Azure secret literal assigned in code (what the scanner's AZ30x
rules flag: `stripe.api_key = "sk_live_…"`, `SENDGRID_KEY = "SG.…"`, `password = "…"`) is read from Key Vault at
run time instead, through one module-level `SecretClient` that uses the app's managed identity.

The literal leaves the code; the Change names the Key Vault secret to create (never its value). The value stays in
the repository history, so the notes also say to rotate it.
"""

from __future__ import annotations

import re
import weakref

import libcst as cst
from libcst.metadata import ParentNodeProvider, PositionProvider

from mi_migrate.core.finding import Finding
from mi_migrate.fix.codemod import CallSite, Planner, Target
from mi_migrate.fix.model import Change
from mi_migrate.fix.values import string_value

CLIENT_BASE = "secret_client"
# per planner: the module's third-party findings, and secret name → the assignment target it was derived from
_FINDINGS: weakref.WeakKeyDictionary[Planner, list[Finding]] = weakref.WeakKeyDictionary()
_NAMES: weakref.WeakKeyDictionary[Planner, dict[str, str]] = weakref.WeakKeyDictionary()


def _module_code(node: cst.CSTNode, planner: Planner) -> str:
    while (parent := planner.meta(ParentNodeProvider, node)) is not None:
        node = parent
    return node.code if isinstance(node, cst.Module) else ""


def _findings(node: cst.CSTNode, planner: Planner) -> list[Finding]:
    """The scanner's third-party findings for this module (computed once per file)."""
    if planner not in _FINDINGS:
        from mi_migrate.scan import third_party

        code = _module_code(node, planner)
        found = third_party.scan("module.py", code, code.lower().encode("utf-8", "replace"))
        _FINDINGS[planner] = [f for f in found if f.rule_id.startswith("AZ30")]
    return _FINDINGS[planner]


def target_label(target: cst.BaseExpression) -> str | None:
    """`stripe.api_key` → "stripe.api_key"; `SENDGRID_KEY`; `app.config["SECRET_KEY"]` → "SECRET_KEY"."""
    if isinstance(target, cst.Name):
        return target.value
    if isinstance(target, cst.Attribute):
        inner = target_label(target.value) if isinstance(target.value, cst.Name | cst.Attribute) else None
        return f"{inner}.{target.attr.value}" if inner and inner not in ("self", "cls") else target.attr.value
    if isinstance(target, cst.Subscript) and len(target.slice) == 1:
        index = target.slice[0].slice
        if isinstance(index, cst.Index):
            return string_value(index.value)
    return None


def secret_name(label: str) -> str:
    """A Key Vault secret name ([0-9a-zA-Z-], at most 127): `stripe.api_key` → stripe-api-key."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1-\2", label)
    words = [w for w in re.split(r"[^0-9a-zA-Z]+", spaced.lower()) if w]
    return ("-".join(words) or "secret")[:127]


def _unique(planner: Planner, name: str, label: str, line: int) -> str:
    """Two assignments of different values under one name (dev/prod branches) get separate secrets."""
    used = _NAMES.setdefault(planner, {})
    candidate, counter = name, 1
    while candidate in used and used[candidate] != f"{label}@{line}":
        counter += 1
        candidate = f"{name[:120]}-{counter}"
    used[candidate] = f"{label}@{line}"
    return candidate


def _client_name(planner: Planner) -> str:
    name, counter = CLIENT_BASE, 1
    while name in planner.module_names:
        counter += 1
        name = f"{CLIENT_BASE}_{counter}"
    return name


def plan(site: CallSite, planner: Planner) -> Change | None:
    setting = planner.options.keyvault_url_env
    node: cst.Assign | cst.AnnAssign = site.node  # type: ignore[assignment]
    if not setting or node.value is None or string_value(node.value) is None:
        return None
    targets = [t.target for t in node.targets] if isinstance(node, cst.Assign) else [node.target]
    if len(targets) != 1:
        return None
    label = target_label(targets[0])
    if label is None:
        return None
    position = planner.meta(PositionProvider, node.value)
    lines = range(position.start.line, position.end.line + 1)
    flagged = [f for f in _findings(node, planner) if f.span.line in lines]
    if not flagged:
        return None
    name = _unique(planner, secret_name(label), label, position.start.line)
    client = _client_name(planner)
    credential = planner.credential(False).value
    planner.add_import("os")
    planner.add_import("azure.keyvault.secrets", "SecretClient")
    planner.add_helper(f'{client} = SecretClient(vault_url=os.environ["{setting}"], credential={credential})\n')
    read = cst.parse_expression(f'{client}.get_secret("{name}").value')
    planner.replace(node.value, read)
    rules = sorted({f.rule_id for f in flagged})
    return Change(
        path="", line=site.line, end_line=site.end_line, family="azure-keyvault-secrets", client="SecretClient",
        service="keyvault", status="rewritten", setting=setting, operations=("get_secret",),
        notes=(
            f"store the value of `{label}` in Key Vault as the secret {name} "
            f"(az keyvault secret set --vault-name <vault> --name {name} --file <file holding the value>)",
            "give the app's managed identity the Key Vault Secrets User role on the vault",
            "rotate the value with its issuer: the old one stays in the repository history",
        ),
        extra={"keyvault_secret": name, "assigned_to": label, "rules": rules},
    )


def targets() -> list[Target]:
    return [Target("azure-keyvault-secrets", "keyvault", "SecretClient", (), plan, {"assign": True})]
