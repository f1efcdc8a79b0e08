"""What the Python rules match: a Target per qualified callable and the Matchers index built from the rules
(by mi_migrate.scan.python.analysis.matchers_for). Plain data shared by the analysis and the secret checks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mi_migrate.core.rules import Rule


@dataclass(frozen=True)
class Target:
    """One callable a rule matches, with the rule's settings merged into the target's overrides."""

    rule: Rule
    qualified: str
    callable: str  # relative to its module: "BlobServiceClient.from_connection_string", "connect"
    module: str
    position: int  # index of the examined positional argument; -1 when keyword-only
    is_async: bool
    family: str
    service: str
    settings: dict[str, Any]

    def get(self, key: str, default: Any = None) -> Any:
        return self.settings.get(key, default)


@dataclass
class Matchers:
    by_name: dict[str, list[Target]] = field(default_factory=dict)
    # per rule: (module root, first names of its callables under that root) pairs, and its call tokens
    prefilter: list[tuple[Rule, tuple[tuple[bytes, tuple[bytes, ...]], ...], tuple[bytes, ...]]] = field(
        default_factory=list
    )
    credential_classes: dict[str, Rule] = field(default_factory=dict)
    fallback: list[Rule] = field(default_factory=list)  # rules that also check unlisted azure.*Client calls
    tails: set[str] = field(default_factory=set)  # last name of every matched callable: a cheap first test
    tail_suffixes: tuple[str, ...] = ()
    literal_rules: list[Rule] = field(default_factory=list)  # check = "secret-literal": secrets by position
    gate_literals: frozenset[bytes] = frozenset()  # every literal analysis.wanted_rules asks a file about
