"""The published JSON Schema of the sources format is current and accepts the seeds."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from kg.sources.records import SourceFile, source_schema
from kg.sources.yamlio import read_yaml

ROOT = Path(__file__).resolve().parents[1]


def test_committed_schema_is_current() -> None:
    committed = json.loads((ROOT / "docs" / "sources.schema.json").read_text())
    assert committed == source_schema(), "run: evkg schema > docs/sources.schema.json"


@pytest.mark.parametrize("path", sorted((ROOT / "sources").glob("*.yaml")), ids=lambda p: p.name)
def test_seed_files_validate_against_the_schema(path: Path) -> None:
    data = json.loads(json.dumps(read_yaml(path), default=str))
    jsonschema.validate(data, source_schema())


def test_schema_rejects_an_unknown_key() -> None:
    data = {"source": {"id": "x", "title": "X", "kind": "guideline", "colour": "red"}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, source_schema())


def test_the_documented_format_11_example_validates() -> None:
    text = (ROOT / "docs" / "sources.md").read_text()
    block = text[text.index("## Versions") :].split("```yaml\n", 1)[1].split("```", 1)[0]
    data = yaml.safe_load(block)
    jsonschema.validate(data, source_schema())
    record = SourceFile.model_validate(data)
    assert record.version == "1.1" and record.relations and record.claims[0].paraphrase
