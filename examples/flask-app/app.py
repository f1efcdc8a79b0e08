"""Orders API: the "before" picture for mi-migrate.

Every Azure client here authenticates with a key or a password read from the environment (see .env and
settings.py). `mi-migrate scan examples` reports the credentials; `mi-migrate fix` will move each client to
DefaultAzureCredential.
"""

import json
import os

import pyodbc
from azure.servicebus import ServiceBusClient, ServiceBusMessage
from azure.storage.blob import BlobServiceClient
from flask import Flask, jsonify, request
from openai import AzureOpenAI

import settings

app = Flask(__name__)

blob_service = BlobServiceClient.from_connection_string(os.environ["AZURE_STORAGE_CONNECTION_STRING"])
receipts = blob_service.get_container_client("receipts")

servicebus = ServiceBusClient.from_connection_string(os.environ["SERVICEBUS_CONNECTION_STRING"])

openai_client = AzureOpenAI(
    azure_endpoint=os.environ["AZURE_OPENAI_ENDPOINT"],
    api_key=os.environ["AZURE_OPENAI_API_KEY"],
    api_version="2024-06-01",
)


def db() -> pyodbc.Connection:
    return pyodbc.connect(
        "DRIVER={ODBC Driver 18 for SQL Server};"
        f"SERVER={os.environ['SQL_SERVER']};DATABASE={os.environ['SQL_DATABASE']};"
        f"UID={os.environ['SQL_USER']};PWD={os.environ['SQL_PASSWORD']};Encrypt=yes"
    )


def reporting_db() -> pyodbc.Connection:
    return pyodbc.connect(settings.SQL_CONNECTION_STRING)


@app.post("/orders")
def create_order():
    order = request.get_json(force=True)
    with db() as conn:
        conn.execute("INSERT INTO orders (id, body) VALUES (?, ?)", order["id"], json.dumps(order))
    receipts.upload_blob(f"{order['id']}.json", json.dumps(order), overwrite=True)
    with servicebus.get_queue_sender(os.environ.get("SERVICEBUS_QUEUE", "orders")) as sender:
        sender.send_messages(ServiceBusMessage(json.dumps(order)))
    return jsonify({"id": order["id"]}), 201


@app.post("/orders/<order_id>/summary")
def summarise(order_id: str):
    blob = receipts.download_blob(f"{order_id}.json").readall().decode()
    reply = openai_client.chat.completions.create(
        model=os.environ.get("AZURE_OPENAI_DEPLOYMENT", "gpt-4o-mini"),
        messages=[{"role": "user", "content": f"Summarise this order in one sentence: {blob}"}],
    )
    return jsonify({"summary": reply.choices[0].message.content})


if __name__ == "__main__":
    app.run(debug=True)
