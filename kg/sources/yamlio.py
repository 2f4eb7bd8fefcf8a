"""YAML with line numbers: parse a curation file and turn validation errors into located problems."""

from __future__ import annotations

import contextlib
import difflib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from kg.errors import Problem, SourceError
from kg.sources import records

_KNOWN_KEYS = sorted(
    {
        name
        for model in vars(records).values()
        if isinstance(model, type) and issubclass(model, BaseModel)
        for name in model.model_fields
    }
)


_CLAIM_KINDS = {kind for model in records.CLAIM_MODELS for kind in model.model_fields["kind"].annotation.__args__}  # type: ignore[union-attr]
"""The values of a claim's `kind` (they appear in the location of a claim's validation errors)."""

_STR, _MAP, _SEQ = "tag:yaml.org,2002:str", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"
_MERGE = "tag:yaml.org,2002:merge"
_TAG_CACHE = 100_000
"""Plain scalars whose implicit tag (str, int, null...) is remembered: keys and enum values repeat."""


class FastLoader(yaml.CSafeLoader):
    """libyaml's safe loader with the per-node Python work cut down; loads exactly what CSafeLoader loads.

    Implicit tags of repeated plain scalars are cached, and strings, mappings and sequences are built
    by one tight function; anything else (numbers, dates, merge keys) goes to the safe constructor.
    """

    _tags: dict[str, str] = {}

    def resolve(self, kind: type[Node], value: str, implicit: tuple[bool, bool]) -> str:
        if kind is not ScalarNode or not implicit[0]:
            return str(super().resolve(kind, value, implicit))
        tag = self._tags.get(value)
        if tag is None:
            tag = str(super().resolve(kind, value, implicit))
            if len(self._tags) < _TAG_CACHE:
                self._tags[value] = tag
        return tag

    def construct_document(self, node: Node) -> Any:
        built: dict[int, Any] = {}

        def build(node: Node) -> Any:
            known = built.get(id(node), built)
            if known is not built:  # an alias: the same object, as the safe constructor gives
                return known
            tag = node.tag
            if tag == _STR and isinstance(node, ScalarNode):
                return node.value
            if tag == _MAP and isinstance(node, MappingNode) and all(k.tag != _MERGE for k, _ in node.value):
                mapping: dict[Any, Any] = {}
                built[id(node)] = mapping
                for key, value in node.value:
                    mapping[build(key)] = build(value)
                return mapping
            if tag == _SEQ and isinstance(node, SequenceNode):
                sequence: list[Any] = []
                built[id(node)] = sequence
                sequence.extend(build(item) for item in node.value)
                return sequence
            value = built[id(node)] = self.construct_object(node, deep=True)
            return value

        try:
            return build(node)
        except TypeError:  # an unhashable key: let the safe constructor report it
            return super().construct_document(node)


def read_yaml(path: Path) -> Any:
    """Parse a YAML file keeping line numbers; a syntax error names the line."""
    try:
        with path.open(encoding="utf-8") as handle:
            return YAML(typ="rt").load(handle)
    except MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise SourceError(
            [
                Problem(
                    path,
                    line,
                    f"YAML syntax error: {exc.problem}",
                    "check indentation, colons and quoting on this line",
                )
            ]
        ) from exc
    except OSError as exc:
        raise SourceError([Problem(path, None, f"cannot read file: {exc.strerror}")]) from exc
    except UnicodeDecodeError as exc:
        raise SourceError([Problem(path, None, "file is not UTF-8 text", "save it as UTF-8")]) from exc


def line_of(data: Any, loc: Sequence[int | str]) -> int | None:
    """The 1-based line of the deepest node of `loc` present in the parsed YAML."""
    node, line = data, getattr(getattr(data, "lc", None), "line", None)
    for part in loc:
        lc = getattr(node, "lc", None)
        if isinstance(node, dict) and part in node:
            line = lc.key(part)[0] if lc else line
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            line = lc.item(part)[0] if lc else line
            node = node[part]
    return None if line is None else line + 1


def _describe(data: Any, loc: Sequence[int | str]) -> str:
    """A readable path like `claims[3] (nsaids-only)`.direction."""
    parts: list[str] = []
    node = data
    for part in loc:
        if isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
            ident = node.get("id") if isinstance(node, dict) else None
            parts[-1] += f"[{part}]" + (f" ({ident})" if ident else "")
        elif isinstance(node, dict) and part in node:
            parts.append(str(part))
            node = node[part]
        elif isinstance(node, dict) and isinstance(part, str) and part not in records.__dict__:
            parts.append(str(part))
    return ".".join(parts) or "file"


VALUE_FIXES = {
    "not both": "give the source's words as `quote:`, or (a source without `text:`) yours as `paraphrase:`",
    "give min, max or both": "add `min:`, `max:` or both",
    "is greater than max": "swap `min` and `max`",
    "outside its ci": "check the value and the `ci` limits against the source",
    "needs `start`, `end` or both": "add `start: {min: 24, unit: hour}` (after the first day) or an `end:`",
    "needs a `finding` or an `effect`": "add `finding:` or `effect:`",
    "needs `population.subgroup`": "add `subgroup: [...]` to the population",
    "needs a `dose` or a `duration`": "add `dose:` or `duration:`",
}
"""Fixes for the checks the records make themselves, by words of their message."""


def _fix_for(error: Any) -> str | None:
    """A suggestion for one pydantic error."""
    name = str(error["loc"][-1]) if error["loc"] else ""
    if error["type"] == "missing":
        return f"add `{name}:` here (see the sources format in the README)"
    if error["type"] == "extra_forbidden":
        return _fix_for_key(name, error["loc"])
    if error["loc"] == ("version",):
        return 'write `version: "1.1"` (or `version: 1`, the default)'
    if error["type"] == "union_tag_invalid":
        return "use kind: recommendation, evidence, contraindication, caution, adverse-effect or dose"
    if error["type"] == "string_too_long":
        return _fix_for_size()
    if error["type"] == "string_pattern_mismatch":
        return "ids are lower-case words joined by hyphens, e.g. `nsaid-first-line`"
    return next((fix for words, fix in VALUE_FIXES.items() if words in error["msg"]), None)


def _fix_for_key(name: str, loc: Sequence[int | str]) -> str:
    """A key a claim of this kind does not take: the kinds that take it, or the closest known key."""
    kind = loc[-2] if len(loc) >= 2 else None
    kinds = records.kinds_with_field(name) if kind in _CLAIM_KINDS else []
    if kinds:
        listed = ", ".join(kinds[:-1]) + (" and " if len(kinds) > 1 else "") + kinds[-1]
        return f"`{name}` is a key of {listed} claims, not of {kind} claims: change `kind` or remove it"
    close = difflib.get_close_matches(name, _KNOWN_KEYS, n=1)
    return f"did you mean `{close[0]}`?" if close and close[0] != name else "remove this key"


def validation_problems(path: Path, data: Any, exc: ValidationError) -> list[Problem]:
    """Translate pydantic errors into problems with YAML line numbers."""
    problems = []
    for error in exc.errors():
        loc = error["loc"]
        message = f"{_describe(data, loc)}: {error['msg']}"
        problems.append(Problem(path, line_of(data, loc), message, _fix_for(error)))
    return problems


def parse_record(path: Path, model: type[BaseModel]) -> tuple[Any, Any]:
    """Read a YAML file and validate it against `model`; return (record, raw data).

    The fast path parses with libyaml (PyYAML's C loader); only when that fails, or the data does
    not validate, is the file parsed again with ruamel.yaml, which keeps line numbers for the errors.
    """
    _refuse_oversized(path)
    try:
        with path.open("rb") as handle:
            return model.model_validate(yaml.load(handle, Loader=FastLoader)), Located(path)
    except (yaml.YAMLError, ValidationError, OSError, UnicodeDecodeError):
        pass
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise SourceError([Problem(path, 1, "the file must be a YAML mapping with `source:` and `claims:`")])
    try:
        return model.model_validate(data), Located(path, data)
    except ValidationError as exc:
        raise SourceError(validation_problems(path, data, exc)) from exc


def _refuse_oversized(path: Path) -> None:
    """Refuse a file with a text over the per-field limit, naming its line, before anything parses it whole."""
    with contextlib.suppress(OSError):
        if path.stat().st_size <= records.MAX_LITERAL_CHARS:
            return
    problems = [
        Problem(path, node.start_mark.line + 1, f"a text of {len(node.value):,} characters", _fix_for_size())
        for node in _long_scalars(path)
    ]
    if problems:
        raise SourceError(problems)


def _fix_for_size() -> str:
    return f"a field holds at most {records.MAX_LITERAL_CHARS:,} characters: shorten it"


def _long_scalars(path: Path) -> list[ScalarNode]:
    """Scalars over the limit, from libyaml's node tree (fast, with marks; a broken file yields none)."""
    try:
        with path.open("rb") as handle:
            root = yaml.compose(handle, Loader=yaml.CSafeLoader)
    except (yaml.YAMLError, OSError, UnicodeDecodeError):
        return []
    found, stack = [], [root] if root is not None else []
    while stack:
        node = stack.pop()
        if isinstance(node, ScalarNode) and len(node.value) > records.MAX_LITERAL_CHARS:
            found.append(node)
        elif isinstance(node, MappingNode):
            stack.extend(part for pair in node.value for part in pair)
        elif isinstance(node, SequenceNode):
            stack.extend(node.value)
    return found


class Located:
    """Line numbers of a YAML file; parsed with ruamel.yaml only when a line is first asked for."""

    def __init__(self, path: Path | None, data: Any = None) -> None:
        self.path, self._data = path, data

    def line(self, loc: Sequence[int | str]) -> int | None:
        """The 1-based line of the deepest node of `loc` (None when there is no file)."""
        if self._data is None and self.path is not None:
            self._data = read_yaml(self.path)
        return line_of(self._data, loc) if self._data is not None else None
