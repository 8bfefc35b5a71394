"""A small world for API tests: a routing contract, two reps, two accounts, four leads.

The contract routes every MQL round-robin to two reps and posts the handoff
to a webhook URL the test gives (a real receiver it started).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from leadline.api import keys
from leadline.app import Leadline
from leadline.store.duckdb import DuckDBEngine
from leadline.store.postgres import PostgresEngine
from leadline.workspace import Workspace
from tests.contracts import SMALL_CONTRACT

CONTRACT = (
    SMALL_CONTRACT.replace("contract: small-test", "contract: api-test")
    + """\
routing:
  rules:
    - name: everyone
      round_robin: {reps: [amy, bo]}
  notify:
    webhook: {url: "WEBHOOK_URL"}
    max_attempts: 20
    backoff: {first: 1s, factor: 1, max: 1s}
sla:
  speed_to_lead: {default: 1h}
  accept_within: 1d
  escalation: {notify: [webhook]}
"""
)

REPS = (
    "rep_id,name,email,manager,team,region,timezone,capacity,active\n"
    "amy,Amy Adams,amy@vendor.example,max,east,us,UTC,100,true\n"
    "bo,Bo Brown,bo@vendor.example,max,east,us,UTC,100,true\n"
)
ACCOUNTS = (
    "account_id,name,domain,industry,employees,country\n"
    "A1,Acme,acme.example,Software,500,US\n"
    "A2,Globex,globex.example,retail,50,DE\n"
)
LEADS = (
    "lead_id,email,first_name,last_name,title,company,account_id,created_at\n"
    "L1,ann@acme.example,Ann,Archer,VP Marketing,Acme,A1,2026-01-05T10:00:00\n"
    "L2,bob@globex.example,Bob,Baker,Analyst,Globex,A2,2026-01-06T10:00:00\n"
    "L3,cy@acme.example,Cy,Cole,Director of IT,Acme,A1,2026-01-07T10:00:00\n"
    "L4,dee@acme.example,Dee,Dunn,CTO,Acme,A1,2026-01-08T10:00:00\n"
)


def _import(root: Path) -> None:
    ws = Workspace.locate(root)
    ws.create()
    files = root / "data"
    files.mkdir()
    # the template is always a DuckDB store (PostgreSQL worlds are copied from it)
    with Leadline(ws, DuckDBEngine.at(ws.store_path)) as ll:
        for kind, text in (("reps", REPS), ("accounts", ACCOUNTS), ("leads", LEADS)):
            path = files / f"{kind}.csv"
            path.write_text(text)
            summary = ll.import_file(kind, path)
            assert summary.quarantined == 0, summary.problems


_TEMPLATE: list[Path] = []


def build_world(root: Path, webhook_url: str, *, database_url: str | None = None) -> Workspace:
    """A workspace with the routing contract, two reps, two accounts and four leads.

    The files are imported once per test process (through the real import)
    into a template; each test gets a copy of that store and its own contract.
    With ``database_url`` the template's rows are copied into that (fresh,
    migrated) PostgreSQL database, which cannot import files itself.
    """
    if not _TEMPLATE:
        template = Path(tempfile.mkdtemp(prefix="leadline-api-world-")) / "world"
        _import(template)
        _TEMPLATE.append(template)
    shutil.copytree(_TEMPLATE[0], root)
    ws = Workspace.locate(root)
    ws.contract_path.write_text(CONTRACT.replace("WEBHOOK_URL", webhook_url))
    if database_url is not None:
        _copy_to_postgres(ws, database_url)
    return ws


def _copy_to_postgres(ws: Workspace, url: str) -> None:
    duck = DuckDBEngine.at(ws.store_path, read_only=True)
    pg = PostgresEngine.at(url)
    try:
        for table in ("reps", "accounts", "leads"):
            pg.copy_arrow(table, duck.fetch_arrow(f"SELECT * FROM {table}"))
    finally:
        duck.close()
        pg.close()


def add_keys(ws: Workspace) -> dict[str, str]:
    with Leadline.open(ws) as ll:
        return {role: keys.create_key(ll.engine, role, f"test {role}")[1] for role in keys.ROLES}
