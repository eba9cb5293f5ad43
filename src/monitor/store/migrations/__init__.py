"""Versioned schema migrations: modules ``vNNNN_name.py`` with VERSION and upgrade(op)."""
