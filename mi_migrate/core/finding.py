"""The one Finding model shared by scan, fix, report, baseline and every output format.

A finding never holds a secret: only its redacted evidence and a hash. Renderers are pure functions of findings.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from typing import Any


class Severity(enum.IntEnum):
    """Ordered so that `severity >= threshold` decides the exit code."""

    NOTE = 1
    WARNING = 2
    ERROR = 3

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown severity {text!r} (expected error, warning or note)") from None

    @property
    def label(self) -> str:
        return self.name.lower()


class Kind(enum.StrEnum):
    """What a finding means for the migration."""

    SECRET = "secret"  # an embedded Azure credential: rotate it, then move to managed identity
    KEY_BASED_CODE = "key-based-code"  # code that authenticates with a key: can move to managed identity
    THIRD_PARTY_SECRET = "third-party-secret"  # a non-Azure secret: move to Key Vault
    INFORMATIONAL = "informational"  # emulator keys, instrumentation keys, migrated code hints
    INFRASTRUCTURE = "infrastructure"  # IaC wiring keys into apps, wrong-scope role assignments


@dataclass(frozen=True, slots=True)
class Span:
    """1-based line and column, end inclusive of the last character's column + 1 (SARIF style)."""

    line: int
    column: int
    end_line: int
    end_column: int


@dataclass(frozen=True)
class Finding:
    rule_id: str
    rule_name: str
    path: str  # repository-relative, POSIX separators
    span: Span
    severity: Severity
    kind: Kind
    service: str  # "storage", "servicebus", "cosmos", ... ("other" for third-party secrets)
    message: str
    evidence: str = ""  # redacted: prefix, length and hash only
    secret_hash: str | None = None  # sha256 hex of the secret value, for baselines and de-duplication
    fields: dict[str, str] = field(default_factory=dict)  # parsed: account, endpoint, sas_type, expiry, ...
    key_path: str | None = None  # structured files: Values.AzureWebJobsStorage, connectionStrings/add[@name='x']
    origin: dict[str, Any] = field(default_factory=dict)  # history scans: commit, date, present_at_head, ...

    @property
    def fingerprint(self) -> str:
        """Stable identity: rule, path and secret hash, or for secret-less findings what was found (message,
        key path, parsed fields). Never the line number, so edits above a finding keep its identity."""
        import hashlib

        from mi_migrate.core.redact import fingerprint

        if self.secret_hash:
            return fingerprint(self.rule_id, self.path, self.secret_hash)
        parts = [self.message, self.key_path or "", *(f"{k}={v}" for k, v in sorted(self.fields.items()))]
        digest = hashlib.sha256("\0".join(parts).encode("utf-8", "surrogatepass")).hexdigest()
        return fingerprint(self.rule_id, self.path, digest)

    def with_severity(self, severity: Severity) -> Finding:
        return replace(self, severity=severity)

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON shape documented in README.md (`--format json`)."""
        data: dict[str, Any] = {
            "rule_id": self.rule_id,
            "rule_name": self.rule_name,
            "path": self.path,
            "line": self.span.line,
            "column": self.span.column,
            "end_line": self.span.end_line,
            "end_column": self.span.end_column,
            "severity": self.severity.label,
            "kind": self.kind.value,
            "service": self.service,
            "message": self.message,
            "evidence": self.evidence,
            "secret_hash": self.secret_hash[:16] if self.secret_hash else None,
            "fingerprint": self.fingerprint,
            "fields": dict(self.fields),
        }
        if self.key_path is not None:
            data["key_path"] = self.key_path
        if self.origin:
            data["origin"] = dict(self.origin)
        return data


@dataclass(frozen=True, slots=True)
class Note:
    """Something the scan could not do or chose not to do (skipped file, parse fallback)."""

    path: str
    message: str
