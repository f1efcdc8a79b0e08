"""[tool.mi-migrate] in pyproject.toml or .mi-migrate.toml (stub; see issue 2 item 10)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from mi_migrate.finding import Finding


@dataclass(frozen=True)
class Config:
    root: Path = Path(".")
    exclude: tuple[str, ...] = ()
    per_file_ignores: dict[str, tuple[str, ...]] = field(default_factory=dict)
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    severity: dict[str, str] = field(default_factory=dict)
    max_file_size: int | None = None
    baseline: Path | None = None
    third_party: bool = True
    source: Path | None = None


def load(explicit: Path | None, paths: list[Path]) -> Config:
    return Config(root=Path.cwd())


def apply(cfg: Config, findings: list[Finding]) -> list[Finding]:
    return findings
