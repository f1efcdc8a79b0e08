"""`fix` for azure-iot-hub service clients, azure-communication-email/-sms and azure-messaging-webpubsubservice:
exact rewrites, and the rewritten code run against the real SDKs with a local managed-identity endpoint."""

from __future__ import annotations

import json

import pytest
from azure.core.credentials import TokenCredential

from mi_migrate.testing import fakes
from tests.identity_support import capture_requests, identity_endpoint, use_identity_endpoint
from tests.rewrite_support import dedent, only, rewrite, run_module, write_settings

IOT = "HostName=hub1.azure-devices.net;SharedAccessKeyName=iothubowner;SharedAccessKey=«b64:32»"
ACS = "endpoint=https://acs1.communication.azure.com/;accesskey=«b64:64»"
WEBPUBSUB = "Endpoint=https://wps1.webpubsub.azure.com;AccessKey=«b64:32»;Version=1.0;"


def test_iot_followed_variable_transport_type_by_name(tmp_path):
    code, changes = rewrite('''
        import os

        from azure.iot.hub import DigitalTwinClient, IoTHubJobManager, IoTHubRegistryManager
        from uamqp import TransportType

        CONNECTION_STRING = os.getenv("IOTHUB_CONNECTION_STRING")
        registry = IoTHubRegistryManager.from_connection_string(CONNECTION_STRING, TransportType.AmqpOverWebsocket)
        twin = registry.get_twin("device-1")
        registry.update_twin("device-1", twin, twin.etag)
        jobs = IoTHubJobManager.from_connection_string(connection_string=CONNECTION_STRING)
        twins = DigitalTwinClient.from_connection_string(CONNECTION_STRING)
        twins.invoke_command("device-1", "reboot", "{}")
    ''', tmp_path)
    assert code == dedent('''
        import os

        from azure.iot.hub import DigitalTwinClient, IoTHubJobManager, IoTHubRegistryManager
        from uamqp import TransportType
        from azure.identity import DefaultAzureCredential

        credential = DefaultAzureCredential()
        registry = IoTHubRegistryManager.from_token_credential(os.getenv("IOTHUB_HOSTNAME"), transport_type=TransportType.AmqpOverWebsocket, token_credential=credential)
        twin = registry.get_twin("device-1")
        registry.update_twin("device-1", twin, twin.etag)
        jobs = IoTHubJobManager.from_token_credential(os.getenv("IOTHUB_HOSTNAME"), token_credential=credential)
        twins = DigitalTwinClient.from_token_credential(os.getenv("IOTHUB_HOSTNAME"), token_credential=credential)
        twins.invoke_command("device-1", "reboot", "{}")
    ''')  # noqa: E501
    assert [(c.client, c.setting) for c in changes] == [
        ("IoTHubRegistryManager", "IOTHUB_HOSTNAME"), ("IoTHubJobManager", "IOTHUB_HOSTNAME"),
        ("DigitalTwinClient", "IOTHUB_HOSTNAME")]
    assert changes[0].operations == ("get_twin", "update_twin")
    assert changes[2].operations == ("invoke_command",)


def test_iot_module_alias_literal(tmp_path):
    code, changes = rewrite(f'''
        import azure.iot.hub as hub

        manager = hub.IoTHubConfigurationManager.from_connection_string("{IOT}")
        runtime = hub.IoTHubHttpRuntimeManager.from_connection_string("{IOT}")
        runtime.receive_feedback_notification()
    ''', tmp_path)
    assert code == dedent('''
        import azure.iot.hub as hub
        from azure.identity import DefaultAzureCredential

        credential = DefaultAzureCredential()

        manager = hub.IoTHubConfigurationManager.from_token_credential("hub1.azure-devices.net", token_credential=credential)
        runtime = hub.IoTHubHttpRuntimeManager.from_token_credential("hub1.azure-devices.net", token_credential=credential)
        runtime.receive_feedback_notification()
    ''')  # noqa: E501
    assert [(c.endpoint, c.resource) for c in changes] == [("hub1.azure-devices.net", "hub1")] * 2


def test_communication_and_webpubsub_several_clients_one_credential(tmp_path):
    write_settings(tmp_path, ".env", f'''
        COMMUNICATION_SERVICES_CONNECTION_STRING="{ACS}"
        WEBPUBSUB_CONNECTION_STRING="{WEBPUBSUB}"
    ''')
    code, changes = rewrite('''
        import os

        from azure.communication.email import EmailClient
        from azure.communication.sms import SmsClient
        from azure.messaging.webpubsubservice import WebPubSubServiceClient

        ACS = os.environ["COMMUNICATION_SERVICES_CONNECTION_STRING"]
        email = EmailClient.from_connection_string(ACS)
        poller = email.begin_send({"senderAddress": "a@example.test"})
        sms = SmsClient.from_connection_string(conn_str=ACS)
        sms.send(from_="+15550000", to="+15550001", message="hi")
        pubsub = WebPubSubServiceClient.from_connection_string(os.environ["WEBPUBSUB_CONNECTION_STRING"], "chat")
        pubsub.send_to_all("hello", content_type="text/plain")
    ''', tmp_path)
    assert code == dedent('''
        import os

        from azure.communication.email import EmailClient
        from azure.communication.sms import SmsClient
        from azure.messaging.webpubsubservice import WebPubSubServiceClient
        from azure.identity import DefaultAzureCredential

        credential = DefaultAzureCredential()
        email = EmailClient(os.environ["COMMUNICATION_SERVICES_ENDPOINT"], credential=credential)
        poller = email.begin_send({"senderAddress": "a@example.test"})
        sms = SmsClient(os.environ["COMMUNICATION_SERVICES_ENDPOINT"], credential=credential)
        sms.send(from_="+15550000", to="+15550001", message="hi")
        pubsub = WebPubSubServiceClient(os.environ["WEBPUBSUB_ENDPOINT"], "chat", credential=credential)
        pubsub.send_to_all("hello", content_type="text/plain")
    ''')
    assert [(c.client, c.setting_value, c.operations) for c in changes] == [
        ("EmailClient", "https://acs1.communication.azure.com", ("begin_send",)),
        ("SmsClient", "https://acs1.communication.azure.com", ("send",)),
        ("WebPubSubServiceClient", "https://wps1.webpubsub.azure.com", ("send_to_all",))]


def test_communication_async_literal_and_keywords(tmp_path):
    code, changes = rewrite(f'''
        from azure.communication.email.aio import EmailClient
        from azure.communication.sms.aio import SmsClient as AsyncSms
        from azure.messaging.webpubsubservice.aio import WebPubSubServiceClient

        CONN = "{ACS}"


        async def notify():
            async with EmailClient.from_connection_string(CONN) as email:
                await email.begin_send({{}})
            async with AsyncSms.from_connection_string(CONN) as sms:
                await sms.send(from_="+15550000", to="+15550001", message="hi")
            service = WebPubSubServiceClient.from_connection_string(
                connection_string="{WEBPUBSUB}",
                hub="chat",
            )
            await service.get_client_access_token()
    ''', tmp_path)
    assert code == dedent('''
        from azure.communication.email.aio import EmailClient
        from azure.communication.sms.aio import SmsClient as AsyncSms
        from azure.messaging.webpubsubservice.aio import WebPubSubServiceClient
        from azure.identity.aio import DefaultAzureCredential

        credential = DefaultAzureCredential()


        async def notify():
            async with EmailClient("https://acs1.communication.azure.com", credential=credential) as email:
                await email.begin_send({})
            async with AsyncSms("https://acs1.communication.azure.com", credential=credential) as sms:
                await sms.send(from_="+15550000", to="+15550001", message="hi")
            service = WebPubSubServiceClient(
                "https://wps1.webpubsub.azure.com",
                hub="chat",
                credential=credential,
            )
            await service.get_client_access_token()
    ''')
    assert all(c.is_async and c.status == "rewritten" for c in changes)
    assert only(changes, "WebPubSubServiceClient").resource == "wps1"


@pytest.mark.parametrize("code, reason", [
    ("from azure.iot.hub import IoTHubRegistryManager\n\nr = IoTHubRegistryManager.from_connection_string("
     '"HostName=hub1.azure-devices.net;DeviceId=device-1;SharedAccessKey=«b64:32»")\n', "DeviceId"),
    ("from azure.messaging.webpubsubservice import WebPubSubServiceClient\n\ns = WebPubSubServiceClient."
     'from_connection_string("Endpoint=https://wps1.webpubsub.azure.com;AccessKey=«b64:32»;Port=8080;", hub="chat")\n',
     "port"),
    ("from azure.communication.sms import SmsClient\n\ndef make(conn):\n"
     "    return SmsClient.from_connection_string(conn)\n",
     "is a parameter"),
])
def test_left_manual(tmp_path, code, reason):
    updated, changes = rewrite(code, tmp_path)
    assert updated == fakes.expand(code)
    assert [c.status for c in changes] == ["manual"] and reason in (changes[0].reason or "")


def test_runtime_rewritten_iot_hub_clients(tmp_path, monkeypatch):
    write_settings(tmp_path, ".env", f"IOTHUB_CONNECTION_STRING={IOT}\n")
    code, changes = rewrite('''
        import os
        from azure.iot.hub import DigitalTwinClient, IoTHubRegistryManager

        registry = IoTHubRegistryManager.from_connection_string(os.environ["IOTHUB_CONNECTION_STRING"])
        twins = DigitalTwinClient.from_connection_string(os.environ["IOTHUB_CONNECTION_STRING"])
    ''', tmp_path)
    monkeypatch.delenv("IOTHUB_CONNECTION_STRING", raising=False)
    monkeypatch.setenv(changes[0].setting, changes[0].setting_value)
    assert changes[0].setting_value == "hub1.azure-devices.net"
    with identity_endpoint() as ep:
        use_identity_endpoint(monkeypatch, ep)
        ns = run_module(code)
        registry = ns["registry"]
        try:
            assert registry.protocol.config.base_url == "https://hub1.azure-devices.net"
            assert isinstance(ns["credential"], TokenCredential)
            with capture_requests(body=json.dumps({"deviceId": "device-1"}).encode()) as reqs:
                assert registry.get_twin("device-1").device_id == "device-1"
            assert reqs[0].url.startswith("https://hub1.azure-devices.net/twins/device-1")
            assert ep.resources == ["https://iothubs.azure.net"]
            assert ns["credential"].get_token("https://iothubs.azure.net/.default").token
        finally:
            registry.amqp_svc_client.disconnect_sync()
            registry.amqp_svc_client = None


def test_runtime_rewritten_communication_and_webpubsub(tmp_path, monkeypatch):
    write_settings(tmp_path, ".env", f"ACS_CONNECTION_STRING={ACS}\nWEBPUBSUB_CONNECTION_STRING={WEBPUBSUB}\n")
    code, changes = rewrite('''
        import os

        from azure.communication.email import EmailClient
        from azure.communication.sms import SmsClient
        from azure.messaging.webpubsubservice import WebPubSubServiceClient

        email = EmailClient.from_connection_string(os.environ["ACS_CONNECTION_STRING"])
        sms = SmsClient.from_connection_string(os.environ["ACS_CONNECTION_STRING"])
        pubsub = WebPubSubServiceClient.from_connection_string(os.environ["WEBPUBSUB_CONNECTION_STRING"], hub="chat")
    ''', tmp_path)
    assert "CONNECTION_STRING" not in code
    for change in changes:
        monkeypatch.delenv(change.old_setting, raising=False)
        monkeypatch.setenv(change.setting, change.setting_value)
    message = {"senderAddress": "a@example.test", "recipients": {"to": [{"address": "b@example.test"}]},
               "content": {"subject": "s", "plainText": "t"}}
    with identity_endpoint() as ep:
        use_identity_endpoint(monkeypatch, ep)
        ns = run_module(code)
        assert isinstance(ns["credential"], TokenCredential)
        assert ns["email"]._config.endpoint == "https://acs1.communication.azure.com"
        assert ns["pubsub"]._config.endpoint == "https://wps1.webpubsub.azure.com"
        assert ns["pubsub"]._config.hub == "chat"
        done = {"id": "1", "status": "Succeeded"}
        location = {"operation-location": "https://acs1.communication.azure.com/emails/operations/1"}
        with capture_requests(status=202, body=json.dumps(done).encode(), headers=location) as email_reqs:
            assert ns["email"].begin_send(message).result()["status"] == "Succeeded"
        sent = {"value": [{"to": "+15550001", "messageId": "m1", "httpStatusCode": 202, "successful": True}]}
        with capture_requests(status=202, body=json.dumps(sent).encode()) as sms_reqs:
            assert ns["sms"].send(from_="+15550000", to="+15550001", message="hi")[0].successful
        with capture_requests(status=202, body=b"") as pubsub_reqs:
            ns["pubsub"].send_to_all("hello", content_type="text/plain")
        for reqs, host, audience in ((email_reqs, "acs1.communication.azure.com", "https://communication.azure.com/"),
                                     (sms_reqs, "acs1.communication.azure.com", "https://communication.azure.com/"),
                                     (pubsub_reqs, "wps1.webpubsub.azure.com", "https://webpubsub.azure.com")):
            assert reqs[0].url.startswith(f"https://{host}/")
            assert reqs[0].authorization.startswith("Bearer ")
            assert reqs[0].bearer_audience == audience
        assert set(ep.resources) == {"https://communication.azure.com/", "https://webpubsub.azure.com"}
