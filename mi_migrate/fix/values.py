"""Where an argument's value comes from: a literal, an app setting read from the environment, or a variable
assigned once in the same module or function (followed back to one of those). Anything else is unknown, and the
call becomes a manual step with that reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import libcst as cst
from libcst.metadata import Assignment, ParentNodeProvider, QualifiedNameProvider, Scope, ScopeProvider

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
        return or_fallback(node, get_metadata)
    if isinstance(node, cst.Attribute):
        return instance_attribute(node, get_metadata)
    if isinstance(node, cst.Name):
        scope: Scope | None = get_metadata(ScopeProvider, node, None)  # type: ignore[operator]
        if scope is None:
            return Unknown(f"`{node.value}` is not defined in this module")
        assignments = [a for a in scope[node.value] if isinstance(a, Assignment)]
        if len(assignments) != 1:
            fallback = reassigned_fallback(node, assignments, get_metadata)
            if fallback is not None:
                return fallback
            return Unknown(f"`{node.value}` is assigned {len(assignments)} times; cannot tell which value is used")
        assignment = assignments[0]
        if isinstance(assignment.node, cst.Param):
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


# Value flows (resolve() above and these call each other, so they share a module).
# Value flows that look computed but are not: a connection string that reaches the call through a parameter's
# default (`def client(conn=CONN)`), a fallback (`conn or CONN`, `conn = conn or os.environ[...]`) or an instance
# attribute set once in `__init__` (`self.conn = os.getenv(...)`).
#
# Each resolves to the value it carries by default, wrapped as a `Variable` whose assignment is kept (its `kept`
# note says why and what to remove later): the default, the fallback or the attribute still exists after the
# rewrite, so it must not be deleted under the code that names it. A parameter that a caller in the same module
# passes explicitly is not a default: those calls stay manual.


def _parent(node: cst.CSTNode, get_metadata: object) -> cst.CSTNode | None:
    return get_metadata(ParentNodeProvider, node, None)  # type: ignore[operator]


def _describe(value: Literal | EnvRead) -> str:
    return f"still reads {value.name}" if isinstance(value, EnvRead) else "still holds the connection string"


def _kept(inner: Value, name: str, assign: cst.Assign, note: str) -> Value:
    """`inner` (the default's value) as a Variable that is never removed, with `note` explaining why."""
    if isinstance(inner, Unknown):
        return inner
    if isinstance(inner, Variable):
        return Variable(inner.name, inner.assign, inner.value, inner.other_uses, None, note)
    return Variable(name, assign, inner, 0, None, note)


def parameter_default(param: cst.Param, get_metadata: object) -> Value:
    """A parameter used for its default: the default's value, unless a caller here passes the argument."""
    name = param.name.value
    if param.default is None:
        return Unknown(f"`{name}` is a parameter: its callers decide the value")
    inner = resolve(param.default, get_metadata)
    if isinstance(inner, Unknown):
        return Unknown(f"`{name}`'s default is computed at run time")
    passed = callers_passing(param, get_metadata)
    if passed:
        return Unknown(passed)
    base = inner.value if isinstance(inner, Variable) else inner
    note = (f"the default of parameter `{name}` {_describe(base)}: remove the parameter once no caller passes "
            "a connection string")
    synthetic = cst.Assign(targets=[cst.AssignTarget(cst.Name(name))], value=param.default)
    return _kept(inner, name, synthetic, note)


def or_fallback(node: cst.BooleanOperation, get_metadata: object) -> Value:
    """`conn or CONN` where `conn` is a parameter: the fallback is the value unless callers pass `conn`."""
    left = node.left
    param = _parameter_of(left, get_metadata) if isinstance(left, cst.Name) else None
    if param is None:
        return Unknown("the value is computed at run time (an `or` of two values)")
    passed = callers_passing(param, get_metadata)
    if passed:
        return Unknown(passed)
    inner = resolve(node.right, get_metadata)
    if isinstance(inner, Unknown):
        return Unknown(f"the fallback after `{param.name.value} or` is computed at run time")
    base = inner.value if isinstance(inner, Variable) else inner
    note = (f"`{param.name.value} or …`: a connection string passed as `{param.name.value}` is no longer used, and "
            f"the fallback {_describe(base)}: remove both once unused")
    synthetic = cst.Assign(targets=[cst.AssignTarget(cst.Name(param.name.value))], value=node)
    return _kept(inner, param.name.value, synthetic, note)


def reassigned_fallback(name: cst.Name, assignments: list[Assignment], get_metadata: object) -> Value | None:
    """`def f(conn=None): conn = conn or os.environ["X"]`: a parameter and one fallback assignment."""
    params = [a for a in assignments if isinstance(a.node, cst.Param)]
    others = [a for a in assignments if not isinstance(a.node, cst.Param)]
    if len(params) != 1 or len(others) != 1:
        return None
    parent = _parent(others[0].node, get_metadata)
    assign = _parent(parent, get_metadata) if isinstance(parent, cst.AssignTarget) else None
    if not isinstance(assign, cst.Assign) or not isinstance(assign.value, cst.BooleanOperation):
        return None
    value = assign.value
    if not (isinstance(value.operator, cst.Or) and isinstance(value.left, cst.Name)
            and value.left.value == name.value):
        return None
    return or_fallback(value, get_metadata)


def _parameter_of(name: cst.Name, get_metadata: object) -> cst.Param | None:
    scope = get_metadata(ScopeProvider, name, None)  # type: ignore[operator]
    if scope is None:
        return None
    params = [a.node for a in scope[name.value] if isinstance(a, Assignment) and isinstance(a.node, cst.Param)]
    return params[0] if len(params) == 1 else None  # `conn = conn or …` reassigns it too


def callers_passing(param: cst.Param, get_metadata: object) -> str | None:
    """Why the parameter is not just its default: a call in this module that passes it (None when none does)."""
    params = _parent(param, get_metadata)
    func = _parent(params, get_metadata) if params is not None else None
    if not isinstance(params, cst.Parameters) or not isinstance(func, cst.FunctionDef):
        return None
    name = param.name.value
    positional = [p.name.value for p in (*params.posonly_params, *params.params)]
    index = positional.index(name) if name in positional else None
    scope = get_metadata(ScopeProvider, func, None)  # type: ignore[operator]
    if scope is None:
        return None
    for assignment in scope[func.name.value]:
        for access in getattr(assignment, "references", ()):
            call = _parent(access.node, get_metadata)
            if not isinstance(call, cst.Call) or call.func is not access.node:
                continue
            args = [a for a in call.args if not a.star]
            if any(a.star for a in call.args):
                return f"a call of `{func.name.value}` passes *args/**kwargs: cannot tell whether it passes `{name}`"
            if any(a.keyword is not None and a.keyword.value == name for a in args) or (
                index is not None and sum(1 for a in args if a.keyword is None) > index
            ):
                return f"a call of `{func.name.value}` passes `{name}`: the value is decided by its callers"
    return None


def instance_attribute(node: cst.Attribute, get_metadata: object) -> Value:
    """`self.conn` assigned exactly once in the class, in `__init__`, from a value we can resolve."""
    attr = node.attr.value
    if not isinstance(node.value, cst.Name):
        return Unknown("the value is computed at run time")
    owner = node.value.value
    klass = _enclosing(node, cst.ClassDef, get_metadata)
    if klass is None or owner not in ("self", "cls"):
        return Unknown(f"`{owner}.{attr}` is computed at run time")
    found: list[tuple[cst.FunctionDef, cst.Assign]] = []

    class Assignments(cst.CSTVisitor):
        def __init__(self) -> None:
            super().__init__()
            self.method: list[cst.FunctionDef] = []

        def visit_FunctionDef(self, fn: cst.FunctionDef) -> None:
            self.method.append(fn)

        def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
            self.method.pop()

        def visit_ClassDef(self, inner: cst.ClassDef) -> bool:
            return inner is klass  # nested classes have their own `self`

        def _targets(self, targets: list[cst.BaseExpression], statement: cst.CSTNode) -> None:
            for target in targets:
                if (isinstance(target, cst.Attribute) and target.attr.value == attr
                        and isinstance(target.value, cst.Name) and target.value.value == owner):
                    found.append((self.method[-1] if self.method else None, statement))  # type: ignore[arg-type]

        def visit_Assign(self, statement: cst.Assign) -> None:
            self._targets([t.target for t in statement.targets], statement)

        def visit_AnnAssign(self, statement: cst.AnnAssign) -> None:
            self._targets([statement.target], statement)

        def visit_AugAssign(self, statement: cst.AugAssign) -> None:
            self._targets([statement.target], statement)

    klass.visit(Assignments())
    if len(found) != 1:
        return Unknown(f"`{owner}.{attr}` is assigned {len(found)} times in the class; cannot tell which value")
    method, assign = found[0]
    if method is None or method.name.value != "__init__" or not isinstance(assign, cst.Assign):
        return Unknown(f"`{owner}.{attr}` is set outside __init__; cannot tell which value is used")
    inner = resolve(assign.value, get_metadata)
    if isinstance(inner, Unknown):
        return Unknown(f"`{owner}.{attr}` is computed at run time ({inner.reason})")
    base = inner.value if isinstance(inner, Variable) else inner
    note = f"`{owner}.{attr}` {_describe(base)} in __init__: remove it once nothing reads it"
    return _kept(inner, f"{owner}.{attr}", assign, note)


def _enclosing(node: cst.CSTNode, kind: type, get_metadata: object) -> cst.CSTNode | None:
    current: cst.CSTNode | None = node
    while current is not None:
        current = _parent(current, get_metadata)
        if isinstance(current, kind):
            return current
    return None
