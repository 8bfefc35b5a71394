"""Load a contract: YAML with positions → pydantic models → validation passes.

Like sqlglot's ``ErrorLevel.RAISE``, every problem is collected first and
raised once as :class:`~leadline.errors.ContractErrors`, so an editor fixes a
contract in one round instead of one error per run.  Pydantic's error
locations are translated back to YAML node positions and its messages are
rewritten for the marketing-ops person who edits the file.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from leadline.contract.passes import PASSES
from leadline.contract.schema import ACTIVITY_TYPES, KNOWN_FIELDS, Contract
from leadline.contract.yamlpos import PathT, Positions, load_yaml
from leadline.errors import ContractErrors, Problem


@dataclass(frozen=True)
class LoadedContract:
    """A valid contract plus what identifies it: its text, file and version hash."""

    contract: Contract
    version: str
    text: str
    path: str | None = None

    @property
    def name(self) -> str:
        return self.contract.contract


def contract_version(contract: Contract) -> str:
    """First 12 hex chars of the sha256 of the normalised document.

    Normalising through the model means comments, key order, quoting and
    defaults written out or left implicit do not change the version; any
    change to a rule does.  Keys left unset (None) are left out, so an
    optional key a later leadline adds (a fit rule's ``and``) does not give
    every existing contract a new version.
    """
    doc = contract.model_dump(mode="json", by_alias=True, exclude_none=True)
    blob = json.dumps(doc, sort_keys=True)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:12]


def load_contract(path: str | Path) -> LoadedContract:
    """Read and validate a contract file; raise ContractErrors listing every problem."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as err:
        raise ContractErrors(
            problems=[Problem(f"cannot read the contract: {err.strerror or err}", str(p))]
        ) from None
    loaded = load_contract_text(text, filename=str(p))
    return LoadedContract(loaded.contract, loaded.version, text, str(p))


def load_contract_text(text: str, filename: str = "<contract>") -> LoadedContract:
    """Validate contract text; ``filename`` is only used in problem locations."""
    located = load_yaml(text, filename)
    positions = located.positions
    if not isinstance(located.data, dict):
        raise ContractErrors(
            problems=[
                positions.problem(
                    (),
                    f"expected a mapping of sections (contract, fit, stages...), "
                    f"got {_describe(located.data)}",
                )
            ]
        )
    try:
        contract = Contract.model_validate(located.data)
    except ValidationError as err:
        raise ContractErrors(problems=translate_errors(err, located.data, positions)) from None
    problems: list[Problem] = []
    for check in PASSES:
        problems.extend(check(contract, positions))
    if problems:
        problems.sort(key=lambda p: (p.line or 0, p.column or 0))
        raise ContractErrors(problems=problems)
    return LoadedContract(contract, contract_version(contract), text, None)


# -- pydantic errors → located, readable problems ---------------------------

_EXPECT: dict[str, str] = {
    "float_parsing": "a number",
    "float_type": "a number",
    "int_parsing": "a whole number",
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "bool_parsing": "true or false",
    "bool_type": "true or false",
    "string_type": "text",
    "list_type": "a list",
    "tuple_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
}


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def _split_loc(loc: tuple[str | int, ...], data: Any) -> tuple[PathT, bool]:
    """Keep the segments of a pydantic ``loc`` that exist in the data.

    Union and validator errors add segments that are not keys (``str``,
    ``list[str]``, ``function-after[...]``); dict-key errors add ``[key]``.
    The second value is True when the problem is about a key, not a value.
    """
    path: list[str | int] = []
    node: Any = data
    at_key = False
    for i, seg in enumerate(loc):
        if seg == "[key]":
            at_key = True
            continue
        in_dict = isinstance(node, dict) and seg in node
        in_list = isinstance(node, list) and isinstance(seg, int) and 0 <= seg < len(node)
        if in_dict or in_list:
            path.append(seg)
            node = node[seg]
        elif i == len(loc) - 1 and isinstance(node, dict) and isinstance(seg, str):
            path.append(seg)  # a missing or unknown key: keep its name
            node = None
    return tuple(path), at_key


def _model_at(path: PathT) -> type[BaseModel] | None:
    """The pydantic model that validates the mapping at ``path`` (for did-you-mean)."""
    current: Any = Contract
    for seg in path:
        model = _find_model(current)
        if model is None:
            return None
        if isinstance(seg, int):
            continue  # list item: the container was already unwrapped
        info = next((f for n, f in model.model_fields.items() if seg in (n, f.alias)), None)
        if info is None:
            return None
        current = _unwrap_container(info.annotation)
    return _find_model(current)


def _unwrap_container(annotation: Any) -> Any:
    """``list[X]`` / ``X | None`` / ``dict[K, X]`` → ``X`` (first model found)."""
    origin = typing.get_origin(annotation)
    if origin in (list, tuple):
        return typing.get_args(annotation)[0]
    if origin is dict:
        return typing.get_args(annotation)[1]
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            found = _unwrap_container(arg)
            if _find_model(found) is not None:
                return found
        return annotation
    return annotation


def _find_model(annotation: Any) -> type[BaseModel] | None:
    target = _unwrap_container(annotation)
    if isinstance(target, type) and issubclass(target, BaseModel):
        return target
    return None


def _close(word: str, choices: typing.Iterable[str]) -> str | None:
    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean {match[0]!r}?" if match else None


def _keys_of(model: type[BaseModel]) -> list[str]:
    return [f.alias or n for n, f in model.model_fields.items()]


_UNKNOWN_VALUE = re.compile(r"^unknown (field|activity type) '([^']*)'")
_LITERAL_CHOICES = re.compile(r"'([^']*)'")


def _message(err: Any, path: PathT, positions: Positions) -> tuple[str, str | None, int]:
    """(message, hint, column offset) for one pydantic error dict."""
    kind: str = err["type"]
    value = err.get("input")
    ctx: dict[str, Any] = err.get("ctx") or {}
    if kind == "missing":
        return f"missing required key {path[-1]!r}", None, 0
    if kind == "extra_forbidden":
        model = _model_at(path[:-1])
        hint = _close(str(path[-1]), _keys_of(model)) if model else None
        return f"unknown key {path[-1]!r}", hint, 0
    if kind in _EXPECT:
        return f"expected {_EXPECT[kind]}, got {_describe(value)}", None, 0
    if kind == "literal_error":
        expected = str(ctx.get("expected", ""))
        hint = _close(str(value), _LITERAL_CHOICES.findall(expected))
        return f"expected {expected}, got {_describe(value)}", hint, 0
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        words = {
            "greater_than": "greater than",
            "greater_than_equal": "at least",
            "less_than": "less than",
            "less_than_equal": "at most",
        }[kind]
        bound = next(iter(ctx.values()), "?")
        if isinstance(bound, float) and bound.is_integer():
            bound = int(bound)
        return f"must be {words} {bound}, got {_describe(value)}", None, 0
    if kind in ("too_short", "too_long"):
        return f"{err['msg'][0].lower()}{err['msg'][1:]}", None, 0
    msg: str = err["msg"]
    msg = msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    unknown = _UNKNOWN_VALUE.match(msg)
    if unknown:
        choices = KNOWN_FIELDS if unknown.group(1) == "field" else ACTIVITY_TYPES
        hint = _close(unknown.group(2), choices) or msg[unknown.end() :].lstrip("; ")
        return unknown.group(0), hint, 0
    if msg.startswith("invalid regular expression") and isinstance(value, str):
        return msg, None, _regex_offset(value, path, positions)
    return msg[:1].lower() + msg[1:], None, 0


def _regex_offset(pattern: str, path: PathT, positions: Positions) -> int:
    """Columns from the scalar's start to where the regex breaks, when exact.

    Only single-line scalars without escapes map characters 1:1 to columns;
    otherwise we point at the scalar itself.
    """
    try:
        re.compile(pattern)
    except re.error as err:
        pos = err.pos
    else:
        return 0
    style = positions.styles.get(path, "")
    raw = positions.raw.get(path, "")
    if pos is None or "\n" in pattern:
        return 0
    if style is None and raw == pattern:
        return pos
    if style in ("'", '"') and raw == pattern and "\\" not in pattern and "'" not in pattern:
        return pos + 1
    return 0


def translate_errors(err: ValidationError, data: Any, positions: Positions) -> list[Problem]:
    """Every pydantic error as a located Problem; union branches at one path are merged."""
    merged: dict[tuple[PathT, bool], list[tuple[str, str | None, int]]] = {}
    for item in err.errors():
        path, at_key = _split_loc(tuple(item["loc"]), data)
        if item["type"] in ("missing", "extra_forbidden"):
            at_key = item["type"] == "extra_forbidden"
        merged.setdefault((path, at_key), []).append(_message(item, path, positions))
    problems: list[Problem] = []
    for (path, at_key), messages in merged.items():
        message, hint, offset = messages[0]
        expected = [m[0] for m in messages if m[0].startswith("expected ")]
        if len(messages) > 1 and len(expected) == len(messages):
            # ``str | list[str]`` failing both ways: "expected text or a list, got 3"
            wants = dict.fromkeys(m.split(", got ")[0].removeprefix("expected ") for m in expected)
            message = f"expected {' or '.join(wants)}, got {expected[0].split(', got ')[-1]}"
        # A missing key has no node of its own; ``locate`` falls back to its parent.
        problems.append(positions.problem(path, message, hint=hint, at_key=at_key, offset=offset))
    return sorted(problems, key=lambda p: (p.line or 0, p.column or 0))
