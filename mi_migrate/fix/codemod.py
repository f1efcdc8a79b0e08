"""One libcst pass per file: plan every rewrite on the original tree (with metadata), then apply them.

Planning first means a family rewriter can look at anything (variables assigned earlier, every use of a name)
before the tree changes. Applying swaps original nodes by identity, so code that is not rewritten keeps its
exact text, comments included. One credential instance per module is inserted after the imports.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import libcst as cst
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor, RemoveImportsVisitor
from libcst.metadata import (
    GlobalScope,
    MetadataWrapper,
    ParentNodeProvider,
    PositionProvider,
    QualifiedNameProvider,
    ScopeProvider,
)

from mi_migrate.fix.model import Change, FixOptions
from mi_migrate.fix.settings import RepoSettings
from mi_migrate.fix.values import Variable


@dataclass(frozen=True, eq=False)
class Target:
    """A callable a family rewrites: every qualified name it is known by, and the function that plans it."""

    family: str
    service: str
    client: str
    qualified: tuple[str, ...]
    plan: Callable[[CallSite, Planner], Change | None]
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CallSite:
    node: cst.Call
    target: Target
    qualified: str
    is_async: bool
    line: int
    end_line: int

    def arg(self, position: int | None, keyword: str | None) -> cst.Arg | None:
        """The argument at `position` (counting positional args only) or named `keyword`."""
        positional = [a for a in self.node.args if a.keyword is None and not a.star]
        if keyword is not None:
            for arg in self.node.args:
                if arg.keyword is not None and arg.keyword.value == keyword:
                    return arg
        if position is not None and position < len(positional):
            return positional[position]
        return None

    def change(self, status: str, **fields: Any) -> Change:
        return Change(
            path="", line=self.line, end_line=self.end_line, family=self.target.family, client=self.target.client,
            service=self.target.service, status=status, is_async=self.is_async, **fields,  # type: ignore[arg-type]
        )


class Planner(cst.CSTVisitor):
    """Read-only pass: matches calls by qualified name and asks their family for a plan."""

    METADATA_DEPENDENCIES = (QualifiedNameProvider, PositionProvider, ScopeProvider, ParentNodeProvider)

    def __init__(self, targets: Sequence[Target], options: FixOptions, settings: RepoSettings,
                 avoid: frozenset[str] = frozenset()) -> None:
        super().__init__()
        self.by_name: dict[str, Target] = {name: t for t in targets for name in t.qualified}
        self.assign_targets = [t for t in targets if t.options.get("assign")]  # see visit_Assign
        self.options = options
        self.settings = settings
        self.edits: dict[cst.CSTNode, cst.CSTNode | cst.RemovalSentinel] = {}
        self.changes: list[Change] = []
        self.credentials: dict[bool, str] = {}  # is_async → variable name
        self.imports: list[tuple[str, str]] = []
        self.unused_candidates: list[tuple[str, str]] = []
        self.variable_uses: dict[int, tuple[Variable, int]] = {}  # id(assign) → (variable, rewritten uses)
        # id(assign) → (index into changes, the Variable as that call saw it: its `kept` note is per call)
        self.variable_changes: dict[int, list[tuple[int, Variable]]] = {}
        self.module_names: set[str] = set()
        self.avoid = avoid  # names a first planning pass found shadowed at a call site
        self.current: cst.CSTNode | None = None  # the call (or assignment) being planned
        # (credential name, the statement binding it in a scope around a call site: None when not removable)
        self.shadows: list[tuple[str, cst.CSTNode | None]] = []
        self.extra_statements: list[str] = []  # helper code inserted after the credential (SQL token, ...)
        self.call_operations: dict[str, set[str]] = {}

    # -- matching -------------------------------------------------------------------------------------------
    def visit_Module(self, node: cst.Module) -> None:
        scope = self.get_metadata(ScopeProvider, node, None)
        if scope is not None:
            self.module_names = {a.name for a in scope.assignments}

    def visit_Call(self, node: cst.Call) -> None:
        names = {q.name for q in self.get_metadata(QualifiedNameProvider, node.func, set())}
        matched = {self.by_name[n] for n in names if n in self.by_name}
        if not matched:
            return
        if len(matched) > 1 or len(names) != sum(1 for n in names if n in self.by_name):
            return  # some names resolve elsewhere (try/except imports of another library): leave it alone
        target = matched.pop()
        qualified = next(n for n in names if n in self.by_name)
        position = self.get_metadata(PositionProvider, node)
        site = CallSite(node, target, qualified, ".aio" in qualified, position.start.line, position.end.line)
        change = self._run_plan(target, site)
        if change is not None:
            self.changes.append(change)

    def _run_plan(self, target: Target, site: CallSite) -> Change | None:
        """A plan that ends as a manual step (or edits nothing) must not have its variables' assignments removed:
        the call still reads them."""
        uses_before = dict(self.variable_uses)
        edits_before = len(self.edits)
        self.current = site.node
        change = target.plan(site, self)
        if change is None or change.status != "rewritten" or len(self.edits) == edits_before:
            self.variable_uses = uses_before
        return change

    def visit_Assign(self, node: cst.Assign) -> None:
        self._plan_assignment(node)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._plan_assignment(node)

    def _plan_assignment(self, node: cst.Assign | cst.AnnAssign) -> None:
        """Targets with options["assign"] plan assignments rather than calls (Key Vault: a secret literal
        assigned in code); their CallSite's node is the Assign/AnnAssign, and the first plan returned wins."""
        if not self.assign_targets:
            return
        position = self.get_metadata(PositionProvider, node)
        for target in self.assign_targets:
            site = CallSite(node, target, "", False, position.start.line, position.end.line)  # type: ignore[arg-type]
            change = self._run_plan(target, site)
            if change is not None:
                self.changes.append(change)
                return

    # -- services for family planners -----------------------------------------------------------------------
    def meta(self, provider: Any, node: cst.CSTNode, default: Any = None) -> Any:
        return self.get_metadata(provider, node, default)

    def replace(self, original: cst.CSTNode, new: cst.CSTNode | cst.RemovalSentinel) -> None:
        self.edits[original] = new

    def credential(self, is_async: bool) -> cst.Name:
        """The module's credential variable (inserted after the imports), created on first use."""
        if is_async not in self.credentials:
            base = "async_credential" if is_async and False in self.credentials else "credential"
            name, counter = base, 1
            while name in self.module_names or name in self.avoid or name in self.credentials.values():
                counter += 1
                name = f"{base}_{counter}"
            self.credentials[is_async] = name
        self._record_shadows(self.credentials[is_async])
        return cst.Name(self.credentials[is_async])

    def _record_shadows(self, name: str) -> None:
        """Bindings of `name` in the function scopes around the call being planned: unless the rewrite removes
        them (`credential = sas_token`), the module's credential would not be the one the call gets."""
        if self.current is None:
            return
        scope = self.get_metadata(ScopeProvider, self.current, None)
        while scope is not None and not isinstance(scope, GlobalScope):
            for assignment in scope.assignments[name] if name in scope else ():
                self.shadows.append((name, self._statement_of(assignment.node)))
            scope = scope.parent

    def _statement_of(self, node: cst.CSTNode) -> cst.CSTNode | None:
        """The simple statement line an assignment target sits in; None for parameters, loops, imports."""
        if isinstance(node, cst.Param):
            return None
        current: cst.CSTNode | None = node
        for _ in range(4):
            current = self.get_metadata(ParentNodeProvider, current, None) if current is not None else None
            if isinstance(current, cst.SimpleStatementLine):
                return current
        return None

    def shadowed(self) -> frozenset[str]:
        """Credential names some rewritten call would not see, because a local binding stays."""
        return frozenset(name for name, statement in self.shadows
                         if statement is None or not isinstance(self.edits.get(statement), cst.RemovalSentinel))

    def add_import(self, module: str, obj: str | None = None) -> None:
        self.imports.append((module, obj or ""))

    def drop_import_if_unused(self, module: str, obj: str) -> None:
        self.unused_candidates.append((module, obj))

    def use_variable(self, variable: Variable) -> None:
        """A call rewritten away from this variable; once all its uses are, its assignment goes."""
        key = id(variable.assign)
        _, count = self.variable_uses.get(key, (variable, 0))
        self.variable_uses[key] = (variable, count + 1)
        self.variable_changes.setdefault(key, []).append((len(self.changes), variable))  # the change being planned

    def add_helper(self, code: str) -> None:
        if code not in self.extra_statements:
            self.extra_statements.append(code)

    def credential_statement(self, is_async: bool, name: str) -> str:
        """`credential = DefaultAzureCredential(...)` (or ManagedIdentityCredential), with the chosen identity."""
        module = "azure.identity.aio" if is_async else "azure.identity"
        managed = self.options.credential == "managed-identity"
        cls = "ManagedIdentityCredential" if managed else "DefaultAzureCredential"
        keyword = "client_id" if managed else "managed_identity_client_id"
        argument = ""
        if self.options.client_id_env:
            self.add_import("os")
            argument = f'{keyword}=os.environ["{self.options.client_id_env}"]'
        elif self.options.client_id:
            argument = f'{keyword}="{self.options.client_id}"'
        call = cls
        if is_async and False in self.credentials:  # sync and async in one module: alias the async class
            call = f"Async{cls}"
            self.imports.append((module, f"{cls} as {call}"))
        else:
            self.add_import(module, cls)
        return f"{name} = {call}({argument})"


class Applier(cst.CSTTransformer):
    """Swap planned nodes (by identity) and insert the credential and helpers after the imports."""

    def __init__(self, planner: Planner, header: list[cst.BaseStatement]) -> None:
        super().__init__()
        self.edits = planner.edits
        self.header = header

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode) -> Any:
        replacement = self.edits.get(original_node)
        if replacement is not None and not isinstance(replacement, cst.RemovalSentinel):
            return replacement
        return super().on_leave(original_node, updated_node)

    def _drop_removed(self, original: Sequence[cst.CSTNode], updated: Sequence[Any]) -> list[Any]:
        """Remove statements planned for removal, moving their comments onto the next statement."""
        kept: list[Any] = []
        carried: list[cst.EmptyLine] = []
        for before, after in zip(original, updated, strict=True):
            if isinstance(self.edits.get(before), cst.RemovalSentinel):
                comments = [line for line in getattr(after, "leading_lines", ()) if line.comment is not None]
                trailing = getattr(after, "trailing_whitespace", None)
                if trailing is not None and trailing.comment is not None:
                    comments.append(cst.EmptyLine(comment=trailing.comment))
                carried.extend(comments)
                continue
            if carried and hasattr(after, "leading_lines"):
                after = after.with_changes(leading_lines=[*carried, *after.leading_lines])
                carried = []
            kept.append(after)
        return kept

    def leave_IndentedBlock(
        self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock
    ) -> cst.IndentedBlock:
        body = self._drop_removed(original_node.body, updated_node.body)
        return updated_node.with_changes(body=body or [cst.SimpleStatementLine(body=[cst.Pass()])])

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        body = self._drop_removed(original_node.body, updated_node.body)
        at = _after_imports(body)
        if self.header:
            first = self.header[0]
            if at < len(body) and isinstance(first, cst.SimpleStatementLine):
                self.header[0] = first.with_changes(leading_lines=[cst.EmptyLine()])
            body[at:at] = self.header
        return updated_node.with_changes(body=body)


def _after_imports(body: list[cst.BaseStatement]) -> int:
    """Index just after the module docstring and the leading block of imports (and guarded imports)."""
    index = 0
    for i, statement in enumerate(body):
        if isinstance(statement, cst.SimpleStatementLine):
            first = statement.body[0]
            if all(isinstance(s, cst.Import | cst.ImportFrom) for s in statement.body):
                index = i + 1
                continue
            if i == 0 and isinstance(first, cst.Expr) and isinstance(
                first.value, cst.SimpleString | cst.ConcatenatedString
            ):
                index = 1
                continue
        elif isinstance(statement, cst.If | cst.Try) and _is_import_block(statement):
            index = i + 1
            continue
        break
    return index


def _is_import_block(statement: cst.BaseStatement) -> bool:
    code = cst.Module(body=[statement]).code
    return all(
        line.strip().startswith(("import ", "from ", "try", "except", "else", "if ", "pass", "#")) or not line.strip()
        for line in code.splitlines()
    )


def _remove_assignments(planner: Planner) -> None:
    """Assignments whose every use was rewritten held the secret or read the old setting: they go."""
    from dataclasses import replace

    for key, (variable, rewritten) in planner.variable_uses.items():
        kept = any(seen.kept for _, seen in planner.variable_changes.get(key, ()))
        used_up = rewritten >= variable.other_uses + 1
        if used_up and isinstance(variable.statement, cst.SimpleStatementLine) and not kept:
            planner.replace(variable.statement, cst.RemovalSentinel.REMOVE)
            continue
        why = "is still used elsewhere" if rewritten < variable.other_uses + 1 else "is not a plain assignment"
        default = f"`{variable.name}` {why}, so its assignment was kept: remove the connection string once unused"
        for index, seen in planner.variable_changes.get(key, ()):
            note = seen.kept or default
            if index < len(planner.changes) and planner.changes[index].status == "rewritten":
                change = planner.changes[index]
                planner.changes[index] = replace(change, notes=(*change.notes, note))


def transform(
    code: str, targets: Sequence[Target], options: FixOptions, settings: RepoSettings
) -> tuple[str, list[Change]]:
    """Rewrite one module; returns the new code (== code when nothing applies) and the changes."""
    module = cst.parse_module(code)
    wrapper = MetadataWrapper(module)
    planner = Planner(targets, options, settings)
    wrapper.visit(planner)
    if not planner.edits:
        return code, planner.changes
    _remove_assignments(planner)
    shadowed = planner.shadowed()
    if shadowed:  # a local `credential` stays in some function: plan again under another name
        planner = Planner(targets, options, settings, avoid=shadowed)
        wrapper.visit(planner)
        _remove_assignments(planner)
    header: list[cst.BaseStatement] = []
    for is_async, name in sorted(planner.credentials.items()):
        header.append(cst.parse_statement(planner.credential_statement(is_async, name) + "\n"))
    header.extend(cst.parse_statement(snippet) for snippet in planner.extra_statements)
    new_module = wrapper.module.visit(Applier(planner, header))
    context = CodemodContext()
    for module_name, obj in planner.imports:
        if obj and " as " in obj:
            name, alias = obj.split(" as ")
            AddImportsVisitor.add_needed_import(context, module_name, name, alias)
        elif obj:
            AddImportsVisitor.add_needed_import(context, module_name, obj)
        else:
            AddImportsVisitor.add_needed_import(context, module_name)
    new_module = AddImportsVisitor(context).transform_module(new_module)
    for module_name, obj in planner.unused_candidates:
        RemoveImportsVisitor.remove_unused_import(context, module_name, obj)
    if planner.unused_candidates:
        new_module = RemoveImportsVisitor(context).transform_module(new_module)
    return new_module.code, planner.changes
