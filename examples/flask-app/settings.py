"""Fallbacks for running without a .env: the hard-coded-credential habit mi-migrate exists to remove."""

import os

STORAGE_CONNECTION_STRING = os.environ.get(
    "AZURE_STORAGE_CONNECTION_STRING",
    "DefaultEndpointsProtocol=https;AccountName=contosoflaskdemo;AccountKey=FAKEFAKEf5iJDddrpLw45uPcjziyFdAkYsVdIaesBkcHqOR7Cl6DINNdR6BVPFaVPdcBn7hn2RfiJBC1f6bv/g==;EndpointSuffix=core.windows.net",
)
SQL_CONNECTION_STRING = "Driver={ODBC Driver 18 for SQL Server};Server=tcp:contoso-flask-demo.database.windows.net,1433;Database=orders;Uid=orders_app;Pwd=FAKEBGdpoYcAbKJRiWLktDWP;Encrypt=yes"
