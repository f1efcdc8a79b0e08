"""What `fix` is asked to do (FixOptions) and what it did (Change, FileFix): the report is built from these."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

CredentialKind = Literal["default", "managed-identity"]


@dataclass(frozen=True)
class FixOptions:
    paths: tuple[str, ...] = (".",)
    credential: CredentialKind = "default"
    client_id: str | None = None  # a literal user-assigned identity client id
    client_id_env: str | None = None  # or the app setting that holds it
    keyvault_url_env: str | None = None  # move third-party secret literals to Key Vault behind this setting
    write: bool = True  # False for --diff and --check
    configs: bool = False  # also rewrite local.settings.json, .env, appsettings*.json (fix --configs)
    config: Path | None = None
    jobs: int = 0
    debug: bool = False  # let internal errors propagate (with their traceback) instead of becoming notes


@dataclass(frozen=True)
class Change:
    """One key-based call site: rewritten to a token credential, or left as a manual step with the reason."""

    path: str
    line: int
    end_line: int
    family: str  # "azure-storage-blob"
    client: str  # "BlobServiceClient"
    service: str  # "storage", "servicebus", ...
    status: Literal["rewritten", "manual"]
    is_async: bool = False
    old_setting: str | None = None  # the connection-string setting the code no longer reads
    setting: str | None = None  # the setting the code reads now (AZURE_STORAGE_ACCOUNT_URL)
    setting_value: str | None = None  # its value where known (derived from the old connection string)
    endpoint: str | None = None  # literal endpoint written into the code
    resource: str | None = None  # account / namespace / server name
    operations: tuple[str, ...] = ()  # methods the code calls on the client: drives least-privilege roles
    reason: str | None = None  # for manual steps: why the call was left alone
    notes: tuple[str, ...] = ()  # extra steps (create the DB user, set EVENT_HUB_NAME, ...)
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in self.__dict__.items() if v not in (None, (), {})}
        data["operations"] = list(self.operations)
        data["notes"] = list(self.notes)
        return data


@dataclass
class FileFix:
    """The outcome for one file: new text (None when unchanged), its changes, or why it was left alone."""

    path: str
    original: str
    updated: str | None = None
    changes: list[Change] = field(default_factory=list)
    error: str | None = None

    @property
    def changed(self) -> bool:
        return self.updated is not None and self.updated != self.original
