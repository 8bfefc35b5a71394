"""The post-contact guard: a contract may never score on what sales filled in later.

Mapping profiles declare which file columns are *post-contact* (filled by
sales after the first call: ``Tags``, ``Lead Quality``…). The importer keeps
them out of ``attributes`` (they land in ``post_contact``, which the scoring
plan never reads) and records them in ``field_catalog``. This pass closes the
last gap: a contract that names such a field (``lead.attributes.tags``) would
silently match nothing, so it is refused with the line and column of the rule
and the mapping that declared the field.
"""

from __future__ import annotations

from leadline.contract.loader import LoadedContract
from leadline.contract.yamlpos import load_yaml
from leadline.errors import Problem

ENTITY_TABLES = {"lead": "leads", "account": "accounts"}


def field_references(loaded: LoadedContract) -> list[tuple[tuple[str | int, ...], str]]:
    """Every ``(path, field)`` a contract condition names."""
    c = loaded.contract
    refs: list[tuple[tuple[str | int, ...], str]] = []
    for i, fit_rule in enumerate(c.fit.rules):
        for inner, cond in fit_rule.conditions():
            refs.append((("fit", "rules", i, *inner, "field"), cond.field))
    for i, excl in enumerate(c.exclude.rules):
        refs.append((("exclude", "rules", i, "field"), excl.field))
    return refs


def post_contact_problems(
    loaded: LoadedContract, post_contact: dict[tuple[str, str], str | None]
) -> list[Problem]:
    """Problems for conditions on post-contact fields.

    ``post_contact`` maps ``(table, field)`` (e.g. ``("leads", "tags")``) to the
    mapping profile that declared it post-contact.
    """
    positions = load_yaml(loaded.text, loaded.path or "<contract>").positions
    out: list[Problem] = []
    for path, name in field_references(loaded):
        entity, _, rest = name.partition(".")
        if not rest.startswith("attributes."):
            continue
        key = (ENTITY_TABLES.get(entity, entity), rest.removeprefix("attributes."))
        if key in post_contact:
            source = post_contact[key]
            out.append(
                positions.problem(
                    path,
                    f"{name} is a post-contact field (filled by sales after the first call"
                    + (f", declared by mapping {source!r}" if source else "")
                    + "); scoring on it would leak the outcome into the score",
                )
            )
    return out
