"""The audit store: idempotent batched upserts of pathway outputs, migrations, the schema check."""

from services.store.engine import make_engine
from services.store.migrations import (
    SchemaBehindError,
    SchemaError,
    SchemaUnknownError,
    check_schema,
    current_revision,
    head_revision,
    upgrade,
)
from services.store.store import (
    ApplyResult,
    Store,
    StoreError,
    StoreTransaction,
    StoreUnavailableError,
)

__all__ = [
    "ApplyResult",
    "SchemaBehindError",
    "SchemaError",
    "SchemaUnknownError",
    "Store",
    "StoreError",
    "StoreTransaction",
    "StoreUnavailableError",
    "check_schema",
    "current_revision",
    "head_revision",
    "make_engine",
    "upgrade",
]
