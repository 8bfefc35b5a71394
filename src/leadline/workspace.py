"""A workspace: a folder with the contract (``leadline.yaml``) and the store.

Commands find it from ``--workspace``, else ``$LEADLINE_WORKSPACE``, else the
current folder, so scripts and people can work the same way.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from leadline.errors import WorkspaceError

CONTRACT_FILE = "leadline.yaml"
STORE_FILE = "leadline.duckdb"
ENV_VAR = "LEADLINE_WORKSPACE"


@dataclass(frozen=True)
class Workspace:
    root: Path

    @property
    def contract_path(self) -> Path:
        return self.root / CONTRACT_FILE

    @property
    def store_path(self) -> Path:
        return self.root / STORE_FILE

    @classmethod
    def locate(cls, given: str | Path | None = None) -> Workspace:
        root = Path(given or os.environ.get(ENV_VAR) or ".").expanduser().resolve()
        return cls(root)

    def require(self) -> Workspace:
        if not self.contract_path.is_file():
            raise WorkspaceError(
                f"{self.root} is not a leadline workspace (no {CONTRACT_FILE}); "
                "create one with `leadline init DIR`, or pass --workspace / set "
                f"{ENV_VAR}"
            )
        return self

    def create(self, *, force: bool = False) -> None:
        """Create the folder and a commented starter contract."""
        self.root.mkdir(parents=True, exist_ok=True)
        if self.contract_path.exists() and not force:
            raise WorkspaceError(f"{self.contract_path} already exists (use --force to replace)")
        self.contract_path.write_text(starter_contract(), encoding="utf-8")


def starter_contract() -> str:
    return (resources.files("leadline.contract") / "starter.yaml").read_text(encoding="utf-8")
