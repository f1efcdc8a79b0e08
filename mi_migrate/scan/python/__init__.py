"""Python-aware analysis: names (import resolution), analysis (key-based client calls), secrets (by position)."""
