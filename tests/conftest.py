"""Shared test helpers. Fake keys come from mi_migrate.testing.fakes; no key-shaped literal lives in the tests."""

from __future__ import annotations

import pytest

from mi_migrate.scan.files import scan_bytes
from mi_migrate.scan.model import ScanSettings
from mi_migrate.testing import fakes


def scan_snippet(text: str, filename: str = "example.txt", **settings: object):
    """Scan a snippet as if it were a file's content; «tokens» are expanded to fake keys first."""
    expanded = fakes.expand(text)
    findings, _notes = scan_bytes(filename, expanded.encode("utf-8"), ScanSettings(**settings))
    return findings, expanded


@pytest.fixture
def scan():
    return scan_snippet


# The scanning tests run under every candidate engine (mi_migrate.scan.candidates): hyperscan when installed and the
# pure-`re` fallback, which must give identical findings.
ENGINE_MODULES = frozenset({
    "test_rule_examples", "test_third_party", "test_structured_formats", "test_structured_false_negatives",
    "test_structured_malformed", "test_precision", "test_iac", "test_identifiable", "test_suppress",
    "test_quoted_connection_values", "test_bad_input", "test_gate_precision_values", "test_regex_safety",
    "test_python_pruned_walk",
})


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if metafunc.module.__name__.rsplit(".", 1)[-1] in ENGINE_MODULES:
        from mi_migrate.scan import candidates

        metafunc.fixturenames.append("candidate_engine")
        metafunc.parametrize("candidate_engine", candidates.available())


@pytest.fixture
def candidate_engine(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("MI_MIGRATE_ENGINE", request.param)
    return request.param
