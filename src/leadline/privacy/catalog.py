"""Where a person's data lives in the store, found from the schema itself.

Rather than a hand-kept list that goes stale as areas add tables, the
catalog reads ``information_schema``: every base table with a ``lead_id``
column holds rows *about* a lead, and each of its text or JSON columns may
hold personal data. Two tables hold raw copies of input rows instead and
are searched by the email address: ``quarantine`` (rejected input rows)
and ``entity_versions`` (previous versions of changed rows).

``scrub`` is the one rule for free text and JSON: drop keys that name
personal fields (names, email, phone, address, notes, …) and replace the
email address and full name wherever they appear.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from leadline.store.base import Engine

FORGOTTEN = "[forgotten]"
TEXT_TYPES = ("varchar", "text", "character varying", "json", "jsonb")
# Identifier columns: pseudonymous keys that reports count by (and indexes hold).
KEY_COLUMNS = frozenset(
    {
        "lead_id",
        "account_id",
        "merged_into",
        "source",
        "source_event_id",
        "campaign_id",
        "content_id",
        "opportunity_id",
        "contract_version",
        "entity",
        "entity_id",
        "kind",
    }
)
# Keys (snake-cased, so "First Name" is first_name) whose values are personal.
PERSONAL_NAME = re.compile(
    r"^(name|first_?name|last_?name|full_?name|given_?name|surname|family_?name|"
    r"e_?mail|e_?mail_?address|contact_?email)$"
)
PERSONAL_PART = re.compile(
    r"(^|_)(phone|mobile|telephone|address|street|postal_?code|post_?code|zip|zip_?code|"
    r"linkedin|twitter|birth_?date|date_of_birth|dob|ip|notes?|comments?|free_?text)($|_)"
)


def personal_key(key: str) -> bool:
    snake = re.sub(r"[^a-z0-9]+", "_", key.lower()).strip("_")
    return bool(PERSONAL_NAME.match(snake) or PERSONAL_PART.search(snake))


RAW_TABLES = ("quarantine", "entity_versions")


@dataclass(frozen=True)
class Column:
    table: str
    name: str
    is_json: bool


@dataclass
class Catalog:
    """Tables about leads and their text columns, as the store says today."""

    lead_tables: dict[str, list[Column]] = field(default_factory=dict)

    @classmethod
    def read(cls, engine: Engine) -> Catalog:
        rows = engine.fetch(
            """SELECT c.table_name, c.column_name, lower(c.data_type)
            FROM information_schema.columns AS c
            JOIN information_schema.tables AS t
              ON t.table_schema = c.table_schema AND t.table_name = c.table_name
             AND t.table_catalog = c.table_catalog
            WHERE t.table_type = 'BASE TABLE' AND c.table_schema IN ('main', 'public')
              AND c.table_catalog <> 'temp'
            ORDER BY c.table_name, c.ordinal_position"""
        )
        columns: dict[str, list[tuple[str, str]]] = {}
        for table, column, dtype in rows:
            columns.setdefault(str(table), []).append((str(column), str(dtype)))
        out = cls()
        for table, cols in columns.items():
            if table in RAW_TABLES or not any(c == "lead_id" for c, _ in cols):
                continue
            out.lead_tables[table] = [
                Column(table, c, dtype.startswith("json"))
                for c, dtype in cols
                if c not in KEY_COLUMNS and dtype.split("(")[0] in TEXT_TYPES
            ]
        return out


@dataclass(frozen=True)
class Person:
    """What identifies the person in text: the email and, when known, the full name."""

    email: str
    names: tuple[str, ...] = ()

    def _patterns(self) -> list[re.Pattern[str]]:
        pats = [re.compile(re.escape(self.email), re.IGNORECASE)]
        pats += [re.compile(r"\b" + re.escape(n) + r"\b", re.IGNORECASE) for n in self.names if n]
        return pats

    def mentioned_in(self, text: str) -> bool:
        return any(p.search(text) for p in self._patterns())

    def scrub_text(self, text: str) -> str:
        for p in self._patterns():
            text = p.sub(FORGOTTEN, text)
        return text

    def scrub_value(self, value: Any) -> Any:
        """A JSON value with personal keys dropped and mentions replaced."""
        if isinstance(value, dict):
            return {k: self.scrub_value(v) for k, v in value.items() if not personal_key(str(k))}
        if isinstance(value, list):
            return [self.scrub_value(v) for v in value]
        if isinstance(value, str):
            return self.scrub_text(value)
        return value

    def scrub(self, text: str | None, is_json: bool) -> str | None:
        if text is None:
            return None
        if is_json:
            try:
                parsed = json.loads(text)
            except ValueError:
                return self.scrub_text(text)
            return json.dumps(self.scrub_value(parsed), sort_keys=True)
        return self.scrub_text(text)
