"""Secrets by position: a string literal where an Azure API takes its secret is an embedded secret, whatever its
format (rules with `check = "secret-literal"`, e.g. AZ123).

`ClientSecretCredential("t", "c", "<34 random characters>")` matches no key pattern, yet the third argument can
only be a client secret. The rule lists the callables and the argument (position and keywords) that carries the
secret; a module or function variable assigned exactly once is followed to its literal, and the finding points at
the literal itself (so redaction in `fix --diff` and report diffs covers it).

mi_migrate.scan.python.literals gives the raw literal texts for redaction, also for fragments of a file (diff
hunks). The analysis this reads (`AnalysedModule`) is mi_migrate.scan.python.analysis.Analysis, which imports this
module, so it is described here as a protocol instead of imported.
"""

from __future__ import annotations

import ast
import re
from typing import Any, Protocol

from mi_migrate.core.finding import Finding, Span
from mi_migrate.core.redact import redact, secret_hash
from mi_migrate.core.rules import Rule
from mi_migrate.scan.python.names import LOCAL, ModuleNames, Scope
from mi_migrate.scan.python.targets import Matchers, Target


class AnalysedModule(Protocol):
    """What the secret-literal checks read of one module's analysis (mi_migrate.scan.python.analysis.Analysis)."""

    rel_path: str
    lines: list[str]
    names: ModuleNames
    matchers: Matchers
    rule_ids: set[str]

    def argument(self, call: ast.Call, spec: dict[str, Any]) -> ast.expr | None: ...

    def text_of(self, node: ast.expr | None, scope: Scope, depth: int = 0) -> str: ...

    def span(self, node: ast.expr) -> Span: ...

MAX_DEPTH = 6
# Structured values inside the literal are the text rules' business (connection strings, SAS query strings).
_STRUCTURED = re.compile(
    r"(?i)(?:^|[;&?])\s*(?:sig|sv|se|sp|srt|accountkey|sharedaccesskey|sharedaccesskeyname|accountname|endpoint|"
    r"defaultendpointsprotocol|password|pwd|uid|server)\s*="
)
_WORDS = re.compile(r"[A-Za-z]+(?:[-_. ][A-Za-z]+)*")
_STRING_PREFIX = re.compile(r"([rRuUbB]{0,2})('''|\"\"\"|'|\")")


def is_secret_value(value: str) -> bool:
    """A literal worth reporting in a secret position: not empty, not a placeholder, not an emulator key, not a
    label (`"test-key"`, `"apikey"`, `"Secret"`), not a connection string or SAS query (other rules own those)."""
    from mi_migrate.scan.validators.keys import is_emulator_key
    from mi_migrate.scan.validators.placeholders import is_placeholder

    stripped = value.strip()
    if len(stripped) < 4 or is_placeholder(stripped) or is_emulator_key(stripped):
        return False
    if _STRUCTURED.search(stripped):
        return False
    if _WORDS.fullmatch(stripped):
        # letters only: a word or phrase, unless it is a long mixed-case random run (keys can lack digits)
        letters = stripped.replace("-", "").replace("_", "").replace(".", "").replace(" ", "")
        if len(letters) < 16 or letters in (letters.lower(), letters.upper(), letters.capitalize()):
            return False
        if len(letters) != len(stripped):
            return False
    return True


class SecretLiterals:
    """The secret-literal checks of one analysed module (shares the Analysis' names, spans and value helpers)."""

    def __init__(self, analysis: AnalysedModule) -> None:
        self.a = analysis
        self.rules = [r for r in analysis.matchers.literal_rules if r.id in analysis.rule_ids]
        self.findings: list[Finding] = []
        self.seen: set[int] = set()
        self.by_rule: dict[str, dict[str, list[Target]]] = {}

    def run(self, tree: ast.Module) -> list[Finding]:
        for rule in self.rules:
            self._calls(rule)
            self._attributes(rule, tree)
        return self.findings

    # -- where secrets go --------------------------------------------------------------------------------------

    def _calls(self, rule: Rule) -> None:
        names = self.a.names
        anywhere = rule.python.get("keyword_anywhere", {})
        prefix, any_keywords = anywhere.get("prefix", ""), set(anywhere.get("keywords", ()))
        tails = {t.rsplit(".", 1)[-1] for t in self._targets(rule)}
        for call, scope in names.calls:
            func = call.func
            tail = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
            if tail is None:
                continue
            keyword_hit = [k for k in call.keywords if k.arg in any_keywords]
            if tail not in tails and not keyword_hit and not isinstance(func, ast.Name):
                continue
            qualified = names.qualified_names(func, scope)
            if not qualified:
                continue
            for target in [t for q in sorted(qualified) for t in self._targets(rule).get(q, ())]:
                self._target(call, scope, target)
            if prefix and keyword_hit and any(q.startswith(prefix) for q in qualified):
                for keyword in keyword_hit:
                    fields = {"qualified_name": min(qualified), "argument": keyword.arg or ""}
                    self._value(rule, keyword.value, scope, fields, rule.service)

    def _targets(self, rule: Rule) -> dict[str, list[Target]]:
        found = self.by_rule.get(rule.id)
        if found is None:
            found = {}
            for qualified, targets in self.a.matchers.by_name.items():
                own = [t for t in targets if t.rule is rule]
                if own:
                    found[qualified] = own
            self.by_rule[rule.id] = found
        return found

    def _target(self, call: ast.Call, scope: Scope, target: Target) -> None:
        require = target.get("require")
        if require:
            text = self.a.text_of(self.a.argument(call, require), scope)
            if not re.search(require.get("pattern", ""), text):
                return
        keywords = target.get("argument", [])
        value = self.a.argument(call, {"position": target.position, "keywords": keywords})
        if value is None:
            return
        used = next((k.arg for k in call.keywords if k.value is value and k.arg), None)
        fields = {
            "qualified_name": target.qualified,
            "family": target.family,
            "argument": used or (keywords[0] if keywords else f"argument {target.position + 1}"),
        }
        self._value(target.rule, value, scope, fields, target.service)

    def _attributes(self, rule: Rule, tree: ast.Module) -> None:
        """`openai.api_key = "..."`: module attributes resolved in the module scope."""
        attributes: dict[str, str] = rule.python.get("attributes", {})
        if not attributes:
            return
        root = self.a.names.root
        for node in self.a.names.attribute_assigns:
            if isinstance(node, ast.Assign):
                targets, value = node.targets, node.value
            elif node.value is not None:
                targets, value = [node.target], node.value
            else:
                continue
            for target in targets:
                if not isinstance(target, ast.Attribute):
                    continue
                for q in self.a.names.qualified_names(target, root) & set(attributes):
                    fields = {"qualified_name": q, "family": attributes[q], "argument": q, "attribute": "true"}
                    self._value(rule, value, root, fields, rule.service)

    # -- values ------------------------------------------------------------------------------------------------

    def _value(self, rule: Rule, node: ast.expr, scope: Scope, fields: dict[str, str], service: str) -> None:
        if isinstance(node, ast.Dict):
            keys = set(rule.python.get("dict_keys", ()))
            for key, item in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and key.value in keys:
                    self._value(rule, item, scope, {**fields, "argument": f"{fields['argument']}[{key.value!r}]"},
                                service)
            return
        literal = self.literal(node, scope)
        if literal is None:
            if isinstance(node, ast.Name):  # a credential dict held in a variable assigned once
                held = self._once(node, scope)
                if isinstance(held, ast.Dict):
                    self._value(rule, held, scope, fields, service)
            return
        if id(literal) in self.seen or not is_secret_value(literal.value):
            return
        self.seen.add(id(literal))
        span = self.span(literal)
        template = rule.python.get("attribute_message" if "attribute" in fields else "message", rule.title)
        message = template.format_map(_Blank(fields))
        if literal is not node:
            message += f" (the literal reaches it through `{_name(node)}`, line {node.lineno})"
        self.findings.append(
            Finding(
                rule_id=rule.id,
                rule_name=rule.name,
                path=self.a.rel_path,
                span=span,
                severity=rule.severity,
                kind=rule.kind,
                service=service,
                message=message,
                evidence=redact(literal.value),
                secret_hash=secret_hash(literal.value),
                fields={k: v for k, v in fields.items() if v},
            )
        )

    def literal(self, node: ast.expr, scope: Scope, depth: int = 0) -> ast.Constant | None:
        """The string literal `node` is, or that a name assigned exactly once holds (a few hops)."""
        if isinstance(node, ast.Constant):
            return node if isinstance(node.value, str) else None
        if isinstance(node, ast.Name) and depth < MAX_DEPTH:
            held = self._once(node, scope)
            return self.literal(held, scope, depth + 1) if held is not None else None
        return None

    def _once(self, node: ast.Name, scope: Scope) -> ast.expr | None:
        bindings = scope.lookup(node.id)
        if not bindings or len(bindings) != 1 or bindings[0].kind != LOCAL:
            return None
        return bindings[0].value

    def span(self, node: ast.Constant) -> Span:
        """The literal's text between its quotes (the whole expression when it is an implicit concatenation)."""
        whole = self.a.span(node)
        lines = self.a.lines
        first = lines[whole.line - 1] if 0 < whole.line <= len(lines) else ""
        match = _STRING_PREFIX.match(first, whole.column - 1)
        if match is None:
            return whole
        quote = match.group(2)
        start_col = match.end() + 1
        last = lines[whole.end_line - 1] if 0 < whole.end_line <= len(lines) else ""
        end_col = whole.end_column - len(quote)
        if end_col < 1 or last[end_col - 1 : whole.end_column - 1] != quote:
            return whole
        if whole.line == whole.end_line and first[start_col - 1 : end_col - 1].count(quote[0]) > first[
            start_col - 1 : end_col - 1
        ].count("\\" + quote[0]):
            return whole  # "a" "b": one value, two literals
        return Span(whole.line, start_col, whole.end_line, end_col)


class _Blank(dict):  # type: ignore[type-arg]
    def __missing__(self, key: str) -> str:
        return ""


def _name(node: ast.expr) -> str:
    return node.id if isinstance(node, ast.Name) else "?"
