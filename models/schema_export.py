"""JSON Schema documents for the event contract, for integration engineers and their tools.

The checked-in files under ``models/schemas/`` are generated from the models by
``cordwatch schema``; a test fails when they drift, so the published contract is the code's.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from models.dead_letter import DeadLetter
from models.events import EVENT_MODELS, inbound_event_adapter
from models.pages import Page

SCHEMA_DIR = Path(__file__).parent / "schemas"


def _file_name(title: str) -> str:
    snake = "".join(f"_{c.lower()}" if c.isupper() else c for c in title).lstrip("_")
    return f"{snake}.schema.json"


def generate_schemas() -> dict[str, dict[str, Any]]:
    """Map each schema file name to its JSON Schema document."""
    documents: dict[str, dict[str, Any]] = {}
    models: list[type[BaseModel]] = [*EVENT_MODELS, DeadLetter, Page]
    for model in models:
        schema = model.model_json_schema(mode="validation")
        documents[_file_name(model.__name__)] = schema
    inbound = inbound_event_adapter.json_schema(mode="validation")
    inbound["title"] = "InboundEvent"
    documents["inbound_event.schema.json"] = inbound
    return documents


def render(document: dict[str, Any]) -> str:
    """Stable text form: sorted keys so diffs show real contract changes only."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_schemas(directory: Path = SCHEMA_DIR) -> list[Path]:
    """Write every schema file, removing stale ones, and return the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    documents = generate_schemas()
    for stale in directory.glob("*.schema.json"):
        if stale.name not in documents:
            stale.unlink()
    written = []
    for name, document in sorted(documents.items()):
        path = directory / name
        path.write_text(render(document), encoding="utf-8")
        written.append(path)
    return written
