"""azure-communication-email and -sms (`EmailClient`, `SmsClient`) and azure-messaging-webpubsubservice
(`WebPubSubServiceClient`), sync and .aio: `from_connection_string` → `(endpoint, [hub,] credential=...)`.

Traps handled (migration.md §2.15, §2.16): Web PubSub's parameter is `connection_string` and its hub follows
the endpoint; every other `Key=value` in a Web PubSub string becomes a client keyword (Port=, ...), so a literal
string carrying any is left manual rather than silently dropping it.
"""

from __future__ import annotations

from mi_migrate.fix.codemod import Target
from mi_migrate.fix.endpoints import parts
from mi_migrate.fix.families.common import ConnectionStringClient as Spec
from mi_migrate.fix.families.common import require_https, targets_for

WEBPUBSUB_KEYS = {"endpoint", "accesskey", "version"}


def _webpubsub_check(connection_string: str) -> str | None:
    extra = sorted(set(parts(connection_string)) - WEBPUBSUB_KEYS)
    if extra:
        return f"the connection string also sets {', '.join(extra)}: pass them to the client explicitly"
    return require_https("webpubsub")(connection_string)


ACS_CHECK = require_https("communication")
EMAIL = (Spec("EmailClient", "communication", "ENDPOINT", check=ACS_CHECK),)
SMS = (Spec("SmsClient", "communication", "ENDPOINT", check=ACS_CHECK),)
WEBPUBSUB = (
    Spec("WebPubSubServiceClient", "webpubsub", "ENDPOINT", positional=("hub",),
         connection_keywords=("connection_string",), check=_webpubsub_check),
)


def targets() -> list[Target]:
    return [
        *targets_for("azure-communication-email", "communication", ("azure.communication.email",),
                     ("azure.communication.email.aio",), EMAIL),
        *targets_for("azure-communication-sms", "communication", ("azure.communication.sms",),
                     ("azure.communication.sms.aio",), SMS),
        *targets_for("azure-messaging-webpubsubservice", "webpubsub", ("azure.messaging.webpubsubservice",),
                     ("azure.messaging.webpubsubservice.aio",), WEBPUBSUB),
    ]
