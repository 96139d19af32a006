"""Pydantic's validation errors, rewritten for organisers and placed in the YAML.

Pydantic says "Input should be a valid integer" at ("phases", 0, "limits",
"per_day"); an organiser needs "challenge.yaml:41:25: phases[0].limits.per_day:
'five' is not a whole number — fix: write a whole number". The hint comes from
the field's description where the schema has one, so it stays next to the key.
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Sequence
from typing import Any, get_args

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

from app.bundles.errors import BundleError, ErrorCategory
from app.bundles.schema import Challenge
from app.bundles.source import Loc, YamlDocument, dotted

_TYPE_HINTS = {
    "string_type": "write text (put it in quotes if it looks like a number, date or true/false)",
    "int_type": "write a whole number, without quotes",
    "int_parsing": "write a whole number, without quotes",
    "int_from_float": "write a whole number, without decimals",
    "float_type": "write a number such as 0.5, without quotes",
    "bool_type": "write true or false, without quotes",
    "list_type": "write a list: [a, b] or one '- item' per line",
    "model_type": "write a mapping: one 'key: value' per line, indented, or {key: value}",
    "model_attributes_type": "write a mapping: one 'key: value' per line, or {key: value}",
    "dict_type": "write a mapping: one 'key: value' per line, or {key: value}",
    "timezone_aware": "add a time zone: 2026-01-01T00:00:00Z (UTC) or 2026-01-01T00:00:00+01:00",
    "datetime_from_date_parsing": "write a date and time with a time zone, "
    "e.g. 2026-01-01T00:00:00Z",
    "datetime_parsing": "write a date and time with a time zone, e.g. 2026-01-01T00:00:00Z",
    "datetime_type": "write a date and time with a time zone, e.g. 2026-01-01T00:00:00Z",
}


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _model_and_field(
    loc: Loc, root: type[BaseModel]
) -> tuple[type[BaseModel] | None, FieldInfo | None]:
    """The model that holds the last key of `loc`, and that key's field."""
    model: type[BaseModel] | None = root
    holder: type[BaseModel] | None = root
    info: FieldInfo | None = None
    for part in loc:
        if isinstance(part, int):
            continue
        if model is None or part not in model.model_fields:
            return holder if model is None else model, None
        holder = model
        info = model.model_fields[part]
        model = _model_in(info.annotation)
    return holder, info


def _description(info: FieldInfo | None) -> str | None:
    """The field's description, or one carried by its type (e.g. `BundlePath | None`)."""
    if info is None:
        return None
    if info.description:
        return info.description
    pending: list[Any] = [info.annotation]
    while pending:
        current = pending.pop()
        for arg in get_args(current):
            if isinstance(arg, FieldInfo) and arg.description:
                return arg.description
            pending.append(arg)
    return None


def _clean(loc: Sequence[str | int], data: Any) -> Loc:
    """Drop the union-member tags Pydantic inserts, keeping only keys the YAML can have."""
    out: list[str | int] = []
    current = data
    for part in loc:
        if isinstance(current, dict) and isinstance(part, str):
            out.append(part)
            if part not in current:
                break
            current = current[part]
        elif isinstance(current, list) and isinstance(part, int):
            out.append(part)
            current = current[part] if 0 <= part < len(current) else None
        # anything else is a schema tag such as 'function-after[...]' or 'str'
    return tuple(out)


def _shown(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "empty (null)"
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _explain(err: ErrorDetails, loc: Loc, root: type[BaseModel]) -> tuple[str, str]:
    kind = err["type"]
    where = dotted(loc)
    holder, info = _model_and_field(loc, root)
    description = _description(info)
    if kind == "missing":
        parent = dotted(loc[:-1])
        key = loc[-1]
        hint = f"add `{key}:`" + (f" ({description})" if description else "")
        return f"{parent}: required key `{key}` is missing", hint
    if kind == "extra_forbidden":
        parent = dotted(loc[:-1])
        key = str(loc[-1])
        allowed = sorted(holder.model_fields) if holder is not None else []
        close = difflib.get_close_matches(key, allowed, n=1)
        hint = f"did you mean `{close[0]}`? " if close else "remove it or check its spelling; "
        hint += f"keys allowed in {parent}: {', '.join(allowed)}"
        return f"{parent}: unknown key `{key}`", hint
    message = err["msg"].removeprefix("Value error, ")
    value = err.get("input")
    if kind in ("enum", "literal_error"):
        expected = str(err.get("ctx", {}).get("expected", "")).replace("'", "")
        return f"{where}: {_shown(value)} is not allowed", f"use one of: {expected}"
    if kind == "value_error":
        return f"{where}: {message}", f"write {description}" if description else message
    if kind == "string_pattern_mismatch":
        return f"{where}: {_shown(value)} is not in the accepted form", (
            f"use {description}" if description else message
        )
    if kind in _TYPE_HINTS:
        hint = _TYPE_HINTS[kind]
    elif description:
        hint = f"use {description}"
    else:
        hint = message
    return f"{where}: {_shown(value)} — {message[0].lower()}{message[1:]}", hint


def schema_errors(
    exc: ValidationError, doc: YamlDocument, file: str, root: type[BaseModel] = Challenge
) -> list[BundleError]:
    """`root` is the model the YAML file was checked against (a challenge, or an event)."""
    errors: list[BundleError] = []
    seen: set[Loc] = set()
    for err in exc.errors(include_url=False):
        loc = _clean(err["loc"], doc.data)
        if loc in seen:  # one message per key, not one per union member tried
            continue
        seen.add(loc)
        position = doc.locate(loc, at_key=err["type"] == "extra_forbidden")
        message, hint = _explain(err, loc, root)
        errors.append(
            BundleError(
                file,
                position.line if position else None,
                position.column if position else None,
                message,
                hint,
                ErrorCategory.SCHEMA,
            )
        )
    return errors
