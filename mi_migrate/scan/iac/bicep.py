"""Bicep (.bicep): `resource x '<type>@<api>' = { ... }` blocks, `listKeys(...)`/`x.listKeys()` references
(directly or through a `var`), `identity: { ... }` and `Microsoft.Authorization/roleAssignments`."""

from __future__ import annotations

import re

from mi_migrate.scan.iac.model import (
    Identity,
    KeyRef,
    Resource,
    RoleAssignment,
    Template,
    service_from_value,
    service_of,
)

RESOURCE = re.compile(r"^resource\s+(\w+)\s+'([^'@]+)(?:@[^']*)?'\s*(existing\s*)?=")
VAR = re.compile(r"(?m)^[ \t]*var[ \t]+(\w+)[ \t]*=")
LIST_CALL = re.compile(r"(?i)\b(?:([A-Za-z_]\w*)(?:\[[^\]\n]*\])?\.)?(list(?:Keys|ConnectionStrings))\s*\(")
TRAILER = re.compile(r"(?:\.\w+|\[[^\]\n]*\])*")
IDENTITY = re.compile(r"(?:^|[{,\s])identity\s*:$")
PROPERTIES = re.compile(r"(?:^|[{,\s])properties\s*:$")
USER_IDS = re.compile(r"(?:^|[{,\s])userAssignedIdentities\s*:$")
NOT_SYMBOLS = frozenset({"az", "sys"})


def call_end(code: str, open_paren: int) -> int:
    """Offset after the `)` matching the `(` at `open_paren` (strings are not special: good enough here)."""
    depth = 0
    for i in range(open_paren, min(len(code), open_paren + 2000)):
        if code[i] == "(":
            depth += 1
        elif code[i] == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        elif code[i] == "\n" and depth > 2:
            break
    return open_paren + 1


def member(direct: str, name: str) -> re.Match[str] | None:
    return re.search(rf"(?m)^[ \t{{,]*{name}[ \t]*:[ \t]*(.+?)[ \t]*$", direct)


class BicepTemplate(Template):
    def __init__(self, text: str) -> None:
        super().__init__(text, "bicep")
        self.symbols: dict[str, Resource] = {}
        for block in self.blocks.items:
            if block.char != "{":
                continue
            match = RESOURCE.match(self.blocks.header(block))
            if not match:
                continue
            kind = match.group(2)
            if "/" not in kind and "." not in kind:  # a nested child: 'config' inside a site
                parent = next((r for r in reversed(self.resources) if r.block.open < block.open <= r.block.close),
                              None)
                kind = f"{parent.kind}/{kind}" if parent else kind
            resource = Resource(kind, match.group(1), block, self.blocks.header_start(block))
            self.symbols[resource.name] = resource
            if not match.group(3):
                self.resources.append(resource)
        self.vars: dict[str, tuple[int, int]] = {}
        for match in VAR.finditer(self.blocks.code):
            end = self.blocks.code.find("\n", match.end())
            end = len(self.text) if end < 0 else end
            for block in self.blocks.items:
                if match.end() <= block.open < end and block.depth == 0:
                    end = max(end, block.close + 1)
            self.vars[match.group(1)] = (match.end(), end)
        self.key_vars = {name: refs[0] for name, (start, end) in self.vars.items()
                         if (refs := self._direct_refs(start, end))}

    def definition(self, name: str) -> str:
        if name in self.vars:
            return self.blocks.code[slice(*self.vars[name])]
        if name in self.symbols:
            block = self.symbols[name].block
            return self.blocks.code[block.open:block.close + 1]
        return ""

    def _direct_refs(self, start: int, end: int) -> list[KeyRef]:
        code = self.blocks.code
        refs = []
        for match in LIST_CALL.finditer(code, start, end):
            stop = call_end(code, match.end() - 1)
            stop = TRAILER.match(code, stop).end()  # type: ignore[union-attr]
            reference = code[match.start():stop]
            symbol = match.group(1)
            target = self.symbols.get(symbol) if symbol and symbol not in NOT_SYMBOLS else None
            service = service_of(target.kind) if target else None
            if service is None:
                args = code[match.end():stop]
                context = args + " ".join(self.definition(n) for n in re.findall(r"\b(\w+)\b", args)
                                          if n in self.symbols or n in self.vars)
                line = code[code.rfind("\n", 0, match.start()) + 1:code.find("\n", stop)]
                service = service_of(context) or service_from_value(line) or "other"
            refs.append(KeyRef(match.start(), stop, reference, service, self.setting_for(match.start())))
        return refs

    def key_refs(self, resource: Resource) -> list[KeyRef]:
        block = resource.block
        refs = self._direct_refs(block.open, block.close)
        code = self.blocks.code
        for name, via in self.key_vars.items():
            usage = re.compile(rf"(?<![\w.'])({re.escape(name)})\b(?!\s*:)")
            for match in usage.finditer(code, block.open, block.close):
                refs.append(KeyRef(match.start(), match.end(), f"{name} = {via.reference}", via.service,
                                   self.setting_for(match.start())))
        return refs

    def identity(self, resource: Resource) -> Identity | None:
        block = self.blocks.child(resource.block, IDENTITY)
        if block is None:
            return None
        direct = self.blocks.direct(block)
        kind = member(direct, "type")
        ids: list[str] = []
        users = self.blocks.child(block, USER_IDS)
        if users is not None:
            inner = self.blocks.code[users.open + 1:users.close]
            ids = [re.sub(r"\.id$", "", m.group(1) or m.group(2)).strip()
                   for m in re.finditer(r"'(?:\$\{(.+?)\}|([^'$\n]+))'\s*:", inner)]
        label = kind.group(1).strip("'") if kind else "none"
        return Identity(label, tuple(ids), self.blocks.header_start(block), block.open + 1)

    def role_assignments(self) -> list[RoleAssignment]:
        found = []
        for resource in self.resources:
            if not resource.kind.lower().startswith("microsoft.authorization/roleassignments"):
                continue
            direct = self.blocks.direct(resource.block)
            scope = member(direct, "scope")
            props = self.blocks.child(resource.block, PROPERTIES)
            if scope is None or props is None:
                continue
            inner = self.blocks.direct(props)
            role = member(inner, "roleDefinitionId")
            principal = member(inner, "principalId")
            if role is None or principal is None:
                continue
            role_text = role.group(1) + " " + " ".join(self.definition(n) for n in re.findall(r"\b(\w+)\b",
                                                                                              role.group(1)))
            symbol = re.match(r"(\w+)", scope.group(1))
            target = self.symbols.get(symbol.group(1)) if symbol else None
            service = service_of(target.kind) if target else service_of(scope.group(1))
            principal_text = principal.group(1)
            kind = member(inner, "principalType")
            if kind and "ServicePrincipal" in kind.group(1):
                principal_text += " (ServicePrincipal)"
            found.append(RoleAssignment(role.start(1), role.end(1), resource.name, role_text, scope.group(1),
                                        service, principal_text))
        return found
