"""mi-migrate: find Azure keys and connection strings, and move the code onto managed identity."""

__version__ = "0.1.0"
