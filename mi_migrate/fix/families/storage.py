"""azure-storage-blob, -queue, -file-share and -file-datalake, and azure-data-tables (sync and .aio).

Traps handled (migration.md §1-2): `snapshot` sits before `credential` in BlobClient/ShareClient, so the
credential is always a keyword; Tables take `credential` keyword-only; Azure Files needs `token_intent="backup"`
with a token credential; the emulator string has no identity and is left alone.
"""

from __future__ import annotations

from mi_migrate.fix.codemod import Target
from mi_migrate.fix.families.common import ConnectionStringClient as Spec
from mi_migrate.fix.families.common import targets_for

BLOB = (
    Spec("BlobServiceClient", "blob", "ACCOUNT_URL"),
    Spec("ContainerClient", "blob", "ACCOUNT_URL", positional=("container_name", "credential")),
    Spec("BlobClient", "blob", "ACCOUNT_URL", positional=("container_name", "blob_name", "snapshot", "credential")),
)
QUEUE = (
    Spec("QueueServiceClient", "queue", "QUEUE_ACCOUNT_URL"),
    Spec("QueueClient", "queue", "QUEUE_ACCOUNT_URL", positional=("queue_name", "credential")),
)
BACKUP = {"token_intent": '"backup"'}
FILE_SHARE = (
    Spec("ShareServiceClient", "file", "FILE_ACCOUNT_URL", extra_keywords=BACKUP),
    Spec("ShareClient", "file", "FILE_ACCOUNT_URL", positional=("share_name", "snapshot", "credential"),
         extra_keywords=BACKUP),
    Spec("ShareDirectoryClient", "file", "FILE_ACCOUNT_URL", positional=("share_name", "directory_path", "credential"),
         extra_keywords=BACKUP),
    Spec("ShareFileClient", "file", "FILE_ACCOUNT_URL",
         positional=("share_name", "file_path", "snapshot", "credential"), extra_keywords=BACKUP),
)
DATALAKE = (
    Spec("DataLakeServiceClient", "dfs", "DFS_ACCOUNT_URL"),
    Spec("FileSystemClient", "dfs", "DFS_ACCOUNT_URL", positional=("file_system_name", "credential")),
    Spec("DataLakeDirectoryClient", "dfs", "DFS_ACCOUNT_URL",
         positional=("file_system_name", "directory_name", "credential")),
    Spec("DataLakeFileClient", "dfs", "DFS_ACCOUNT_URL", positional=("file_system_name", "file_path", "credential")),
)
TABLES = (
    Spec("TableServiceClient", "table", "TABLE_ACCOUNT_URL"),
    Spec("TableClient", "table", "TABLE_ACCOUNT_URL", positional=("table_name",)),
)


def targets() -> list[Target]:
    return [
        *targets_for("azure-storage-blob", "storage", ("azure.storage.blob",), ("azure.storage.blob.aio",), BLOB),
        *targets_for("azure-storage-queue", "storage", ("azure.storage.queue",), ("azure.storage.queue.aio",), QUEUE),
        *targets_for("azure-storage-file-share", "storage", ("azure.storage.fileshare",),
                     ("azure.storage.fileshare.aio",), FILE_SHARE),
        *targets_for("azure-storage-file-datalake", "storage", ("azure.storage.filedatalake",),
                     ("azure.storage.filedatalake.aio",), DATALAKE),
        *targets_for("azure-data-tables", "storage", ("azure.data.tables",), ("azure.data.tables.aio",), TABLES),
    ]
