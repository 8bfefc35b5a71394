"""PostgreSQL: the store for deployments with many API workers.

The same SQL as everywhere else (DuckDB dialect, or sqlglot expressions such
as the compiled scoring plan) is rendered for PostgreSQL by
:mod:`leadline.store.postgres_sql`, so no query is written twice.

Connections: one per thread, opened on first use.  A transaction belongs to
a connection, so two threads sharing one would run inside each other's
transactions; a connection per thread gives every thread (an API worker
thread, a scheduler, a test's worker) its own transactions while the server
sorts out concurrent writers.  A pool would also do, but psycopg_pool is not a
dependency, and a web server's thread pool is bounded, so the number of
connections is too (connections of threads that have ended are closed the
next time a thread connects).

Values come back as they do from DuckDB: JSON as text, NUMERIC (which
PostgreSQL produces for ``sum`` of integers and rounded numbers, never a
stored column type here) as ``int`` or ``float``.
"""

from __future__ import annotations

import io
import re
import threading
import zlib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar, Literal

import psycopg
import pyarrow as pa
import pyarrow.csv as pa_csv
from psycopg.adapt import Loader
from pydantic import BaseModel

from leadline.errors import EngineError
from leadline.store.base import Engine, Params, Rendered, Sql
from leadline.store.postgres_sql import render_text, to_postgres


class PostgresConfig(BaseModel):
    type: Literal["postgres"] = "postgres"
    url: str
    application_name: str = "leadline"
    connect_timeout: int = 10
    # PostgreSQL JIT-compiles queries its planner thinks are expensive; the scoring
    # plan's many CTEs look expensive, and compiling took 3.6 s of a 3.7 s single-lead
    # score here (bench/postgres.py). Off unless asked for.
    jit: bool = False


class _NumericLoader(Loader):
    """NUMERIC → int when whole-valued text (``sum`` of BIGINTs), else float."""

    def load(self, data: Buffer) -> int | float:
        text = bytes(data).decode()
        if text.lstrip("-").isdigit():
            return int(text)
        return float(text)


class _TextLoader(Loader):
    """JSON/JSONB as text, like DuckDB returns it (callers ``json.loads`` if they need to)."""

    def load(self, data: Buffer) -> str:
        return bytes(data).decode()


Buffer = bytes | bytearray | memoryview

# PostgreSQL type oid → Arrow type, for typed (even empty) Arrow results.
_ARROW_TYPES: dict[int, pa.DataType] = {
    16: pa.bool_(),
    20: pa.int64(),
    21: pa.int16(),
    23: pa.int32(),
    700: pa.float32(),
    701: pa.float64(),
    1700: pa.float64(),
    25: pa.string(),
    1043: pa.string(),
    1042: pa.string(),
    19: pa.string(),
    114: pa.string(),
    3802: pa.string(),
    1114: pa.timestamp("us"),
    1184: pa.timestamp("us", tz="UTC"),
    1082: pa.date32(),
    1009: pa.list_(pa.string()),
    1015: pa.list_(pa.string()),
    1016: pa.list_(pa.int64()),
    1007: pa.list_(pa.int32()),
    1022: pa.list_(pa.float64()),
}


def _pg_type(arrow_type: pa.DataType) -> str:
    """Column type for an Arrow column loaded into a temp table."""
    if pa.types.is_boolean(arrow_type):
        return "BOOLEAN"
    if pa.types.is_integer(arrow_type):
        return "BIGINT"
    if pa.types.is_floating(arrow_type):
        return "DOUBLE PRECISION"
    if pa.types.is_timestamp(arrow_type):
        return "TIMESTAMPTZ" if arrow_type.tz else "TIMESTAMP"
    if pa.types.is_date(arrow_type):
        return "DATE"
    if pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type):
        return _pg_type(arrow_type.value_type) + "[]"
    return "TEXT"


COPY_BATCH_ROWS = 50_000
# Every non-NULL value quoted: PostgreSQL's CSV reads an unquoted empty field as
# NULL and a quoted one ("") as the empty string, so the two stay apart.
_CSV_OPTIONS = pa_csv.WriteOptions(include_header=False, quoting_style="all_valid")


def _csv_ready(arrow_type: pa.DataType) -> bool:
    """Whether Arrow writes this type as CSV text PostgreSQL reads back unchanged."""
    nested = pa.types.is_nested(arrow_type) or pa.types.is_dictionary(arrow_type)
    binary = pa.types.is_binary(arrow_type) or pa.types.is_large_binary(arrow_type)
    return not (nested or binary or pa.types.is_time(arrow_type))


def _csv_bytes(batch: pa.RecordBatch) -> bytes:
    sink = io.BytesIO()
    pa_csv.write_csv(batch, sink, _CSV_OPTIONS)
    return sink.getvalue()


class _ThreadState(threading.local):
    conn: psycopg.Connection[Any] | None = None
    depth: int = 0


class PostgresEngine(Engine):
    """The compiled plan transpiled to PostgreSQL; many processes may write at once."""

    DIALECT: ClassVar[str] = "postgres"
    STAGES_IN_PLACE: ClassVar[bool] = False  # imports normalise in a scratch DuckDB

    def __init__(self, config: PostgresConfig) -> None:
        self.config = config
        self._local = _ThreadState()
        self._conns: dict[threading.Thread, psycopg.Connection[Any]] = {}
        self._conns_lock = threading.Lock()
        self._closed = False
        self._conn()  # fail now, with a clear message, if the database is unreachable

    @classmethod
    def at(cls, url: str, **kw: Any) -> PostgresEngine:
        return cls(PostgresConfig(url=url, **kw))

    # -- connections ----------------------------------------------------------
    def _connect(self) -> psycopg.Connection[Any]:
        try:
            conn = psycopg.connect(
                self.config.url,
                autocommit=True,
                connect_timeout=self.config.connect_timeout,
                application_name=self.config.application_name,
            )
        except psycopg.OperationalError as err:
            raise EngineError(
                f"cannot connect to the PostgreSQL store {_redact(self.config.url)}: "
                f"{str(err).strip()}"
            ) from err
        for name in ("numeric",):
            conn.adapters.register_loader(name, _NumericLoader)
        for name in ("json", "jsonb"):
            conn.adapters.register_loader(name, _TextLoader)
        conn.execute(b"SET TIME ZONE 'UTC'")
        if not self.config.jit:
            conn.execute(b"SET jit = off")
        return conn

    def _conn(self) -> psycopg.Connection[Any]:
        conn = self._local.conn
        if conn is not None and not conn.closed:
            return conn
        if self._closed:
            raise EngineError("the store is closed")
        conn = self._connect()
        me = threading.current_thread()
        with self._conns_lock:
            for thread in [t for t in self._conns if not t.is_alive()]:
                self._conns.pop(thread).close()
            self._conns[me] = conn
        self._local.conn = conn
        self._local.depth = 0
        return conn

    # -- rendering ------------------------------------------------------------
    def render_statements(self, sql: Sql) -> tuple[str, ...]:
        """The PostgreSQL statements (with psycopg placeholders) for one input."""
        if isinstance(sql, Rendered):
            super().render(sql)  # refuses SQL rendered for another dialect
            return sql.statements
        if isinstance(sql, str):
            return render_text(sql)
        return tuple(to_postgres(sql))

    def render(self, sql: Sql) -> Rendered:
        return Rendered(self.render_statements(sql), self.DIALECT)

    @staticmethod
    def _args(params: Params) -> Sequence[Any] | Mapping[str, Any]:
        if params is None:
            return ()
        if isinstance(params, Mapping):
            return params
        return list(params)

    def _run(self, sql: Sql, params: Params) -> psycopg.Cursor[Any]:
        statements = self.render_statements(sql)
        if not statements:
            raise EngineError("no SQL statement to run")
        cur = self._conn().cursor()
        args = self._args(params)
        try:
            for text in statements:
                # e.g. the DROP that CREATE OR REPLACE became takes no parameters;
                # without parameters psycopg sends the text as is: undo the %-escaping
                if _PLACEHOLDER.search(text):
                    cur.execute(text.encode(), args)
                else:
                    cur.execute(text.replace("%%", "%").encode())
        except psycopg.Error as err:
            cur.close()
            err.add_note(f"in: {_short(text)}")
            raise
        return cur

    # -- the Engine interface -------------------------------------------------
    def execute(self, sql: Sql, params: Params = None) -> None:
        self._run(sql, params).close()

    def fetch(self, sql: Sql, params: Params = None) -> list[tuple[Any, ...]]:
        with self._run(sql, params) as cur:
            if cur.description is None:  # INSERT/UPDATE/DELETE: the count, as DuckDB returns
                return [(cur.rowcount,)]
            return [tuple(r) for r in cur.fetchall()]

    def fetch_dicts(self, sql: Sql, params: Params = None) -> list[dict[str, Any]]:
        with self._run(sql, params) as cur:
            if cur.description is None:
                return [{"Count": cur.rowcount}]
            names = [d.name for d in cur.description]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def fetch_arrow(self, sql: Sql, params: Params = None) -> pa.Table:
        with self._run(sql, params) as cur:
            if cur.description is None:
                return pa.table({"Count": [cur.rowcount]})
            rows = cur.fetchall()
            arrays = []
            for i, d in enumerate(cur.description):
                values = [r[i] for r in rows]
                arrow_type = _ARROW_TYPES.get(d.type_code)
                arrays.append(pa.array(values, type=arrow_type) if arrow_type else pa.array(values))
            return pa.Table.from_arrays(arrays, names=[d.name for d in cur.description])

    def register_arrow(self, name: str, table: pa.Table) -> None:
        """A temp table holding the Arrow rows (PostgreSQL cannot scan Arrow in place)."""
        ident = _quote(name)
        columns = ", ".join(f"{_quote(f.name)} {_pg_type(f.type)}" for f in table.schema)
        conn = self._conn()
        conn.execute(f"DROP TABLE IF EXISTS {ident}".encode())
        conn.execute(f"CREATE TEMP TABLE {ident} ({columns})".encode())
        self.copy_arrow(name, table)

    def copy_arrow(self, name: str, table: pa.Table) -> int:
        """Append Arrow rows to an existing table with ``COPY`` (columns by name).

        Flat columns go as CSV written by Arrow in C++ (an import's million
        normalised rows cross in seconds, not the minute a Python loop per
        row takes); tables with list or binary columns go row by row.
        """
        names = ", ".join(_quote(f.name) for f in table.schema)
        flat = all(_csv_ready(f.type) for f in table.schema)
        options = " (FORMAT csv)" if flat else ""
        sql = f"COPY {_quote(name)} ({names}) FROM STDIN{options}"
        try:
            with self._conn().cursor().copy(sql.encode()) as copy:
                for batch in table.to_batches(max_chunksize=COPY_BATCH_ROWS):
                    if flat:
                        copy.write(_csv_bytes(batch))
                        continue
                    for row in zip(*(c.to_pylist() for c in batch.columns), strict=True):
                        copy.write_row(row)
        except psycopg.Error as err:
            err.add_note(f"while copying Arrow rows into {name!r}")
            raise
        return int(table.num_rows)

    def unregister(self, name: str) -> None:
        self._conn().execute(f"DROP TABLE IF EXISTS {_quote(name)}".encode())

    @contextmanager
    def transaction(self) -> Iterator[None]:
        state = self._local
        conn = self._conn()
        if state.depth:  # nested: join the outer transaction
            state.depth += 1
            try:
                yield
            finally:
                state.depth -= 1
            return
        conn.execute(b"BEGIN")
        state.depth = 1
        try:
            yield
        except BaseException:
            if not conn.closed:
                conn.execute(b"ROLLBACK")
            raise
        else:
            conn.execute(b"COMMIT")
        finally:
            state.depth = 0

    def in_transaction(self) -> bool:
        return self._local.depth > 0

    def lock(self, key: str, *, shared: bool = False) -> None:
        """Hold ``key`` until the current transaction ends (see :meth:`Engine.lock`).

        A transaction-scoped advisory lock: other connections (threads,
        processes, servers) asking for the same key wait here, and, at READ
        COMMITTED, read the committed state of whoever held it before.
        """
        if not self.in_transaction():
            raise EngineError(f"lock({key!r}) must be taken inside a transaction")
        fn = b"pg_advisory_xact_lock_shared" if shared else b"pg_advisory_xact_lock"
        self._conn().execute(b"SELECT " + fn + b"(%s)", [_lock_id(key)])

    def table_exists(self, name: str) -> bool:
        """A table (or temp table) of that name on the search path.

        Read from ``pg_class`` with the statement's snapshot, not with
        ``to_regclass``: that goes through the backend's catalog cache, which
        may still remember "no such table" after another server's migration
        committed (seen as two servers both applying migration 1).
        """
        cur = self._conn().execute(
            b"SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class AS c "
            b"JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace "
            b"WHERE c.relname = %s AND n.nspname = ANY(current_schemas(true)))",
            [name],
        )
        row = cur.fetchone()
        return bool(row and row[0])

    def close(self) -> None:
        self._closed = True
        with self._conns_lock:
            conns = list(self._conns.values())
            self._conns.clear()
        for conn in conns:
            conn.close()
        self._local.conn = None


# A psycopg placeholder: a % not escaped by another (literal % are doubled by rendering).
_PLACEHOLDER = re.compile(r"(?<!%)(?:%%)*%(?:s|\(\w+\)s)")


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lock_id(key: str) -> int:
    """A stable signed 64-bit id for a lock name (advisory locks take bigints)."""
    data = key.encode()
    value = (zlib.crc32(data) << 32) | zlib.adler32(data)
    return value - (1 << 64) if value >= 1 << 63 else value


def _redact(url: str) -> str:
    return re.sub(r"://([^:/@]+):[^@]*@", r"://\1:***@", url)


def _short(statement: str) -> str:
    return statement if len(statement) <= 600 else statement[:600] + " …"
