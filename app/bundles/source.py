"""challenge.yaml as plain data plus the position of every key and value.

Validation happens on plain dicts and lists (Pydantic), but organisers need
`file:line:column`, so we compose the YAML node graph ourselves and record where
each value and key sits, indexed by the same location tuples Pydantic reports
(e.g. ("phases", 1, "end")). Building the data by hand also lets us refuse what
a YAML library would quietly accept: duplicate keys (the last one would win),
merge keys, custom tags, and alias bombs. Timestamps are kept as the text the
organiser wrote, so the schema, not the YAML library, decides about time zones.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from app.text.words import N_, Words

Loc = tuple[str | int, ...]

MAX_NODES = 100_000  # values after alias expansion; a real challenge.yaml has a few hundred

_TAG = "tag:yaml.org,2002:"
_CONSTRUCTED_TAGS = {_TAG + "null", _TAG + "bool", _TAG + "int", _TAG + "float"}
_TEXT_TAGS = {_TAG + "str", _TAG + "timestamp"}

SYNTAX_HINT = N_(
    "check the indentation (spaces only, no tabs), closing brackets and quotes near this "
    "position; put values containing ': ' or starting with '{{', '[', '*', '&', '!' or '#' "
    "in quotes"
)
START_HINT = N_("start from the example in docs/challenge-format.md")


@dataclass(frozen=True)
class Position:
    line: int  # 1-based
    column: int  # 1-based


@dataclass(frozen=True)
class YamlProblem:
    """The text is not a YAML document we accept; positions are 1-based."""

    message: Words
    hint: str  # Words, but for a YAML library's own words on a value it cannot read
    line: int | None
    column: int | None


@dataclass
class YamlDocument:
    data: Any
    values: dict[Loc, Position] = field(default_factory=dict)
    keys: dict[Loc, Position] = field(default_factory=dict)

    def locate(self, loc: Sequence[str | int], *, at_key: bool = False) -> Position | None:
        """Where `loc` is written, or its nearest written ancestor.

        `at_key` points at the key rather than its value (for keys that should not
        be there). A location that is absent (a missing key) falls back to the key
        of the closest ancestor that exists, which is where the organiser must add it.
        """
        target = tuple(loc)
        if target in self.values:
            if at_key and target in self.keys:
                return self.keys[target]
            return self.values[target]
        for n in range(len(target) - 1, -1, -1):
            prefix = target[:n]
            if prefix in self.keys:
                return self.keys[prefix]
            if prefix in self.values:
                return self.values[prefix]
        return None


def dotted(loc: Sequence[str | int]) -> str:
    """`("phases", 1, "end")` as organisers write it in prose: `phases[1].end`."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or N_("(top level)")


class _Refused(Exception):
    def __init__(self, problem: YamlProblem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def _pos(node: Node) -> Position:
    return Position(node.start_mark.line + 1, node.start_mark.column + 1)


def _refuse(node: Node, message: Words, hint: str) -> _Refused:
    pos = _pos(node)
    return _Refused(YamlProblem(message, hint, pos.line, pos.column))


class _Builder:
    def __init__(self, yaml: YAML) -> None:
        self._constructor = yaml.constructor
        self._count = 0
        self._on_path: set[int] = set()
        self.doc = YamlDocument(data=None)

    def build(self, node: Node, loc: Loc) -> Any:
        self._count += 1
        if self._count > MAX_NODES:
            raise _refuse(
                node,
                N_("the document expands to more than {limit} values", limit=MAX_NODES),
                N_("write the values out instead of repeating large anchors (&) with aliases (*)"),
            )
        self.doc.values[loc] = _pos(node)
        if id(node) in self._on_path:
            raise _refuse(node, N_("an alias refers to itself"), N_("remove the recursive alias"))
        self._on_path.add(id(node))
        try:
            if isinstance(node, MappingNode):
                return self._mapping(node, loc)
            if isinstance(node, SequenceNode):
                return [self.build(item, (*loc, i)) for i, item in enumerate(node.value)]
            return self._scalar(node)
        finally:
            self._on_path.discard(id(node))

    def _mapping(self, node: MappingNode, loc: Loc) -> dict[str, Any]:
        out: dict[str, Any] = {}
        first_seen: dict[str, Position] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _TAG + "merge":
                raise _refuse(
                    key_node,
                    N_("merge keys (<<) are not supported"),
                    N_("write the keys out in full"),
                )
            if not isinstance(key_node, ScalarNode):
                raise _refuse(
                    key_node, N_("a key must be plain text"), N_("use a simple name as key")
                )
            key = str(key_node.value)
            if key in first_seen:
                raise _refuse(
                    key_node,
                    N_(
                        "duplicate key '{key}' (first written on line {line})",
                        key=key,
                        line=first_seen[key].line,
                    ),
                    N_("keep one of the two; YAML would silently use only the last one"),
                )
            first_seen[key] = _pos(key_node)
            self.doc.keys[(*loc, key)] = _pos(key_node)
            out[key] = self.build(value_node, (*loc, key))
        return out

    def _scalar(self, node: Node) -> Any:
        if node.tag in _TEXT_TAGS:
            return str(node.value)
        if node.tag in _CONSTRUCTED_TAGS:
            try:
                return self._constructor.construct_object(node, deep=True)
            except YAMLError as exc:
                raise _refuse(
                    node,
                    N_("unreadable value {value}", value=repr(node.value)),
                    str(exc),
                ) from exc
        raise _refuse(
            node,
            N_("unsupported YAML tag {tag}", tag=str(node.tag)),
            N_(
                "remove the '!' tag; plain text, numbers, true/false, lists and mappings are enough"
            ),
        )


def parse_yaml(text: str) -> YamlDocument | YamlProblem:
    """Compose `text` into plain data with positions, or say why it cannot be."""
    yaml = YAML(typ="safe", pure=True)
    try:
        root = yaml.compose(io.StringIO(text))
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "malformed YAML"
        message = (
            N_("YAML syntax error: {problem} ({context})", problem=problem, context=exc.context)
            if exc.context and exc.problem
            else N_("YAML syntax error: {problem}", problem=problem)
        )
        return YamlProblem(
            message,
            SYNTAX_HINT,
            mark.line + 1 if mark else None,
            mark.column + 1 if mark else None,
        )
    except YAMLError as exc:
        return YamlProblem(
            N_("YAML syntax error: {problem}", problem=str(exc)), SYNTAX_HINT, None, None
        )
    if root is None:
        return YamlProblem(N_("the file is empty"), START_HINT, 1, 1)
    if not isinstance(root, MappingNode):
        pos = _pos(root)
        return YamlProblem(
            N_("the top level must be a mapping of keys (format:, slug:, title:, ...)"),
            START_HINT,
            pos.line,
            pos.column,
        )
    builder = _Builder(yaml)
    try:
        builder.doc.data = builder.build(root, ())
    except _Refused as refused:
        return refused.problem
    return builder.doc
