"""docs/contract.md is generated from the schema and must not drift from it."""

from __future__ import annotations

from pathlib import Path

from leadline.contract.docgen import render_contract_reference, walk_models
from leadline.contract.schema import ACTIVITY_TYPES, KNOWN_FIELDS, STAGES

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "contract.md"
EXAMPLE = REPO / "examples" / "contract.yaml"


def _doc() -> str:
    assert DOC.is_file(), (
        f"missing {DOC}: run python -m leadline.contract.docgen > docs/contract.md"
    )
    return DOC.read_text(encoding="utf-8")


def test_docs_match_what_docgen_renders() -> None:
    assert _doc() == render_contract_reference(), (
        "docs/contract.md is stale: run `python -m leadline.contract.docgen > docs/contract.md`"
    )


def test_every_schema_field_is_documented() -> None:
    doc = _doc()
    missing = [
        f"{model.__name__}.{info.alias or name}"
        for _, model in walk_models()
        for name, info in model.model_fields.items()
        if f"| `{info.alias or name}` |" not in doc
    ]
    assert not missing, f"fields missing from docs/contract.md: {missing}"
    for model_path, model in walk_models():
        assert f"### `{model_path}` — {model.__name__}" in doc


def test_vocabularies_and_example_are_included() -> None:
    doc = _doc()
    for name in [*KNOWN_FIELDS, *ACTIVITY_TYPES, *STAGES]:
        assert f"`{name}`" in doc, name
    assert EXAMPLE.read_text(encoding="utf-8").rstrip("\n") in doc
