"""Drive the real ``leadline`` console script in a subprocess, as a user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LEADLINE = str(Path(sys.executable).with_name("leadline"))


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


def run(*args: str | Path, workspace: Path | None = None, check: bool = True) -> Result:
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    env.pop("LEADLINE_WORKSPACE", None)
    if workspace is not None:
        env["LEADLINE_WORKSPACE"] = str(workspace)
    proc = subprocess.run(
        [LEADLINE, *map(str, args)], capture_output=True, text=True, env=env, timeout=600
    )
    result = Result(proc.returncode, proc.stdout, proc.stderr)
    if check and proc.returncode != 0:
        raise AssertionError(
            f"leadline {' '.join(map(str, args))} failed ({proc.returncode}):\n"
            f"{proc.stderr}\n{proc.stdout}"
        )
    return result
