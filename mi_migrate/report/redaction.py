"""Keep secrets out of every report format.

Three layers: (1) a diff's context and removed lines may quote a key, so the original and updated text of each
changed file is scanned and every secret found there is replaced by its redacted form; (2) key=value pairs of
known secret keys (AccountKey=, SharedAccessKey=, PWD=, sig=, ...) with literal values are masked in every string
of the report; (3) the rendered output is scanned once more and any Azure credential still found is redacted.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from mi_migrate.core.finding import Finding, Kind
from mi_migrate.core.redact import redact

SECRET_PAIR = re.compile(
    r"(?i)\b(AccountKey|SharedAccessKey|AccessKey|Secret|Password|PWD|sig|SharedAccessSignature)=([^;\"'\s&<>]{6,})"
)
LITERAL_EXEMPT = ("{", "$", "<", "%", "os.", "…")


def _mask_pair(match: re.Match[str]) -> str:
    key, value = match.group(1), match.group(2)
    if value.startswith(LITERAL_EXEMPT) or "…(" in value:
        return match.group(0)
    return f"{key}={redact(value)}"


def secrets_in(rel: str, text: str, third_party: bool = True) -> set[str]:
    """The raw secret values the scanner finds in `text` (used only to replace them; never stored)."""
    from mi_migrate.scan.files import scan_bytes
    from mi_migrate.scan.model import ScanSettings

    kinds = (Kind.SECRET, Kind.THIRD_PARTY_SECRET) if third_party else (Kind.SECRET,)
    try:
        findings, _ = scan_bytes(rel, text.encode("utf-8", "surrogatepass"), ScanSettings(third_party=third_party))
    except (RecursionError, ValueError):
        return set()
    lines = text.splitlines()
    found: set[str] = set()
    for finding in findings:
        if finding.kind not in kinds or not finding.secret_hash:
            continue
        value = _span_text(lines, finding)
        if value and len(value) >= 6:
            found.add(value)
    return found


def _span_text(lines: list[str], finding: Finding) -> str | None:
    span = finding.span
    if not 0 < span.line <= len(lines):
        return None
    if span.line == span.end_line:
        return lines[span.line - 1][span.column - 1:span.end_column - 1]
    parts = [lines[span.line - 1][span.column - 1:]]
    parts += lines[span.line:span.end_line - 1]
    if span.end_line <= len(lines):
        parts.append(lines[span.end_line - 1][:span.end_column - 1])
    return "\n".join(parts)


class Redactor:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.known: set[str] = set()

    def text(self, text: str) -> str:
        for secret in sorted(self.known, key=len, reverse=True):
            if secret in text:
                text = text.replace(secret, redact(secret))
        return SECRET_PAIR.sub(_mask_pair, text)

    def diff(self, file_fix: Any, diff: str) -> str:
        """A unified diff with every secret of the file's old and new text replaced by its redacted form."""
        self.known |= secrets_in(file_fix.path, file_fix.original)
        if file_fix.updated:
            self.known |= secrets_in(file_fix.path, file_fix.updated)
        return self.text(diff)

    def scrub(self, value: Any) -> Any:
        """Apply `text` to every string of a JSON-like structure."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.scrub(v) for v in value]
        if isinstance(value, dict):
            return {k: self.scrub(v) for k, v in value.items()}
        return value


def final_pass(rendered: str, name: str) -> str:
    """Last line of defence on a rendered report: redact any Azure credential the scanner still finds."""
    secrets = {s for s in secrets_in(name, rendered, third_party=False) if "…(" not in s}
    for secret in sorted(secrets, key=len, reverse=True):
        rendered = rendered.replace(secret, redact(secret))
    return SECRET_PAIR.sub(_mask_pair, rendered)
