"""Code that already chooses between a key and Microsoft Entra ID at run time:

    credential = AzureKeyCredential(key) if key else DefaultAzureCredential()
    SearchClient(endpoint, index, AzureKeyCredential(k) if auth_type == "keys" else get_azure_credential())

Rewriting it would only delete a branch the deployment controls anyway; the migration is a configuration step
(unset the key setting, or switch the auth type), reported as a manual step marked `entra_fallback` so reports and
the benchmark count it apart from code mi-migrate could not change.
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m
from libcst.metadata import ParentNodeProvider, QualifiedNameProvider

KEY_WORDS = ("key", "sas", "secret", "password")


def _identifier(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.Call):
        return _identifier(node.func)
    if isinstance(node, cst.Attribute):
        return node.attr.value
    if isinstance(node, cst.Name):
        return node.value
    return ""


def is_token_credential(node: cst.BaseExpression, planner: object) -> bool:
    """An expression that evidently yields a token credential: an azure.identity class or provider, or a name or
    helper that says credential and not key (`default_creds`, `get_azure_credential(...)`, `self.credential`)."""
    for call in _all(node, m.Call()):
        names = {q.name for q in planner.meta(QualifiedNameProvider, call.func, set())}  # type: ignore[attr-defined]
        if any(n.startswith("azure.identity.") for n in names):
            return True
    name = _identifier(node).lower()
    if not name or any(word in name for word in KEY_WORDS) or name in ("none",):
        return False
    return "cred" in name or "token" in name


def _all(node: cst.CSTNode, kind: m.BaseMatcherNode) -> list:  # type: ignore[type-arg]
    """Every node `kind` matches inside `node` (calls in an expression, assignments in a block)."""
    return list(m.findall(node, kind))


def chosen_at_run_time(node: cst.CSTNode, planner: object) -> str | None:
    """The condition under which the code takes `node`'s key branch, when the other branch is a token credential
    (an `a if c else b` or an if/else statement around it); None otherwise."""
    child, parent = node, planner.meta(ParentNodeProvider, node)  # type: ignore[attr-defined]
    while parent is not None and not isinstance(parent, cst.FunctionDef | cst.ClassDef | cst.Module):
        if isinstance(parent, cst.IfExp) and child is not parent.test:
            other = parent.orelse if child is parent.body else parent.body
            if is_token_credential(other, planner):
                return _condition(parent.test, child is parent.body)
        if isinstance(parent, cst.If) and child is not parent.test and parent.orelse is not None:
            other_block = parent.orelse if child is parent.body else parent.body
            values = [a.value for a in _all(other_block, m.Assign())]
            if values and all(is_token_credential(v, planner) for v in values):
                return _condition(parent.test, child is parent.body)
        child, parent = parent, planner.meta(ParentNodeProvider, parent)  # type: ignore[attr-defined]
    return None


def _condition(test: cst.BaseExpression, key_when_true: bool) -> str:
    text = " ".join(cst.Module(body=[]).code_for_node(test).split())
    text = text if len(text) <= 60 else text[:57] + "..."
    return f"`{text}` is {'true' if key_when_true else 'false'}"
