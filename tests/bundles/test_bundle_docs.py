"""docs/challenge-format.md and the schema must not drift apart (Codabench's docs and parser do)."""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Any, get_args

from pydantic import BaseModel

from app.bundles import BUILTIN_METRICS, Challenge, validate_bundle

DOC = Path(__file__).resolve().parents[2] / "docs" / "challenge-format.md"


def _yaml_blocks() -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in get_args(annotation) for m in _models_in(arg)]


def _field_names(model: type[BaseModel], seen: set[type[BaseModel]]) -> set[str]:
    if model in seen:
        return set()
    seen.add(model)
    names = set(model.model_fields)
    for info in model.model_fields.values():
        for inner in _models_in(info.annotation):
            names |= _field_names(inner, seen)
    return names


def test_the_annotated_example_is_a_valid_bundle(valid_bundle: Path) -> None:
    example = _yaml_blocks()[0]
    assert example.startswith("format: 1")
    (valid_bundle / "challenge.yaml").write_text(example, encoding="utf-8")
    with validate_bundle(valid_bundle) as report:
        assert [str(e) for e in report.errors] == []
        assert report.challenge is not None
        assert report.challenge.slug == "harbour-wave-height"


def test_every_key_and_metric_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    undocumented = sorted(
        name for name in _field_names(Challenge, set()) if f"`{name}`" not in text
    )
    assert undocumented == []
    assert sorted(m for m in BUILTIN_METRICS if f"| `{m}` |" not in text) == []
