"""Write the secret-bearing files of the bundled examples from templates of «tokens».

Why a script: no key-shaped literal is ever typed by hand. Every value comes from mi_migrate.testing.fakes, starts
with FAKE (fa4e for hex keys), and is the same on every run (fixed seeds), so a rerun leaves `git diff` empty.

    python examples/regenerate.py           # rewrite the files
    python examples/regenerate.py --check   # exit 1 if a committed file differs from what it would write
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mi_migrate.testing import fakes

HERE = Path(__file__).resolve().parent

STORAGE = (
    "DefaultEndpointsProtocol=https;AccountName={account};AccountKey=«b64:64»;EndpointSuffix=core.windows.net"
)
SERVICE_BUS = (
    "Endpoint=sb://{namespace}.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;"
    "SharedAccessKey=«b64:32»"
)
COSMOS = "AccountEndpoint=https://{account}.documents.azure.com:443/;AccountKey=«b64:64»;"
# one literal on purpose: a connection string split over two lines hides Server= from Pwd=
SQL = (
    "Driver={ODBC Driver 18 for SQL Server};Server=tcp:contoso-flask-demo.database.windows.net,1433;"
    "Database=orders;Uid=orders_app;Pwd=«alnum:24»;Encrypt=yes"
)

FLASK_ENV = f"""\
# Local settings for the Flask example. Every key here is generated and fake (they start with FAKE / fa4e);
# mi-migrate reports them all, which is the point of the example.
AZURE_STORAGE_CONNECTION_STRING={STORAGE.format(account="contosoflaskdemo")}
SERVICEBUS_CONNECTION_STRING={SERVICE_BUS.format(namespace="contoso-flask-demo")}
SERVICEBUS_QUEUE=orders
AZURE_OPENAI_ENDPOINT=https://contoso-flask-demo.openai.azure.com/
AZURE_OPENAI_API_KEY=«hex:32»
AZURE_OPENAI_DEPLOYMENT=gpt-4o-mini
SQL_SERVER=contoso-flask-demo.database.windows.net
SQL_DATABASE=orders
SQL_USER=orders_app
SQL_PASSWORD=«alnum:24»
"""

FLASK_SETTINGS = f'''\
"""Fallbacks for running without a .env: the hard-coded-credential habit mi-migrate exists to remove."""

import os

STORAGE_CONNECTION_STRING = os.environ.get(
    "AZURE_STORAGE_CONNECTION_STRING",
    "{STORAGE.format(account="contosoflaskdemo")}",
)
SQL_CONNECTION_STRING = "{SQL}"
'''

FUNCTIONS_SETTINGS = f"""\
{{
  "IsEncrypted": false,
  "Values": {{
    "FUNCTIONS_WORKER_RUNTIME": "python",
    "AzureWebJobsStorage": "{STORAGE.format(account="contosofuncdemo")}",
    "ServiceBusConnection": "{SERVICE_BUS.format(namespace="contoso-func-demo")}",
    "CosmosDbConnection": "{COSMOS.format(account="contoso-func-demo")}",
    "THUMBNAIL_CONTAINER": "thumbnails"
  }}
}}
"""

# path relative to examples/ → (template, seed); a distinct seed per file keeps every key distinct
FILES: dict[str, tuple[str, int]] = {
    "flask-app/.env": (FLASK_ENV, 1001),
    "flask-app/settings.py": (FLASK_SETTINGS, 1002),
    "functions-app/local.settings.json": (FUNCTIONS_SETTINGS, 2001),
}


def render() -> dict[Path, str]:
    return {HERE / rel: fakes.expand(template, seed=seed) for rel, (template, seed) in FILES.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report stale files instead of writing them")
    args = parser.parse_args(argv)
    stale = []
    for path, text in render().items():
        if args.check:
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                stale.append(path.relative_to(HERE))
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote examples/{path.relative_to(HERE)}")
    for rel in stale:
        print(f"stale: examples/{rel} (run python examples/regenerate.py)", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
