"""Scope-aware qualified-name resolution over the stdlib `ast`, the fast path for Python-aware findings.

LibCST's QualifiedNameProvider gives the same answers (aliases, `import a.b as x`, shadowing parameters,
try/except imports) but parses ~100x slower; the scan only needs names, not a concrete tree. Every walk here
is iterative so deeply nested code cannot overflow the interpreter stack.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from mi_migrate.scan.python.syntax import first_line

# Values of a binding: an import's qualified name, or the expression assigned to a local (None when unknown).
IMPORT, LOCAL = "import", "local"
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


@dataclass(frozen=True, slots=True)
class Binding:
    kind: str  # IMPORT or LOCAL
    qualified: str = ""  # IMPORT: "azure.storage.blob.BlobServiceClient"; relative imports start with "."
    value: ast.expr | None = None  # LOCAL: the assigned expression, when it is a plain `name = value`


@dataclass(eq=False)
class Scope:
    kind: str  # "module", "function", "class", "comprehension"
    parent: Scope | None
    bindings: dict[str, list[Binding]] = field(default_factory=dict)
    declared_global: set[str] = field(default_factory=set)
    star_modules: list[str] = field(default_factory=list)

    def bind(self, name: str, binding: Binding) -> None:
        if name in self.declared_global and self.parent is not None:
            self.module().bind(name, binding)
            return
        self.bindings.setdefault(name, []).append(binding)

    def module(self) -> Scope:
        scope = self
        while scope.parent is not None:
            scope = scope.parent
        return scope

    def lookup(self, name: str) -> list[Binding] | None:
        """Python's LEGB rule: the bindings of the scope `name` resolves to (None: builtin or undefined).

        Class bodies are visible only to themselves, not to the functions nested in them.
        """
        scope: Scope | None = self
        first = True
        while scope is not None:
            if name in scope.declared_global:
                return scope.module().bindings.get(name)
            if (first or scope.kind != "class") and name in scope.bindings:
                return scope.bindings[name]
            first = False
            scope = scope.parent
        return None


@dataclass
class ModuleNames:
    """Every call in a module with the scope it runs in, ready for qualified-name queries."""

    root: Scope
    calls: list[tuple[ast.Call, Scope]]
    # assignments to an attribute (`openai.api_key = …`), collected in the same pass so nothing walks again
    attribute_assigns: list[ast.Assign | ast.AnnAssign] = field(default_factory=list)

    def qualified_names(self, node: ast.expr, scope: Scope) -> set[str]:
        """`b.BlobServiceClient.from_connection_string` → {"azure.storage.blob.BlobServiceClient.from_…"}."""
        attrs: list[str] = []
        while isinstance(node, ast.Attribute):
            attrs.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return set()
        suffix = "".join("." + a for a in reversed(attrs))
        bindings = scope.lookup(node.id)
        if bindings is None:
            return {f"{m}.{node.id}{suffix}" for m in scope.module().star_modules}
        return {b.qualified + suffix for b in bindings if b.kind == IMPORT}

    def assigned_values(self, name: str, scope: Scope) -> list[ast.expr]:
        """Right-hand sides of plain `name = value` in the scope `name` resolves to (for value tracking)."""
        bindings = scope.lookup(name) or []
        return [b.value for b in bindings if b.kind == LOCAL and b.value is not None]

    def is_local(self, name: str, scope: Scope) -> bool:
        bindings = scope.lookup(name)
        return bool(bindings) and all(b.kind == LOCAL for b in bindings)


def _bind_target(target: ast.expr, scope: Scope, value: ast.expr | None) -> None:
    stack = [target]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Name):
            scope.bind(node.id, Binding(LOCAL, value=value if node is target else None))
        elif isinstance(node, (ast.Tuple, ast.List)):
            stack.extend(node.elts)
        elif isinstance(node, ast.Starred):
            stack.append(node.value)


def _bind_arguments(args: ast.arguments, scope: Scope) -> None:
    for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg):
        if arg is not None:
            scope.bind(arg.arg, Binding(LOCAL))


def _bind_import(node: ast.Import | ast.ImportFrom, scope: Scope) -> None:
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.asname:
                scope.bind(alias.asname, Binding(IMPORT, alias.name))
            else:
                first = alias.name.split(".", 1)[0]
                scope.bind(first, Binding(IMPORT, first))
        return
    module = "." * node.level + (node.module or "")
    for alias in node.names:
        if alias.name == "*":
            if not node.level:
                scope.module().star_modules.append(module)
            continue
        scope.bind(alias.asname or alias.name, Binding(IMPORT, f"{module}.{alias.name}"))


# Nodes collect() has nothing to do with: expression contexts, operators and constants (none has a child node)
_INERT = frozenset({
    ast.Load, ast.Store, ast.Del, ast.Constant,
    *(cls for base in (ast.operator, ast.unaryop, ast.cmpop, ast.boolop) for cls in base.__subclasses__()),
})


if TYPE_CHECKING:  # (a Protocol class costs a pre-commit run its creation time)

    class Lines(Protocol):
        """Where the rules' names occur (mi_migrate.scan.python.interest.InterestingLines)."""

        def spans(self, first: int, last: int) -> bool: ...

        def alias_known(self, origin: str, alias: str) -> bool: ...

        def with_aliases(self, aliases: set[str]) -> Lines: ...


def collect(tree: ast.Module, lines: Lines | None = None) -> ModuleNames:
    """One iterative pass: bindings per scope, and every Call with its scope. With `lines`, a statement that
    spans none of them only binds (its expressions hold no call the rules examine), and a def or class spanning
    none is bound without entering it. An import aliasing a watched name adds the alias' lines, and the walk
    runs again (the alias may be called above the import)."""
    while True:
        missed: set[str] = set()
        names = _collect(tree, lines, missed)
        if not missed or lines is None:
            return names
        lines = lines.with_aliases(missed)  # the known aliases only grow: this ends


def _bind_only(node: ast.stmt, scope: Scope, attribute_assigns: list[ast.Assign | ast.AnnAssign],
               stack: list[tuple[ast.AST, Scope]]) -> bool:
    """What a statement spanning no watched line binds, its nested statements pushed; False: walk it whole."""
    if isinstance(node, (*_FUNCTIONS, ast.ClassDef)):
        scope.bind(node.name, Binding(LOCAL))
        return True
    if isinstance(node, ast.Assign):
        for target in node.targets:
            _bind_target(target, scope, node.value)
        if any(isinstance(target, ast.Attribute) for target in node.targets):
            attribute_assigns.append(node)
        return True
    if isinstance(node, (ast.AnnAssign, ast.AugAssign)):
        _bind_target(node.target, scope, node.value if isinstance(node, ast.AnnAssign) else None)
        if isinstance(node, ast.AnnAssign) and node.value is not None and isinstance(node.target, ast.Attribute):
            attribute_assigns.append(node)
        return True
    nested: list[ast.AST]
    if isinstance(node, (ast.For, ast.AsyncFor)):
        _bind_target(node.target, scope, None)
        nested = [*node.body, *node.orelse]
    elif isinstance(node, (ast.If, ast.While)):
        nested = [*node.body, *node.orelse]
    elif isinstance(node, (ast.With, ast.AsyncWith)):
        nested = [*node.items, *node.body]  # a withitem binds its `as` target
    elif isinstance(node, ast.Try) or type(node).__name__ == "TryStar":
        nested = [*node.body, *node.handlers, *node.orelse, *node.finalbody]  # type: ignore[attr-defined]
    elif isinstance(node, (ast.Expr, ast.Return, ast.Raise, ast.Assert, ast.Pass, ast.Break, ast.Continue)):
        return True
    else:  # match patterns, del, global and anything newer bind in ways best left to the full walk
        return False
    stack.extend((child, scope) for child in reversed(nested))
    return True


def _collect(tree: ast.Module, lines: Lines | None, missed: set[str]) -> ModuleNames:
    root = Scope("module", None)
    calls: list[tuple[ast.Call, Scope]] = []
    attribute_assigns: list[ast.Assign | ast.AnnAssign] = []
    stack: list[tuple[ast.AST, Scope]] = [(stmt, root) for stmt in reversed(tree.body)]
    while stack:
        node, scope = stack.pop()
        if type(node) in _INERT:  # a third of all nodes: no children, nothing to bind
            continue
        if (
            lines is not None
            and isinstance(node, ast.stmt)
            and not lines.spans(first_line(node), node.end_lineno or node.lineno)
            and _bind_only(node, scope, attribute_assigns, stack)
        ):
            continue
        children: Iterator[ast.AST] | list[ast.AST]
        if isinstance(node, (*_FUNCTIONS, ast.Lambda)):
            if not isinstance(node, ast.Lambda):
                scope.bind(node.name, Binding(LOCAL))
                outer: list[ast.AST] = [*node.decorator_list]
                if node.returns is not None:
                    outer.append(node.returns)
            else:
                outer = []
            args = node.args
            outer += [*args.defaults, *(d for d in args.kw_defaults if d is not None)]
            inner = Scope("function", scope)
            _bind_arguments(args, inner)
            body: list[ast.AST] = list(node.body) if isinstance(node.body, list) else [node.body]
            stack.extend((child, inner) for child in reversed(body))
            stack.extend((child, scope) for child in reversed(outer))
            continue
        if isinstance(node, ast.ClassDef):
            scope.bind(node.name, Binding(LOCAL))
            inner = Scope("class", scope)
            stack.extend((child, inner) for child in reversed(node.body))
            stack.extend((child, scope) for child in (*node.decorator_list, *node.bases, *node.keywords))
            continue
        if isinstance(node, _COMPREHENSIONS):
            inner = Scope("comprehension", scope)
            first, *rest = node.generators
            stack.append((first.iter, scope))
            for gen in node.generators:
                _bind_target(gen.target, inner, None)
            parts: list[ast.AST] = [first.target, *first.ifs]
            for gen in rest:
                parts += [gen.target, gen.iter, *gen.ifs]
            parts += [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
            stack.extend((child, inner) for child in parts)
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            if lines is not None:
                missed.update(alias.asname for alias in node.names
                              if alias.asname and not lines.alias_known(alias.name, alias.asname))
            _bind_import(node, scope)
            continue
        if isinstance(node, (ast.Global, ast.Nonlocal)):
            if isinstance(node, ast.Global):
                scope.declared_global.update(node.names)
            continue
        if isinstance(node, ast.Assign):
            for target in node.targets:
                _bind_target(target, scope, node.value)
            if any(isinstance(target, ast.Attribute) for target in node.targets):
                attribute_assigns.append(node)
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign, ast.NamedExpr)):
            value = node.value if isinstance(node, (ast.AnnAssign, ast.NamedExpr)) else None
            _bind_target(node.target, scope, value)
            if isinstance(node, ast.AnnAssign) and node.value is not None and isinstance(node.target, ast.Attribute):
                attribute_assigns.append(node)
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            _bind_target(node.target, scope, None)
        elif isinstance(node, ast.withitem) and node.optional_vars is not None:
            _bind_target(node.optional_vars, scope, None)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            scope.bind(node.name, Binding(LOCAL))
        elif isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:
            scope.bind(node.name, Binding(LOCAL))
        elif isinstance(node, ast.MatchMapping) and node.rest:
            scope.bind(node.rest, Binding(LOCAL))
        elif isinstance(node, ast.Call):
            calls.append((node, scope))
        elif isinstance(node, ast.Name):
            if not isinstance(node.ctx, ast.Load) and node.id not in scope.bindings:
                scope.bind(node.id, Binding(LOCAL))
            continue
        children = list(ast.iter_child_nodes(node))
        stack.extend((child, scope) for child in reversed(children))
    calls.sort(key=lambda item: (item[0].lineno, item[0].col_offset))
    return ModuleNames(root, calls, attribute_assigns)
