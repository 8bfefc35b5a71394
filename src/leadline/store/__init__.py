"""Stores: where leadline keeps its data, behind one :class:`Engine` interface.

Engines are chosen by a short ``type`` name from :data:`ENGINES`; a full
dotted path admits an engine from outside the package.
"""

from __future__ import annotations

import importlib
from datetime import UTC, datetime

from leadline.errors import EngineError
from leadline.store.base import Engine
from leadline.store.schema import MIGRATIONS, SCHEMA_VERSION

ENGINES: dict[str, str] = {
    "duckdb": "leadline.store.duckdb.DuckDBEngine",
}
ALIASES: dict[str, str] = {"duck": "duckdb"}


def import_engine(name: str) -> type[Engine]:
    """Resolve an engine name (or dotted path) to its class, checking the base."""
    dotted = ENGINES.get(ALIASES.get(name, name), name)
    module_name, _, attr = dotted.rpartition(".")
    if not module_name:
        raise EngineError(f"unknown store type {name!r}; known: {', '.join(sorted(ENGINES))}")
    cls = getattr(importlib.import_module(module_name), attr)
    if not (isinstance(cls, type) and issubclass(cls, Engine)):
        raise EngineError(f"{dotted} is not a leadline Engine")
    return cls


def schema_version(engine: Engine) -> int:
    if not engine.table_exists("schema_migrations"):
        return 0
    return int(engine.scalar("SELECT coalesce(max(version), 0) FROM schema_migrations") or 0)


def migrate(engine: Engine) -> int:
    """Apply every migration the store has not seen yet; return the new version."""
    current = schema_version(engine)
    if current > SCHEMA_VERSION:
        raise EngineError(
            f"the store has schema version {current}, newer than this leadline "
            f"({SCHEMA_VERSION}); upgrade leadline"
        )
    for version in range(current + 1, SCHEMA_VERSION + 1):
        with engine.transaction():
            for statement in MIGRATIONS[version - 1]:
                engine.execute(statement)
            engine.execute(
                "INSERT INTO schema_migrations VALUES (?, ?)",
                [version, datetime.now(UTC).replace(tzinfo=None)],
            )
    return SCHEMA_VERSION


__all__ = ["ENGINES", "Engine", "import_engine", "migrate", "schema_version"]
