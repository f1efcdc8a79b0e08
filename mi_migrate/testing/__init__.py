"""Test support: generated fake credentials (`fakes`). Nothing in the package imports it; tests, benchmarks and
examples/regenerate.py do."""
