"""Column plan: which file column feeds which canonical field, attribute or fact.

This is the only place that reads a file's header against a mapping section,
so every decision about a column (mapped, attribute, post-contact, fact,
ignored, unknown) is made once and reported in the run summary.

Order of precedence for a file column: ``ignore`` > ``columns`` >
``post_contact`` > ``attributes`` > fact columns > a canonical field name
(exact, or equal after snake_casing, so ``Lead ID`` is ``lead_id``) >
unknown.  Unknown columns go to ``attributes`` under their snake_case name,
unless the section is ``strict``, where they are an error.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from leadline.errors import MappingError
from leadline.ingest.kinds import Kind
from leadline.ingest.normalize import snake
from leadline.ingest.profiles import Section


@dataclass
class ColumnPlan:
    """The resolved plan for one file."""

    kind: Kind
    section: Section
    # canonical field -> staging column (c1..) or None when it is a constant
    fields: dict[str, str | None] = field(default_factory=dict)
    field_headers: dict[str, str] = field(default_factory=dict)  # field -> header (for reports)
    constants: dict[str, str] = field(default_factory=dict)
    attributes: dict[str, str] = field(default_factory=dict)  # key -> staging column
    post_contact: dict[str, str] = field(default_factory=dict)  # key -> staging column
    facts: dict[str, str] = field(default_factory=dict)  # fact name -> staging column
    roles: dict[str, str] = field(default_factory=dict)  # header -> what became of it

    def provides(self, name: str) -> bool:
        return name in self.fields


def build_plan(
    kind: Kind, section: Section, headers: tuple[str, ...], staged: tuple[str, ...]
) -> ColumnPlan:
    plan = ColumnPlan(kind, section)
    by_header = dict(zip(headers, staged, strict=True))
    ignore = set(section.ignore)
    post = section.post_contact_columns()
    attrs = section.attribute_columns()
    fact_columns = {f.column: f.name for f in section.facts.items} if section.facts else {}
    if post and not kind.post_contact:
        raise MappingError(f"post_contact columns only apply to leads, not {kind.name}")
    if attrs and not kind.attributes:
        raise MappingError(f"{kind.name} have no attributes; map or ignore those columns")
    if section.facts and kind.name != "leads":
        raise MappingError(f"facts: only apply to leads files, not {kind.name}")
    for target in section.columns.values():
        for name in [target] if isinstance(target, str) else target:
            if name not in kind.fields:
                raise MappingError(
                    f"columns: {name!r} is not a field of {kind.name}; fields are "
                    f"{', '.join(kind.fields)}"
                )
    for name in section.constants:
        if name not in kind.fields:
            raise MappingError(f"constants: {name!r} is not a field of {kind.name}")
    canonical = {snake(f): f for f in kind.fields}
    unknown: list[str] = []
    for header, col in by_header.items():
        if header in ignore:
            plan.roles[header] = "ignored"
        elif header in section.columns:
            target = section.columns[header]
            names = [target] if isinstance(target, str) else list(target)
            for name in names:
                _assign(plan, name, header, col)
            plan.roles[header] = ", ".join(names)
        elif header in post:
            key = post[header] or snake(header)
            plan.post_contact[key] = col
            plan.roles[header] = f"post_contact.{key}"
        elif header in attrs:
            key = attrs[header] or snake(header)
            plan.attributes[key] = col
            plan.roles[header] = f"attributes.{key}"
        elif header in fact_columns:
            plan.facts[fact_columns[header]] = col
            plan.roles[header] = f"fact {fact_columns[header]}"
        elif header in kind.fields or snake(header) in canonical:
            name = header if header in kind.fields else canonical[snake(header)]
            _assign(plan, name, header, col)
            plan.roles[header] = name
        elif section.strict or not kind.attributes:
            unknown.append(header)
        else:
            key = snake(header)
            plan.attributes[key] = col
            plan.roles[header] = f"attributes.{key}"
    if unknown:
        why = "the mapping is strict" if section.strict else f"{kind.name} have no attributes"
        raise MappingError(
            f"unknown column(s) {', '.join(map(repr, unknown))} ({why}); "
            "map them with `columns:` or list them under `ignore:`"
        )
    for name, value in section.constants.items():
        if name in plan.fields:
            raise MappingError(f"{name} comes from a column and from constants")
        plan.fields[name] = None
        plan.constants[name] = value
        plan.field_headers[name] = name
    if fact_columns:
        missing = [c for c in fact_columns if c not in by_header]
        if missing:
            raise MappingError(f"fact column(s) {', '.join(missing)} are not in the file")
    _check_keys(plan)
    return plan


def _assign(plan: ColumnPlan, name: str, header: str, col: str) -> None:
    if name in plan.fields:
        raise MappingError(
            f"{name} comes from two columns: {plan.field_headers[name]!r} and {header!r}"
        )
    plan.fields[name] = col
    plan.field_headers[name] = header


def _check_keys(plan: ColumnPlan) -> None:
    kind = plan.kind
    if kind.lead_ref and not (plan.provides("lead_id") or plan.provides("email")):
        raise MappingError(f"{kind.name} need a lead_id or email column to say whose they are")
    for name in (*kind.key, *kind.required):
        if not plan.provides(name):
            raise MappingError(
                f"no column provides {name}, which {kind.name} need; map one with "
                f"`columns: {{<file column>: {name}}}`"
            )
