"""`--format gitlab` against GitLab's secret-detection report schema, and the `.gitlab-ci.yml` job in docs/ci.md.

No package on PyPI or npm ships GitLab's security report schemas, so SCHEMA below is written by hand from
`secret-detection-report-format.json` 15.2.5 (gitlab-org/security-products/security-report-schemas, linked from
GitLab's pipeline secret detection docs): every `required` list, pattern, enum and length limit on the parts of the
report mi-migrate writes (scan, analyzer/scanner, messages, vulnerabilities, identifiers, links, location, commit),
with GitLab's own draft-07 keywords. Parts mi-migrate never writes (details, tracking, flags, cvss_vectors,
remediations) are left open, as the schema's `additionalProperties: true` allows.
"""

from __future__ import annotations

import json
import os
import re
import sys
from dataclasses import replace
from pathlib import Path

import jsonschema
import pytest
import yaml

from mi_migrate.core.finding import Note, Severity, Span
from mi_migrate.core.rules import rule_by_id
from mi_migrate.output import RenderContext, gitlab, render
from tests.test_ci_support import ROOT, clean_env, git, pr_repository, run_bash
from tests.test_output_formats import make_finding, make_rule, result_of

NON_EMPTY = {"type": "string", "minLength": 1}
URL = {"type": "string", "pattern": "^(https?|ftp)://.+"}
TIME = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$"}
COMPONENT = {
    "type": "object",
    "required": ["id", "name", "version", "vendor"],
    "properties": {
        "id": NON_EMPTY, "name": NON_EMPTY, "version": NON_EMPTY, "url": {"type": "string"},
        "vendor": {"type": "object", "required": ["name"], "properties": {"name": NON_EMPTY}},
    },
}
IDENTIFIER = {
    "type": "object",
    "required": ["type", "name", "value"],
    "properties": {"type": NON_EMPTY, "name": NON_EMPTY, "value": NON_EMPTY, "url": URL},
}
SCHEMA = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "GitLab secret detection report 15.2.5 (required fields, hand-written; see the module docstring)",
    "type": "object",
    "required": ["scan", "version", "vulnerabilities"],
    "properties": {
        "schema": {"type": "string", "pattern": "^https?://.+"},
        "version": {"type": "string", "pattern": r"^[0-9]+\.[0-9]+\.[0-9]+$"},
        "scan": {
            "type": "object",
            "required": ["analyzer", "end_time", "scanner", "start_time", "status", "type"],
            "properties": {
                "analyzer": {**COMPONENT, "properties": {**COMPONENT["properties"],
                                                          "url": {"type": "string", "pattern": "^https?://.+"}}},
                "scanner": COMPONENT,
                "start_time": TIME,
                "end_time": TIME,
                "status": {"type": "string", "enum": ["success", "failure"]},
                "type": {"type": "string", "enum": ["secret_detection"]},
                "messages": {"type": "array", "items": {
                    "type": "object", "required": ["level", "value"],
                    "properties": {"level": {"type": "string", "enum": ["info", "warn", "fatal"]},
                                   "value": NON_EMPTY}}},
                "primary_identifiers": {"type": "array", "items": IDENTIFIER},
            },
        },
        "vulnerabilities": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "identifiers", "location"],
                "properties": {
                    "id": NON_EMPTY,
                    "name": {"type": "string", "maxLength": 255},
                    "description": {"type": "string", "maxLength": 1048576},
                    "severity": {"type": "string", "enum": ["Info", "Unknown", "Low", "Medium", "High", "Critical"]},
                    "solution": {"type": "string", "maxLength": 7000},
                    "identifiers": {"type": "array", "minItems": 1, "items": IDENTIFIER},
                    "links": {"type": "array", "items": {"type": "object", "required": ["url"],
                                                         "properties": {"name": {"type": "string"}, "url": URL}}},
                    "location": {
                        "type": "object",
                        "required": ["commit"],
                        "properties": {
                            "file": {"type": "string"},
                            "start_line": {"type": "number"},
                            "end_line": {"type": "number"},
                            "class": {"type": "string"},
                            "method": {"type": "string"},
                            "commit": {"type": "object", "required": ["sha"],
                                       "properties": {"sha": NON_EMPTY, "author": {"type": "string"},
                                                      "date": {"type": "string"}, "message": {"type": "string"}}},
                        },
                    },
                    "raw_source_code_extract": {"type": "string"},
                },
            },
        },
    },
}


def validate(doc: dict) -> None:
    validator = jsonschema.Draft7Validator(SCHEMA)
    validator.check_schema(SCHEMA)
    errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(doc)]
    assert not errors, errors


def test_gitlab_report_validates_and_is_stable():
    context = RenderContext(scan_root=Path("/repo/sub"), repo_root=Path("/repo"), commit="c0ffee" * 6 + "c0ff",
                            timestamp="2026-01-02T03:04:05")
    res = result_of(
        make_finding(),
        make_finding(),  # the same secret twice in a file: two vulnerabilities with distinct ids
        make_finding(severity=Severity.NOTE, rule_id="AZ900", span=Span(2, 1, 4, 5)),
        replace(make_finding(path="old.env"), origin={"commit": "abc1234def"}),
        notes=(Note("x.bin", "skipped: binary file"),),
    )
    doc = json.loads(render("gitlab", res, {"AZ101": make_rule()}, context=context))
    validate(doc)
    vulns = doc["vulnerabilities"]
    assert doc["version"] == gitlab.SCHEMA_VERSION and doc["scan"]["type"] == "secret_detection"
    assert doc["scan"]["start_time"] == "2026-01-02T03:04:05"
    assert len({v["id"] for v in vulns}) == 4
    assert [v["severity"] for v in vulns] == ["Critical", "Critical", "Info", "Critical"]
    assert vulns[0]["location"] == {"file": "sub/app/settings.py", "start_line": 3, "end_line": 3,
                                    "commit": {"sha": context.commit}}
    assert vulns[3]["location"]["commit"]["sha"] == "abc1234def"  # a history finding keeps its own commit
    assert vulns[0]["identifiers"][0]["value"] == "AZ101"
    assert all("raw_source_code_extract" not in v for v in vulns)
    again = json.loads(render("gitlab", res, {"AZ101": make_rule()}, context=context))
    assert [v["id"] for v in again["vulnerabilities"]] == [v["id"] for v in vulns]


def test_gitlab_identifiers_link_to_existing_rule_docs():
    rules = rule_by_id()
    page = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    anchors = set(re.findall(r"\]\(#([\w-]+)\)", page))
    for rule_id in ("AZ101", "AZ103", "AZ201", "AZ303"):
        finding = make_finding(rule_id=rule_id)
        url = gitlab.vulnerability(finding, rules[rule_id], 1, RenderContext())["identifiers"][0]["url"]
        assert url.split("#", 1)[1] in anchors


def test_gitlab_report_of_a_real_scan_has_no_secret(tmp_path):
    origin = pr_repository(tmp_path)
    env = clean_env(HOME=str(tmp_path), PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    proc = run_bash("python -m mi_migrate scan --format gitlab --fail-on never -o report.json .\n", origin, env,
                    tmp_path / "s")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads((origin / "report.json").read_text(encoding="utf-8"))
    validate(doc)
    head = git(origin, "rev-parse", "HEAD").strip()
    files = {v["location"]["file"] for v in doc["vulnerabilities"]}
    assert files == {"app/old.env"} and doc["vulnerabilities"][0]["location"]["commit"]["sha"] == head
    key = re.search(r"AccountKey=([^;]+)", (origin / "app" / "old.env").read_text()).group(1)
    assert key[4:20] not in json.dumps(doc)


def _snippet(name: str) -> str:
    page = (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")
    match = re.search(rf"<!-- snippet: {name} -->\n```\w+\n(.*?)```", page, re.S)
    assert match, f"docs/ci.md has no snippet {name}"
    return match.group(1)


@pytest.mark.slow
def test_docs_gitlab_job_runs_and_its_report_validates(tmp_path):
    """The job's script, as GitLab runs it (one shell, lines in order), minus the pip install line: this test's
    Python already has mi-migrate (the install line is the same `pip install` the action tests run)."""
    job = yaml.safe_load(_snippet("gitlab-ci"))["mi-migrate"]
    assert job["artifacts"]["reports"]["secret_detection"] == "gl-secret-detection-report.json"
    assert job["artifacts"]["when"] == "always"
    install, *script = job["script"]
    assert install.startswith("python -m pip install") and "$MI_MIGRATE_INSTALL" in install
    origin = pr_repository(tmp_path)
    bin_dir = Path(sys.executable).parent
    env = clean_env(HOME=str(tmp_path), PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}", GITLAB_CI="true",
                    CI_PROJECT_DIR=str(origin), **job["variables"])
    proc = run_bash("\n".join(script) + "\n", origin, env, tmp_path / "s")
    assert proc.returncode == 1, proc.stdout + proc.stderr  # main carries app/old.env: the gate fails
    report = json.loads((origin / job["artifacts"]["reports"]["secret_detection"]).read_text(encoding="utf-8"))
    validate(report)
    assert [v["location"]["file"] for v in report["vulnerabilities"]] == ["app/old.env"]
