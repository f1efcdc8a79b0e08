"""App settings: the name of the setting that replaces a connection string, and the values a repository's
`.env`, `local.settings.json` and `appsettings*.json` hold for the old ones (to derive the new values; the old
values themselves are never copied anywhere).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

CONNECTION_WORDS = re.compile(
    r"(?i)(?:[_\-.]?(?:connection[_\-.]?string|conn[_\-.]?str(?:ing)?|connection|connstr|conn))$"
)
FUNCTIONS_SUFFIX = {  # Azure Functions identity-based connection properties
    "blob": "__blobServiceUri",
    "queue": "__queueServiceUri",
    "table": "__tableServiceUri",
    "file": "__serviceUri",
    "dfs": "__serviceUri",
    "servicebus": "__fullyQualifiedNamespace",
    "eventhubs": "__fullyQualifiedNamespace",
    "cosmos": "__accountEndpoint",
    "default": "__serviceUri",
}


def new_setting_name(old: str, suffix: str, functions_style: bool = False, kind: str = "default") -> str:
    """AZURE_STORAGE_CONNECTION_STRING → AZURE_STORAGE_ACCOUNT_URL; a Functions setting → <Name>__serviceUri."""
    if functions_style:
        return old + FUNCTIONS_SUFFIX.get(kind, FUNCTIONS_SUFFIX["default"])
    stem = CONNECTION_WORDS.sub("", old)
    upper = old.upper() == old
    first, _, rest = suffix.partition("_")
    if rest and stem.upper().endswith(first):  # QUEUE_CONN → QUEUE_ACCOUNT_URL, not QUEUE_QUEUE_ACCOUNT_URL
        suffix = rest
    piece = suffix if upper else suffix.lower()
    if not stem:
        return piece
    separator = "_" if ("_" in old or upper) else ""
    if not separator:  # camelCase: storageConnection → storageAccountUrl
        piece = "".join(part.capitalize() for part in suffix.lower().split("_"))
    return f"{stem}{separator}{piece}"


class RepoSettings:
    """Setting values found in the repository's local settings files (read once, lazily)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._values: dict[str, str] | None = None
        self.functions_names: set[str] = set()

    def get(self, name: str) -> str | None:
        return self._load().get(name)

    def is_functions_setting(self, name: str) -> bool:
        self._load()
        return name in self.functions_names

    def _load(self) -> dict[str, str]:
        if self._values is not None:
            return self._values
        values: dict[str, str] = {}
        for path in self._candidates():
            try:
                text = path.read_text(encoding="utf-8-sig")
            except (OSError, UnicodeDecodeError):
                continue
            if path.name.endswith(".json"):
                found = _json_settings(text)
                if path.name == "local.settings.json":
                    self.functions_names.update(found)
            else:
                found = _dotenv_settings(text)
            for key, value in found.items():
                values.setdefault(key, value)
        self._values = values
        return values

    def _candidates(self) -> list[Path]:
        """Settings files under the root, in priority order (per name, sorted, at most 20): one directory walk
        that never enters .git or node_modules."""
        import os

        names = (".env", ".env.local", ".env.development", "local.settings.json", "appsettings.json",
                 "appsettings.Development.json")
        by_name: dict[str, list[Path]] = {name: [] for name in names}
        for directory, subdirs, files in os.walk(self.root):
            subdirs[:] = [d for d in subdirs if d not in (".git", "node_modules")]
            for name in files:
                if name in by_name:
                    by_name[name].append(Path(directory, name))
        return [path for name in names for path in sorted(by_name[name])[:20]]


def _dotenv_settings(text: str) -> dict[str, str]:
    """name → value, read with the same parser `fix --configs` edits .env files with (quotes, `export`,
    inline comments)."""
    from mi_migrate.fix.configs import dotenv_items

    return {name: value for _start, _end, name, value in dotenv_items(text)}


def _json_settings(text: str) -> dict[str, str]:
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    values: dict[str, str] = {}

    def walk(node: object, prefix: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if isinstance(value, str):
                    values.setdefault(str(key), value)
                    if prefix:
                        values.setdefault(f"{prefix}:{key}", value)
                else:
                    walk(value, f"{prefix}:{key}" if prefix else str(key))

    walk(data, "")
    return values


def settings_root(paths: tuple[str, ...]) -> Path:
    """Where the local settings files that belong to the scanned code live: the git work tree holding the first
    path, else that path itself (never the current directory's unrelated neighbours)."""
    import subprocess

    from mi_migrate.core import gitsafe

    first = Path(paths[0] if paths else ".").resolve()
    base = first if first.is_dir() else first.parent
    try:
        top = subprocess.run(gitsafe.command("rev-parse", "--show-toplevel"), cwd=base, capture_output=True,
                             text=True, timeout=10, env=gitsafe.environment())
    except (OSError, subprocess.SubprocessError):
        return base
    if top.returncode == 0 and top.stdout.strip():
        root = Path(top.stdout.strip())
        # a subfolder of a big repository: prefer its own settings, fall back to the repository's
        return base if any((base / name).exists() for name in (".env", "local.settings.json")) else root
    return base
