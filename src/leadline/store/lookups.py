"""Reading rows by a list of keys so that DuckDB uses its index.

DuckDB reads a key list through an index (``ix_activities_lead``, the primary
keys) only while the list is short: from about 50 keys on, the list becomes a
join and the whole table is scanned — 10M activities for a group of events
whose leads own a few thousand.  :func:`keyed` writes the lookup as a
``UNION ALL`` of short lists, each an index lookup; on PostgreSQL it is the
same rows, read through its own indexes.  Each index hit costs DuckDB tens
of microseconds, so past :data:`SCAN_FROM` keys one scan is cheaper and the
lookup is written as one.
"""

from __future__ import annotations

from typing import Any

KEYS_PER_LOOKUP = 40
SCAN_FROM = 1_000


def keyed(
    select: str, table: str, key: str, keys: list[str], *, name: str = "k"
) -> tuple[str, dict[str, Any]]:
    """``SELECT select FROM table WHERE key IN keys`` as short index lookups.

    Returns the SQL (parameters ``$<name>0``, ``$<name>1``…) and its parameters;
    ``name`` keeps two lookups in one statement apart.  A key given twice is
    read once, as in one ``IN`` list.
    """
    keys = list(dict.fromkeys(keys))
    if len(keys) >= SCAN_FROM:
        return f"SELECT {select} FROM {table} WHERE {key} = ANY(${name}0)", {f"{name}0": keys}
    chunks = [keys[i : i + KEYS_PER_LOOKUP] for i in range(0, len(keys), KEYS_PER_LOOKUP)]
    chunks = chunks or [[]]
    sql = " UNION ALL ".join(
        f"SELECT {select} FROM {table} WHERE {key} = ANY(${name}{n})" for n in range(len(chunks))
    )
    return sql, {f"{name}{n}": chunk for n, chunk in enumerate(chunks)}
