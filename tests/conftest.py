"""Shared test helpers. Fake keys come from mi_migrate.fakes; no key-shaped literal lives in the tests."""

from __future__ import annotations

import pytest

from mi_migrate import fakes
from mi_migrate.scan import ScanSettings, scan_bytes


def scan_snippet(text: str, filename: str = "example.txt", **settings: object):
    """Scan a snippet as if it were a file's content; «tokens» are expanded to fake keys first."""
    expanded = fakes.expand(text)
    findings, _notes = scan_bytes(filename, expanded.encode("utf-8"), ScanSettings(**settings))
    return findings, expanded


@pytest.fixture
def scan():
    return scan_snippet
