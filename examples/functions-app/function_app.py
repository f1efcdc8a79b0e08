"""Azure Functions (Python v2 programming model): thumbnails and orders, bound to key-based connection settings.

Each `connection=` names an app setting. In local.settings.json those settings hold connection strings with
account keys; on managed identity they become `<name>__serviceUri` / `<name>__fullyQualifiedNamespace` /
`<name>__accountEndpoint` settings and the keys go away.
"""

import json
import logging
import os

import azure.functions as func

app = func.FunctionApp()


@app.blob_trigger(arg_name="upload", path="uploads/{name}", connection="AzureWebJobsStorage")
@app.queue_output(arg_name="thumbnails", queue_name="thumbnail-requests", connection="AzureWebJobsStorage")
def on_upload(upload: func.InputStream, thumbnails: func.Out[str]) -> None:
    logging.info("new upload %s (%s bytes)", upload.name, upload.length)
    thumbnails.set(json.dumps({"blob": upload.name, "container": os.environ.get("THUMBNAIL_CONTAINER")}))


@app.queue_trigger(arg_name="request", queue_name="thumbnail-requests", connection="AzureWebJobsStorage")
def make_thumbnail(request: func.QueueMessage) -> None:
    logging.info("thumbnail requested: %s", request.get_body().decode())


@app.service_bus_queue_trigger(arg_name="message", queue_name="orders", connection="ServiceBusConnection")
@app.cosmos_db_output(arg_name="document", database_name="shop", container_name="orders",
                      connection="CosmosDbConnection")
def store_order(message: func.ServiceBusMessage, document: func.Out[func.Document]) -> None:
    order = json.loads(message.get_body().decode())
    document.set(func.Document.from_dict(order))
