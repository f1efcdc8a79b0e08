"""SARIF 2.1.0 for GitHub code scanning (`github/codeql-action/upload-sarif`) and other SARIF viewers.

Decisions (docs/output-formats.md explains them to users):
- URIs are repository-relative, POSIX, percent-encoded, with uriBaseId %SRCROOT%, so alerts stay stable
  across checkouts.
- No partialFingerprints: upload-sarif computes primaryLocationLineHash from the source; `fingerprints`
  carries our own line-independent identity (the baseline fingerprint).
- Columns count Unicode code points (what the engine measures), so columnKind says "unicodeCodePoints"; a
  renderer cannot convert to UTF-16 without reading files, and the two differ only after astral characters.
- More than 25,000 results is an error, not a silent truncation: GitHub rejects such a run.
"""

from __future__ import annotations

import json
from importlib import metadata
from typing import Any
from urllib.parse import quote

from mi_migrate import __version__
from mi_migrate.finding import Finding, Severity
from mi_migrate.output import message_with_evidence
from mi_migrate.rules import Rule
from mi_migrate.scan import ScanResult

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
MAX_RESULTS = 25_000  # GitHub: results per run
MAX_TAGS = 20  # GitHub: tags per rule
MAX_SHORT_DESCRIPTION = 1024
MAX_NOTIFICATIONS = 1000
FALLBACK_URI = "https://pypi.org/project/mi-migrate/"
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "note"}
# for findings whose rule is not in the catalogue (plugins, detect-secrets): GitHub's bands by severity
FALLBACK_SECURITY_SEVERITY = {Severity.ERROR: 8.0, Severity.WARNING: 5.0, Severity.NOTE: 2.0}
PRECISIONS = ("very-high", "high", "medium", "low")


def information_uri() -> str:
    """The project's Homepage URL from the installed metadata, else its PyPI page."""
    try:
        urls = metadata.metadata("mi-migrate").get_all("Project-URL") or []
    except metadata.PackageNotFoundError:
        urls = []
    for entry in urls:
        label, _, url = entry.partition(",")
        if label.strip().lower() in ("homepage", "repository", "source") and url.strip():
            return url.strip()
    return FALLBACK_URI


def artifact_uri(path: str) -> str:
    """A repository-relative POSIX path as a relative URI reference (spaces, `#`, `%`, non-ASCII encoded)."""
    return quote(path.replace("\\", "/").removeprefix("./"), safe="/")


def _tags(rule: Rule | None, finding: Finding) -> list[str]:
    candidates = ["security"]
    if finding.service != "other":
        candidates.append("azure")
    candidates += [finding.service, finding.kind.value]
    if rule is not None:
        candidates += list(rule.tags)
    tags: list[str] = []
    for tag in candidates:
        if tag and tag not in tags:
            tags.append(tag)
    return tags[:MAX_TAGS]


def rule_descriptor(rule_id: str, rule: Rule | None, finding: Finding) -> dict[str, Any]:
    """A reportingDescriptor from the rule file; a finding without a catalogue rule describes itself."""
    if rule is None:
        title = description = finding.message
        remediation = "Rotate the secret, then replace it with a managed identity or a Key Vault reference."
        level = LEVELS[finding.severity]
        precision = "medium"
        security_severity = FALLBACK_SECURITY_SEVERITY[finding.severity]
        name, references = finding.rule_name, ()
    else:
        title, description, remediation = rule.title, rule.description, rule.remediation
        level = LEVELS[rule.severity]
        precision = rule.precision if rule.precision in PRECISIONS else "medium"
        security_severity = rule.security_severity
        name, references = rule.name, rule.references
    markdown = f"{description}\n\n## Remediation\n\n{remediation}"
    if references:
        markdown += "\n\n## References\n\n" + "\n".join(f"- <{ref}>" for ref in references)
    return {
        "id": rule_id,
        "name": name,
        "shortDescription": {"text": title[:MAX_SHORT_DESCRIPTION]},
        "fullDescription": {"text": description},
        "help": {"text": f"{description}\n\nRemediation: {remediation}", "markdown": markdown},
        "defaultConfiguration": {"level": level},
        "properties": {
            "tags": _tags(rule, finding),
            "precision": precision,
            "security-severity": f"{min(max(security_severity, 0.1), 10.0):.1f}",
        },
    }


def _result(finding: Finding, index: int) -> dict[str, Any]:
    span = finding.span
    line, end_line = max(span.line, 1), max(span.end_line, span.line, 1)
    column = max(span.column, 1)
    end_column = max(span.end_column, column) if end_line == line else max(span.end_column, 1)
    properties: dict[str, Any] = {"kind": finding.kind.value, "service": finding.service}
    properties["fields"] = dict(finding.fields)
    if finding.key_path is not None:
        properties["key_path"] = finding.key_path
    if finding.origin:
        properties["origin"] = dict(finding.origin)
    return {
        "ruleId": finding.rule_id,
        "ruleIndex": index,
        "level": LEVELS[finding.severity],
        "message": {"text": message_with_evidence(finding)},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": artifact_uri(finding.path), "uriBaseId": "%SRCROOT%"},
                    "region": {
                        "startLine": line,
                        "startColumn": column,
                        "endLine": end_line,
                        "endColumn": end_column,
                    },
                }
            }
        ],
        "fingerprints": {"mi-migrate/v1": finding.fingerprint},
        "properties": properties,
    }


def _src_root(result: ScanResult) -> dict[str, Any]:
    root: dict[str, Any] = {"description": {"text": "The repository root mi-migrate scanned."}}
    if result.root.is_absolute():
        root["uri"] = result.root.as_uri().rstrip("/") + "/"
    return root


def _notifications(result: ScanResult) -> list[dict[str, Any]]:
    notes = [
        {
            "level": "note",
            "message": {"text": note.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": artifact_uri(note.path), "uriBaseId": "%SRCROOT%"}
                    }
                }
            ],
        }
        for note in result.notes[:MAX_NOTIFICATIONS]
    ]
    hidden = len(result.notes) - MAX_NOTIFICATIONS
    if hidden > 0:
        notes.append({"level": "note", "message": {"text": f"{hidden} more notes not listed."}})
    return notes


def document(result: ScanResult, rules: dict[str, Rule]) -> dict[str, Any]:
    """The SARIF log as a dict; raises ValueError when GitHub would reject it for size."""
    if len(result.findings) > MAX_RESULTS:
        raise ValueError(
            f"{len(result.findings)} results exceed the SARIF limit of {MAX_RESULTS:,} per run that GitHub "
            "accepts; narrow the scan (--select, --baseline) or use --format json"
        )
    first: dict[str, Finding] = {}
    for finding in result.findings:
        first.setdefault(finding.rule_id, finding)
    rule_ids = sorted(first)  # only rules that produced results, in id order for stable diffs
    index_of = {rule_id: i for i, rule_id in enumerate(rule_ids)}
    descriptors = [rule_descriptor(rid, rules.get(rid), first[rid]) for rid in rule_ids]
    results = [_result(f, index_of[f.rule_id]) for f in result.findings]
    return {
        "$schema": SCHEMA_URI,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "mi-migrate",
                        "semanticVersion": __version__,
                        "informationUri": information_uri(),
                        "rules": descriptors,
                    }
                },
                "invocations": [
                    {"executionSuccessful": True, "toolExecutionNotifications": _notifications(result)}
                ],
                "originalUriBaseIds": {"%SRCROOT%": _src_root(result)},
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }


def render(result: ScanResult, rules: dict[str, Rule]) -> str:
    return json.dumps(document(result, rules), indent=2, ensure_ascii=False) + "\n"
