"""A Markdown job summary (GitHub `$GITHUB_STEP_SUMMARY`, Azure `task.uploadsummary`) from a SARIF file.

Why from SARIF: the CI templates already write one for code scanning, so the summary needs no second scan and
shows exactly what was uploaded. Messages in SARIF are redacted, so the summary never holds a secret.

    python -m mi_migrate.output.summary mi-migrate.sarif >> "$GITHUB_STEP_SUMMARY"
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

FINDINGS_LISTED = 50
LEVEL_ORDER = {"error": 0, "warning": 1, "note": 2, "none": 3}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ").strip()


def markdown(doc: dict[str, Any], title: str = "mi-migrate") -> str:
    """A table of findings by rule (level, count, title with its docs link), then the first findings by place."""
    rules: dict[str, dict[str, Any]] = {}
    results: list[dict[str, Any]] = []
    for run in doc.get("runs", []):
        for rule in run.get("tool", {}).get("driver", {}).get("rules", []):
            rules.setdefault(rule["id"], rule)
        results += run.get("results", [])
    if not results:
        return f"### {title}\n\nNo findings.\n"
    counts = Counter(r["ruleId"] for r in results)
    levels = {r["ruleId"]: r.get("level", "warning") for r in results}
    ordered = sorted(counts, key=lambda rid: (LEVEL_ORDER.get(levels[rid], 9), -counts[rid], rid))
    total = len(results)
    lines = [f"### {title}: {total} finding{'s' * (total != 1)}", "", "| Rule | Level | Findings | Title |",
             "|---|---|---:|---|"]
    for rid in ordered:
        rule = rules.get(rid, {})
        name = _cell(rule.get("shortDescription", {}).get("text", ""))
        link = f"[{rid}]({rule['helpUri']})" if rule.get("helpUri") else rid
        lines.append(f"| {link} | {levels[rid]} | {counts[rid]} | {name} |")
    lines += ["", "<details><summary>Findings</summary>", ""]
    for result in results[:FINDINGS_LISTED]:
        place = result.get("locations", [{}])[0].get("physicalLocation", {})
        uri = place.get("artifactLocation", {}).get("uri", "?")
        line = place.get("region", {}).get("startLine", "?")
        lines.append(f"- `{uri}:{line}` {result['ruleId']}: {_cell(result.get('message', {}).get('text', ''))}")
    if total > FINDINGS_LISTED:
        lines.append(f"- … {total - FINDINGS_LISTED} more in the SARIF file")
    lines += ["", "</details>", ""]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python -m mi_migrate.output.summary FILE.sarif", file=sys.stderr)
        return 2
    try:
        doc = json.loads(Path(args[0]).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        print(f"mi-migrate summary: cannot read {args[0]}: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write(markdown(doc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
