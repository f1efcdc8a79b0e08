"""Every rule regex must be safe against catastrophic backtracking: 100 KB adversarial lines, bounded time."""

from __future__ import annotations

import time

import pytest

from mi_migrate.core.rules import load_rules
from mi_migrate.scan.engine import scan_text

N = 100_000
ADVERSARIAL = {
    "letters": "a" * N,
    "base64": "A" * N,
    "base64-pad": "Ab+/" * (N // 4) + "=",
    "hex": "ab12" * (N // 4),
    "spaces": "accountkey" + " " * N,
    "anchors": "AccountKey=" * (N // 11),
    "sig": "&sig=" * (N // 5),
    "sas-params": "sv=2022-11-02&" * (N // 14),
    "sharedaccesskey": "SharedAccessKey= " * (N // 17),
    "password": ";Password=x" * (N // 11),
    "redis": ",password=" * (N // 10),
    "urls": "https://acme.azurewebsites.net/api/f?" * (N // 38),
    "entra": "abc1Q~" * (N // 6),
    "quotes": "api_key='" * (N // 9),
    "semicolons": "Server=a;" * (N // 9),
    "redis-url": "rediss://:" * (N // 10),
    "tildes": "~" * N,
}


@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
def test_all_rules_stay_fast_on_adversarial_lines(name: str) -> None:
    rules = [r for r in load_rules() if r.patterns]
    text = ADVERSARIAL[name]
    started = time.perf_counter()
    scan_text("adversarial.txt", text, rules)
    elapsed = time.perf_counter() - started
    assert elapsed < 6.0, f"{name}: {elapsed:.2f}s"  # catastrophic backtracking takes minutes; a busy CI runner seconds
