"""Run the benchmarks (``make bench``): ``BENCH_SCALE=small|full`` (default full).

Each benchmark is its own module exposing ``NAME`` and ``run(scale, workdir)``;
add a module to :data:`BENCHMARKS` (e.g. an import or reports benchmark) and
it is run, written to ``bench/results/<name>-<scale>.{json,md}`` and printed.
``BENCH_ONLY=scoring`` runs a subset; ``BENCH_DIR`` keeps the stores for a look.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common
import imports
import learn
import postgres
import realtime
import reports
import scoring

BENCHMARKS = (scoring, realtime, reports, learn, postgres, imports)


def main() -> int:
    scale = common.scale_from_env()
    only = {n.strip() for n in os.environ.get("BENCH_ONLY", "").split(",") if n.strip()}
    info = common.machine()
    keep = os.environ.get("BENCH_DIR")
    started = time.perf_counter()
    failed = False
    took: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="leadline-bench-") as tmp:
        workdir = Path(keep) if keep else Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        for module in BENCHMARKS:
            if only and module.NAME not in only:
                continue
            began = time.perf_counter()
            result = module.run(scale, workdir)
            js, md = common.write(result, info)
            print(common.to_markdown(result, info))
            print(f"wrote {js} and {md}")
            took[module.NAME] = time.perf_counter() - began
            failed |= any(c.passed is False for c in result.checks)
    each = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in took.items())
    print(f"total {time.perf_counter() - started:.1f} s ({each})")
    return 1 if failed and os.environ.get("BENCH_STRICT") else 0


if __name__ == "__main__":
    raise SystemExit(main())
