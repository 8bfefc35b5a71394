"""Export everything stored about a person, or forget them.

A person is an email address. Their leads are every lead row with that
address (merged duplicates included); what is stored about them is every
row of every table with a ``lead_id`` among those leads, plus raw input
rows that mention the address (``quarantine``, ``entity_versions``).

*Forgetting* erases what identifies them and keeps the facts: the lead rows,
activities, stage history, dispositions and opportunities stay (so funnel,
channel and SLA reports still add up), but names and the email become
NULL, free-text notes are erased, BANT answers become ``[forgotten]``, JSON
attributes lose personal keys, and any remaining mention of the address or
full name anywhere in those rows — URLs, raw rows, notification payloads —
is replaced by ``[forgotten]``. Both requests are written to the audit log.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import datetime
from itertools import count
from typing import Any

import pyarrow as pa

from leadline.errors import NotFound
from leadline.privacy import audit
from leadline.privacy.catalog import FORGOTTEN, Catalog, Column, Person
from leadline.store.base import Engine

_names = count(1)
_names_lock = threading.Lock()


@dataclass
class Subject:
    """The person's leads and what identifies them in text."""

    email: str
    lead_ids: list[str]
    person: Person


def locate(engine: Engine, email: str) -> Subject:
    address = audit.normalise(email)
    rows = engine.fetch(
        "SELECT lead_id, first_name, last_name FROM leads WHERE lower(email) = ? ORDER BY lead_id",
        [address],
    )
    names = sorted({f"{first.strip()} {last.strip()}" for _, first, last in rows if first and last})
    return Subject(address, [str(r[0]) for r in rows], Person(address, tuple(names)))


def _raw_where(table: str, subject: Subject) -> str:
    """Raw input rows that mention the address (or are old versions of their leads)."""
    if table == "quarantine":
        return (
            "(strpos(lower(CAST(raw AS VARCHAR)), $email) > 0 "
            "OR strpos(lower(message), $email) > 0)"
        )
    mentions = "strpos(lower(CAST(data AS VARCHAR)), $email) > 0"
    if not subject.lead_ids:
        return mentions
    return f"((entity = 'leads' AND entity_id = ANY($ids)) OR {mentions})"


def _jsonish(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


# -- export --------------------------------------------------------------------
def export_person(engine: Engine, email: str, actor: str) -> dict[str, Any]:
    """Every stored row about the person, by table; recorded in the audit log."""
    subject = locate(engine, email)
    catalog = Catalog.read(engine)
    tables: dict[str, list[dict[str, Any]]] = {}
    params: dict[str, Any] = {"ids": subject.lead_ids, "email": subject.email}
    if subject.lead_ids:
        for table in sorted(catalog.lead_tables):
            rows = engine.fetch_dicts(f"SELECT * FROM {table} WHERE lead_id = ANY($ids)", params)
            if rows:
                tables[table] = [{k: _jsonish(v) for k, v in r.items()} for r in rows]
        accounts = engine.fetch_dicts(
            "SELECT * FROM accounts WHERE account_id IN "
            "(SELECT account_id FROM leads WHERE lead_id = ANY($ids))",
            params,
        )
        if accounts:
            tables["accounts"] = accounts
    for table in ("quarantine", "entity_versions"):
        where = _raw_where(table, subject)
        rows = engine.fetch_dicts(f"SELECT * FROM {table} WHERE {where}", params)
        if rows:
            tables[table] = [{k: _jsonish(v) for k, v in r.items()} for r in rows]
    if not tables:
        raise NotFound(f"nothing is stored about {subject.email}")
    with engine.transaction():
        audit.record(
            engine,
            "export",
            subject.email,
            actor,
            subject.lead_ids,
            {"rows": {t: len(r) for t, r in tables.items()}},
        )
    return {
        "email": subject.email,
        "lead_ids": subject.lead_ids,
        "tables": tables,
        "requests": audit.entries(engine, subject.email),
    }


# -- forget --------------------------------------------------------------------
@dataclass
class ForgetReport:
    email: str
    lead_ids: list[str]
    at: datetime | None = None
    changed: dict[str, int] = field(default_factory=dict)  # "table.column" -> rows

    def to_dict(self) -> dict[str, Any]:
        return {
            "email_sha256": audit.subject_hash(self.email),
            "lead_ids": self.lead_ids,
            "changed": dict(sorted(self.changed.items())),
            "rows_changed": sum(self.changed.values()),
        }


def _rewrite(
    engine: Engine,
    column: Column,
    where: str,
    params: dict[str, Any],
    person: Person,
    report: ForgetReport,
) -> None:
    """Scrub one column's values among the rows ``where`` selects, set-based."""
    table, name = column.table, column.name
    olds = [
        str(r[0])
        for r in engine.fetch(
            f"SELECT DISTINCT CAST({name} AS VARCHAR) FROM {table} "
            f"WHERE {where} AND {name} IS NOT NULL",
            params,
        )
    ]
    pairs = [(o, person.scrub(o, column.is_json)) for o in olds]
    pairs = [(o, n) for o, n in pairs if n != o]
    if not pairs:
        return
    with _names_lock:
        view = f"_ll_forget_{next(_names)}"
    engine.register_arrow(
        view,
        pa.table({"old": [o for o, _ in pairs], "new": [n for _, n in pairs]}),
    )
    try:
        match = f"{where} AND CAST({table}.{name} AS VARCHAR) = {view}.old"
        rows = int(
            engine.scalar(
                f"SELECT count(*) FROM {table}, {view} WHERE {match}",
                params,
            )
            or 0
        )
        value = f"CAST({view}.new AS JSON)" if column.is_json else f"{view}.new"
        engine.execute(f"UPDATE {table} SET {name} = {value} FROM {view} WHERE {match}", params)
    finally:
        engine.unregister(view)
    key = f"{table}.{name}"
    report.changed[key] = report.changed.get(key, 0) + rows


def _null(
    engine: Engine, report: ForgetReport, table: str, sets: str, where: str, params: dict[str, Any]
) -> None:
    rows = int(engine.scalar(f"SELECT count(*) FROM {table} WHERE {where}", params) or 0)
    if rows:
        engine.execute(f"UPDATE {table} SET {sets} WHERE {where}", params)
        report.changed[f"{table}.{sets.split(' =')[0]}"] = rows


def forget(engine: Engine, email: str, actor: str, now: datetime) -> ForgetReport:
    """Erase the person's personal data, keep the facts; see the module docstring."""
    subject = locate(engine, email)
    report = ForgetReport(subject.email, subject.lead_ids, now)
    params: dict[str, Any] = {"ids": subject.lead_ids, "email": subject.email}
    catalog = Catalog.read(engine)
    person = subject.person
    with engine.transaction():
        for lead_id in subject.lead_ids:
            engine.lock(f"lead:{lead_id}")
        if subject.lead_ids:
            mine = "lead_id = ANY($ids)"
            _null(
                engine,
                report,
                "leads",
                "email = NULL, first_name = NULL, last_name = NULL",
                mine,
                params,
            )
            for table in ("dispositions", "stage_history"):
                _null(engine, report, table, "note = NULL", f"{mine} AND note IS NOT NULL", params)
            for col in ("budget", "authority", "need", "timeline"):
                _null(
                    engine,
                    report,
                    "qualifications",
                    f"{col} = '{FORGOTTEN}'",
                    f"{mine} AND {col} IS NOT NULL",
                    params,
                )
            _null(
                engine,
                report,
                "merges",
                "match_value = NULL",
                "entity = 'leads' AND lower(match_value) = $email",
                params,
            )
            for _table, columns in sorted(catalog.lead_tables.items()):
                for column in columns:
                    _rewrite(engine, column, mine, params, person, report)
        # The message first: once the raw row is clean it no longer matches.
        for raw in (
            Column("quarantine", "message", False),
            Column("quarantine", "raw", True),
            Column("entity_versions", "data", True),
        ):
            where = _raw_where(raw.table, subject)
            _rewrite(engine, raw, where, params, person, report)
        if not report.changed and not subject.lead_ids:
            raise NotFound(f"nothing is stored about {subject.email}")
        audit.record(engine, "forget", subject.email, actor, subject.lead_ids, report.to_dict())
    return report
