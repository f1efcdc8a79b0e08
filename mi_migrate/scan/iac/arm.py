"""ARM templates (.json): resource objects (a direct `"type": "Microsoft.X/y"` member), `listKeys(...)` inside
template expressions (directly or through `variables('x')`), `"identity"` objects and role assignments."""

from __future__ import annotations

import re

from mi_migrate.scan.iac.bicep import TRAILER, call_end
from mi_migrate.scan.iac.model import (
    Identity,
    KeyRef,
    Resource,
    RoleAssignment,
    Template,
    service_from_value,
    service_of,
)

TYPE = re.compile(r'"type"\s*:\s*"([^"\n]+)"')
NAME = re.compile(r'"name"\s*:\s*"([^"\n]*)"')
LIST_CALL = re.compile(r"(?i)\blist(?:Keys|ConnectionStrings)\s*\(")
VARIABLE = re.compile(r"""variables\(\s*'([^'\n]+)'\s*\)""")
IDENTITY = re.compile(r'(?:^|[{,\s])"identity"\s*:$')
PROPERTIES = re.compile(r'(?:^|[{,\s])"properties"\s*:$')
USER_IDS = re.compile(r'(?:^|[{,\s])"userAssignedIdentities"\s*:$')
VARIABLES = re.compile(r'^"variables"\s*:$')


def looks_like_arm(text: str) -> bool:
    head = text[:4000].lower()
    return "deploymenttemplate.json" in head or ('"resources"' in text and '"microsoft.' in text.lower()
                                                  and '"apiversion"' in text.lower())


def member(direct: str, name: str) -> re.Match[str] | None:
    return re.search(rf'"{name}"\s*:\s*"((?:[^"\\\n]|\\.)*)"', direct)


class ArmTemplate(Template):
    def __init__(self, text: str) -> None:
        super().__init__(text, "json")
        for block in self.blocks.items:
            # only objects holding "apiVersion" somewhere can be resources: most blocks skip the blanked copy
            if block.char != "{" or text.find('"apiVersion"', block.open, block.close) == -1:
                continue
            direct = self.blocks.direct(block)
            kind = TYPE.search(direct, block.open)  # the copy is padded to file offsets: start at the block
            if not kind or direct.find('"apiVersion"', block.open) == -1:
                continue
            name = NAME.search(direct, block.open)
            kind_text = kind.group(1)
            if "." not in kind_text:  # nested child resource: "config" inside a site
                parent = next((r for r in reversed(self.resources) if r.block.open < block.open <= r.block.close),
                              None)
                kind_text = f"{parent.kind}/{kind_text}" if parent else kind_text
            self.resources.append(Resource(kind_text, name.group(1) if name else kind_text, block, kind.start()))
        self.variables: dict[str, tuple[int, int]] = {}
        holder = next((b for b in self.blocks.items if b.depth == 1 and VARIABLES.match(self.blocks.header(b))), None)
        if holder is not None:
            direct = self.blocks.direct(holder)
            for match in re.finditer(r'(?m)^\s*"([^"\n]+)"\s*:', direct):
                end = direct.find("\n", match.end())
                end = holder.close if end < 0 else end
                for kid in self.blocks.children(holder):
                    if match.end() <= kid.open < end:
                        end = max(end, kid.close + 1)
                self.variables[match.group(1)] = (match.end(), end)
        self.key_vars = {name: refs[0] for name, (start, end) in self.variables.items()
                         if (refs := self._direct_refs(start, end))}

    def definition(self, name: str) -> str:
        return self.blocks.code[slice(*self.variables[name])] if name in self.variables else ""

    def _direct_refs(self, start: int, end: int) -> list[KeyRef]:
        code = self.blocks.code
        refs = []
        for match in LIST_CALL.finditer(code, start, end):
            stop = call_end(code, match.end() - 1)
            stop = TRAILER.match(code, stop).end()  # type: ignore[union-attr]
            args = code[match.end():stop]
            context = args + " ".join(self.definition(n) for n in VARIABLE.findall(args))
            line = code[code.rfind("\n", 0, match.start()) + 1:code.find("\n", stop)]
            service = service_of(context) or service_from_value(line) or "other"
            refs.append(KeyRef(match.start(), stop, code[match.start():stop], service, self.setting_for(match.start())))
        return refs

    def key_refs(self, resource: Resource) -> list[KeyRef]:
        block = resource.block
        refs = self._direct_refs(block.open, block.close)
        for match in VARIABLE.finditer(self.blocks.code, block.open, block.close):
            via = self.key_vars.get(match.group(1))
            if via is not None:
                refs.append(KeyRef(match.start(), match.end(), f"{match.group(0)} = {via.reference}", via.service,
                                   self.setting_for(match.start())))
        return refs

    def identity(self, resource: Resource) -> Identity | None:
        block = self.blocks.child(resource.block, IDENTITY)
        if block is None:
            return None
        kind = member(self.blocks.direct(block), "type")
        ids: list[str] = []
        users = self.blocks.child(block, USER_IDS)
        if users is not None:
            inner = self.blocks.direct(users)
            ids = [m.group(1).strip("[]") for m in re.finditer(r'"((?:[^"\\\n]|\\.)+)"\s*:', inner)]
        label = kind.group(1) if kind else "none"
        return Identity(label, tuple(ids), self.blocks.header_start(block), block.open + 1)

    def role_assignments(self) -> list[RoleAssignment]:
        found = []
        for resource in self.resources:
            lower = resource.kind.lower()
            if not (lower == "microsoft.authorization/roleassignments" or lower.endswith("/providers/roleassignments")):
                continue
            props = self.blocks.child(resource.block, PROPERTIES)
            if props is None:
                continue
            inner = self.blocks.direct(props)
            role = member(inner, "roleDefinitionId")
            principal = member(inner, "principalId")
            if role is None or principal is None:
                continue
            scope_match = member(self.blocks.direct(resource.block), "scope") or member(inner, "scope")
            scope = scope_match.group(1) if scope_match else resource.kind.rsplit("/providers/", 1)[0]
            role_text = role.group(1) + " " + " ".join(self.definition(n) for n in VARIABLE.findall(role.group(1)))
            scope_text = scope + " " + " ".join(self.definition(n) for n in VARIABLE.findall(scope))
            principal_text = principal.group(1)
            kind = member(inner, "principalType")
            if kind and kind.group(1) == "ServicePrincipal":
                principal_text += " (ServicePrincipal)"
            found.append(RoleAssignment(role.start(1), role.end(1), resource.name, role_text, scope, service_of(
                scope_text), principal_text))
        return found
