"""The engine interface every store implements.

Engines take SQL either as sqlglot expressions or as text written in DuckDB's
dialect (the project's reference dialect); :meth:`Engine.render` is the one
place where SQL is turned into the engine's own dialect, with
``unsupported_level=RAISE`` so a dialect gap fails loudly instead of running
the wrong SQL.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar

import pyarrow as pa
import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel

from leadline.errors import EngineError

Sql = exp.Expression | str
Params = Sequence[Any] | Mapping[str, Any] | None

REFERENCE_DIALECT = "duckdb"


class Rendered(str):
    """SQL already rendered for one dialect (what :meth:`Engine.render` returns).

    Rendering a big plan costs milliseconds, so hot paths render once and
    keep the text; handing it back to the engine runs it as is instead of
    reading it as reference-dialect SQL again.  Splicing it into a larger
    string makes it plain text again: splice reference-dialect SQL instead
    (``expression.sql(dialect="duckdb")``).
    """

    dialect: str
    statements: tuple[str, ...]

    def __new__(cls, statements: Sequence[str], dialect: str) -> Rendered:
        self = super().__new__(cls, ";\n".join(statements))
        self.statements = tuple(statements)
        self.dialect = dialect
        return self


class OnlyOn(str):
    """A migration statement that only engines of the given dialects run.

    For what one engine needs and another does not: PostgreSQL answers
    single-lead reads from B-tree indexes, while DuckDB scans columns and would
    only pay for maintaining them on every bulk load.
    """

    dialects: frozenset[str]

    def __new__(cls, dialects: str | tuple[str, ...], sql: str) -> OnlyOn:
        self = super().__new__(cls, sql)
        self.dialects = frozenset([dialects] if isinstance(dialects, str) else dialects)
        return self


class Engine(ABC):
    """A connection to one store, in one SQL dialect."""

    DIALECT: ClassVar[str]
    SUPPORTS_TRANSACTIONS: ClassVar[bool] = True
    # File imports stage and normalise rows with DuckDB's own SQL (readers,
    # TRY_CAST, lists); other engines get a scratch DuckDB for that step.
    STAGES_IN_PLACE: ClassVar[bool] = True

    def render(self, sql: Sql) -> str:
        """Render an expression (or reference-dialect text) for this engine."""
        if isinstance(sql, Rendered):
            if sql.dialect != self.DIALECT:
                raise EngineError(f"SQL rendered for {sql.dialect} given to a {self.DIALECT} store")
            return sql
        if isinstance(sql, str):
            if self.DIALECT == REFERENCE_DIALECT:
                return sql
            return ";\n".join(
                sqlglot.transpile(
                    sql,
                    read=REFERENCE_DIALECT,
                    write=self.DIALECT,
                    unsupported_level=ErrorLevel.RAISE,
                )
            )
        return sql.sql(dialect=self.DIALECT, unsupported_level=ErrorLevel.RAISE)

    @abstractmethod
    def execute(self, sql: Sql, params: Params = None) -> None:
        """Run a statement that returns nothing useful."""

    @abstractmethod
    def fetch(self, sql: Sql, params: Params = None) -> list[tuple[Any, ...]]:
        """Run a query and return all its rows."""

    @abstractmethod
    def fetch_arrow(self, sql: Sql, params: Params = None) -> pa.Table:
        """Run a query and return the result as an Arrow table."""

    @abstractmethod
    def register_arrow(self, name: str, table: pa.Table) -> None:
        """Make an Arrow table queryable under ``name`` for this connection."""

    @abstractmethod
    def unregister(self, name: str) -> None:
        """Forget a name registered with :meth:`register_arrow`."""

    @abstractmethod
    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All statements inside commit together or not at all."""

    @abstractmethod
    def close(self) -> None:
        """Release the connection (and, for embedded stores, the file lock)."""

    def lock(self, key: str, *, shared: bool = False) -> None:
        """Hold the named lock (e.g. ``lead:<id>``) until the current transaction ends.

        Read-then-write changes (a stage move checks the current stage, then
        appends the next) take it first, so concurrent writers to the same
        lead queue up instead of both acting on the same old state.  A
        ``shared`` holder only excludes exclusive ones (many single-lead moves
        at once, but not during a batch that moves every lead).  The default
        does nothing: an engine whose transactions already run one at a time
        needs no more (DuckDB: one writer process, and the engine's lock is
        held for the whole transaction).  PostgreSQL, with many writers,
        overrides it with an advisory lock.
        """
        return None

    def fetch_prepared(self, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        """``fetch`` for a statement run again and again with new values (the
        real-time plan): engines that can keep its parse do (DuckDB ``PREPARE``)."""
        return self.fetch(sql, params)

    def fetch_dicts(self, sql: Sql, params: Params = None) -> list[dict[str, Any]]:
        table = self.fetch_arrow(sql, params)
        rows: list[dict[str, Any]] = table.to_pylist()
        return rows

    def scalar(self, sql: Sql, params: Params = None) -> Any:
        rows = self.fetch(sql, params)
        return rows[0][0] if rows else None

    def table_exists(self, name: str) -> bool:
        rows = self.fetch(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]
        )
        return bool(rows[0][0])
