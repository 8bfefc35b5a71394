"""Rule-level differences between two contracts, as data.

Marketing and sales review a contract change the way engineers review code:
what rule was added, removed or changed.  The diff works on the normalised
documents (``model_dump``), so formatting never shows up, and matches list
items by identity (rule name, or ``field operator value`` for unnamed fit
rules) rather than by position, so reordering is not a change.  How many
leads change grade or stage is computed elsewhere by scoring both versions.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from leadline.contract.loader import LoadedContract

Kind = Literal["added", "removed", "changed"]
Doc = dict[str, Any]


@dataclass(frozen=True)
class Change:
    """One difference: ``section`` (dotted), ``key`` within it, old and new values."""

    section: str
    key: str
    kind: Kind
    old: Any = None
    new: Any = None

    def line(self) -> str:
        where = f"{self.section} {self.key!r}" if self.section else repr(self.key)
        if self.kind in ("added", "removed"):
            value = self.new if self.kind == "added" else self.old
            sign = "+" if self.kind == "added" else "-"
            shown = "" if _short(value) == self.key else f" {_short(value)}"
            return f"{sign} {where}: {self.kind}{shown}"
        if isinstance(self.old, dict) and isinstance(self.new, dict):
            parts = [
                f"{k} {_short(self.old.get(k))} → {_short(self.new.get(k))}"
                for k in sorted(set(self.old) | set(self.new))
                if self.old.get(k) != self.new.get(k)
            ]
            return f"~ {where}: " + ", ".join(parts)
        return f"~ {where}: {_short(self.old)} → {_short(self.new)}"


@dataclass(frozen=True)
class ContractDiff:
    """All rule-level changes from ``old_version`` to ``new_version``."""

    old_version: str
    new_version: str
    changes: list[Change] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.changes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "old_version": self.old_version,
            "new_version": self.new_version,
            "changes": [asdict(c) for c in self.changes],
        }

    def lines(self) -> list[str]:
        if not self.changes:
            return ["no rule changes"]
        return [c.line() for c in self.changes]


def _short(value: Any) -> str:
    """Compact rendering: drop empty fields of a rule, JSON for the rest."""
    if value is None:
        return "none"
    if isinstance(value, dict):
        inner = ", ".join(f"{k} {_short(v)}" for k, v in value.items() if v is not None)
        return "(" + inner + ")"
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "[" + ", ".join(_short(v) for v in value) + "]"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return json.dumps(value, default=str)


OPERATOR_KEYS = ("in", "not_in", "between", "at_least", "at_most", "matches", "equals", "missing")


def condition_key(rule: Doc) -> str:
    """``name`` if given, else ``field operator value`` (e.g. ``lead.seniority in [vp]``)."""
    if rule.get("name"):
        return str(rule["name"])
    op = next((k for k in OPERATOR_KEYS if rule.get(k) is not None), "?")
    key = f"{rule.get('field')} {op} {_short(rule.get(op))}"
    for word in ("and", "or"):  # a fit rule combining conditions
        for more in rule.get(word) or ():
            key += f" {word} {condition_key({**more, 'name': None})}"
    return key


def _signal_key(sig: Doc) -> str:
    return f"{sig.get('reason')} {_short(sig.get('activity'))} {sig.get('url_matches') or ''}"


# Lists whose items are rules: matched by identity, not position.
KEYED_LISTS: dict[str, Any] = {
    "fit.rules": condition_key,
    "behaviour.rules": lambda r: str(r["name"]),
    "behaviour.triggers": lambda r: str(r["name"]),
    "exclude.rules": lambda r: f"{r.get('reason')}: {condition_key({**r, 'name': None})}",
    "exclude.activity_signals": _signal_key,
}
# Lists where order carries meaning; the rest of the scalar lists are sets.
ORDERED_LISTS = {"intent.journey_bonus.stages"}


def _keyed(items: list[Doc], key_of: Any) -> dict[str, Doc]:
    out: dict[str, Doc] = {}
    for item in items:
        key = key_of(item)
        n, unique = 2, key
        while unique in out:
            unique, n = f"{key} #{n}", n + 1
        out[unique] = item
    return out


def _diff(old: Any, new: Any, section: str, key: str, out: list[Change]) -> None:
    path = f"{section}.{key}" if section and key else section or key
    if old == new:
        return
    if isinstance(old, dict) or isinstance(new, dict):
        if not isinstance(old, dict | None) or not isinstance(new, dict | None):
            out.append(Change(section, key, "changed", old, new))
            return
        o, n = old or {}, new or {}
        for k in list(o) + [k for k in n if k not in o]:
            _diff(o.get(k), n.get(k), path, str(k), out)
        return
    if path in KEYED_LISTS and isinstance(old, list | None) and isinstance(new, list | None):
        key_of = KEYED_LISTS[path]
        o_items, n_items = _keyed(old or [], key_of), _keyed(new or [], key_of)
        for k, item in o_items.items():
            if k not in n_items:
                out.append(Change(path, k, "removed", item, None))
            elif n_items[k] != item:
                out.append(Change(path, k, "changed", item, n_items[k]))
        out.extend(
            Change(path, k, "added", None, item) for k, item in n_items.items() if k not in o_items
        )
        return
    scalars = (
        all(not isinstance(v, dict | list) for v in (old or []) + (new or []))
        if (isinstance(old, list | None) and isinstance(new, list | None))
        else False
    )
    if scalars and path not in ORDERED_LISTS and old is not None and new is not None:
        out.extend(Change(path, _short(v), "removed", v, None) for v in old if v not in new)
        out.extend(Change(path, _short(v), "added", None, v) for v in new if v not in old)
        return
    kind: Kind = "added" if old is None else "removed" if new is None else "changed"
    out.append(Change(section, key, kind, old, new))


def diff_contracts(old: LoadedContract, new: LoadedContract) -> ContractDiff:
    """Every rule-level change from ``old`` to ``new`` (empty when only formatting differs)."""
    changes: list[Change] = []
    a = old.contract.model_dump(mode="json", by_alias=True, exclude_none=False)
    b = new.contract.model_dump(mode="json", by_alias=True, exclude_none=False)
    _diff(a, b, "", "", changes)
    return ContractDiff(old.version, new.version, changes)
