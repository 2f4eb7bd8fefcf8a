"""Named SPARQL queries in queries/: a header (title, description, parameters), then the query."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.errors import QueryError
from kg.namespaces import Iris

_HEADER = re.compile(r"^#\s*(title|description|param):\s*(.*)$")
_PARAM = re.compile(r"^\?(\w+)\s+(iri|term|source|string|integer|decimal)(\s+optional)?\s*(?:[-—]+\s*(.*))?$")


@dataclass(frozen=True)
class Parameter:
    """A query parameter: a variable that the caller may bind (never formatted into the text)."""

    name: str
    type: str
    optional: bool
    help: str

    def bind(self, raw: str, iris: Iris) -> ox.NamedNode | ox.Literal:
        """Turn a command-line or URL value into an RDF term of this parameter's type."""
        if self.type == "term":
            return ox.NamedNode(str(iris.term(raw)))
        if self.type == "source":
            return ox.NamedNode(str(iris.source(raw)))
        if self.type == "iri":
            value = raw.strip("<>")
            if not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$", value):
                raise QueryError(f"parameter ?{self.name} needs an absolute IRI, got {raw!r}")
            return ox.NamedNode(value)
        if self.type in ("integer", "decimal"):
            try:
                number = int(raw) if self.type == "integer" else Decimal(raw)
            except (ValueError, InvalidOperation) as exc:
                raise QueryError(f"parameter ?{self.name} needs an {self.type}, got {raw!r}") from exc
            datatype = "integer" if self.type == "integer" else "decimal"
            return ox.Literal(str(number), datatype=ox.NamedNode(f"http://www.w3.org/2001/XMLSchema#{datatype}"))
        return ox.Literal(raw)


@dataclass(frozen=True)
class NamedQuery:
    """A query file from queries/."""

    name: str
    path: Path
    title: str
    description: str
    text: str
    parameters: tuple[Parameter, ...] = field(default=())

    def bindings(self, raw: Mapping[str, str], iris: Iris) -> dict[str, Any]:
        """Bind caller-given values; reject unknown names and missing required parameters."""
        known = {p.name: p for p in self.parameters}
        unknown = sorted(set(raw) - set(known))
        if unknown:
            valid = ", ".join(known) or "none"
            raise QueryError(f"query {self.name!r} has no parameter {', '.join(unknown)}; parameters: {valid}")
        missing = [p.name for p in self.parameters if not p.optional and p.name not in raw]
        if missing:
            raise QueryError(f"query {self.name!r} needs parameter(s) {', '.join(missing)}")
        return {name: known[name].bind(value, iris) for name, value in raw.items()}


def parse_query_file(path: Path, root: Path) -> NamedQuery:
    """Read a query file and its header comment."""
    text = path.read_text(encoding="utf-8")
    header: dict[str, list[str]] = {"title": [], "description": [], "param": []}
    last = None
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        match = _HEADER.match(line)
        if match:
            last = match.group(1)
            header[last].append(match.group(2).strip())
        elif last == "description" and line.strip("# "):
            header["description"].append(line.lstrip("# ").strip())
    params = []
    for raw in header["param"]:
        match = _PARAM.match(raw)
        if not match:
            raise QueryError(f"{path}: bad `# param:` line {raw!r}; expected `?name TYPE [optional] — help`")
        params.append(Parameter(match.group(1), match.group(2), bool(match.group(3)), match.group(4) or ""))
    name = path.relative_to(root).with_suffix("").as_posix()
    title = header["title"][0] if header["title"] else name
    return NamedQuery(name, path, title, " ".join(header["description"]), text, tuple(params))


class QueryRegistry:
    """The named queries of a queries/ directory (including subdirectories)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.queries = {q.name: q for q in (parse_query_file(p, root) for p in sorted(root.rglob("*.rq")))}

    def __iter__(self) -> Iterator[NamedQuery]:
        return iter(self.queries.values())

    def examples(self) -> list[NamedQuery]:
        """The example queries for researchers (top level of queries/)."""
        return [q for q in self if "/" not in q.name]

    def checks(self) -> list[NamedQuery]:
        """Data checks: files named *-violation.rq; any row they return is a finding."""
        return [q for q in self if q.name.endswith("-violation")]

    def resolve(self, name_or_path: str) -> NamedQuery:
        """A query by name (`claims-with-quotes`) or by file path."""
        if name_or_path in self.queries:
            return self.queries[name_or_path]
        path = Path(name_or_path)
        if path.is_file():
            return parse_query_file(path.resolve(), path.resolve().parent)
        known = ", ".join(q.name for q in self.examples())
        raise QueryError(f"no query named {name_or_path!r} and no such file; named queries: {known}")
