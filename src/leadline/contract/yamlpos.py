"""YAML with positions: plain Python data plus where every key and value sits.

Pydantic only sees plain data, so its errors name a field path but not a
line.  We compose the YAML ourselves (PyYAML's ``compose`` keeps node marks),
build the data from the nodes and remember the 1-based ``(line, column)`` of
every mapping key and value node by field path.  The loader then turns any
path into ``file:line:col``.  The text is never templated, so positions
always refer to what the user actually wrote.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from leadline.errors import ContractErrors, Problem

PathT = tuple[str | int, ...]
Pos = tuple[int, int]


@dataclass
class Positions:
    """Where each field path sits in one file; makes located :class:`Problem` s."""

    file: str
    values: dict[PathT, Pos] = field(default_factory=dict)
    keys: dict[PathT, Pos] = field(default_factory=dict)
    # Scalar style (None plain, "'" or '"' quoted, "|"/">" block) for offsetting
    # positions *inside* a value, e.g. where a regular expression breaks.
    styles: dict[PathT, str | None] = field(default_factory=dict)
    raw: dict[PathT, str] = field(default_factory=dict)

    def locate(self, path: PathT, *, at_key: bool = False) -> Pos | None:
        """Position of ``path``, or of its nearest ancestor that has one.

        ``at_key`` prefers the key (``points:``) over the value, which reads
        better for "unknown key" problems.
        """
        probe = tuple(path)
        while True:
            if at_key and probe in self.keys:
                return self.keys[probe]
            if probe in self.values:
                return self.values[probe]
            if probe in self.keys:
                return self.keys[probe]
            if not probe:
                return None
            probe = probe[:-1]

    def problem(
        self,
        path: PathT,
        message: str,
        *,
        hint: str | None = None,
        at_key: bool = False,
        offset: int = 0,
    ) -> Problem:
        pos = self.locate(path, at_key=at_key)
        line, column = pos if pos else (None, None)
        if column is not None:
            column += offset
        return Problem(
            message=message, file=self.file, line=line, column=column, path=tuple(path), hint=hint
        )


@dataclass(frozen=True)
class Located:
    """The document as plain data and the positions of its nodes."""

    data: Any
    positions: Positions


def _pos(node: yaml.Node) -> Pos:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


class _Builder:
    """Walks composed nodes into data, recording positions and duplicate keys."""

    def __init__(self, loader: yaml.SafeLoader, positions: Positions) -> None:
        self.loader = loader
        self.positions = positions
        self.problems: list[Problem] = []

    def build(self, node: yaml.Node, path: PathT) -> Any:
        self.positions.values.setdefault(path, _pos(node))
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        assert isinstance(node, yaml.ScalarNode)
        self.positions.styles[path] = node.style
        self.positions.raw[path] = node.value
        return self.loader.construct_object(node, deep=True)

    def _mapping(self, node: yaml.MappingNode, path: PathT) -> dict[Any, Any]:
        self.loader.flatten_mapping(node)  # resolves ``<<: *anchor`` merge keys
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                line, column = _pos(key_node)
                self.problems.append(
                    Problem(
                        "a key must be plain text, not a list or mapping",
                        self.positions.file,
                        line,
                        column,
                        path,
                    )
                )
                continue
            key = self.loader.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | float | bool) or key is None:
                key = key_node.value
            if key in out:
                line, column = _pos(key_node)
                first = self.positions.keys.get((*path, key))
                where = f" (first at line {first[0]}, column {first[1]})" if first else ""
                self.problems.append(
                    Problem(
                        f"duplicate key {key!r}{where}",
                        self.positions.file,
                        line,
                        column,
                        (*path, key),
                    )
                )
                continue
            self.positions.keys[(*path, key)] = _pos(key_node)
            out[key] = self.build(value_node, (*path, key))
        return out


def load_yaml(text: str, filename: str = "<contract>") -> Located:
    """Parse one YAML document; raise :class:`ContractErrors` on syntax or duplicate keys."""
    positions = Positions(file=filename)
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise ContractErrors(problems=[Problem("the file is empty", filename, 1, 1)])
        builder = _Builder(loader, positions)
        data = builder.build(node, ())
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        problem = err.problem or err.context or "syntax error"
        if problem.startswith("expected <block end>"):
            problem = "inconsistent indentation"  # PyYAML's wording is about its parser
        message = "invalid YAML: " + problem
        if err.context and err.problem:
            message += f" ({err.context})"
        line = mark.line + 1 if mark else None
        column = mark.column + 1 if mark else None
        raise ContractErrors(problems=[Problem(message, filename, line, column)]) from None
    except yaml.YAMLError as err:
        raise ContractErrors(problems=[Problem(f"invalid YAML: {err}", filename)]) from None
    finally:
        loader.dispose()
    if builder.problems:
        raise ContractErrors(problems=builder.problems)
    return Located(data=data, positions=positions)
