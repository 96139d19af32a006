"""Pydantic's validation errors, rewritten for organisers and placed in the YAML.

Pydantic says "Input should be a valid integer" at ("phases", 0, "limits",
"per_day"); an organiser needs "challenge.yaml:41:25: phases[0].limits.per_day:
'five' is not a whole number — fix: write a whole number". The hint comes from
the field's description where the schema has one, so it stays next to the key.
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable, Sequence
from typing import Any, get_args

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

from app.bundles.errors import N_, BundleError, ErrorCategory, Words
from app.bundles.schema import Challenge
from app.bundles.source import Loc, YamlDocument, dotted

_WRITE_DATETIME = N_("write a date and time with a time zone, e.g. 2026-01-01T00:00:00Z")
_WRITE_MAPPING = N_("write a mapping: one 'key: value' per line, or {{key: value}}")
_WRITE_WHOLE = N_("write a whole number, without quotes")

_TYPE_HINTS: dict[str, Words] = {
    "string_type": N_(
        "write text (put it in quotes if it looks like a number, date or true/false)"
    ),
    "int_type": _WRITE_WHOLE,
    "int_parsing": _WRITE_WHOLE,
    "int_from_float": N_("write a whole number, without decimals"),
    "float_type": N_("write a number such as 0.5, without quotes"),
    "float_parsing": N_("write a number such as 0.5, without quotes"),
    "bool_type": N_("write true or false, without quotes"),
    "bool_parsing": N_("write true or false, without quotes"),
    "list_type": N_("write a list: [a, b] or one '- item' per line"),
    "model_type": N_("write a mapping: one 'key: value' per line, indented, or {{key: value}}"),
    "model_attributes_type": _WRITE_MAPPING,
    "dict_type": _WRITE_MAPPING,
    "timezone_aware": N_(
        "add a time zone: 2026-01-01T00:00:00Z (UTC) or 2026-01-01T00:00:00+01:00"
    ),
    "datetime_from_date_parsing": _WRITE_DATETIME,
    "datetime_parsing": _WRITE_DATETIME,
    "datetime_type": _WRITE_DATETIME,
}

# Pydantic's own words for the errors organisers meet most, so they can be translated: the same
# English as Pydantic's message (first letter lowered). Others stay in Pydantic's English.
_PROBLEMS: dict[str, Callable[[dict[str, Any]], Words | None]] = {
    "int_type": lambda ctx: N_("input should be a valid integer"),
    "int_parsing": lambda ctx: N_(
        "input should be a valid integer, unable to parse string as an integer"
    ),
    "int_from_float": lambda ctx: N_(
        "input should be a valid integer, got a number with a fractional part"
    ),
    "float_type": lambda ctx: N_("input should be a valid number"),
    "float_parsing": lambda ctx: N_(
        "input should be a valid number, unable to parse string as a number"
    ),
    "string_type": lambda ctx: N_("input should be a valid string"),
    "bool_type": lambda ctx: N_("input should be a valid boolean"),
    "bool_parsing": lambda ctx: N_("input should be a valid boolean, unable to interpret input"),
    "list_type": lambda ctx: N_("input should be a valid list"),
    "dict_type": lambda ctx: N_("input should be a valid dictionary"),
    "model_type": lambda ctx: N_(
        "input should be a valid dictionary or instance of {name}",
        name=str(ctx.get("class_name", "")),
    ),
    "timezone_aware": lambda ctx: N_("input should have timezone info"),
    "datetime_type": lambda ctx: N_("input should be a valid datetime"),
    "datetime_parsing": lambda ctx: N_(
        "input should be a valid datetime, {error}", error=str(ctx.get("error", ""))
    ),
    "datetime_from_date_parsing": lambda ctx: N_(
        "input should be a valid datetime or date, {error}", error=str(ctx.get("error", ""))
    ),
    "greater_than": lambda ctx: N_("input should be greater than {limit}", limit=ctx["gt"]),
    "greater_than_equal": lambda ctx: N_(
        "input should be greater than or equal to {limit}", limit=ctx["ge"]
    ),
    "less_than": lambda ctx: N_("input should be less than {limit}", limit=ctx["lt"]),
    "less_than_equal": lambda ctx: N_(
        "input should be less than or equal to {limit}", limit=ctx["le"]
    ),
    "too_short": lambda ctx: _list_length(ctx, "min_length"),
    "too_long": lambda ctx: _list_length(ctx, "max_length"),
    "string_too_short": lambda ctx: (
        N_("string should have at least 1 character")
        if ctx["min_length"] == 1
        else N_("string should have at least {count} characters", count=ctx["min_length"])
    ),
    "string_too_long": lambda ctx: (
        N_("string should have at most 1 character")
        if ctx["max_length"] == 1
        else N_("string should have at most {count} characters", count=ctx["max_length"])
    ),
}


def _list_length(ctx: dict[str, Any], bound: str) -> Words | None:
    """Pydantic's "List should have at least 1 item after validation, not 0", said again."""
    if ctx.get("field_type") != "List":
        return None
    count, actual = ctx[bound], ctx.get("actual_length", 0)
    if bound == "min_length":
        if count == 1:
            return N_(
                "list should have at least 1 item after validation, not {actual}", actual=actual
            )
        return N_(
            "list should have at least {count} items after validation, not {actual}",
            count=count,
            actual=actual,
        )
    if count == 1:
        return N_("list should have at most 1 item after validation, not {actual}", actual=actual)
    return N_(
        "list should have at most {count} items after validation, not {actual}",
        count=count,
        actual=actual,
    )


def _problem(err: ErrorDetails) -> str:
    """What is wrong, from Pydantic's error: our own `Words` where we have them, else its text."""
    ctx: dict[str, Any] = dict(err.get("ctx") or {})
    cause = ctx.get("error")
    said = cause.args[0] if isinstance(cause, ValueError) and cause.args else None
    if err["type"] == "value_error" and isinstance(said, Words):  # a validator of the schema
        return said
    make = _PROBLEMS.get(err["type"])
    try:
        words = make(ctx) if make is not None else None
    except KeyError:  # a context this Pydantic release does not give
        words = None
    if words is not None:
        return words
    return err["msg"].removeprefix("Value error, ")


def _lowered(problem: str) -> str:
    """Pydantic's sentence as the end of ours ("Input should..." becomes "input should...")."""
    if isinstance(problem, Words) or not problem:
        return problem
    return problem[0].lower() + problem[1:]


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


def _description(info: FieldInfo | None) -> str | None:  # a `Words` when marked with N_
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
        return N_("a mapping")
    if isinstance(value, list):
        return N_("a list")
    if value is None:
        return N_("empty (null)")
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _explain(err: ErrorDetails, loc: Loc, root: type[BaseModel]) -> tuple[str, str]:
    kind = err["type"]
    where = dotted(loc)
    holder, info = _model_and_field(loc, root)
    description = _description(info)
    hint: str
    if kind == "missing":
        parent = dotted(loc[:-1])
        key = str(loc[-1])
        hint = (
            N_("add `{key}:` ({description})", key=key, description=description)
            if description
            else N_("add `{key}:`", key=key)
        )
        return N_("{parent}: required key `{key}` is missing", parent=parent, key=key), hint
    if kind == "extra_forbidden":
        parent = dotted(loc[:-1])
        key = str(loc[-1])
        allowed = ", ".join(sorted(holder.model_fields) if holder is not None else [])
        close = difflib.get_close_matches(key, sorted(holder.model_fields) if holder else [], n=1)
        hint = (
            N_(
                "did you mean `{close}`? keys allowed in {parent}: {keys}",
                close=close[0],
                parent=parent,
                keys=allowed,
            )
            if close
            else N_(
                "remove it or check its spelling; keys allowed in {parent}: {keys}",
                parent=parent,
                keys=allowed,
            )
        )
        return N_("{parent}: unknown key `{key}`", parent=parent, key=key), hint
    problem = _problem(err)
    value = err.get("input")
    if kind in ("enum", "literal_error"):
        expected = str(err.get("ctx", {}).get("expected", "")).replace("'", "")
        names, _, last = expected.rpartition(" or ")  # Pydantic's "a, b or c"
        choices: str = N_("{names} or {last}", names=names, last=last) if names else expected
        return (
            N_("{where}: {value} is not allowed", where=where, value=_shown(value)),
            N_("use one of: {names}", names=choices),
        )
    if kind == "value_error":
        return N_("{where}: {problem}", where=where, problem=problem), (
            N_("write {description}", description=description) if description else problem
        )
    if kind == "string_pattern_mismatch":
        return N_(
            "{where}: {value} is not in the accepted form", where=where, value=_shown(value)
        ), (N_("use {description}", description=description) if description else problem)
    if kind in _TYPE_HINTS:
        hint = _TYPE_HINTS[kind]
    elif description:
        hint = N_("use {description}", description=description)
    else:
        hint = problem
    message = N_(
        "{where}: {value} — {problem}", where=where, value=_shown(value), problem=_lowered(problem)
    )
    return message, hint


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
