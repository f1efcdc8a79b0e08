"""Values that only look computed: a parameter's default, `conn or CONN`, `conn = conn or os.environ[...]`, and an
instance attribute set once in __init__. The rewrite follows them; the default, fallback or attribute stays
(the code still names it) with a note, and a parameter that a caller passes keeps the call manual."""

from __future__ import annotations

from pathlib import Path

from tests.rewrite_support import rewrite

CODE = '''\
import os
from azure.servicebus import ServiceBusClient
from azure.storage.blob import BlobServiceClient

CONN = os.environ["AZURE_STORAGE_CONNECTION_STRING"]
BUS = os.getenv("SERVICEBUS_CONNECTION_STRING")


def by_default(conn_str=CONN):
    return BlobServiceClient.from_connection_string(conn_str)


def fallback(conn_str=None):
    return BlobServiceClient.from_connection_string(conn_str or CONN)


def reassigned(conn=None):
    conn = conn or os.environ["AZURE_STORAGE_CONNECTION_STRING"]
    return BlobServiceClient.from_connection_string(conn)


def passed(conn_str=CONN):
    return BlobServiceClient.from_connection_string(conn_str)


passed(os.environ["OTHER_CONNECTION_STRING"])


class Store:
    def __init__(self):
        self.bus_conn = BUS

    def sender(self):
        return ServiceBusClient.from_connection_string(self.bus_conn).get_queue_sender("q")


class Twice:
    def __init__(self, conn):
        self.conn = conn

    def reset(self):
        self.conn = BUS

    def client(self):
        return ServiceBusClient.from_connection_string(self.conn)
'''


def test_defaults_fallbacks_and_attributes_are_followed(tmp_path: Path) -> None:
    updated, changes = rewrite(CODE, tmp_path)
    status = {c.line: c.status for c in changes}
    assert status == {10: "rewritten", 14: "rewritten", 19: "rewritten", 23: "manual", 34: "rewritten",
                      45: "manual"}
    assert updated.count('BlobServiceClient(os.environ["AZURE_STORAGE_ACCOUNT_URL"], credential=credential)') == 3
    assert ('ServiceBusClient(fully_qualified_namespace=os.getenv("SERVICEBUS_FULLY_QUALIFIED_NAMESPACE"), '
            'credential=credential)') in updated
    # what the code still names is kept: removing it would leave a NameError behind
    for kept in ('CONN = os.environ["AZURE_STORAGE_CONNECTION_STRING"]', 'BUS = os.getenv(',
                 "def by_default(conn_str=CONN):", "conn = conn or os.environ[", "self.bus_conn = BUS"):
        assert kept in updated
    compile(updated, "app.py", "exec")
    notes = {c.line: " ".join(c.notes) for c in changes}
    assert "parameter `conn_str`" in notes[10] and "still reads AZURE_STORAGE_CONNECTION_STRING" in notes[10]
    assert "`conn_str or …`" in notes[14]
    assert "`self.bus_conn` still reads SERVICEBUS_CONNECTION_STRING in __init__" in notes[34]
    reasons = {c.line: c.reason for c in changes if c.status == "manual"}
    assert "a call of `passed` passes `conn_str`" in (reasons[23] or "")
    assert "assigned 2 times" in (reasons[45] or "")


def test_a_keyword_caller_or_star_args_keep_it_manual(tmp_path: Path) -> None:
    code = CODE.replace('passed(os.environ["OTHER_CONNECTION_STRING"])', "by_default(**{})\nfallback(conn_str='x')")
    _, changes = rewrite(code, tmp_path)
    status = {c.line: c.status for c in changes}
    assert status[10] == "manual" and status[14] == "manual" and status[19] == "rewritten"
