"""Stores: where leadline keeps its data, behind one :class:`Engine` interface.

Engines are chosen by a short ``type`` name from :data:`ENGINES`; a full
dotted path admits an engine from outside the package.  :func:`open_engine`
picks one from a database URL (``postgresql://…``, ``duckdb:///path`` or a
plain path to a DuckDB file).
"""

from __future__ import annotations

import importlib
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from leadline.errors import EngineError
from leadline.store.base import Engine, OnlyOn, Rendered
from leadline.store.schema import MIGRATIONS, SCHEMA_VERSION

ENGINES: dict[str, str] = {
    "duckdb": "leadline.store.duckdb.DuckDBEngine",
    "postgres": "leadline.store.postgres.PostgresEngine",
}
ALIASES: dict[str, str] = {"duck": "duckdb", "postgresql": "postgres", "pg": "postgres"}
# Names the store instead of the workspace's DuckDB file (e.g. postgresql://…).
DATABASE_URL_ENV = "LEADLINE_DATABASE_URL"


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


def engine_type(url: str | Path) -> str:
    """The engine name a database URL asks for (a bare path is a DuckDB file)."""
    text = str(url)
    scheme = urlsplit(text).scheme.lower() if "://" in text else ""
    if not scheme:
        return "duckdb"
    name = ALIASES.get(scheme, scheme)
    if name not in ENGINES:
        raise EngineError(
            f"unknown database URL scheme {scheme!r} in {text.split('@')[-1]!r}; "
            "use postgresql://user@host/db, duckdb:///path/to/file.duckdb or a file path"
        )
    return name


def open_engine(url: str | Path) -> Engine:
    """Open the store a URL names (not migrated: :func:`migrate` does that)."""
    name = engine_type(url)
    if name == "duckdb":
        from leadline.store.duckdb import DuckDBEngine

        text = str(url)
        path = text.split("://", 1)[1] if "://" in text else text
        return DuckDBEngine.at(path)
    from leadline.store.postgres import PostgresEngine

    return PostgresEngine.at(str(url))


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
            # Many servers may start at once on one PostgreSQL database: the
            # first applies the migration, the others wait and then skip it.
            engine.lock("leadline:migrate")
            if schema_version(engine) >= version:
                continue
            for statement in MIGRATIONS[version - 1]:
                if isinstance(statement, OnlyOn) and engine.DIALECT not in statement.dialects:
                    continue
                if isinstance(statement, Rendered) and statement.dialect != engine.DIALECT:
                    continue
                engine.execute(statement)
            engine.execute(
                "INSERT INTO schema_migrations VALUES (?, ?)",
                [version, datetime.now(UTC).replace(tzinfo=None)],
            )
    return SCHEMA_VERSION


__all__ = [
    "DATABASE_URL_ENV",
    "ENGINES",
    "Engine",
    "engine_type",
    "import_engine",
    "migrate",
    "open_engine",
    "schema_version",
]
