"""SARIF 2.1.0 for GitHub code scanning (`github/codeql-action/upload-sarif`) and other SARIF viewers.

Decisions (docs/output-formats.md explains them to users):
- URIs are relative to the git work tree's root whatever path was scanned (code scanning resolves them against
  the repository root), POSIX, percent-encoded, with uriBaseId %SRCROOT%; a file outside the repository gets an
  absolute file:// URI. Outside git they are relative to the scan root.
- partialFingerprints.primaryLocationLineHash is our line-independent fingerprint (the baseline's) plus an
  occurrence counter, so an alert keeps its identity when lines move and upload-sarif leaves it alone;
  `fingerprints` carries the bare baseline fingerprint.
- Columns count Unicode code points (what the engine measures), so columnKind says "unicodeCodePoints"; a
  renderer cannot convert to UTF-16 without reading files, and the two differ only after astral characters.
- More than 25,000 results is an error, not a silent truncation: GitHub rejects such a run.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from importlib import metadata
from typing import Any
from urllib.parse import quote

from mi_migrate import __version__
from mi_migrate.core.finding import Finding, Severity
from mi_migrate.core.rules import Rule
from mi_migrate.output.context import RenderContext, help_uri, message_with_evidence
from mi_migrate.output.streaming import Items, dump, materialize
from mi_migrate.scan.model import ScanResult

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
MAX_RESULTS = 25_000  # GitHub: results per run
MAX_TAGS = 20  # GitHub: tags per rule
MAX_SHORT_DESCRIPTION = 1024
MAX_NOTIFICATIONS = 1000
MAX_MESSAGE = 1024  # GitHub shows the first sentence; mi-migrate keeps every message.text under this
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
    return quote(path.replace("\\", "/").removeprefix("./"), safe="/", errors="surrogateescape")


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
        "helpUri": help_uri(rule),
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


def artifact_location(path: str, context: RenderContext) -> dict[str, Any]:
    """Repository-relative URI against %SRCROOT%, or an absolute file:// URI for a file outside the repository."""
    rel = context.repo_path(path)
    if rel is None:
        return {"uri": context.absolute(path).as_uri()}
    return {"uri": artifact_uri(rel), "uriBaseId": "%SRCROOT%"}


def _message(finding: Finding) -> str:
    text = message_with_evidence(finding)
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"


def _result(finding: Finding, index: int, occurrence: int, context: RenderContext) -> dict[str, Any]:
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
        "message": {"text": _message(finding)},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": artifact_location(finding.path, context),
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
        "partialFingerprints": {"primaryLocationLineHash": f"{finding.fingerprint}:{occurrence}"},
        "properties": properties,
    }


def _src_root(result: ScanResult, context: RenderContext) -> dict[str, Any]:
    root: dict[str, Any] = {"description": {"text": "The root of the repository mi-migrate scanned."}}
    base = context.repo_root if context.repo_root is not None else result.root
    if base.is_absolute():
        root["uri"] = base.as_uri().rstrip("/") + "/"
    return root


def _notifications(result: ScanResult, context: RenderContext) -> list[dict[str, Any]]:
    notes = [
        {
            "level": "note",
            "message": {"text": note.message},
            "locations": [
                {"physicalLocation": {"artifactLocation": artifact_location(note.path, context)}}
            ],
        }
        for note in result.notes[:MAX_NOTIFICATIONS]
    ]
    hidden = len(result.notes) - MAX_NOTIFICATIONS
    if hidden > 0:
        notes.append({"level": "note", "message": {"text": f"{hidden} more notes not listed."}})
    return notes


def _results(result: ScanResult, index_of: dict[str, int], context: RenderContext) -> Iterator[dict[str, Any]]:
    seen: Counter[str] = Counter()
    for finding in result.findings:
        seen[finding.fingerprint] += 1
        yield _result(finding, index_of[finding.rule_id], seen[finding.fingerprint], context)


def envelope(result: ScanResult, rules: dict[str, Rule], context: RenderContext | None = None) -> dict[str, Any]:
    """The SARIF log with its results as Items (made one at a time when written with `dump`); raises ValueError
    when GitHub would reject it for size."""
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
    ctx = context if context is not None else RenderContext(scan_root=result.root)
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
                    {"executionSuccessful": True, "toolExecutionNotifications": _notifications(result, ctx)}
                ],
                "originalUriBaseIds": {"%SRCROOT%": _src_root(result, ctx)},
                "columnKind": "unicodeCodePoints",
                "results": Items(_results(result, index_of, ctx)),
            }
        ],
    }


def document(result: ScanResult, rules: dict[str, Rule], context: RenderContext | None = None) -> dict[str, Any]:
    """The SARIF log as a dict; raises ValueError when GitHub would reject it for size. The CLI streams it."""
    return materialize(envelope(result, rules, context))


def stream(result: ScanResult, rules: dict[str, Rule], write: Callable[[str], object],
           context: RenderContext | None = None) -> None:
    """Write the log through `write` one result at a time; nothing is written when it is too large."""
    dump(envelope(result, rules, context), write)


def render(result: ScanResult, rules: dict[str, Rule], context: RenderContext | None = None) -> str:
    parts: list[str] = []
    stream(result, rules, parts.append, context)
    return "".join(parts)
