"""Python-aware findings: key-based Azure client code, matched by qualified name (aliases count, shadows not).

The rules (`rules/AZ2xx-*.toml`, `[python]` table) list the qualified callables and what to check; this module
has no Azure names of its own. A byte-level prefilter keeps files that cannot match from ever being parsed.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from mi_migrate.core.finding import Finding, Note, Span
from mi_migrate.core.rules import Rule
from mi_migrate.scan.memory import Memory
from mi_migrate.scan.python.interest import Watch
from mi_migrate.scan.python.names import ModuleNames, Scope, collect
from mi_migrate.scan.python.syntax import parse_module
from mi_migrate.scan.python.targets import Matchers, Target

if TYPE_CHECKING:
    from mi_migrate.scan.candidate_types import Candidates

CHECKS = ("call", "credential", "secret-argument", "text", "secret-literal")
MAX_VALUE_DEPTH = 6  # how far a value is followed through names, concatenations and calls
SAS_TEXT = re.compile(r"(?i)\?(?:[^#]*&)?(?:sv|sig|se|sp)=|[?}]\{[^{}]*sas[^{}]*\}")
ENV_READERS = frozenset({"os.getenv", "os.environ.get", "os.environ.setdefault"})
TEXT_PASSTHROUGH = frozenset({"urllib.parse.quote_plus", "urllib.parse.quote", "str"})
KEY_WORDS = frozenset({"key", "sas", "secret", "accountkey", "apikey", "masterkey", "accesskey", "sastoken"})


_CACHE: dict[tuple[int, ...], tuple[tuple[Rule, ...], Matchers]] = {}
_LAST: tuple[tuple[Rule, ...], Matchers] | None = None  # the rule tuple last asked about, and its matchers


def matchers_for(rules: Sequence[Rule]) -> Matchers:
    """Expand each python rule's targets into a qualified-name index (cached per rule tuple; a scan asks with one
    tuple for every file, answered without building the key)."""
    global _LAST
    if _LAST is not None and _LAST[0] is rules:
        return _LAST[1]
    key = tuple(id(rule) for rule in rules)
    cached = _CACHE.get(key)
    matchers = cached[1] if cached is not None else _expand(rules, key)
    if isinstance(rules, tuple):
        _LAST = (rules, matchers)
    return matchers


def _expand(rules: Sequence[Rule], key: tuple[int, ...]) -> Matchers:
    matchers = Matchers()
    for rule in rules:
        spec = rule.python
        if spec.get("check") not in CHECKS:
            continue
        gate = _Gate()
        positional: set[bytes] = set()  # clients taking the credential by position: no token need be written
        base = {k: v for k, v in spec.items() if k != "targets"}
        for raw in spec.get("targets", []):
            settings = {**base, **raw}
            modules = [(m, False) for m in raw.get("modules", [])] + [
                (m, True) for m in raw.get("aio_modules", [])
            ]
            for module, is_async in modules:
                for name, position in raw.get("callables", {}).items():
                    qualified = f"{module}.{name}"
                    gate.add(module, name.split(".", 1)[0])
                    if settings.get("check") == "credential" and int(position) >= 0:
                        positional.add(name.split(".", 1)[0].lower().encode())
                    target = Target(
                        rule,
                        qualified,
                        name,
                        module,
                        int(position),
                        is_async or bool(raw.get("async")),
                        raw["family"],
                        raw.get("service", rule.service),
                        settings,
                    )
                    matchers.by_name.setdefault(qualified, []).append(target)
        for qualified in spec.get("credential_classes", []):
            matchers.credential_classes[qualified] = rule
            gate.add(qualified, qualified.rsplit(".", 1)[-1])
        if spec.get("fallback_prefix"):
            matchers.fallback.append(rule)
            matchers.tail_suffixes += tuple(spec.get("fallback_suffixes", ()))
            for suffix in spec.get("fallback_suffixes", ()):
                gate.add(spec["fallback_prefix"], suffix)
        if spec.get("check") == "secret-literal":
            matchers.literal_rules.append(rule)
            anywhere = spec.get("keyword_anywhere", {})
            for keyword in anywhere.get("keywords", ()) if anywhere.get("prefix") else ():
                gate.add(anywhere["prefix"], keyword)
            for qualified in spec.get("attributes", {}):
                gate.add(qualified, qualified.rsplit(".", 1)[-1])
        tokens = tuple(t.lower().encode() for t in spec.get("tokens", ()))
        if tokens:  # `CosmosClient(url, key)` holds none of the tokens a keyword or credential object writes
            tokens += tuple(sorted(positional))
        matchers.prefilter.append((rule, gate.frozen(), tokens))
    matchers.tails = {q.rsplit(".", 1)[-1] for q in (*matchers.by_name, *matchers.credential_classes)}
    matchers.gate_literals = frozenset(
        {b"import", *(t for _, _, tokens in matchers.prefilter for t in tokens),
         *(lit for _, roots, _ in matchers.prefilter for root, names in roots for lit in (root, *names))})
    _CACHE[key] = (tuple(rules), matchers)
    return matchers


def wanted_rules(lower: bytes | Candidates, matchers: Matchers) -> list[Rule]:
    """Rules the file could trigger: one of a rule's module roots together with the first name of a callable under
    it (`pyodbc` and `connect`, `azure` and `BlobServiceClient`), and one of its call tokens. A qualified name
    only resolves through an import of its root and a mention of the name, so a file failing this is never
    parsed. Non-ASCII source can spell an identifier in a form NFKC folds to ASCII; there the roots alone gate.
    `lower` is the file's lower-cased bytes or its candidates (whose database holds gate_literals())."""
    if b"import" not in lower:
        return []
    ascii_only = lower.isascii()
    signature = None if isinstance(lower, bytes) else lower.signature(matchers.gate_literals)
    key = (signature, ascii_only, id(matchers)) if signature is not None else None
    kept = _WANTED.recall(key, matchers) if key is not None else None
    if kept is not None:
        return kept  # type: ignore[no-any-return]
    wanted = [
        rule
        for rule, roots, tokens in matchers.prefilter
        if any(root in lower and (not ascii_only or any(n in lower for n in names)) for root, names in roots)
        and (not tokens or any(t in lower for t in tokens))
    ]
    if key is not None:
        _WANTED.keep_for(key, matchers, wanted)
    return wanted


# (candidate signature, ASCII or not, id(matchers)) → rules: files sharing a signature get one answer
_WANTED = Memory(4096)


def gate_literals(rules: Sequence[Rule]) -> set[bytes]:
    """Every literal wanted_rules asks about, for the candidate database (one scan answers them all)."""
    return set(matchers_for([rule for rule in rules if rule.python]).gate_literals)


class _Gate:
    """A rule's (module root, names) pairs for wanted_rules, lower-cased as the file's bytes are."""

    def __init__(self) -> None:
        self.names: dict[bytes, set[bytes]] = {}

    def add(self, qualified: str, name: str) -> None:
        root = qualified.split(".", 1)[0].lower().encode()
        self.names.setdefault(root, set()).add(name.lower().encode())

    def frozen(self) -> tuple[tuple[bytes, tuple[bytes, ...]], ...]:
        return tuple((root, tuple(sorted(names))) for root, names in sorted(self.names.items()))


def parse(rel_path: str, text: str) -> tuple[ast.Module | None, Note | None]:
    """stdlib ast; Python 2, syntax errors and pathological nesting become a note, never an exception."""
    try:
        return parse_module(text), None
    except SyntaxError as exc:
        blanked = without_fstrings(text, exc)
        if blanked is not None:
            return parse_module(blanked), None  # the tree without_fstrings kept
        return None, Note(rel_path, f"not parsed as Python: {exc.msg} (line {exc.lineno})")
    except (RecursionError, MemoryError):
        return None, Note(rel_path, "not parsed as Python: nesting too deep")
    except ValueError as exc:
        return None, Note(rel_path, f"not parsed as Python: {exc}")


def without_fstrings(text: str, error: BaseException) -> str | None:
    """`text` with its f-strings blanked, when `error` (parsing it) came from Python 3.12 f-strings and the blanked
    text parses (its tree is then the one syntax.parse_module keeps); None otherwise."""
    if not isinstance(error, SyntaxError) or "f-string" not in (error.msg or ""):
        return None
    blanked = blank_fstrings(text)
    if blanked is None:
        return None
    try:
        parse_module(blanked)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    return blanked


def blank_fstrings(text: str) -> str | None:
    """Python 3.12 f-strings (PEP 701: nested quotes) do not parse on 3.11. libcst reads them; each one becomes
    a blank string literal of the same extent, so every other node keeps its line and column. Their value is
    computed at run time anyway, so nothing the analysis looks for is lost."""
    import libcst as cst
    from libcst.metadata import MetadataWrapper, PositionProvider

    try:
        wrapper = MetadataWrapper(cst.parse_module(text))
    except (cst.ParserSyntaxError, RecursionError):
        return None
    spans: list[tuple[int, int, int, int]] = []

    class Collect(cst.CSTVisitor):
        METADATA_DEPENDENCIES = (PositionProvider,)

        def visit_FormattedString(self, node: cst.FormattedString) -> bool:
            pos = self.get_metadata(PositionProvider, node)
            spans.append((pos.start.line, pos.start.column, pos.end.line, pos.end.column))
            return False

    wrapper.visit(Collect())
    lines = text.splitlines(keepends=True)
    for start_line, start_col, end_line, end_col in reversed(spans):
        first, last = lines[start_line - 1], lines[end_line - 1]
        if start_line == end_line:
            lines[start_line - 1] = first[:start_col] + '"' + " " * (end_col - start_col - 2) + '"' + last[end_col:]
            continue
        body = [first[:start_col] + '"""' + " " * max(0, len(first.rstrip("\r\n")) - start_col - 3)
                + first[len(first.rstrip("\r\n")):]]
        body += [" " * len(line.rstrip("\r\n")) + line[len(line.rstrip("\r\n")):]
                 for line in lines[start_line:end_line - 1]]
        body.append(" " * max(0, end_col - 3) + '"""' + last[end_col:])
        lines[start_line - 1:end_line] = body
    return "".join(lines)


_WATCHES: dict[int, Watch] = {}


def _watch(matchers: Matchers) -> Watch:
    watch = _WATCHES.get(id(matchers))
    if watch is None:
        watch = _WATCHES[id(matchers)] = Watch(matchers)  # matchers live in _CACHE for the process
    return watch


def analyze(
    rel_path: str, text: str, lower: bytes | Candidates, rules: tuple[Rule, ...]
) -> tuple[list[Finding], list[Note]]:
    """Key-based client code in one Python file, as warnings (this code can move to managed identity)."""
    matchers = matchers_for(rules)
    active = wanted_rules(lower, matchers)
    if not active:
        return [], []
    lines = _watch(matchers).lines(text, None if isinstance(lower, bytes) else lower, lower.__contains__)
    if lines is not None and not lines.lines:
        return [], []  # no line names anything the rules examine: nothing to parse for
    tree, note = parse(rel_path, text)
    if tree is None:
        return [], [note] if note else []
    analysis = Analysis(rel_path, text, collect(tree, lines), matchers, {rule.id for rule in active})
    findings = analysis.run()
    if any(rule.id in analysis.rule_ids for rule in matchers.literal_rules):
        from mi_migrate.scan.python.secrets import SecretLiterals

        findings += SecretLiterals(analysis).run(tree)
        findings.sort(key=lambda f: (f.span.line, f.span.column, f.rule_id))
    return findings, []


class Analysis:
    """The checks of one file; `consumed` holds credential objects already reported through their client."""

    def __init__(self, rel_path: str, text: str, names: ModuleNames, matchers: Matchers, rule_ids: set[str]):
        self.rel_path = rel_path
        self.lines = text.splitlines()
        self.names = names
        self.matchers = matchers
        self.rule_ids = rule_ids
        self.consumed: set[int] = set()
        self.findings: list[Finding] = []

    def run(self) -> list[Finding]:
        leftovers: list[tuple[ast.Call, Scope, Rule, str]] = []
        tails, suffixes = self.matchers.tails, self.matchers.tail_suffixes
        for call, scope in self.names.calls:
            func = call.func
            if isinstance(func, ast.Attribute):  # an attribute's name is never an alias; a bare name may be
                if func.attr not in tails and not (suffixes and func.attr.endswith(suffixes)):
                    continue
            elif not isinstance(func, ast.Name):
                continue
            qualified = self.names.qualified_names(func, scope)
            if not qualified:
                continue
            targets = [t for q in sorted(qualified) for t in self.matchers.by_name.get(q, ())]
            targets = [
                t for t in targets if t.rule.id in self.rule_ids and t.get("check") != "secret-literal"
            ]
            if targets:
                for target in targets:  # several targets may share a callable (DSN text vs keywords)
                    before = len(self.findings)
                    self.check(call, scope, target)
                    if len(self.findings) > before:
                        break
                continue
            for q in qualified:
                rule = self.matchers.credential_classes.get(q)
                if rule is not None and rule.id in self.rule_ids:
                    leftovers.append((call, scope, rule, q))
                    break
            else:
                for rule in self.matchers.fallback:
                    if rule.id in self.rule_ids and self.fallback(call, scope, rule, qualified):
                        break
        for call, scope, rule, q in leftovers:
            if id(call) not in self.consumed:
                _, fields = self.credential_object(call, scope, q)
                fields.update(client="", family=_family(q), qualified_name=q)
                self.report(rule, call, rule.service, fields)
        return sorted(self.findings, key=lambda f: (f.span.line, f.span.column, f.rule_id))

    # -- the four checks -------------------------------------------------------------------------------------

    def check(self, call: ast.Call, scope: Scope, target: Target) -> None:
        check = target.get("check")
        client, _, method = target.callable.partition(".")
        fields = {
            "client": client,
            "family": target.family,
            "async": "true" if target.is_async else "false",
            "module": target.module,
            "qualified_name": target.qualified,
            **{k: str(v) for k, v in target.get("fields", {}).items()},
        }
        if method:
            fields["method"] = method
        require = target.get("require")
        if require and not _matches(
            require.get("pattern", ""), self.text_of(self.argument(call, require), scope)
        ):
            return
        keywords = target.get("argument", [])
        value = self.argument(call, {"position": target.position, "keywords": keywords})
        if check == "call":
            if self.is_migrated(target.get("unless") and self.argument(call, target.get("unless")), scope):
                return
            self.describe_value(value, scope, fields)
        elif check == "credential":
            found = self.classify(value, scope, strings=True) if value is not None else None
            if found is None:
                found = self.sas_url(call, scope, target)
            if found is None:
                return
            fields.update(found)
        elif check == "secret-argument":
            if value is None:
                implicit = target.get("implicit_setting")
                blockers = set(target.get("token_keywords", ()))
                if not implicit or any(k.arg is None or k.arg in blockers for k in call.keywords):
                    return
                fields.update(setting=implicit, implicit="true")
            elif _is_none(value) or self.is_migrated(value, scope):
                return
            else:
                self.describe_value(value, scope, fields)
        elif check == "text":
            text = self.text_of(value, scope) if value is not None else ""
            present = [
                k for k in call.keywords if k.arg and k.arg.lower() in target.get("secret_keywords", ())
            ]
            if present and not _is_none(present[0].value):
                self.describe_value(present[0].value, scope, fields)
                fields["argument"] = present[0].arg or ""
            elif not _matches(target.get("pattern", ""), text):
                return
            elif isinstance(value, ast.Constant):
                fields["literal"] = "true"
        self.report(target.rule, call, target.service, fields)

    def fallback(self, call: ast.Call, scope: Scope, rule: Rule, qualified: set[str]) -> bool:
        """An azure.* client the rule does not list: only `credential=` or a credential object counts."""
        spec = rule.python
        q = min(qualified)
        if not q.startswith(spec["fallback_prefix"]) or not q.endswith(
            tuple(spec.get("fallback_suffixes", ()))
        ):
            return False
        found = None
        keyword = next((k.value for k in call.keywords if k.arg == "credential"), None)
        if keyword is not None:
            found = self.classify(keyword, scope, strings=True)
        for arg in call.args:
            if found is None and not isinstance(arg, ast.Starred):
                found = self.classify(arg, scope, strings=False)
        if found is None:
            return False
        module, _, client = q.rpartition(".")
        services = spec.get("fallback_services", {})
        prefix = max((p for p in services if q.startswith(p + ".")), key=len, default="")
        fields = {
            "client": client,
            "family": _family(q),
            "module": module,
            "qualified_name": q,
            "async": "true" if ".aio" in module else "false",
            **found,
        }
        self.report(rule, call, services.get(prefix, rule.service), fields)
        return True

    # -- values ----------------------------------------------------------------------------------------------

    def argument(self, call: ast.Call, spec: dict[str, Any]) -> ast.expr | None:
        for keyword in call.keywords:
            if keyword.arg and keyword.arg in spec.get("keywords", ()):
                return keyword.value
        position = int(spec.get("position", -1))
        if 0 <= position < len(call.args) and not any(
            isinstance(a, ast.Starred) for a in call.args[: position + 1]
        ):
            return call.args[position]
        return None

    def values(self, node: ast.expr, scope: Scope, depth: int = 0) -> list[ast.expr]:
        """The expression itself, or what a local name was assigned (a few hops)."""
        if isinstance(node, ast.Name) and depth < MAX_VALUE_DEPTH and self.names.is_local(node.id, scope):
            found = [
                v
                for value in self.names.assigned_values(node.id, scope)
                for v in self.values(value, scope, depth + 1)
            ]
            return found or [node]
        return [node]

    def qualified(self, node: ast.expr, scope: Scope) -> set[str]:
        return self.names.qualified_names(node, scope)

    def env_setting(self, node: ast.expr, scope: Scope) -> str | None:
        """`os.environ["X"]`, `os.getenv("X")`, `environ.get("X")` (also through a local name) → "X"."""
        for value in self.values(node, scope):
            if isinstance(value, ast.Subscript) and "os.environ" in self.qualified(value.value, scope):
                if isinstance(value.slice, ast.Constant) and isinstance(value.slice.value, str):
                    return value.slice.value
            if isinstance(value, ast.Call) and self.qualified(value.func, scope) & ENV_READERS and value.args:
                first = value.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    return first.value
        return None

    def describe_value(self, node: ast.expr | None, scope: Scope, fields: dict[str, str]) -> None:
        if node is None:
            return
        setting = self.env_setting(node, scope)
        if setting:
            fields["setting"] = setting
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value:
            fields["literal"] = "true"

    def is_migrated(self, node: ast.expr | bool | None, scope: Scope) -> bool:
        """An azure.identity credential or token provider (directly or through a local name)."""
        if not isinstance(node, ast.expr):
            return False
        for value in self.values(node, scope):
            if isinstance(value, ast.Call) and any(
                q.startswith("azure.identity.") for q in self.qualified(value.func, scope)
            ):
                return True
        return False

    def text_of(self, node: ast.expr | None, scope: Scope, depth: int = 0) -> str:
        """The visible text of a string expression; unknown parts become `{name}` placeholders."""
        if node is None:
            return ""
        if depth > MAX_VALUE_DEPTH:
            return "{?}"
        if isinstance(node, ast.Constant):
            return node.value if isinstance(node.value, str) else "{?}"
        if isinstance(node, ast.JoinedStr):
            return "".join(self.text_of(v, scope, depth + 1) for v in node.values)
        if isinstance(node, ast.FormattedValue):
            return "{" + _label(node.value) + "}"
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return self.text_of(node.left, scope, depth + 1) + self.text_of(node.right, scope, depth + 1)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
            return self.text_of(node.left, scope, depth + 1)
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Attribute) and node.func.attr == "format":
                return self.text_of(node.func.value, scope, depth + 1)
            if node.args and self.qualified(node.func, scope) & TEXT_PASSTHROUGH:
                return self.text_of(node.args[0], scope, depth + 1)
        if isinstance(node, ast.Name) and self.names.is_local(node.id, scope):
            for value in self.names.assigned_values(node.id, scope):
                text = self.text_of(value, scope, depth + 1)
                if text.strip("{?}"):
                    return text
        return "{" + _label(node) + "}"

    def classify(self, node: ast.expr, scope: Scope, strings: bool) -> dict[str, str] | None:
        """What kind of key a credential argument carries, or None when it is not (visibly) a key."""
        if _is_none(node) or self.is_migrated(node, scope):
            return None
        for value in self.values(node, scope):
            if isinstance(value, ast.Call):
                for q in self.qualified(value.func, scope):
                    if q in self.matchers.credential_classes:
                        self.consumed.add(id(value))
                        return self.credential_object(value, scope, q)[1]
            if not strings:
                continue
            if isinstance(value, ast.Dict):
                if not value.keys:
                    return None  # `{}`: no key in it (a test of a client without one)
                keys = {k.value for k in value.keys if isinstance(k, ast.Constant)}
                return {"credential": "master-key-dict" if "masterKey" in keys else "key-dict"}
            setting = self.env_setting(value, scope)
            if setting or isinstance(value, (ast.Constant, ast.JoinedStr, ast.BinOp)):
                if isinstance(value, ast.Constant) and not isinstance(value.value, str):
                    continue
                text = self.text_of(value, scope) + (setting or "")
                fields = {
                    "credential": "sas-token" if re.search(r"(?i)sas|sv=|sig=", text) else "account-key"
                }
                self.describe_value(value, scope, fields)
                return fields
            words = _words(_label(value))
            if words and (words[-1] in KEY_WORDS or "sas" in words or "".join(words) in KEY_WORDS):
                return {"credential": "sas-token" if "sas" in words else "account-key", "inferred": "name"}
        return None

    def credential_object(self, call: ast.Call, scope: Scope, qualified: str) -> tuple[str, dict[str, str]]:
        kind = qualified.rsplit(".", 1)[1]
        fields = {"credential": kind}
        key_position = 1 if kind == "AzureNamedKeyCredential" else 0
        self.describe_value(
            self.argument(call, {"position": key_position, "keywords": ["key", "signature"]}), scope, fields
        )
        return kind, fields

    def sas_url(self, call: ast.Call, scope: Scope, target: Target) -> dict[str, str] | None:
        url = self.argument(call, {"position": 0, "keywords": target.get("url_argument", [])})
        if url is None or not SAS_TEXT.search(self.text_of(url, scope)):
            return None
        return {"credential": "sas-url"}

    # -- output ----------------------------------------------------------------------------------------------

    def report(self, rule: Rule, call: ast.Call, service: str, fields: dict[str, str]) -> None:
        template = rule.python.get("message", rule.title)
        message = template.format_map(
            _Blank(fields, client=fields.get("client") or fields.get("credential", ""))
        )
        self.findings.append(
            Finding(
                rule_id=rule.id,
                rule_name=rule.name,
                path=self.rel_path,
                span=self.span(call),
                severity=rule.severity,
                kind=rule.kind,
                service=service,
                message=message,
                fields={k: v for k, v in fields.items() if v != ""},
            )
        )

    def span(self, node: ast.expr) -> Span:
        end_line = node.end_lineno or node.lineno
        end_col = node.end_col_offset if node.end_col_offset is not None else node.col_offset
        return Span(
            node.lineno, self.column(node.lineno, node.col_offset), end_line, self.column(end_line, end_col)
        )

    def column(self, line: int, byte_offset: int) -> int:
        """ast offsets count UTF-8 bytes; findings count characters (1-based)."""
        text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        if text.isascii():
            return byte_offset + 1
        return len(text.encode("utf-8")[:byte_offset].decode("utf-8", "replace")) + 1


class _Blank(dict):  # type: ignore[type-arg]
    """format_map mapping where absent fields render empty."""

    def __missing__(self, key: str) -> str:
        return ""


def _is_none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _matches(pattern: str, text: str) -> bool:
    return bool(pattern) and re.search(pattern, text) is not None


def _label(node: ast.expr) -> str:
    """A readable name for placeholders and name heuristics: `self.sas_token` → "sas_token"."""
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
        return str(node.slice.value)
    return "?"


def _words(identifier: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", identifier)
    return [w for w in spaced.lower().split("_") if w]


def _family(qualified: str) -> str:
    """azure.ai.inference.aio.ChatCompletionsClient → azure-ai-inference (the distribution's usual name)."""
    parts = [p for p in qualified.split(".")[:-1] if p != "aio" and not p.startswith("_")]
    return "-".join(parts[:3])
