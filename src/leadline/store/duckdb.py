"""The embedded default store: one DuckDB file inside the workspace."""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any, ClassVar, Literal

import duckdb
import pyarrow as pa
from pydantic import BaseModel, Field

from leadline.errors import EngineError
from leadline.store.base import Engine, Params, Sql


def _default_memory_limit() -> str:
    return os.environ.get("LEADLINE_MEMORY_LIMIT", "1GB")


def sql_literal(value: Any) -> str:
    """A parameter value as a DuckDB literal, for ``EXECUTE name(param := literal)``.

    DuckDB's ``EXECUTE`` takes no bound parameters of its own, so the values of
    a prepared statement are written out; only plain values are accepted, and
    text is quoted by doubling single quotes.
    """
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise EngineError(f"cannot write {value!r} as a prepared-statement value")
        return f"CAST({value!r} AS DOUBLE)"
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            raise EngineError("prepared statements take naive UTC timestamps")
        return f"TIMESTAMP '{value.isoformat(sep=' ')}'"
    if isinstance(value, date):
        return f"DATE '{value.isoformat()}'"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, list | tuple):
        items = [sql_literal(v) for v in value]
        return f"CAST([{', '.join(items)}] AS VARCHAR[])" if not items else f"[{', '.join(items)}]"
    raise EngineError(f"cannot write {type(value).__name__} as a prepared-statement value")


class DuckDBConfig(BaseModel):
    """How the embedded store is opened.

    ``memory_limit`` caps DuckDB's buffer memory (it spills to a temp folder
    beside the store beyond it). DuckDB's own default is 80% of RAM, which
    lets one scoring run take gigabytes on a laptop; a 1 GB cap scored ten
    million activities just as fast here (see docs/benchmarks.md). Set
    ``LEADLINE_MEMORY_LIMIT`` (e.g. ``4GB``) to change it.
    """

    type: Literal["duckdb"] = "duckdb"
    path: str
    read_only: bool = False
    memory_limit: str | None = Field(default_factory=_default_memory_limit)
    threads: int | None = None


class DuckDBEngine(Engine):
    """DuckDB runs the compiled plan in-process; one writer process at a time."""

    DIALECT: ClassVar[str] = "duckdb"

    def __init__(self, config: DuckDBConfig) -> None:
        self.config = config
        self._lock = threading.RLock()
        try:
            self.conn = duckdb.connect(config.path, read_only=config.read_only)
        except duckdb.IOException as err:
            text = str(err)
            if "lock" in text.lower():
                raise EngineError(
                    f"the store {config.path} is in use by another leadline process "
                    "(a running `leadline serve`, or another command). Stop it, or send "
                    "the change through that process."
                ) from err
            raise EngineError(f"cannot open the store {config.path}: {text}") from err
        if config.memory_limit:
            self.conn.execute(f"SET memory_limit = '{config.memory_limit}'")
        # Row order of big INSERT … SELECTs is never relied on (readers ORDER BY);
        # not preserving it lets DuckDB stream them with far less memory.
        self.conn.execute("SET preserve_insertion_order = false")
        if config.threads:
            self.conn.execute(f"SET threads = {int(config.threads)}")
        self._depth = 0
        self._prepared: dict[str, str] = {}  # statement text -> name of its PREPARE

    @classmethod
    def at(cls, path: str | Path, **kw: Any) -> DuckDBEngine:
        return cls(DuckDBConfig(path=str(path), **kw))

    @staticmethod
    def _bind(text: str, params: Params) -> Any:
        """Named parameters the statement uses (DuckDB refuses unused ones).

        A compiled plan is run piecewise (one CTE at a time); each piece
        then gets only the ``$names`` it mentions.
        """
        if isinstance(params, dict):
            used = {k: v for k, v in params.items() if re.search(rf"\${k}\b", text)}
            return used or None
        return params or None

    def execute(self, sql: Sql, params: Params = None) -> None:
        with self._lock:
            text = self.render(sql)
            self.conn.execute(text, self._bind(text, params)).fetchall()

    def fetch(self, sql: Sql, params: Params = None) -> list[tuple[Any, ...]]:
        with self._lock:
            text = self.render(sql)
            return self.conn.execute(text, self._bind(text, params)).fetchall()

    def fetch_prepared(self, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        """Run a statement parsed once per connection (``PREPARE``), then ``EXECUTE``d.

        The real-time path runs the same compiled plan for every event; this
        saves its parse (~10 ms).  DuckDB 2 still binds and optimises a
        prepared statement that reads tables on every ``EXECUTE`` (~25 ms for
        the plan; duckdb/duckdb#20885), so it is not a cached plan.
        """
        with self._lock:
            text = self.render(sql)
            used = self._bind(text, params) or {}
            args = ", ".join(f"{k} := {sql_literal(v)}" for k, v in used.items())
            name = self._prepared.get(text)
            if name is not None:
                try:
                    return self.conn.execute(f"EXECUTE {name}({args})").fetchall()
                except duckdb.Error as err:  # e.g. dropped with a rolled-back transaction
                    if name not in str(err):
                        raise
            name = f"_ll_prepared_{len(self._prepared)}"
            self.conn.execute(f"PREPARE {name} AS {text}")
            self._prepared[text] = name
            return self.conn.execute(f"EXECUTE {name}({args})").fetchall()

    def fetch_arrow(self, sql: Sql, params: Params = None) -> pa.Table:
        with self._lock:
            text = self.render(sql)
            relation = self.conn.sql(text, params=self._bind(text, params))
            return relation.to_arrow_table()

    def register_arrow(self, name: str, table: pa.Table) -> None:
        with self._lock:
            self.conn.register(name, table)

    def unregister(self, name: str) -> None:
        with self._lock:
            self.conn.unregister(name)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self._lock:
            if self._depth:  # nested: join the outer transaction
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            self.conn.execute("BEGIN TRANSACTION")
            self._depth = 1
            try:
                yield
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            else:
                self.conn.execute("COMMIT")
            finally:
                self._depth = 0

    def close(self) -> None:
        with self._lock:
            self.conn.close()
