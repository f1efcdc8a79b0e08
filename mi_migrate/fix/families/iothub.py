"""azure-iot-hub service clients: `X.from_connection_string(cs)` → `X.from_token_credential(<host>, credential)`.

Traps handled (migration.md §2.17): the url is the HostName without a scheme (the SDK prepends https://); the
parameter is `token_credential`, and IoTHubRegistryManager's `transport_type` comes after it, so it is passed by
name. Device and module connection strings (DeviceId=...) belong to device code with no token alternative.
"""

from __future__ import annotations

from mi_migrate.fix.codemod import Target
from mi_migrate.fix.endpoints import parts
from mi_migrate.fix.families.common import ConnectionStringClient as Spec
from mi_migrate.fix.families.common import targets_for


def _check(connection_string: str) -> str | None:
    if "deviceid" in parts(connection_string):
        return "a device or module connection string (DeviceId=...) has no managed-identity form"
    return None


def _spec(client: str, positional: tuple[str, ...] = ()) -> Spec:
    return Spec(client, "iothub", "HOSTNAME", positional=positional, connection_keywords=("connection_string",),
                credential_keyword="token_credential", new_method="from_token_credential",
                keywords_after_endpoint=True, check=_check)


CLIENTS = (
    _spec("IoTHubRegistryManager", ("transport_type",)),
    _spec("IoTHubJobManager"),
    _spec("DigitalTwinClient"),
    _spec("IoTHubConfigurationManager"),
    _spec("IoTHubHttpRuntimeManager"),
)


def targets() -> list[Target]:
    return targets_for("azure-iot-hub", "iothub", ("azure.iot.hub",), (), CLIENTS)
