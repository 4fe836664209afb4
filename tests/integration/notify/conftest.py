"""The notify tests use the store tests' private databases (SQLite file and PostgreSQL schema)."""

from tests.integration.store.conftest import db_url, engine, migrated

__all__ = ["db_url", "engine", "migrated"]
