"""The model at the bottom: findings, redaction primitives, rules, configuration and small plain helpers.

Nothing here imports anything of mi_migrate above `core` (tests/test_layering.py holds that).
"""
