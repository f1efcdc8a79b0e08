"""Infrastructure as code (Terraform, Bicep, ARM): apps wired with account keys, whether each app has a managed
identity, and control-plane roles granted where data-plane roles are needed. Simple text analysis per format
(brace-matched blocks, regexes), not a full parser: a template that does not fit is simply not reported.

The checks are driven by the rules' `[iac]` tables (rules/AZ40x-*.toml): messages, alternatives and role names
are data there.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from mi_migrate.core.finding import Finding
from mi_migrate.core.rules import Rule
from mi_migrate.scan.engine import LineIndex
from mi_migrate.scan.iac.model import Identity, KeyRef, Resource, RoleAssignment, Template

IAC_SUFFIXES = (".tf", ".bicep", ".json")
GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
APP_PRINCIPAL = re.compile(r"identity|serviceprincipal|properties\.principalid", re.IGNORECASE)


def load(rel_path: str, text: str) -> Template | None:
    """The reader for the file's format; None for JSON that is not an ARM template."""
    if rel_path.endswith(".tf"):
        from mi_migrate.scan.iac.terraform import TerraformTemplate

        return TerraformTemplate(text)
    if rel_path.endswith(".bicep"):
        from mi_migrate.scan.iac.bicep import BicepTemplate

        return BicepTemplate(text)
    if rel_path.endswith(".json"):
        from mi_migrate.scan.iac.arm import ArmTemplate, looks_like_arm

        return ArmTemplate(text) if looks_like_arm(text) else None
    return None


def analyze(rel_path: str, text: str, rules: Sequence[Rule]) -> list[Finding]:
    """AZ40x findings for one template; [] for files that are not IaC or when no IaC rule is selected."""
    checks = {rule.iac.get("check"): rule for rule in rules if rule.iac}
    if not checks or not rel_path.endswith(IAC_SUFFIXES):
        return []
    template = load(rel_path, text)
    if template is None:
        return []
    out = _Builder(rel_path, text)
    apps = [r for r in template.resources if r.takes_settings]
    if "key-wiring" in checks:
        for resource in apps:
            for ref in template.key_refs(resource):
                out.key_wiring(checks["key-wiring"], resource, ref)
    if "identity" in checks:
        for resource in apps:
            if resource.is_app:
                out.identity(checks["identity"], resource, template.identity(resource))
    if "role-scope" in checks:
        for assignment in template.role_assignments():
            out.role_scope(checks["role-scope"], assignment)
    return out.findings


class _Builder:
    """Turns extracted facts into Findings with the rule's message templates."""

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.text = text
        self.index = LineIndex.of(text)
        self.findings: list[Finding] = []
        self.seen: set[tuple[str, int]] = set()

    def line_end(self, offset: int) -> int:
        end = self.text.find("\n", offset)
        return len(self.text) if end < 0 else end

    def add(self, rule: Rule, start: int, end: int, service: str, message: str, fields: dict[str, str],
            key_path: str | None = None) -> None:
        if (rule.id, start) in self.seen:
            return
        self.seen.add((rule.id, start))
        self.findings.append(Finding(
            rule_id=rule.id, rule_name=rule.name, path=self.path, span=self.index.span(start, end),
            severity=rule.severity, kind=rule.kind, service=service, message=message,
            fields={k: v for k, v in fields.items() if v}, key_path=key_path,
        ))

    def key_wiring(self, rule: Rule, resource: Resource, ref: KeyRef) -> None:
        spec = rule.iac
        alternatives: dict[str, str] = spec.get("alternatives", {})
        setting = ref.setting or ""
        host = setting.lower() in ("azurewebjobsstorage", "storage_account_access_key") and ref.service == "storage"
        template = alternatives.get("host-storage" if host else ref.service, alternatives.get("default", ""))
        alternative = template.format(setting=setting or "<Connection>")
        where = f" in {setting}" if setting else ""
        message = spec["message"].format(app=resource.name, service=ref.service, reference=_short(ref.reference),
                                          where=where, alternative=alternative)
        fields = {"app": resource.name, "app_type": resource.kind, "setting": setting,
                  "reference": _short(ref.reference), "alternative": alternative}
        self.add(rule, ref.start, ref.end, ref.service, message, fields,
                 f"{resource.name}.{setting}" if setting else None)

    def identity(self, rule: Rule, resource: Resource, identity: Identity | None) -> None:
        spec = rule.iac
        kind = identity.type if identity else "none"
        ids = ", ".join(identity.ids) if identity else ""
        has = identity is not None and kind.lower() != "none"
        message = (spec["message"] if has else spec["message_none"]).format(
            resource=resource.name, identity_type=kind, user_assigned=f" ({ids})" if ids else "")
        start, end = (identity.start, identity.end) if identity else (resource.offset, self.line_end(resource.offset))
        self.add(rule, start, end, "other", message,
                 {"resource": resource.name, "resource_type": resource.kind, "identity_type": kind,
                  "user_assigned": ids})

    def role_scope(self, rule: Rule, assignment: RoleAssignment) -> None:
        spec = rule.iac
        if assignment.scope_service is None or not APP_PRINCIPAL.search(assignment.principal):
            return
        role = control_role(assignment.role, spec.get("control_roles", {}))
        data_roles = spec.get("data_roles", {}).get(assignment.scope_service)
        if role is None or not data_roles:
            return
        data_role = data_roles[0] if role == "Reader" else data_roles[-1]
        message = spec["message"].format(role=role, name=assignment.name, scope=_short(assignment.scope),
                                         service=assignment.scope_service, data_role=data_role,
                                         data_roles=" / ".join(data_roles))
        self.add(rule, assignment.start, assignment.end, assignment.scope_service, message,
                 {"role": role, "assignment": assignment.name, "scope": _short(assignment.scope),
                  "principal": _short(assignment.principal), "data_role": data_role})


def control_role(text: str, roles: dict[str, str]) -> str | None:
    """Owner / Contributor / Reader by exact name or by role-definition GUID anywhere in the expression."""
    bare = text.strip().strip("'\"").strip()
    guids = {g.lower() for g in GUID.findall(text)}
    return next((name for name, guid in roles.items() if bare == name or guid.lower() in guids), None)


def _short(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
