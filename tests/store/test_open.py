"""Choosing and opening a store: by URL, from a workspace, and many servers at once."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from leadline.app import Leadline
from leadline.errors import EngineError
from leadline.store import (
    DATABASE_URL_ENV,
    SCHEMA_VERSION,
    engine_type,
    migrate,
    open_engine,
    schema_version,
)
from leadline.store.duckdb import DuckDBEngine
from leadline.store.postgres import PostgresEngine
from leadline.workspace import Workspace
from tests import pg


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("postgresql://app@db.internal:5432/leadline", "postgres"),
        ("postgres://app:secret@db/leadline?sslmode=require", "postgres"),
        ("duckdb:///srv/leadline/leadline.duckdb", "duckdb"),
        ("/srv/leadline/leadline.duckdb", "duckdb"),
        ("leadline.duckdb", "duckdb"),
    ],
)
def test_the_url_scheme_picks_the_engine(url: str, kind: str) -> None:
    assert engine_type(url) == kind


def test_an_unknown_scheme_is_refused_without_echoing_credentials() -> None:
    with pytest.raises(EngineError, match="unknown database URL scheme 'mysql'") as err:
        engine_type("mysql://root:hunter2@db/leadline")
    assert "hunter2" not in str(err.value)


def test_an_unreachable_server_is_a_clear_error() -> None:
    port = pg._free_port()  # nothing listens there
    with pytest.raises(EngineError, match="cannot connect to the PostgreSQL store") as err:
        open_engine(f"postgresql://app:hunter2@127.0.0.1:{port}/nowhere")
    assert "hunter2" not in str(err.value) and "app:***@" in str(err.value)


def test_a_duckdb_url_opens_the_file(tmp_path: Path) -> None:
    engine = open_engine(f"duckdb://{tmp_path / 'x.duckdb'}")
    try:
        assert isinstance(engine, DuckDBEngine)
        migrate(engine)
        assert schema_version(engine) == SCHEMA_VERSION
    finally:
        engine.close()
    assert (tmp_path / "x.duckdb").is_file()


def test_the_environment_sends_a_workspace_to_postgresql(
    tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = Workspace.locate(tmp_path / "ws")
    ws.create()
    monkeypatch.setenv(DATABASE_URL_ENV, pg_url)
    with Leadline.open(ws) as ll:
        assert isinstance(ll.engine, PostgresEngine)
        assert ll.compiled.version == ll.loaded.version  # registers it in the store
        version = ll.loaded.version
    assert not ws.store_path.exists()  # no DuckDB file was made
    again = PostgresEngine.at(pg_url)
    try:
        assert again.scalar("SELECT count(*) FROM contracts WHERE version = ?", [version]) == 1
    finally:
        again.close()
    monkeypatch.delenv(DATABASE_URL_ENV)
    with Leadline.open(ws) as ll:
        assert isinstance(ll.engine, DuckDBEngine)


def test_servers_starting_together_migrate_an_empty_database_once(
    pg_cluster: pg.Cluster,
) -> None:
    with pg_cluster.database(migrated=False) as url:
        errors: list[BaseException] = []
        start = threading.Barrier(4)

        def boot() -> None:
            engine = PostgresEngine.at(url)
            try:
                start.wait()
                migrate(engine)
            except BaseException as err:  # reported below
                errors.append(err)
            finally:
                engine.close()

        threads = [threading.Thread(target=boot) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        engine = PostgresEngine.at(url)
        try:
            versions = engine.fetch("SELECT version FROM schema_migrations ORDER BY version")
            assert versions == [(v,) for v in range(1, SCHEMA_VERSION + 1)]
        finally:
            engine.close()
