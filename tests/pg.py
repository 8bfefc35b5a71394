"""A throw-away PostgreSQL cluster for the tests: the machine's own initdb/pg_ctl.

One cluster per test session (per xdist worker): a fresh data folder, a
free loopback port, ``fsync=off``; each test gets its own database, created
from a migrated template, and dropped afterwards.  Set
``LEADLINE_TEST_DATABASE_URL`` (a superuser URL, e.g.
``postgresql://postgres@127.0.0.1:5432/postgres``) to use a running server
instead.  Without either, the tests that need PostgreSQL skip and say why
(``scripts/system-deps.sh`` installs Debian's ``postgresql`` when missing).
"""

from __future__ import annotations

import glob
import itertools
import os
import shlex
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

URL_ENV = "LEADLINE_TEST_DATABASE_URL"
TEMPLATE = "leadline_template"


def find_binaries() -> tuple[str, str] | None:
    """``(initdb, pg_ctl)`` from PATH or Debian's versioned folders, newest first."""
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if initdb and pg_ctl:
        return initdb, pg_ctl
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        a, b = Path(folder, "initdb"), Path(folder, "pg_ctl")
        if a.is_file() and b.is_file():
            return str(a), str(b)
    return None


def missing_reason() -> str | None:
    if os.environ.get(URL_ENV) or find_binaries():
        return None
    return (
        "PostgreSQL binaries (initdb, pg_ctl) not found on PATH or in /usr/lib/postgresql/*/bin: "
        "run scripts/system-deps.sh (Debian package postgresql) or set "
        f"{URL_ENV} to a PostgreSQL superuser URL"
    )


def _scratch_dir() -> str | None:
    """Memory-backed /dev/shm when there is room: creating a database copies files."""
    shm = Path("/dev/shm")
    try:
        if shm.is_dir() and shutil.disk_usage(shm).free > 2 * 1024**3:
            return str(shm)
    except OSError:
        pass
    return None  # the system's temp folder


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Cluster:
    """A running server we may create and drop databases on."""

    def __init__(self, admin_url: str, host_url: str) -> None:
        self.admin_url = admin_url  # connects to the maintenance database
        self.host_url = host_url  # scheme://user@host:port/ (database appended)
        self._names = itertools.count(1)
        self._template_ready = False

    def url(self, database: str) -> str:
        return self.host_url + database

    def _admin(self, sql: str) -> None:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(sql.encode())

    def ensure_template(self) -> None:
        """A database migrated once, copied by every test (CREATE DATABASE … TEMPLATE)."""
        if self._template_ready:
            return
        from leadline.store import migrate
        from leadline.store.postgres import PostgresEngine

        name = f"{TEMPLATE}_{os.getpid()}"
        self._admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        self._admin(f"CREATE DATABASE {name} TEMPLATE template0")
        engine = PostgresEngine.at(self.url(name))
        try:
            migrate(engine)
        finally:
            engine.close()
        self.template = name
        self._template_ready = True

    @contextmanager
    def database(self, *, migrated: bool = True) -> Iterator[str]:
        """A fresh database (migrated, or empty from template0); dropped afterwards."""
        name = f"t{os.getpid()}_{next(self._names)}"
        if migrated:
            self.ensure_template()
        template = self.template if migrated else "template0"
        self._admin(f"CREATE DATABASE {name} TEMPLATE {template} STRATEGY FILE_COPY")
        try:
            yield self.url(name)
        finally:
            self._admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@contextmanager
def running_cluster(settings: dict[str, str] | None = None) -> Iterator[Cluster]:
    """The server from ``LEADLINE_TEST_DATABASE_URL``, or a new throw-away cluster.

    ``settings`` are extra server settings for a new cluster (``work_mem``…).
    """
    external = os.environ.get(URL_ENV)
    if external:
        base = external.rsplit("/", 1)[0] + "/"
        yield Cluster(external, base)
        return
    binaries = find_binaries()
    if binaries is None:
        raise RuntimeError(missing_reason())
    initdb, pg_ctl = binaries
    root = Path(tempfile.mkdtemp(prefix="leadline-pg-", dir=_scratch_dir()))
    data, log = root / "data", root / "server.log"
    as_root = os.geteuid() == 0
    prefix = ["runuser", "-u", "postgres", "--"] if as_root else []
    if as_root:
        shutil.chown(root, "postgres")
    port = _free_port()
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
    options += " -c full_page_writes=off -c synchronous_commit=off -c max_connections=200"
    options += "".join(f" -c {k}={v}" for k, v in (settings or {}).items())
    try:
        subprocess.run(
            [*prefix, initdb, "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync"],
            check=True,
            capture_output=True,
        )
        subprocess.run(
            [*prefix, pg_ctl, "-D", str(data), "-o", options, "-l", str(log), "-w", "start"],
            check=True,
            capture_output=True,
        )
    except subprocess.CalledProcessError as err:
        detail = (err.stderr or b"").decode(errors="replace")
        if log.exists():
            detail += log.read_text(errors="replace")
        shutil.rmtree(root, ignore_errors=True)
        raise RuntimeError(f"could not start a PostgreSQL cluster: {detail}") from err
    stop = [*prefix, pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"]
    _watch(os.getpid(), stop, root)
    base = f"postgresql://postgres@127.0.0.1:{port}/"
    try:
        yield Cluster(base + "postgres", base)
    finally:
        subprocess.run(stop, capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def _watch(pid: int, stop: list[str], root: Path) -> None:
    """Stop the cluster when this process dies, even killed (a timeout, a crashed worker)."""
    script = (
        f"while kill -0 {pid} 2>/dev/null; do sleep 1; done; "
        f"{shlex.join(stop)} >/dev/null 2>&1; rm -rf {shlex.quote(str(root))}"
    )
    subprocess.Popen(
        ["sh", "-c", script],
        start_new_session=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
