"""`--format gitlab`: a GitLab secret-detection report (`artifacts:reports:secret_detection`).

Shape: GitLab's security report schema 15.2.5, `secret-detection-report-format.json`. Each finding is one
vulnerability whose primary identifier is the rule id (so GitLab groups and tracks by rule), located by repository
path, line and the commit scanned. Never a raw secret: `raw_source_code_extract` is left out on purpose and the
description carries only the redacted evidence.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from typing import Any

from mi_migrate import __version__
from mi_migrate.core.finding import Finding, Severity
from mi_migrate.core.rules import Rule
from mi_migrate.output.context import RenderContext, help_uri, message_with_evidence
from mi_migrate.output.sarif import information_uri
from mi_migrate.scan.model import ScanResult

SCHEMA_VERSION = "15.2.5"
SCHEMA_URL = ("https://gitlab.com/gitlab-org/security-products/security-report-schemas/-/raw/"
              f"v{SCHEMA_VERSION}/dist/secret-detection-report-format.json")
UNKNOWN_COMMIT = "0000000"  # what GitLab's own analyzer writes when it scanned no commit
MAX_NAME, MAX_SOLUTION, MAX_MESSAGES = 255, 7000, 100
ID_NAMESPACE = uuid.UUID("5b0c3c1e-8f1e-4a43-9a53-6d2f1e0c7a11")  # vulnerability ids: uuid5 of the fingerprint
FALLBACK = {Severity.ERROR: "High", Severity.WARNING: "Medium", Severity.NOTE: "Info"}


def gitlab_severity(finding: Finding, rule: Rule | None) -> str:
    """Notes are Info; otherwise GitLab's bands over the rule's security-severity (as GitHub reads it)."""
    if finding.severity == Severity.NOTE:
        return "Info"
    if rule is None:
        return FALLBACK[finding.severity]
    score = rule.security_severity
    return "Critical" if score >= 9.0 else "High" if score >= 7.0 else "Medium" if score >= 4.0 else "Low"


def vulnerability(finding: Finding, rule: Rule | None, occurrence: int, context: RenderContext) -> dict[str, Any]:
    """One report entry; its id is stable across pipelines (fingerprint + occurrence), so GitLab tracks it."""
    span = finding.span
    commit = str(finding.origin.get("commit") or context.commit or UNKNOWN_COMMIT)
    title = rule.title if rule is not None else finding.message
    entry: dict[str, Any] = {
        "id": str(uuid.uuid5(ID_NAMESPACE, f"{finding.fingerprint}:{occurrence}")),
        "name": title[:MAX_NAME],
        "description": message_with_evidence(finding),
        "severity": gitlab_severity(finding, rule),
        "identifiers": [
            {
                "type": "mi_migrate_rule_id",
                "name": f"mi-migrate {finding.rule_id} ({finding.rule_name})"[:MAX_NAME],
                "value": finding.rule_id,
                "url": help_uri(rule),
            }
        ],
        "location": {
            "file": context.display_path(finding.path),
            "start_line": max(span.line, 1),
            "end_line": max(span.end_line, span.line, 1),
            "commit": {"sha": commit},
        },
    }
    if rule is not None:
        entry["solution"] = rule.remediation[:MAX_SOLUTION]
        links = [{"url": ref} for ref in rule.references if ref.startswith(("https://", "http://"))]
        if links:
            entry["links"] = links
    return entry


def document(result: ScanResult, rules: dict[str, Rule], context: RenderContext | None = None) -> dict[str, Any]:
    ctx = context if context is not None else RenderContext(scan_root=result.root)
    seen: Counter[str] = Counter()
    vulnerabilities = []
    for finding in result.findings:
        seen[finding.fingerprint] += 1
        vulnerabilities.append(vulnerability(finding, rules.get(finding.rule_id), seen[finding.fingerprint], ctx))
    tool = {"id": "mi-migrate", "name": "mi-migrate", "version": __version__, "vendor": {"name": "mi-migrate"}}
    url = information_uri()
    if url.startswith(("https://", "http://")):
        tool["url"] = url
    messages = [{"level": "info", "value": f"{note.path}: {note.message}"} for note in result.notes[:MAX_MESSAGES]]
    if len(result.notes) > MAX_MESSAGES:
        messages.append({"level": "info", "value": f"{len(result.notes) - MAX_MESSAGES} more notes not listed"})
    stamp = ctx.time()
    scan: dict[str, Any] = {
        "analyzer": tool,
        "scanner": dict(tool),
        "type": "secret_detection",
        "start_time": stamp,
        "end_time": stamp,
        "status": "success",
    }
    if messages:
        scan["messages"] = messages
    return {"version": SCHEMA_VERSION, "schema": SCHEMA_URL, "scan": scan, "vulnerabilities": vulnerabilities}


def render(result: ScanResult, rules: dict[str, Rule], context: RenderContext | None = None) -> str:
    return json.dumps(document(result, rules, context), indent=2, ensure_ascii=False) + "\n"
