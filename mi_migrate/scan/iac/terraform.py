"""Terraform (.tf): resource blocks by brace matching, `*.primary_access_key`-style references, `identity` blocks
and `azurerm_role_assignment`s."""

from __future__ import annotations

import re

from mi_migrate.scan.iac.model import Identity, KeyRef, Resource, RoleAssignment, Template, service_of

RESOURCE = re.compile(r'^(resource|data)\s+"([\w-]+)"\s+"([\w-]+)"$')
KEY_ATTRIBUTE = re.compile(
    r"\b((?:data\.)?(azurerm_[a-z0-9_]+)\.[\w-]+(?:\[[^\]\n]*\])?)"
    r"\.((?:default_)?(?:primary|secondary)_[a-z_]*?(?:key|connection_string))\b"
)
LOCAL_DEF = re.compile(r"(?m)^[ \t]*([A-Za-z_][\w-]*)[ \t]*=")
IDENTITY = re.compile(r"^identity$")
ATTRIBUTE = r"(?m)^[ \t]*{name}[ \t]*=[ \t]*(.+?)[ \t]*$"


def attribute(direct: str, name: str) -> re.Match[str] | None:
    return re.search(ATTRIBUTE.format(name=re.escape(name)), direct)


class TerraformTemplate(Template):
    def __init__(self, text: str) -> None:
        super().__init__(text, "hcl")
        self.locals: dict[str, KeyRef] = {}
        for block in self.blocks.top():
            header = self.blocks.header(block)
            match = RESOURCE.match(header)
            if match and match.group(1) == "resource":
                kind, name = match.group(2), match.group(3)
                self.resources.append(Resource(kind, f"{kind}.{name}", block, self.blocks.header_start(block)))
            elif header == "locals":
                self._read_locals(block.open, block.close)

    def _read_locals(self, start: int, end: int) -> None:
        """`name = <expression with a key reference>`: one level of indirection through locals."""
        code = self.blocks.code
        for ref in self._direct_refs(start, end):
            line_start = code.rfind("\n", 0, ref.start) + 1
            match = LOCAL_DEF.match(code, line_start)
            if match:
                self.locals.setdefault(match.group(1), ref)

    def _direct_refs(self, start: int, end: int) -> list[KeyRef]:
        refs = []
        for match in KEY_ATTRIBUTE.finditer(self.blocks.code, start, end):
            service = service_of(match.group(2)) or "other"
            refs.append(KeyRef(match.start(), match.end(), match.group(0), service, self._setting(match.start())))
        return refs

    def _setting(self, offset: int) -> str | None:
        key = self.setting_for(offset)
        return "AzureWebJobsStorage" if key == "storage_account_access_key" else key

    def key_refs(self, resource: Resource) -> list[KeyRef]:
        block = resource.block
        refs = self._direct_refs(block.open, block.close)
        if self.locals:
            names = "|".join(re.escape(n) for n in self.locals)
            for match in re.compile(rf"\blocal\.({names})\b").finditer(self.blocks.code, block.open, block.close):
                via = self.locals[match.group(1)]
                refs.append(KeyRef(match.start(), match.end(), f"{match.group(0)} = {via.reference}", via.service,
                                   self._setting(match.start())))
        return refs

    def identity(self, resource: Resource) -> Identity | None:
        block = self.blocks.child(resource.block, IDENTITY)
        if block is None:
            return None
        direct = self.blocks.direct(block)
        kind = attribute(direct, "type")
        ids = attribute(direct, "identity_ids")
        found: tuple[str, ...] = ()
        if ids:
            inner = next((b for b in self.blocks.children(block) if b.open == ids.start(1)), None)
            value = self.blocks.code[inner.open + 1:inner.close] if inner else ids.group(1)
            found = tuple(re.sub(r"\.id$", "", i.strip()) for i in value.strip("[] \n").split(",") if i.strip())
        label = kind.group(1).strip('"') if kind else "SystemAssigned"
        return Identity(label, found, self.blocks.header_start(block), block.close + 1)

    def role_assignments(self) -> list[RoleAssignment]:
        found = []
        for resource in self.resources:
            if resource.kind != "azurerm_role_assignment":
                continue
            direct = self.blocks.direct(resource.block)
            role = attribute(direct, "role_definition_name") or attribute(direct, "role_definition_id")
            scope = attribute(direct, "scope")
            principal = attribute(direct, "principal_id")
            if not (role and scope and principal):
                continue
            kind = re.search(r"\b(?:data\.)?(azurerm_[a-z0-9_]+)\.", scope.group(1))
            service = service_of(kind.group(1)) if kind else None
            principal_text = principal.group(1)
            principal_type = attribute(direct, "principal_type")
            if principal_type and "ServicePrincipal" in principal_type.group(1):
                principal_text += " (ServicePrincipal)"
            found.append(RoleAssignment(role.start(1), role.end(1), resource.name, role.group(1).strip('"'),
                                        scope.group(1), service, principal_text))
        return found
