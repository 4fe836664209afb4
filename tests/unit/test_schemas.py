"""The checked-in JSON Schema files are exactly what the models generate."""

from models.schema_export import SCHEMA_DIR, generate_schemas, render


def test_checked_in_schemas_match_the_models() -> None:
    expected = generate_schemas()
    on_disk = {path.name for path in SCHEMA_DIR.glob("*.schema.json")}
    assert on_disk == set(expected), "run `cordwatch schema` and commit models/schemas/"
    for name, document in expected.items():
        text = (SCHEMA_DIR / name).read_text(encoding="utf-8")
        assert text == render(document), f"{name} is stale: run `cordwatch schema`"


def test_report_schema_states_the_text_cap() -> None:
    schema = generate_schemas()["imaging_report.schema.json"]
    assert schema["properties"]["text"]["maxLength"] == 200_000
