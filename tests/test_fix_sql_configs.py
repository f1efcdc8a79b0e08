"""`fix --configs` moves Azure SQL connection strings in appsettings*.json, web.config and app.config off passwords:
exact output (comments, order, spacing, quoting, XML entities, CRLF, BOM kept), the identity options, idempotence,
the strings left alone, the redacted CLI diff, and the rewritten strings parsed back with the project's parser."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from mi_migrate.cli import main
from mi_migrate.fix import sql_settings
from mi_migrate.fix.configs import fix_config, fix_configs
from mi_migrate.fix.model import FixOptions
from mi_migrate.fix.runner import fix_paths
from mi_migrate.scan.validators.connection_strings import parse
from mi_migrate.testing import fakes

# FAKE-…!9, expanded at run time: no password-shaped literal in this file. The local database's is no finding, so
# a diff may show it as context.
PW, PW2, LOCAL_PW = fakes.expand("«password» «password» «password»").split()
CLIENT_ID = "00000000-0000-0000-0000-00000000c1d0"
AZURE = "tcp:sql-orders.database.windows.net,1433"

TAIL = "MultipleActiveResultSets=False;Encrypt=True;TrustServerCertificate=False;Connection Timeout=30;"
ORDERS = f"Server={AZURE};Initial Catalog=orders;Persist Security Info=False;User ID=orders-app;Password={PW};{TAIL}"
ORDERS_FIXED = f"Server={AZURE};Initial Catalog=orders;Persist Security Info=False;Authentication=Active Directory " \
               f"Default;{TAIL}"
REPORTS = f"data source = sql-reports.database.windows.net ; initial catalog = reports ; uid = reader ; pwd = {PW2} ;"
REPORTS_FIXED = "data source = sql-reports.database.windows.net ; initial catalog = reports ; Authentication = " \
                "Active Directory Default ;"
APPSETTINGS = f"""{{
  // production database; the password moves to Entra ID
  "ConnectionStrings": {{
    "Orders": "{ORDERS}",
    "Local": "Server=(localdb)\\\\mssqllocaldb;Database=orders;User Id=sa;Password={LOCAL_PW}",
    "OnPrem": "Data Source=sql01.corp.contoso.com;Initial Catalog=orders;User ID=app;Password={PW}",
    "Windows": "Server=sql-orders.database.windows.net;Database=orders;Integrated Security=true;Password={PW}",
    "Entra": "Server=sql-orders.database.windows.net;Database=orders;Authentication=Active Directory Default"
  }},
  /* a string value outside ConnectionStrings */
  "Reporting": {{ "Sql" : "{REPORTS} Application Name = \\"Reports \\u0026 Co\\"" }},
  "Logging": {{ "LogLevel": {{ "Default": "Information" }} }}
}}
"""
APPSETTINGS_FIXED = APPSETTINGS.replace(ORDERS, ORDERS_FIXED).replace(REPORTS, REPORTS_FIXED)
DEV = (
    '{\r\n  "ConnectionStrings": {\r\n'
    f'    "Orders": "Data Source=sql-orders-dev.database.usgovcloudapi.net;Initial Catalog=orders;UID=dev;PWD={PW}"\r\n'
    "  }\r\n}\r\n"
)
DEV_FIXED = (
    '{\r\n  "ConnectionStrings": {\r\n'
    '    "Orders": "Data Source=sql-orders-dev.database.usgovcloudapi.net;Initial Catalog=orders;'
    'Authentication=Active Directory Default"\r\n'
    "  }\r\n}\r\n"
)
WEB_CONFIG = (
    '<?xml version="1.0" encoding="utf-8"?>\r\n'
    "<configuration>\r\n"
    "  <connectionStrings>\r\n"
    "    <!-- old: Server=tcp:sql-old.database.windows.net;User ID=app;Password=$(SqlPassword) -->\r\n"
    '    <add name="OrdersDb" providerName="System.Data.SqlClient"\r\n'
    f'         connectionString="Server={AZURE};Database=orders;User ID=orders-app;Password={PW};'
    'Application Name=&quot;Orders &amp; Co&quot;;Encrypt=True" />\r\n'
    '    <add name="Local" connectionString="Server=.\\SQLEXPRESS;Database=orders;User Id=sa;Password='
    f'{LOCAL_PW}" />\r\n'
    "  </connectionStrings>\r\n"
    "  <appSettings>\r\n"
    f"    <add key='ReportsDb' value='Server=sql-reports.database.chinacloudapi.cn;User=reader;Pwd={PW2}' />\r\n"
    '    <add key="Greeting" value="hello" />\r\n'
    "  </appSettings>\r\n"
    "</configuration>\r\n"
)
WEB_CONFIG_FIXED = (
    '<?xml version="1.0" encoding="utf-8"?>\r\n'
    "<configuration>\r\n"
    "  <connectionStrings>\r\n"
    "    <!-- old: Server=tcp:sql-old.database.windows.net;User ID=app;Password=$(SqlPassword) -->\r\n"
    '    <add name="OrdersDb" providerName="System.Data.SqlClient"\r\n'
    f'         connectionString="Server={AZURE};Database=orders;Authentication=Active Directory Default;'
    'Application Name=&quot;Orders &amp; Co&quot;;Encrypt=True" />\r\n'
    '    <add name="Local" connectionString="Server=.\\SQLEXPRESS;Database=orders;User Id=sa;Password='
    f'{LOCAL_PW}" />\r\n'
    "  </connectionStrings>\r\n"
    "  <appSettings>\r\n"
    "    <add key='ReportsDb' value='Server=sql-reports.database.chinacloudapi.cn;"
    "Authentication=Active Directory Default' />\r\n"
    '    <add key="Greeting" value="hello" />\r\n'
    "  </appSettings>\r\n"
    "</configuration>\r\n"
)
ODBC = f"Driver={{ODBC Driver 18 for SQL Server}};Server={AZURE};Database=orders;UID=app;PWD={{{PW};}}}}x}};Encrypt=yes"


def make_repo(root: Path, files: dict[str, str | bytes]) -> Path:
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return root


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo", {
        "api/appsettings.json": APPSETTINGS,
        "api/appsettings.Development.json": b"\xef\xbb\xbf" + DEV.encode(),
        "site/Web.config": WEB_CONFIG,
    })


def as_dict(text: str) -> dict[str, str]:
    """The key/value set the project's own connection-string parser reads."""
    return {k: p.value for k, p in parse(text, 0, len(text)).items()}


def secret_free(changes: list) -> bool:
    dumped = json.dumps([c.to_dict() for c in changes]) + repr(changes)
    return PW not in dumped and PW2 not in dumped and "FAKE" not in dumped


def test_rewrites_appsettings_and_web_config_in_place(repo: Path) -> None:
    result = fix_paths(FixOptions(paths=(str(repo),), configs=True))
    assert (repo / "api/appsettings.json").read_text() == APPSETTINGS_FIXED  # comments, spacing, escapes kept
    assert (repo / "api/appsettings.Development.json").read_bytes() == b"\xef\xbb\xbf" + DEV_FIXED.encode()
    assert (repo / "site/Web.config").read_bytes() == WEB_CONFIG_FIXED.encode()  # CRLF, entities, quotes kept
    sql = [c for c in result.changes if c.service == "sql"]
    assert [(c.path, c.line, c.setting, c.resource, c.endpoint) for c in sql] == [
        ("api/appsettings.Development.json", 3, "ConnectionStrings:Orders", "sql-orders-dev",
         "sql-orders-dev.database.usgovcloudapi.net"),
        ("api/appsettings.json", 4, "ConnectionStrings:Orders", "sql-orders", "sql-orders.database.windows.net"),
        ("api/appsettings.json", 11, "Reporting:Sql", "sql-reports", "sql-reports.database.windows.net"),
        ("site/Web.config", 6, "OrdersDb", "sql-orders", "sql-orders.database.windows.net"),
        ("site/Web.config", 10, "ReportsDb", "sql-reports", "sql-reports.database.chinacloudapi.cn"),
    ]
    assert all(c.family == "configuration" and c.status == "rewritten" and c.old_setting is None for c in sql)
    assert all(c.client == "Microsoft.Data.SqlClient" for c in sql)
    orders = sql[1]
    assert orders.setting_value == ORDERS_FIXED
    assert orders.extra["removed_keys"] == ["User ID", "Password"]
    assert orders.extra["settings"] == {"ConnectionStrings:Orders": orders.setting_value}
    assert "CREATE USER [<identity-name>] FROM EXTERNAL PROVIDER" in orders.notes[0]
    assert "ALTER ROLE db_datareader ADD MEMBER [<identity-name>]" in orders.notes[0]
    assert "database orders on server sql-orders" in orders.notes[0]
    assert sql[3].setting_value == (f'Server={AZURE};Database=orders;Authentication=Active Directory Default;'
                                    'Application Name="Orders & Co";Encrypt=True')  # decoded, as the app reads it
    assert any("providerName is System.Data.SqlClient" in n for n in sql[3].notes)
    assert not any("providerName" in n for n in sql[4].notes)
    assert secret_free(result.changes)


def test_rewritten_strings_parse_back_to_the_expected_keys(repo: Path) -> None:
    result = fix_paths(FixOptions(paths=(str(repo),), configs=True, write=False))
    sql = {(c.path, c.setting): c.setting_value or "" for c in result.changes if c.service == "sql"}
    assert as_dict(sql[("api/appsettings.json", "ConnectionStrings:Orders")]) == {
        "server": AZURE, "initialcatalog": "orders", "persistsecurityinfo": "False",
        "authentication": "Active Directory Default", "multipleactiveresultsets": "False", "encrypt": "True",
        "trustservercertificate": "False", "connectiontimeout": "30"}
    assert as_dict(sql[("api/appsettings.json", "Reporting:Sql")]) == {
        "datasource": "sql-reports.database.windows.net", "initialcatalog": "reports",
        "authentication": "Active Directory Default", "applicationname": "Reports & Co"}
    # and the rewritten files still read the same way, minus the sign-in keys
    updated = {f.path: f.updated for f in result.files if f.changed}
    settings = json.loads(updated["api/appsettings.Development.json"])["ConnectionStrings"]
    assert as_dict(settings["Orders"]) == {"datasource": "sql-orders-dev.database.usgovcloudapi.net",
                                           "initialcatalog": "orders", "authentication": "Active Directory Default"}
    for value in sql.values():
        assert not {"userid", "uid", "user", "password", "pwd"} & set(as_dict(value))
        assert sql_settings.plan(value, FixOptions()) is None  # nothing left to do


def test_idempotent(repo: Path) -> None:
    fix_paths(FixOptions(paths=(str(repo),), configs=True))
    before = {p: p.read_bytes() for p in repo.rglob("*") if p.is_file() and ".git" not in p.parts}
    again = fix_paths(FixOptions(paths=(str(repo),), configs=True))
    assert not again.changed_files and not [c for c in again.changes if c.service == "sql"]
    assert {p: p.read_bytes() for p in before} == before


def test_user_assigned_identity(tmp_path: Path) -> None:
    path = tmp_path / "appsettings.json"
    path.write_text(DEV.replace("\r\n", "\n"))
    options = FixOptions(credential="managed-identity", client_id=CLIENT_ID)
    fix = fix_config(path, "appsettings.json", [], options)
    assert fix is not None and fix.updated == DEV_FIXED.replace("\r\n", "\n").replace(
        "Authentication=Active Directory Default",
        f"Authentication=Active Directory Managed Identity;User Id={CLIENT_ID}")
    [change] = fix.changes
    assert change.extra["authentication"] == "Active Directory Managed Identity"
    assert any(CLIENT_ID in n for n in change.notes)
    # system-assigned: no User Id
    fix = fix_config(path, "appsettings.json", [], FixOptions(credential="managed-identity"))
    assert fix is not None and "Authentication=Active Directory Managed Identity\"" in (fix.updated or "")
    # DefaultAzureCredential with a known client id: SqlClient passes User Id on as the managed identity's id
    fix = fix_config(path, "appsettings.json", [], FixOptions(client_id=CLIENT_ID))
    assert fix is not None and f"Authentication=Active Directory Default;User Id={CLIENT_ID}\"" in (fix.updated or "")


def test_client_id_from_a_setting_uses_default_and_asks_for_azure_client_id(tmp_path: Path) -> None:
    path = tmp_path / "appsettings.json"
    path.write_text(DEV)
    for credential in ("default", "managed-identity"):
        options = FixOptions(credential=credential, client_id_env="ORDERS_IDENTITY_CLIENT_ID")  # type: ignore[arg-type]
        fix = fix_config(path, "appsettings.json", [], options)
        assert fix is not None and fix.updated == DEV_FIXED
        [change] = fix.changes
        assert any("Set AZURE_CLIENT_ID" in n and "ORDERS_IDENTITY_CLIENT_ID" in n for n in change.notes)


def test_odbc_connection_strings(tmp_path: Path) -> None:
    path = tmp_path / "appsettings.json"
    path.write_text(json.dumps({"ConnectionStrings": {"Odbc": ODBC}}, indent=2) + "\n")
    fix = fix_config(path, "appsettings.json", [], FixOptions())
    expected = f"Driver={{ODBC Driver 18 for SQL Server}};Server={AZURE};Database=orders;" \
               "Authentication=ActiveDirectoryMsi;Encrypt=yes"
    assert fix is not None and json.loads(fix.updated or "")["ConnectionStrings"]["Odbc"] == expected
    [change] = fix.changes
    assert change.client == "ODBC driver" and change.setting_value == expected
    assert any("no ActiveDirectoryDefault" in n for n in change.notes)
    fix = fix_config(path, "appsettings.json", [], FixOptions(credential="managed-identity", client_id=CLIENT_ID))
    assert fix is not None and json.loads(fix.updated or "")["ConnectionStrings"]["Odbc"] == expected.replace(
        "ActiveDirectoryMsi", f"ActiveDirectoryMsi;UID={CLIENT_ID}")
    # the driver cannot read a client id from a setting: a manual step, the file is left alone
    fix = fix_config(path, "appsettings.json", [], FixOptions(client_id_env="ORDERS_IDENTITY_CLIENT_ID"))
    assert fix is not None and not fix.changed
    [change] = fix.changes
    assert change.status == "manual" and "--client-id" in (change.reason or "")
    assert secret_free(fix.changes)


@pytest.mark.parametrize("value", [
    "Server=localhost;Database=orders;User Id=sa;Password={pw}",
    "Server=(localdb)\\mssqllocaldb;Database=orders;User Id=sa;Password={pw}",
    "Server=.;Database=orders;User Id=sa;Password={pw}",
    "Server=sql01.corp.contoso.com,1433;Database=orders;User Id=app;Password={pw}",
    "Server=sql-orders.database.windows.net.evil.example;User Id=app;Password={pw}",
    "Server=sql-orders.database.windows.net;Database=orders;Trusted_Connection=Yes;Password={pw}",
    "Server=sql-orders.database.windows.net;Database=orders;Integrated Security=SSPI;Uid=app;Pwd={pw}",
    "Server=sql-orders.database.windows.net;Database=orders;Authentication=Active Directory Managed Identity",
    "Server=sql-orders.database.windows.net;Database=orders;User Id=app;Password=",
    "DefaultEndpointsProtocol=https;AccountName=orders;AccountKey={pw};EndpointSuffix=core.windows.net",
    "Host=pg-orders.postgres.database.azure.com;Username=app;Password={pw}",
    "https://sql-orders.database.windows.net",
])
def test_left_alone(tmp_path: Path, value: str) -> None:
    appsettings = tmp_path / "appsettings.json"
    appsettings.write_text(json.dumps({"ConnectionStrings": {"Db": value.format(pw=PW)}}))
    web = tmp_path / "web.config"
    web.write_text('<configuration><connectionStrings><add name="Db" connectionString="'
                   + value.format(pw=PW).replace("&", "&amp;") + '"/></connectionStrings></configuration>')
    for path in (appsettings, web):
        fix = fix_config(path, path.name, [], FixOptions())
        assert fix is not None and not fix.changed and not fix.changes and fix.error is None


def test_only_dotnet_settings_files_carry_sql_rewrites(tmp_path: Path) -> None:
    """Python reads .env / local.settings.json: its drivers take a token, not an Authentication= keyword."""
    value = f"Server={AZURE};Database=orders;User ID=app;Password={PW}"
    (tmp_path / ".env").write_text(f'SQL_CONNECTION_STRING="{value}"\n')
    (tmp_path / "local.settings.json").write_text(json.dumps({"Values": {"SqlConnection": value}}))
    (tmp_path / "App.config").write_text(f'<configuration><appSettings><add key="Sql" value="{value}"/>'
                                         "</appSettings></configuration>")
    (tmp_path / "Web.Release.config").write_text(
        '<configuration xmlns:xdt="http://schemas.microsoft.com/XML-Document-Transform"><connectionStrings>'
        f'<add name="Db" connectionString="{value}" xdt:Transform="SetAttributes" xdt:Locator="Match(name)"/>'
        "</connectionStrings></configuration>")
    (tmp_path / "notes.config").write_text(f'<configuration><add value="{value}"/></configuration>')
    fixes, notes = fix_configs([str(tmp_path)], [], write=True, root=tmp_path)
    assert not notes
    assert sorted(f.path for f in fixes if f.changed) == ["App.config", "Web.Release.config"]
    assert PW in (tmp_path / ".env").read_text() and PW in (tmp_path / "local.settings.json").read_text()
    assert PW in (tmp_path / "notes.config").read_text()
    for name in ("App.config", "Web.Release.config"):
        text = (tmp_path / name).read_text()
        assert PW not in text and "Authentication=Active Directory Default" in text
    assert 'xdt:Transform="SetAttributes"' in (tmp_path / "Web.Release.config").read_text()


def test_broken_or_foreign_xml_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "web.config"
    path.write_text(f'<configuration><add name="Db" connectionString="Server={AZURE};Password={PW}">')
    fix = fix_config(path, "web.config", [], FixOptions())
    assert fix is not None and not fix.changed and fix.error is None
    latin = '<?xml version="1.0" encoding="windows-1252"?><configuration><add key="Caf\xe9" value="x"/></configuration>'
    path.write_bytes(latin.encode("cp1252"))  # nothing of ours in it: no note
    fix = fix_config(path, "web.config", [], FixOptions())
    assert fix is not None and not fix.changed and fix.error is None
    path.write_bytes(latin.replace('"x"', f'"Server={AZURE};Password={PW}"').encode("cp1252"))
    fix = fix_config(path, "web.config", [], FixOptions())
    assert fix is not None and fix.error and "cannot read as UTF-8" in fix.error


def test_cli_diff_is_redacted_and_writes_nothing(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo)
    before = {p: p.read_bytes() for p in repo.rglob("*") if p.is_file() and ".git" not in p.parts}
    result = CliRunner().invoke(main, ["fix", "--configs", "--diff", "."])
    assert result.exit_code == 1, result.output
    out = result.output
    assert PW not in out and PW2 not in out
    assert f'+    "Orders": "{ORDERS_FIXED}",\n' in out
    assert "+++ b/site/Web.config" in out and "+++ b/api/appsettings.Development.json" in out
    removed = [line for line in out.splitlines() if line.startswith("-") and "Password=" in line]
    assert removed and all("chars, sha256:" in line for line in removed)  # the old lines, password redacted
    assert "5 configuration settings rewritten" in out
    assert {p: p.read_bytes() for p in before} == before


def test_report_adds_the_passwordless_value(repo: Path) -> None:
    from mi_migrate.api import build_report

    report = build_report(FixOptions(paths=(str(repo),), configs=True, write=False))
    added = {s["name"]: s["value"] for s in report["settings"]["add"] if s["replaces"] is None}
    assert added["ReportsDb"] == "Server=sql-reports.database.chinacloudapi.cn;Authentication=Active Directory Default"
    assert "Authentication=Active Directory Default" in added["OrdersDb"]
    assert PW not in json.dumps(report) and PW2 not in json.dumps(report)


QUOT = "&quot;"


@pytest.mark.parametrize(("kind", "name", "content"), [
    ("json", "appsettings.json",
     f'{{"ConnectionStrings": {{"Db": "Server={AZURE};User ID=app;Password=\\"{PW};x\\";Encrypt=True"}}}}\n'),
    ("xml", "web.config",
     f'<configuration><connectionStrings><add name="Db" connectionString="Server={AZURE};User ID=app;'
     f'Password={QUOT}{PW};x{QUOT};Encrypt=True"/></connectionStrings></configuration>\n'),
])
def test_quoted_passwords(tmp_path: Path, kind: str, name: str, content: str) -> None:
    """A quoted password (it holds a `;`) is spliced out whole; when the text scan behind `fix --diff` cannot
    redact it in the removed line, the string is left as a manual step instead of a diff that would print it."""
    from mi_migrate.scan.redact_text import redact_secrets

    path = tmp_path / name
    path.write_text(content)
    fix = fix_config(path, name, [], FixOptions())
    assert fix is not None and fix.error is None
    [change] = fix.changes
    assert secret_free(fix.changes)
    if PW in redact_secrets("-" + content):
        assert change.status == "manual" and not fix.changed
        assert "Authentication=Active Directory Default by hand" in (change.reason or "")
    else:
        assert change.status == "rewritten"
        assert PW not in (fix.updated or "") and "User ID" not in (fix.updated or "")
        assert f"Server={AZURE};Authentication=Active Directory Default;Encrypt=True" in (fix.updated or "")
    found = sql_settings.plan(f'Server={AZURE};User ID=app;Password="{PW};x";Encrypt=True', FixOptions())
    assert found is not None and found.passwords == [f"{PW};x"]
    if kind == "json":  # the splice keeps the file's escaping around the removed quoted value
        raw = content.split('"Db": "')[1].split('"}}')[0]
        assert sql_settings.splice(found, raw, sql_settings.json_decode(raw)[1], sql_settings.json_encode) == (
            f"Server={AZURE};Authentication=Active Directory Default;Encrypt=True")
