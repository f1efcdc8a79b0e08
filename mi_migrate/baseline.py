"""Hash-only baselines: accept the findings a repository already has, fail only on new ones.

`.mi-migrate-baseline.json` looks like detect-secrets' baseline minus anything sensitive or volatile:

    {"version": 1, "generated_by": "mi-migrate 0.1.0",
     "results": [{"rule_id": "AZ101", "path": "app/settings.py", "secret_hash": "<sha256 hex>",
                  "fingerprint": "<32 hex>"}, ...]}

Entries are sorted and carry no line numbers and no secret values, so the file diffs cleanly and can be
committed. Only `fingerprint` decides whether a finding is known:

- A finding with a secret: `Finding.fingerprint`, a hash of rule id, path and the secret's sha256. Editing
  the file elsewhere, or moving the secret within it, keeps it baselined; the same secret pasted again in
  the same file is the same (already leaked) value and stays baselined too.
- A finding without a secret (key-based client code): a hash of rule id, path, message, key path and the
  sorted parsed fields, plus its occurrence number among findings with that same identity in the file,
  counted from the top. Edits above it do not change any of these. Adding one more identical call makes
  the count grow, so the extra occurrence is reported (possibly at the line of an older one; the count is
  what matters). Changing the call itself (another client, another argument) makes it a new finding.

A renamed file makes its findings new, as in detect-secrets: the path is part of the identity.

History scans (`scan --history`) also accept a finding whose rule and secret hash match any entry: the path
of a key in an old commit is not the path a baseline knows it by (see mi_migrate.scan.history.run).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mi_migrate import __version__
from mi_migrate.core.finding import Finding
from mi_migrate.core.redact import fingerprint

if TYPE_CHECKING:
    from mi_migrate.core.config import Config

VERSION = 1
DEFAULT_NAME = ".mi-migrate-baseline.json"


def identities(findings: list[Finding]) -> list[str]:
    """The baseline identity of each finding, in order (see the module docstring)."""
    counts: Counter[str] = Counter()
    result = []
    for finding in sorted(findings, key=lambda f: (f.span.line, f.span.column)):
        if finding.secret_hash:
            continue
        key = code_key(finding)
        result.append((id(finding), fingerprint(finding.rule_id, finding.path, f"{key}#{counts[key]}")))
        counts[key] += 1
    by_object = dict(result)
    return [by_object.get(id(f)) or f.fingerprint for f in findings]


def code_key(finding: Finding) -> str:
    """What a secret-less finding is, independent of where it sits in the file."""
    fields = (f"{k}={v}" for k, v in sorted(finding.fields.items()))
    parts = [finding.message, finding.key_path or "", *fields]
    digest = hashlib.sha256("\0".join(parts).encode("utf-8", "surrogatepass")).hexdigest()
    return f"{finding.rule_id}\0{finding.path}\0{digest}"


def load(path: Path) -> set[str]:
    """The fingerprints in a baseline file; a ValueError names the file when it is missing or malformed."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"{path}: baseline not found (create it with `mi-migrate baseline`)") from None
    except OSError as exc:
        raise ValueError(f"{path}: cannot read baseline ({exc.strerror or exc})") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: baseline is not valid JSON ({str(exc).splitlines()[0]})") from None
    if not isinstance(data, dict) or not isinstance(data.get("results"), list):
        raise ValueError(f"{path}: not a mi-migrate baseline (no results list)")
    if data.get("version") != VERSION:
        raise ValueError(f"{path}: unsupported baseline version {data.get('version')!r} (expected {VERSION})")
    known = set()
    for entry in data["results"]:
        if not isinstance(entry, dict) or not isinstance(entry.get("fingerprint"), str):
            raise ValueError(f"{path}: baseline entry without a fingerprint: {entry!r:.80}")
        known.add(entry["fingerprint"])
    return known


def secret_keys(path: Path) -> set[tuple[str, str]]:
    """(rule id, secret sha256) of every entry holding a secret; call after `load` has validated the file."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return {(e["rule_id"], e["secret_hash"]) for e in data["results"]
            if isinstance(e.get("rule_id"), str) and isinstance(e.get("secret_hash"), str)}


def filter_new(known: set[str], findings: list[Finding]) -> list[Finding]:
    """The findings whose identity is not in the baseline."""
    return [f for f, ident in zip(findings, identities(findings), strict=True) if ident not in known]


def entries(findings: list[Finding]) -> list[dict[str, Any]]:
    """Sorted, de-duplicated baseline entries; never a line number or a secret value."""
    unique: dict[str, dict[str, Any]] = {}
    for finding, ident in zip(findings, identities(findings), strict=True):
        unique.setdefault(ident, {
            "rule_id": finding.rule_id,
            "path": finding.path,
            "secret_hash": finding.secret_hash,
            "fingerprint": ident,
        })
    return sorted(unique.values(), key=lambda e: (e["path"], e["rule_id"], e["fingerprint"]))


def render(results: list[dict[str, Any]]) -> str:
    document = {"version": VERSION, "generated_by": f"mi-migrate {__version__}", "results": results}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def write(path: Path, findings: list[Finding]) -> int:
    """Atomically replace `path` with a baseline of `findings`; returns the number of entries written."""
    results = entries(findings)
    text = render(results)
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return len(results)


def default_path(cfg: Config) -> Path:
    """Where `mi-migrate baseline` writes without --output: the configured baseline, else the root."""
    return cfg.baseline or cfg.root / DEFAULT_NAME
