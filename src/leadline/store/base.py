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

Sql = exp.Expression | str
Params = Sequence[Any] | Mapping[str, Any] | None

REFERENCE_DIALECT = "duckdb"


class Engine(ABC):
    """A connection to one store, in one SQL dialect."""

    DIALECT: ClassVar[str]
    SUPPORTS_TRANSACTIONS: ClassVar[bool] = True

    def render(self, sql: Sql) -> str:
        """Render an expression (or reference-dialect text) for this engine."""
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
