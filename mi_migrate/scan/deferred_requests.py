"""Import detect-secrets without importing `requests`.

detect-secrets' plugins import `requests` at module level only to verify secrets against live services, which
mi-migrate never asks them to do; `requests` and urllib3 cost ~100 ms, a third of a pre-commit run. While the
plugins are imported, `requests` is a stand-in module that imports the real one on first attribute access; the
stand-in is removed from sys.modules right after, so every later `import requests` (the Azure SDK's) gets the
real package and only detect-secrets' modules hold the stand-in.
"""

from __future__ import annotations

import functools
import importlib
import sys
import types


class _Deferred(types.ModuleType):
    """`requests` until someone reads an attribute of it; then the real package answers. `Response` alone is
    answered here: a plugin names it in a return annotation, evaluated when the module is imported."""

    class Response:
        """Stands in for requests.Response in detect-secrets' annotations; nothing is ever made of it."""

    def __getattr__(self, name: str) -> object:
        real = sys.modules.get("requests")
        if real is None or real is self:
            sys.modules.pop("requests", None)
            real = importlib.import_module("requests")
        return getattr(real, name)


@functools.cache
def import_detect_secrets() -> None:
    """Import the detect-secrets modules mi-migrate uses, with `requests` deferred (once per process)."""
    stand_in = None
    if "requests" not in sys.modules:
        stand_in = sys.modules["requests"] = _Deferred("requests")
    try:
        # every plugin module (each imports `requests`), loaded and cached by detect-secrets here
        importlib.import_module("detect_secrets.core.plugins.util").get_mapping_from_secret_type_to_class()
        importlib.import_module("detect_secrets.filters.heuristic")
        importlib.import_module("detect_secrets.filters.allowlist")
        importlib.import_module("detect_secrets.plugins.keyword")
    finally:
        if stand_in is not None and sys.modules.get("requests") is stand_in:
            del sys.modules["requests"]
