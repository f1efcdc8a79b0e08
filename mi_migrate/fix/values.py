"""Where an argument's value comes from: a literal, an app setting read from the environment, or a variable
assigned once in the same module or function (followed back to one of those). Anything else is unknown, and the
call becomes a manual step with that reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import libcst as cst
from libcst.metadata import Assignment, QualifiedNameProvider, Scope, ScopeProvider

ENV_SUBSCRIPT = frozenset({"os.environ"})
ENV_CALLS = frozenset({"os.getenv", "os.environ.get"})


@dataclass(frozen=True)
class Literal:
    value: str
    node: cst.BaseExpression


@dataclass(frozen=True)
class EnvRead:
    """`os.environ["X"]`, `os.getenv("X")`, `os.environ.get("X", default)`: the setting named `name`."""

    name: str
    node: cst.BaseExpression  # the whole read expression, to copy its style for the new setting


@dataclass(frozen=True)
class Variable:
    """A name assigned exactly once in its scope; `value` is what it was assigned."""

    name: str
    assign: cst.Assign
    value: Literal | EnvRead
    other_uses: int  # accesses besides the one being rewritten
    statement: cst.CSTNode | None = None  # the line holding the assignment (removed once nothing uses it)
    kept: str | None = None  # why the assignment must stay even when this call was its only use (a note)


@dataclass(frozen=True)
class Unknown:
    reason: str


Value = Literal | EnvRead | Variable | Unknown


def string_value(node: cst.BaseExpression) -> str | None:
    """The value of a plain string literal (adjacent literals concatenated); None for f-strings and others."""
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    if isinstance(node, cst.ConcatenatedString):
        left, right = string_value(node.left), string_value(node.right)
        return left + right if left is not None and right is not None else None
    return None


def _qualified(wrapper_get: object, node: cst.CSTNode) -> set[str]:
    names = wrapper_get(QualifiedNameProvider, node, set())  # type: ignore[operator]
    return {name.name for name in names}


def env_read(node: cst.BaseExpression, get_metadata: object) -> EnvRead | None:
    """Recognise the common ways Python code reads an app setting."""
    if isinstance(node, cst.Subscript) and len(node.slice) == 1:
        index = node.slice[0].slice
        if isinstance(index, cst.Index) and _qualified(get_metadata, node.value) & ENV_SUBSCRIPT:
            name = string_value(index.value)
            if name:
                return EnvRead(name, node)
    if isinstance(node, cst.Call) and node.args and _qualified(get_metadata, node.func) & ENV_CALLS:
        name = string_value(node.args[0].value)
        if name:
            return EnvRead(name, node)
    return None


def resolve(node: cst.BaseExpression, get_metadata: object) -> Value:
    """Classify an argument expression, following a once-assigned variable back to its value."""
    text = string_value(node)
    if text is not None:
        return Literal(text, node)
    read = env_read(node, get_metadata)
    if read is not None:
        return read
    if isinstance(node, cst.BooleanOperation) and isinstance(node.operator, cst.Or):
        from mi_migrate.fix.value_flows import or_fallback

        return or_fallback(node, get_metadata)
    if isinstance(node, cst.Attribute):
        from mi_migrate.fix.value_flows import instance_attribute

        return instance_attribute(node, get_metadata)
    if isinstance(node, cst.Name):
        scope: Scope | None = get_metadata(ScopeProvider, node, None)  # type: ignore[operator]
        if scope is None:
            return Unknown(f"`{node.value}` is not defined in this module")
        assignments = [a for a in scope[node.value] if isinstance(a, Assignment)]
        if len(assignments) != 1:
            from mi_migrate.fix.value_flows import reassigned_fallback

            fallback = reassigned_fallback(node, assignments, get_metadata)
            if fallback is not None:
                return fallback
            return Unknown(f"`{node.value}` is assigned {len(assignments)} times; cannot tell which value is used")
        assignment = assignments[0]
        if isinstance(assignment.node, cst.Param):
            from mi_migrate.fix.value_flows import parameter_default

            return parameter_default(assignment.node, get_metadata)
        assign = _assign_of(assignment.node, get_metadata)
        if assign is None:
            return Unknown(f"`{node.value}` is not a simple assignment (parameter, loop or import)")
        inner = resolve(assign.value, get_metadata)
        if isinstance(inner, Literal | EnvRead):
            from libcst.metadata import ParentNodeProvider

            uses = len(assignment.references)
            holder = get_metadata(ParentNodeProvider, assign, None)  # type: ignore[operator]
            if not isinstance(assign, cst.Assign) or holder is None:
                holder = None
            elif isinstance(holder, cst.SimpleStatementLine) and len(holder.body) != 1:
                holder = None
            return Variable(node.value, assign, inner, max(0, uses - 1), holder)
        return Unknown(f"`{node.value}` is computed at run time ({inner.reason if isinstance(inner, Unknown) else ''})")
    if isinstance(node, cst.FormattedString):
        return Unknown("the value is an f-string built at run time")
    return Unknown("the value is computed at run time")


def _assign_of(target: cst.CSTNode, get_metadata: object) -> cst.Assign | None:
    from libcst.metadata import ParentNodeProvider

    parent = get_metadata(ParentNodeProvider, target, None)  # type: ignore[operator]
    if isinstance(parent, cst.AssignTarget):
        grand = get_metadata(ParentNodeProvider, parent, None)  # type: ignore[operator]
        if isinstance(grand, cst.Assign) and len(grand.targets) == 1 and grand.targets[0].target is target:
            return grand
    if isinstance(parent, cst.AnnAssign) and parent.value is not None and parent.target is target:
        return cst.Assign(targets=[cst.AssignTarget(target=parent.target)], value=parent.value)
    return None


def with_setting_name(read: EnvRead, new_name: str) -> cst.BaseExpression:
    """The same read expression (same style, same default) naming another setting."""

    class Rename(cst.CSTTransformer):
        def leave_SimpleString(
            self, original_node: cst.SimpleString, updated_node: cst.SimpleString
        ) -> cst.SimpleString:
            if original_node.evaluated_value == read.name:
                return updated_node.with_changes(value=quote_like(original_node.value, new_name))
            return updated_node

    renamed = read.node.visit(Rename())
    default = renamed.args[1].value if isinstance(renamed, cst.Call) and len(renamed.args) > 1 else None
    if default is not None and string_value(default):
        # a non-empty default for the old setting is an old-style value (often a connection string with its key)
        first = renamed.args[0].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        renamed = renamed.with_changes(args=[first])
    return renamed  # type: ignore[return-value]


def quote_like(original_literal: str, value: str) -> str:
    """A string literal for `value` using the original literal's quote character."""
    match = re.match(r"^([rRbBuUfF]*)('''|\"\"\"|'|\")", original_literal)
    quote = match.group(2) if match else '"'
    escaped = value.replace("\\", "\\\\").replace(quote[0], "\\" + quote[0])
    return f"{quote}{escaped}{quote}"


def string_node(value: str, like: cst.BaseExpression | None = None) -> cst.SimpleString:
    literal = like.value if isinstance(like, cst.SimpleString) else '"'
    return cst.SimpleString(quote_like(literal, value))
