"""What every benchmark shares: scales, timing, peak memory, machine facts, reports.

A benchmark module (``bench/scoring.py`` today; import and report benchmarks
later) exposes ``NAME`` and ``run(scale, workdir) -> Result``; ``bench/run.py``
lists the modules and writes each result to ``bench/results/<name>-<scale>.{json,md}``.
"""

from __future__ import annotations

import json
import os
import platform
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

RESULTS = Path(__file__).resolve().parent / "results"
GIB = 1024**3


@dataclass(frozen=True)
class Scale:
    """How big a benchmark world is; ``full`` is the DESIGN.md target size."""

    name: str
    leads: int
    activities: int
    accounts: int
    content: int = 200


SCALES: dict[str, Scale] = {
    "small": Scale("small", leads=20_000, activities=200_000, accounts=2_000),
    "full": Scale("full", leads=1_000_000, activities=10_000_000, accounts=100_000),
}


def scale_from_env() -> Scale:
    name = os.environ.get("BENCH_SCALE", "full").strip().lower() or "full"
    if name not in SCALES:
        raise SystemExit(f"BENCH_SCALE must be one of {', '.join(SCALES)}, not {name!r}")
    return SCALES[name]


@dataclass
class Timing:
    name: str
    seconds: float
    note: str = ""


@dataclass
class Check:
    """A target: ``value`` compared with ``target`` by ``op`` (``<=``/``>=``/``<``)."""

    name: str
    value: float | None
    op: str
    target: float
    unit: str = "×"

    @property
    def passed(self) -> bool | None:
        if self.value is None:
            return None
        return {
            "<=": self.value <= self.target,
            ">=": self.value >= self.target,
            "<": self.value < self.target,
        }[self.op]


@dataclass
class Result:
    benchmark: str
    scale: Scale
    timings: list[Timing] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


class PeakRss:
    """Sample this process's RSS every few milliseconds; report the high-water mark.

    ``resource.getrusage`` only knows the lifetime maximum, which the data
    generation already set; a sampling thread measures one phase.
    """

    def __init__(self, interval: float = 0.005) -> None:
        self.interval = interval
        self.peak = 0
        self.start_rss = 0
        self._stop = threading.Event()
        self._proc = psutil.Process()

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._proc.memory_info().rss)
            self._stop.wait(self.interval)

    @contextmanager
    def measure(self) -> Iterator[PeakRss]:
        self.start_rss = self.peak = self._proc.memory_info().rss
        thread = threading.Thread(target=self._sample, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            thread.join()
            self.peak = max(self.peak, self._proc.memory_info().rss)


def machine() -> dict[str, Any]:
    import duckdb
    import pandas
    import sqlglot

    mem = psutil.virtual_memory().total
    return {
        "cores": os.cpu_count(),
        "memory_gib": round(mem / GIB, 1),
        "cpu": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "sqlglot": getattr(sqlglot, "__version__", "?"),
        "pandas": pandas.__version__,
        "platform": platform.platform(),
    }


def to_json(result: Result, info: dict[str, Any]) -> dict[str, Any]:
    return {
        "benchmark": result.benchmark,
        "scale": result.scale.__dict__,
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": info,
        "timings": [t.__dict__ for t in result.timings],
        "checks": [{**c.__dict__, "passed": c.passed} for c in result.checks],
        "facts": result.facts,
        "notes": result.notes,
    }


def _verdict(check: Check) -> str:
    return {True: "pass", False: "FAIL", None: "not measured"}[check.passed]


def to_markdown(result: Result, info: dict[str, Any]) -> str:
    s = result.scale
    lines = [
        f"## {result.benchmark} — {s.name} ({s.leads:,} leads, {s.activities:,} activities, "
        f"{s.accounts:,} accounts)",
        "",
        f"Machine: {info['cores']} cores, {info['memory_gib']} GiB, Python {info['python']}, "
        f"DuckDB {info['duckdb']}, sqlglot {info['sqlglot']}, pandas {info['pandas']}.",
        "",
        "| step | seconds | note |",
        "|---|---:|---|",
        *[f"| {t.name} | {t.seconds:.3f} | {t.note} |" for t in result.timings],
        "",
        "| target | measured | goal | result |",
        "|---|---:|---:|---|",
    ]
    for c in result.checks:
        shown = "—" if c.value is None else f"{c.value:.2f}{c.unit}"
        lines.append(f"| {c.name} | {shown} | {c.op} {c.target:g}{c.unit} | {_verdict(c)} |")
    if result.facts:
        lines += ["", *[f"- {k}: {v}" for k, v in result.facts.items()]]
    if result.notes:
        lines += ["", *[f"> {n}" for n in result.notes]]
    return "\n".join(lines) + "\n"


def write(result: Result, info: dict[str, Any], directory: Path = RESULTS) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    stem = f"{result.benchmark}-{result.scale.name}"
    js, md = directory / f"{stem}.json", directory / f"{stem}.md"
    js.write_text(json.dumps(to_json(result, info), indent=2, default=str) + "\n")
    md.write_text(to_markdown(result, info))
    return js, md
