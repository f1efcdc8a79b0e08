"""`fix` for Azure SQL (pyodbc, mssql-python, SQLAlchemy): exact rewrites, manual cases, and the rewritten code run
against the local managed-identity endpoint."""

from __future__ import annotations

import base64
import json
import struct
import sys
import textwrap
import types
from pathlib import Path
from typing import Any

import pytest

from mi_migrate.fix.model import Change, FixOptions
from mi_migrate.fix.settings import RepoSettings
from mi_migrate.fix.source import fix_source
from mi_migrate.testing import fakes
from tests.identity_support import identity_endpoint, use_identity_endpoint

DRIVER = "Driver={ODBC Driver 18 for SQL Server}"
SERVER = "Server=tcp:acme.database.windows.net,1433;Database=app"
HELPER = '''credential = DefaultAzureCredential()


def _sql_access_token() -> dict[int, bytes]:
    """An Entra token for Azure SQL as ODBC pre-connect attribute; fetched per connection since tokens expire."""
    token = credential.get_token("https://database.windows.net/.default").token.encode("utf-16-le")
    return {1256: struct.pack(f"<I{len(token)}s", len(token), token)}  # 1256 = SQL_COPT_SS_ACCESS_TOKEN
'''
ENGINE_HELPER = '''

def _with_sql_access_token(engine: Engine) -> Engine:
    """Sign every new DBAPI connection of the engine in to Azure SQL with a fresh Entra token."""

    @event.listens_for(engine, "do_connect")
    def _provide_token(dialect, conn_rec, cargs, cparams):  # noqa: ANN001, ANN202
        if cargs:  # SQLAlchemy adds Trusted_Connection when the URL has no user; a token replaces it
            cargs[0] = cargs[0].replace(";Trusted_Connection=Yes", "")
        cparams["attrs_before"] = _sql_access_token()

    return engine
'''


def rewrite(source: str, root: Path | None = None, **options: Any) -> tuple[str, list[Change]]:
    text = fakes.expand(textwrap.dedent(source).lstrip())
    fix = fix_source("app.py", text, FixOptions(**options), RepoSettings(root or Path("/nonexistent")))
    assert fix.error is None
    return (fix.updated if fix.updated is not None else text), fix.changes


def audience(token: str) -> str:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["aud"]


def token_of(attrs_before: dict[int, bytes]) -> str:
    """Undo struct.pack("<I{n}s") of the UTF-16-LE token, checking the length prefix."""
    data = attrs_before[1256]
    (length,) = struct.unpack_from("<I", data)
    assert length == len(data) - 4
    raw = data[4:]
    assert data == struct.pack(f"<I{len(raw)}s", len(raw), raw)
    return raw.decode("utf-16-le")


def test_literal_connection_string_with_alias() -> None:
    updated, changes = rewrite(f'''
        import pyodbc as db

        conn = db.connect("{DRIVER};{SERVER};UID=app;PWD=«password»;Encrypt=yes")
        ''')
    assert updated == (
        "import pyodbc as db\nimport struct\nfrom azure.identity import DefaultAzureCredential\n\n" + HELPER
        + f'\nconn = db.connect("{DRIVER};{SERVER};Encrypt=yes", attrs_before=_sql_access_token())\n'
    )
    [change] = changes
    assert (change.status, change.family, change.endpoint, change.resource) == (
        "rewritten", "pyodbc", "acme.database.windows.net", "acme")
    assert "CREATE USER [<identity-name>] FROM EXTERNAL PROVIDER" in change.notes[0]
    assert "db_datawriter" in change.notes[0]
    assert "FAKE" not in updated


def test_env_connection_string_moves_to_new_setting(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(fakes.expand(f'SQL_CONNECTION_STRING="{DRIVER};{SERVER};Uid=app;Pwd=«password»"\n'))
    updated, [change] = rewrite('''
        import os
        import pyodbc

        CONN = os.environ["SQL_CONNECTION_STRING"]


        def connect():
            return pyodbc.connect(CONN, autocommit=True)
        ''', tmp_path)
    assert 'CONN = os.environ["SQL_CONNECTION_STRING_ENTRA"]\n' in updated
    assert "return pyodbc.connect(CONN, autocommit=True, attrs_before=_sql_access_token())\n" in updated
    assert (change.old_setting, change.setting) == ("SQL_CONNECTION_STRING", "SQL_CONNECTION_STRING_ENTRA")
    assert change.setting_value == f"{DRIVER};{SERVER}"
    assert "FAKE" not in json.dumps(change.to_dict())


def test_env_connection_string_of_unknown_value_is_manual() -> None:
    updated, [change] = rewrite('''
        import os
        import pyodbc
        conn = pyodbc.connect(os.environ["SQL_CONNECTION_STRING"], pwd=os.environ["SQL_PWD"])
        ''')
    assert change.status == "manual" and "SQL_CONNECTION_STRING" in (change.reason or "")
    assert "_sql_access_token" not in updated


def test_keyword_uid_pwd_and_variable_password_go() -> None:
    updated, [change] = rewrite('''
        import os
        import mssql_python

        password = os.getenv("SQL_PWD")
        conn = mssql_python.connect(
            "Server=acme.database.windows.net;Database=app",
            uid="app",
            pwd=password,
        )
        ''')
    assert "password = " not in updated and "uid=" not in updated
    assert updated.endswith('conn = mssql_python.connect(\n    "Server=acme.database.windows.net;Database=app",\n'
                            "    attrs_before=_sql_access_token(),\n)\n")
    assert change.family == "mssql-python" and change.extra["removed_settings"] == ["SQL_PWD"]


def test_variable_literal_rewritten_in_place_and_idempotent() -> None:
    source = f'''
        import pyodbc

        CONN_STR = "{DRIVER};{SERVER};UID=app;PWD=«password»"
        first = pyodbc.connect(CONN_STR)
        second = pyodbc.connect(CONN_STR, timeout=5)
        '''
    updated, changes = rewrite(source)
    assert f'CONN_STR = "{DRIVER};{SERVER}"\n' in updated
    assert updated.count("def _sql_access_token") == 1 and len(changes) == 2
    again, changes_again = rewrite(updated)
    assert again == updated and changes_again == []


@pytest.mark.parametrize("source, reason", [
    ('pyodbc.connect("Server=sql01.corp.local;UID=app;PWD=«password»")', "not Azure SQL"),
    ('pyodbc.connect("DSN=prod;UID=app;PWD=«password»")', "names no server"),
    ('pyodbc.connect("Server=acme.database.windows.net;UID=app;PWD=" + pw)', "cannot be read"),
    ('pymssql.connect(server="acme.database.windows.net", user="app", password=pw)', "pymssql"),
])
def test_manual_cases(source: str, reason: str) -> None:
    updated, [change] = rewrite(f"import pyodbc\nimport pymssql\npw = input()\nconn = {source}\n")
    assert change.status == "manual" and reason in (change.reason or "")
    assert "attrs_before" not in updated


def test_sqlalchemy_url_forms() -> None:
    updated, changes = rewrite('''
        import os
        from sqlalchemy import URL, create_engine

        password = os.environ["SQL_PWD"]
        e1 = create_engine("mssql+pyodbc://app:«password»@acme.database.windows.net:1433/app?driver=ODBC+Driver+18+for+SQL+Server")
        url = URL.create("mssql+pyodbc", username="app", password=password,
                         host="acme.database.windows.net", database="app")
        e2 = create_engine(url)
        e3 = create_engine("mssql+pyodbc:///?odbc_connect=Driver%3D%7BODBC+Driver+18+for+SQL+Server%7D%3BServer%3Dacme.database.windows.net%3BUID%3Dapp%3BPWD%3D«password»")
        e4 = create_engine("mssql+pyodbc://app:«password»@sql01.corp.local/app?driver=ODBC+Driver+18+for+SQL+Server")
        ''')
    assert updated.startswith(
        "import os\nfrom sqlalchemy import event, URL, create_engine\nimport struct\n"
        "from azure.identity import DefaultAzureCredential\nfrom sqlalchemy.engine import Engine\n\n" + HELPER
        + ENGINE_HELPER  # the removed `password = ...` line took the blank line with it
        + 'e1 = _with_sql_access_token(create_engine("mssql+pyodbc://@acme.database.windows.net:1433/app?driver=ODBC+'
        'Driver+18+for+SQL+Server"))\n'
        'url = URL.create("mssql+pyodbc", host="acme.database.windows.net", database="app")\n'
        "e2 = _with_sql_access_token(create_engine(url))\n"
        'e3 = _with_sql_access_token(create_engine("mssql+pyodbc:///?odbc_connect=Driver%3D%7BODBC+Driver+18+for+SQL'
        '+Server%7D%3BServer%3Dacme.database.windows.net"))\n'
    )
    assert [c.status for c in changes] == ["rewritten", "rewritten", "rewritten", "manual"]
    assert "not Azure SQL" in (changes[3].reason or "")
    assert updated.splitlines()[-1].startswith('e4 = create_engine("mssql+pyodbc://app:FAKE')


class RecordingPyodbc(types.ModuleType):
    """Stands in for pyodbc: records connect() calls. The Microsoft ODBC driver (msodbcsql18) cannot be installed
    on this machine, so a real pyodbc could only fail before sending anything; what the test checks is exactly what
    the rewritten code hands to pyodbc.connect: the connection string and attrs_before."""

    version = "5.2.0"
    paramstyle = "qmark"

    class Error(Exception):  # SQLAlchemy catches the DBAPI's Error around connect
        pass

    class Cursor:  # the SQLAlchemy dialect inspects pyodbc.Cursor.nextset
        def nextset(self) -> None:
            return None

    def __init__(self) -> None:
        super().__init__("pyodbc")
        self.calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []

    def connect(self, *args: Any, **kwargs: Any) -> Any:
        self.calls.append((args, kwargs))
        raise RuntimeError("recorded")


def test_rewritten_pyodbc_code_sends_a_token(monkeypatch: pytest.MonkeyPatch) -> None:
    updated, _ = rewrite(f'''
        import pyodbc

        def connect():
            return pyodbc.connect("{DRIVER};{SERVER};UID=app;PWD=«password»;Encrypt=yes")
        ''')
    stand_in = RecordingPyodbc()
    monkeypatch.setitem(sys.modules, "pyodbc", stand_in)
    with identity_endpoint() as endpoint:
        use_identity_endpoint(monkeypatch, endpoint)
        namespace: dict[str, Any] = {}
        exec(compile(updated, "app.py", "exec"), namespace)
        with pytest.raises(RuntimeError, match="recorded"):
            namespace["connect"]()
    [(args, kwargs)] = stand_in.calls
    assert args == (f"{DRIVER};{SERVER};Encrypt=yes",)
    assert "uid" not in args[0].lower() and "pwd" not in args[0].lower()
    assert audience(token_of(kwargs["attrs_before"])) == "https://database.windows.net"
    assert endpoint.resources == ["https://database.windows.net"]


def test_rewritten_sqlalchemy_engine_hook_sets_attrs_before(monkeypatch: pytest.MonkeyPatch) -> None:
    """A real engine and dialect; the stand-in pyodbc (see RecordingPyodbc) receives what SQLAlchemy's connect
    path, including the do_connect hook, passes to the DBAPI."""
    updated, _ = rewrite('''
        from sqlalchemy import create_engine

        engine = create_engine("mssql+pyodbc://app:«password»@acme.database.windows.net/app?driver=ODBC+Driver+18+for+SQL+Server")
        ''')
    stand_in = RecordingPyodbc()
    monkeypatch.setitem(sys.modules, "pyodbc", stand_in)
    with identity_endpoint() as endpoint:
        use_identity_endpoint(monkeypatch, endpoint)
        namespace: dict[str, Any] = {}
        exec(compile(updated, "app.py", "exec"), namespace)
        engine = namespace["engine"]
        assert engine.url.password is None and not engine.url.username
        with pytest.raises(RuntimeError, match="recorded"):
            engine.connect()
    [(args, kwargs)] = stand_in.calls
    assert "Server=acme.database.windows.net" in args[0]
    for word in ("UID=", "PWD=", "Trusted_Connection"):
        assert word not in args[0]
    assert audience(token_of(kwargs["attrs_before"])) == "https://database.windows.net"
    assert endpoint.resources == ["https://database.windows.net"]
