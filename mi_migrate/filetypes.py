"""Per-file-type analyses that go beyond the text rules: Python-aware findings and detect-secrets' plugins."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from mi_migrate.finding import Finding, Note
from mi_migrate.rules import Rule

if TYPE_CHECKING:
    from mi_migrate.engine import LineIndex
    from mi_migrate.scan import ScanSettings

PYTHON_SUFFIXES = (".py", ".pyw")


def scan_structured(
    rel_path: str,
    text: str,
    lower: bytes,
    rules: tuple[Rule, ...],
    settings: ScanSettings,
    known: Sequence[Finding] = (),
    index: LineIndex | None = None,
) -> tuple[list[Finding], list[Note]]:
    """Findings that need more than a regex: Python call analysis and third-party secret detectors."""
    findings: list[Finding] = []
    notes: list[Note] = []
    if settings.python and rel_path.endswith(PYTHON_SUFFIXES):
        from mi_migrate import python_analysis

        found, more = python_analysis.analyze(rel_path, text, lower, rules)
        findings.extend(found)
        notes.extend(more)
    if rel_path.endswith((".tf", ".bicep", ".json")):  # infrastructure as code: AZ40x (mi_migrate.iac)
        from mi_migrate import iac

        findings.extend(iac.analyze(rel_path, text, rules))
    if settings.third_party:
        from mi_migrate import third_party

        findings.extend(third_party.scan(rel_path, text, lower, rules))
    from mi_migrate import structured  # config/IaC/notebook values decoded; findings named by key path

    known = [*known, *findings]
    if structured.wants(rel_path, lower, rules, known):
        found, more = structured.scan_structured_file(rel_path, text, rules, known, index)
        findings.extend(found)
        notes.extend(more)
    return findings, notes
