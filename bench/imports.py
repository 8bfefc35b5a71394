"""File imports on the embedded store and on PostgreSQL: every demo file, then again.

The demo generator's world (accounts, leads, touches, activities…) is written
as CSV once and imported with ``Leadline.import_file`` — what ``leadline
import`` runs — into a fresh DuckDB workspace and into a throw-away
PostgreSQL database (the machine's initdb/pg_ctl, see tests/pg.py).  On
PostgreSQL the rows are normalised in a scratch DuckDB and copied into the
store through the client, so this is the price of that copy.  The
activities file is then imported a second time: nothing may load twice.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from common import Check, Result, Scale, Timing, timed
from leadline.app import Leadline
from leadline.demo.generator import generate_world
from leadline.demo.run import IMPORT_ORDER, prepare

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests import pg

NAME = "imports"
# Demo-generator scale per benchmark scale (1.0 ≈ 12,000 leads, 250,000 activities).
WORLD = {"small": 0.12, "full": 4.0}
SERVER = {"work_mem": "64MB", "shared_buffers": "256MB"}


def import_all(ll: Leadline, files: dict[str, Path]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Import every file in order, then activities again: (summaries, seconds per step)."""
    summaries: dict[str, Any] = {}
    seconds: dict[str, Any] = {}
    for step in (*IMPORT_ORDER, "activities again"):
        kind = step.split()[0]
        start = time.perf_counter()
        summary = ll.import_file(kind, files[kind])
        seconds[step] = time.perf_counter() - start
        summaries[step] = summary.to_dict()
    return summaries, seconds


def unaccounted(summaries: dict[str, Any]) -> int:
    """Rows neither loaded, unchanged, merged nor quarantined (must be none)."""
    return sum(
        abs(s["rows_in"] - s["loaded"] - s["unchanged"] - s["merged"] - s["quarantined"])
        for s in summaries.values()
    )


def run(scale: Scale, workdir: Path) -> Result:
    result = Result(NAME, scale)
    world_scale = WORLD[scale.name]
    ws = prepare(workdir / f"bench-imports-{scale.name}", force=True)
    generated, files = timed(lambda: generate_world(ws.root / "data", seed=7, scale=world_scale))
    result.timings.append(
        Timing("generate the demo world (CSV)", generated, f"scale {world_scale}")
    )
    runs: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
    with Leadline.open(ws) as ll:
        runs["DuckDB"] = import_all(ll, files)
    missing = pg.missing_reason()
    if missing:
        result.notes.append(f"PostgreSQL not measured: {missing}")
    else:
        with (
            pg.running_cluster(SERVER) as cluster,
            cluster.database() as url,
            Leadline.open(ws, database_url=url) as ll,
        ):
            runs["PostgreSQL"] = import_all(ll, files)
    for engine, (summaries, seconds) in runs.items():
        for kind, s in summaries.items():
            result.timings.append(
                Timing(
                    f"{engine}: {kind}",
                    seconds[kind],
                    f"{s['rows_in']:,} rows, {s['loaded']:,} loaded, "
                    f"{s['quarantined']:,} quarantined",
                )
            )
        activities = summaries["activities"]["rows_in"]
        result.facts[f"{engine}: activities rows/s"] = round(activities / seconds["activities"])
        result.checks.append(
            Check(f"{engine}: rows not accounted for", unaccounted(summaries), "<=", 0, "")
        )
        result.checks.append(
            Check(
                f"{engine}: activities loaded by the second import",
                summaries["activities again"]["loaded"],
                "<=",
                0,
                "",
            )
        )
    if len(runs) == 2:
        duck, postgres = runs["DuckDB"], runs["PostgreSQL"]
        differ = [k for k in duck[0] if _counts(duck[0][k]) != _counts(postgres[0][k])]
        result.facts["files whose counts differ between the engines"] = differ
        result.checks.append(
            Check("files whose counts differ between the engines", len(differ), "<=", 0, "")
        )
        result.facts["PostgreSQL / DuckDB, activities"] = round(
            postgres[1]["activities"] / duck[1]["activities"], 2
        )
    leads, activities = (runs["DuckDB"][0][k]["rows_in"] for k in ("leads", "activities"))
    result.notes.append(
        f"The world is the demo generator's at scale {world_scale} ({leads:,} lead rows, "
        f"{activities:,} activity rows), not the sizes in the heading."
    )
    result.notes.append(
        "Ratios are reported, not targeted: on PostgreSQL every normalised row crosses "
        "the client once (scratch DuckDB → COPY)."
    )
    return result


def _counts(summary: dict[str, Any]) -> tuple[Any, ...]:
    keys = ("rows_in", "loaded", "unchanged", "merged", "quarantined", "quarantined_by_reason")
    return tuple(summary.get(k) for k in keys)
