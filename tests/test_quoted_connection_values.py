"""A connection-string value quoted because it holds the separator (`Password="a;b"`) is one value: found whole
by the scan and redacted whole in every output that quotes source (fix --diff, the report's code changes)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mi_migrate.scan.files import scan_files
from mi_migrate.scan.model import ScanSettings
from mi_migrate.scan.redact_text import redact_secrets
from mi_migrate.testing import fakes

SECRET = fakes.expand("«password»") + ";" + fakes.expand("«password»")[:6]
SERVER = "Server=tcp:srv-orders.database.windows.net,1433;Database=orders;User ID=app;"
FORMS = {
    "xml": f'<add name="Db" connectionString="{SERVER}Password=&quot;{SECRET}&quot;;Encrypt=True" />',
    "json-escaped": '{"Db": "' + SERVER + 'pwd = \\"' + SECRET + '\\";"}',
    "plain-double": f'{SERVER}Password="{SECRET}";',
    "plain-single": f"{SERVER}Password='{SECRET}';",
}


@pytest.mark.parametrize("form", FORMS)
def test_redaction_covers_the_whole_quoted_value(form: str) -> None:
    redacted = redact_secrets(FORMS[form], "web.config")
    assert SECRET not in redacted
    assert SECRET.split(";")[1] not in redacted  # not even the part after the separator
    assert f"({len(SECRET)} chars" in redacted


@pytest.mark.parametrize("name, text", [
    ("web.config", f"<configuration><connectionStrings>{FORMS['xml']}</connectionStrings></configuration>\n"),
    ("appsettings.json", FORMS["json-escaped"] + "\n"),
])
def test_scan_reports_the_quoted_password(tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    result = scan_files([(path, name)], ScanSettings(select=("AZ113",)), jobs=1)
    assert [f.rule_id for f in result.findings] == ["AZ113"]
    finding = result.findings[0]
    assert f"({len(SECRET)} chars" in finding.evidence and SECRET not in finding.evidence
