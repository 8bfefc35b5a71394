"""Mapping profiles: how a file's columns become canonical fields.

A profile is YAML validated by pydantic.  It either holds one section that
applies to any kind (top-level keys), or a ``kinds:`` table with one section
per kind, so one profile can describe a whole CRM export (see
``profiles/maven-crm.yaml``).  Built-in profiles ship in
``leadline/ingest/profiles``; anything else is a path to a YAML file.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from leadline.errors import MappingError


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Fact(_Model):
    """One behaviour fact derived from a column of a leads file.

    Each non-empty value becomes one activity at the profile's ``as_of`` time,
    with ``source_event_id = <lead_id>:<name>``, so re-imports add nothing.
    """

    name: str
    column: str
    activity_type: str | None = Field(
        None, description="Fixed activity type; the column value becomes `value`."
    )
    types: dict[str, str | None] | None = Field(
        None,
        description="Column value -> activity type (None or absent: no activity); "
        "for columns like `Last Activity`.",
    )
    unless_same_as: str | None = Field(
        None, description="Skip when another fact of this lead has the same activity type."
    )


class Facts(_Model):
    as_of: str = Field(description="The time the file's facts were true (ISO-8601).")
    source: str
    items: list[Fact]


class Section(_Model):
    """How one file maps onto one kind."""

    strict: bool = Field(
        False, description="Unknown columns are an error instead of going to attributes."
    )
    columns: dict[str, str | list[str]] = Field(
        default_factory=dict, description="File column -> canonical field(s)."
    )
    attributes: list[str] | dict[str, str] = Field(
        default_factory=list,
        description="File columns kept in `attributes` (list: snake_case keys; "
        "dict: column -> key).",
    )
    post_contact: list[str] | dict[str, str] = Field(
        default_factory=list,
        description="Columns filled in by sales after contact: stored only in "
        "`leads.post_contact`, never in attributes.",
    )
    values: dict[str, dict[str, str | None]] = Field(
        default_factory=dict,
        description="Field or attribute key -> {file value: stored value}; matched "
        "case-insensitively after trimming.",
    )
    constants: dict[str, str] = Field(default_factory=dict)
    scale: dict[str, float] = Field(
        default_factory=dict, description="Multiply a number field (revenue in millions)."
    )
    ignore: list[str] = Field(default_factory=list)
    date_format: str | None = Field(None, description="strptime format for timestamps.")
    facts: Facts | None = None

    @field_validator("values")
    @classmethod
    def _lower_keys(
        cls, value: dict[str, dict[str, str | None]]
    ) -> dict[str, dict[str, str | None]]:
        return {f: {k.strip().lower(): v for k, v in m.items()} for f, m in value.items()}

    def attribute_columns(self) -> dict[str, str | None]:
        """File column -> explicit key (None: the column name in snake_case)."""
        if isinstance(self.attributes, dict):
            return dict(self.attributes)
        return dict.fromkeys(self.attributes)

    def post_contact_columns(self) -> dict[str, str | None]:
        if isinstance(self.post_contact, dict):
            return dict(self.post_contact)
        return dict.fromkeys(self.post_contact)


class Mapping(_Model):
    """A named profile: one default section, or one section per kind."""

    name: str
    description: str = ""
    kinds: dict[str, Section] | None = None
    default: Section | None = None

    def section(self, kind: str) -> Section:
        if self.kinds is not None:
            if kind not in self.kinds:
                raise MappingError(
                    f"mapping {self.name!r} has no section for {kind!r}; "
                    f"it covers: {', '.join(self.kinds)}"
                )
            return self.kinds[kind]
        return self.default or Section()


def _profiles_dir() -> Any:
    return resources.files("leadline.ingest") / "profiles"


def list_profiles() -> list[str]:
    """Names of the built-in mapping profiles."""
    return sorted(
        p.name.removesuffix(".yaml") for p in _profiles_dir().iterdir() if p.name.endswith(".yaml")
    )


def _parse(text: str, origin: str, default_name: str) -> Mapping:
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as err:
        raise MappingError(f"{origin}: not valid YAML: {err}") from err
    if not isinstance(data, dict):
        raise MappingError(f"{origin}: a mapping profile must be a YAML mapping")
    name = str(data.pop("name", default_name))
    description = str(data.pop("description", ""))
    try:
        if "kinds" in data:
            kinds = data.pop("kinds") or {}
            if data:
                raise MappingError(
                    f"{origin}: with `kinds:`, put {', '.join(map(str, data))} inside a kind"
                )
            return Mapping(
                name=name,
                description=description,
                kinds={k: Section.model_validate(v or {}) for k, v in kinds.items()},
            )
        return Mapping(name=name, description=description, default=Section.model_validate(data))
    except ValidationError as err:
        lines = [
            f"{origin}: {'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in err.errors()
        ]
        raise MappingError("\n".join(lines)) from err


def load_mapping(name_or_path: str | Path) -> Mapping:
    """A built-in profile by name, or a YAML file by path."""
    text_name = str(name_or_path)
    if isinstance(name_or_path, str) and text_name in list_profiles():
        resource = _profiles_dir() / f"{text_name}.yaml"
        return _parse(resource.read_text(encoding="utf-8"), f"profile {text_name}", text_name)
    path = Path(name_or_path)
    if not path.is_file():
        raise MappingError(
            f"unknown mapping {text_name!r}: not a built-in profile "
            f"({', '.join(list_profiles())}) and not a file"
        )
    return _parse(path.read_text(encoding="utf-8"), str(path), path.stem)
