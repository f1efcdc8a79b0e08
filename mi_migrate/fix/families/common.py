"""The rewrite most families share: `X.from_connection_string(conn, ...)` → `X(<endpoint>, ..., credential=cred)`.

A family module describes its clients with `ConnectionStringClient` specs; this module turns the connection-string
argument into an endpoint (a literal derived at fix time, or a new app setting), keeps every other argument node
as it was (comments and formatting included), drops any key credential and adds the token credential.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import libcst as cst
from libcst.metadata import ParentNodeProvider, ScopeProvider

from mi_migrate.fix.codemod import CallSite, Planner, Target
from mi_migrate.fix.endpoints import derive, local_reason, strip_query
from mi_migrate.fix.model import Change
from mi_migrate.fix.settings import new_setting_name
from mi_migrate.fix.values import EnvRead, Literal, Unknown, Variable, resolve, string_node, with_setting_name


@dataclass(frozen=True)
class ConnectionStringClient:
    """How one client class moves from a connection string to an endpoint + token credential."""

    client: str
    kind: str  # endpoint kind for endpoints.derive: blob, queue, table, file, dfs, servicebus, cosmos, ...
    setting_suffix: str  # AZURE_STORAGE_CONNECTION_STRING → AZURE_STORAGE_<suffix>
    positional: tuple[str, ...] = ()  # from_connection_string's positional parameters after the string
    drop: tuple[str, ...] = ("credential",)  # parameters that carried the key
    extra_keywords: dict[str, str] = field(default_factory=dict)  # name → Python expression source
    connection_keywords: tuple[str, ...] = ("conn_str", "connection_string")
    method: str = "from_connection_string"
    credential_keyword: str = "credential"
    new_method: str | None = None  # IoT Hub: from_token_credential
    # the new constructor takes the endpoint by keyword (fully_qualified_namespace=, base_url=, ...); the other
    # arguments then become keywords too
    endpoint_keyword: str | None = None
    keywords_after_endpoint: bool = False  # the new signature orders its parameters differently: name them
    check: Callable[[str], str | None] | None = None  # a literal connection string's veto: why it stays manual
    # what the endpoint alone does not say (Event Hubs: the hub name): extra arguments placed right after the
    # endpoint, and extra Change fields (notes, extra)
    extend: Callable[[CallSite, Planner, EndpointPlan], tuple[list[cst.Arg], dict[str, Any]]] | None = None


def qualified_names(modules: tuple[str, ...], client: str, method: str | None) -> tuple[str, ...]:
    suffix = f"{client}.{method}" if method else client
    return tuple(f"{module}.{suffix}" for module in modules)


@dataclass(frozen=True)
class EndpointPlan:
    expression: cst.BaseExpression
    fields: dict[str, Any]
    derived: dict[str, str]  # what derive() returned (entity names etc.), empty when unknown
    source: Literal | EnvRead | None = None  # where the connection string came from (a variable followed)


def endpoint_for(
    node: cst.BaseExpression, kind: str, suffix: str, planner: Planner, *, is_url: bool = False
) -> EndpointPlan | str:
    """The endpoint expression that replaces a connection string (or a SAS URL), or why it cannot."""
    value = resolve(node, planner.meta)
    variable = value if isinstance(value, Variable) else None
    if variable is not None:
        value = variable.value
    if isinstance(value, Unknown):
        return value.reason
    fields: dict[str, Any] = {}
    derived: dict[str, str] = {}
    if isinstance(value, Literal):
        local = local_reason(value.value)
        if local:
            return local
        derived = {"endpoint": strip_query(value.value)} if is_url else derive(kind, value.value)
        if not derived.get("endpoint"):
            return ("the connection string is empty (a placeholder to fill in)" if not value.value.strip()
                    else "the connection string names no endpoint")
        expression: cst.BaseExpression = string_node(derived["endpoint"], value.node)
        fields["endpoint"] = derived["endpoint"]
    else:
        assert isinstance(value, EnvRead)
        functions = planner.settings.is_functions_setting(value.name)
        new_name = new_setting_name(value.name, suffix, functions_style=functions, kind=kind)
        expression = with_setting_name(value, new_name)
        fields.update(old_setting=value.name, setting=new_name)
        old_value = planner.settings.get(value.name)
        local = local_reason(old_value) if old_value else None
        if local:
            return (f"the setting {value.name} holds a local connection here ({local}); the code can move once the "
                    "setting names an Azure endpoint")
        if old_value:
            derived = {"endpoint": strip_query(old_value)} if is_url else derive(kind, old_value)
            if derived.get("endpoint"):
                fields["setting_value"] = derived["endpoint"]
    if derived.get("resource"):
        fields["resource"] = derived["resource"]
    if variable is not None:
        planner.use_variable(variable)
    return EndpointPlan(expression, fields, derived, value)


def operations(site: CallSite, planner: Planner) -> tuple[str, ...]:
    """Methods the code calls on the client this call builds (drives least-privilege role choice), and on the
    sub-clients it hands out when they are bound to a name (`sender = client.get_queue_sender(...)`,
    `with client.get_queue_receiver(...) as receiver`), a few levels deep."""
    found: list[str] = []
    _follow(site.node, planner, found, depth=0)
    return tuple(dict.fromkeys(found))


def _follow(node: cst.CSTNode, planner: Planner, found: list[str], depth: int) -> None:
    end = _chain(node, planner, found, calls_only=depth > 0)  # on what a method returned: its methods only
    if depth >= 3:
        return
    for name in _bound_names(end, planner):
        scope = planner.meta(ScopeProvider, name)
        if scope is None:
            continue
        for assignment in scope[name.value]:
            for access in getattr(assignment, "references", ()):
                _follow(access.node, planner, found, depth + 1)


def _bound_names(node: cst.CSTNode, planner: Planner) -> list[cst.Name]:
    """The names an expression's value is bound to: `x = <node>`, `with <node> as x`, `x = await <node>`."""
    parent = planner.meta(ParentNodeProvider, node)
    if isinstance(parent, cst.Await):
        node, parent = parent, planner.meta(ParentNodeProvider, parent)
    if isinstance(parent, cst.Assign) and parent.value is node:
        return [t.target for t in parent.targets if isinstance(t.target, cst.Name)]
    if isinstance(parent, cst.WithItem) and parent.item is node and parent.asname is not None:
        return [parent.asname.name] if isinstance(parent.asname.name, cst.Name) else []
    return []


def _chain(node: cst.CSTNode, planner: Planner, found: list[str], calls_only: bool = False) -> cst.CSTNode:
    """Record the methods called along `node.a(...).b(...)`; returns the outermost expression of the chain."""
    current = node
    for _ in range(6):
        parent = planner.meta(ParentNodeProvider, current)
        if isinstance(parent, cst.Attribute) and parent.value is current:
            grand = planner.meta(ParentNodeProvider, parent)
            called = isinstance(grand, cst.Call) and grand.func is parent
            if called or not calls_only:
                found.append(parent.attr.value)
            if not called:
                return parent
            current = grand
        else:
            break
    return current


def credential_arg(planner: Planner, site: CallSite, keyword: str = "credential") -> cst.Arg:
    return cst.Arg(
        keyword=cst.Name(keyword),
        value=planner.credential(site.is_async),
        equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")),
    )


def keyword_arg(name: str, source: str) -> cst.Arg:
    return cst.Arg(
        keyword=cst.Name(name),
        value=cst.parse_expression(source),
        equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")),
    )


def rebuild_args(call: cst.Call, args: list[cst.Arg]) -> list[cst.Arg]:
    """Commas for a new argument list, keeping the call's layout: a one-line call stays on one line, and a
    multi-line call keeps one argument per line and its trailing comma. The space before the closing parenthesis
    (`whitespace_after_arg` of the old last argument) stays at the end."""
    last_comma = call.args[-1].comma if call.args else cst.MaybeSentinel.DEFAULT
    closing = call.args[-1].whitespace_after_arg if call.args else cst.SimpleWhitespace("")
    multiline = isinstance(call.whitespace_before_args, cst.ParenthesizedWhitespace)
    result: list[cst.Arg] = []
    for i, arg in enumerate(args):
        if i == len(args) - 1:
            comma: cst.Comma | cst.MaybeSentinel = last_comma
            after = closing
        elif multiline:
            comma, after = cst.Comma(whitespace_after=call.whitespace_before_args), cst.SimpleWhitespace("")
        else:
            comma, after = cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")), cst.SimpleWhitespace("")
        result.append(arg.with_changes(comma=comma, whitespace_after_arg=after))
    return result


def plan_from_connection_string(site: CallSite, planner: Planner) -> Change | None:
    spec: ConnectionStringClient = site.target.options["spec"]
    call = site.node
    conn = site.arg(0, None)
    if conn is None:
        conn = next((a for a in call.args if a.keyword and a.keyword.value in spec.connection_keywords), None)
    if conn is None or conn.star:
        return site.change("manual", reason="the connection string argument is not passed directly")
    if not isinstance(call.func, cst.Attribute):
        return site.change("manual", reason="the client class is not referenced as Class.method")
    named = spec.endpoint_keyword is not None or spec.keywords_after_endpoint
    kept: list[cst.Arg] = []
    positional_seen = 0
    for arg in call.args:
        if arg is conn:
            continue
        if arg.keyword is None and not arg.star:
            name = spec.positional[positional_seen] if positional_seen < len(spec.positional) else None
            positional_seen += 1
            if name in spec.drop:
                named = True  # a later positional argument would slide into the dropped one's place
                continue
            if named:
                if name is None:
                    return site.change("manual", reason="a positional argument could not be named for the new call")
                arg = arg.with_changes(keyword=cst.Name(name), equal=_tight_equal())
            kept.append(arg)
        elif arg.keyword is not None and arg.keyword.value in spec.drop:
            continue
        else:
            kept.append(arg)
    if spec.check is not None:
        value = resolve(conn.value, planner.meta)
        value = value.value if isinstance(value, Variable) else value
        reason = spec.check(value.value) if isinstance(value, Literal) else None
        if reason:
            return site.change("manual", reason=reason)
    plan = endpoint_for(conn.value, spec.kind, spec.setting_suffix, planner)
    if isinstance(plan, str):
        return site.change("manual", reason=plan)
    endpoint = cst.Arg(value=plan.expression)
    if spec.endpoint_keyword:
        endpoint = cst.Arg(value=plan.expression, keyword=cst.Name(spec.endpoint_keyword), equal=_tight_equal())
    more_args, more_fields = spec.extend(site, planner, plan) if spec.extend else ([], {})
    kept = [endpoint, *more_args, *kept]
    present = {a.keyword.value for a in kept if a.keyword is not None}
    kept.append(credential_arg(planner, site, spec.credential_keyword))
    for name, source in spec.extra_keywords.items():
        if name not in present:
            kept.append(keyword_arg(name, source))
    func: cst.BaseExpression = call.func.value
    if spec.new_method:
        func = call.func.with_changes(attr=cst.Name(spec.new_method))
    planner.replace(call, call.with_changes(func=func, args=rebuild_args(call, kept)))
    for module, obj in site.target.options.get("unused_after", ()):
        planner.drop_import_if_unused(module, obj)
    return site.change("rewritten", operations=operations(site, planner), **{**plan.fields, **more_fields})


def _tight_equal() -> cst.AssignEqual:
    return cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace(""))


def require_https(kind: str) -> Callable[[str], str | None]:
    """A `check` for HTTP services: bearer tokens are refused on http:// endpoints, and a local emulator (a
    loopback endpoint) only takes its well-known key."""

    def check(connection_string: str) -> str | None:
        endpoint = derive(kind, connection_string).get("endpoint", "")
        host = urlsplit(endpoint).hostname or ""
        if host in ("localhost", "127.0.0.1", "::1") or host.endswith(".localhost"):
            return f"the endpoint {endpoint} is a local emulator, which takes only its key"
        if endpoint.lower().startswith("http://"):
            return f"a token credential needs HTTPS, and the endpoint is {endpoint}"
        return None

    return check


def targets_for(
    family: str, service: str, modules: tuple[str, ...], aio_modules: tuple[str, ...],
    specs: tuple[ConnectionStringClient, ...],
) -> list[Target]:
    """One Target per client spec, matching sync and aio qualified names."""
    result = []
    for spec in specs:
        names = qualified_names(modules, spec.client, spec.method) + qualified_names(
            aio_modules, spec.client, spec.method
        )
        result.append(Target(family, service, spec.client, names, plan_from_connection_string, {"spec": spec}))
    return result
