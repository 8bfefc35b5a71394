"""The contract: load and validate the YAML agreement, version it, diff two versions."""

from __future__ import annotations

from leadline.contract.diff import Change, ContractDiff, diff_contracts
from leadline.contract.loader import LoadedContract, load_contract, load_contract_text
from leadline.contract.schema import Contract

__all__ = [
    "Change",
    "Contract",
    "ContractDiff",
    "LoadedContract",
    "diff_contracts",
    "load_contract",
    "load_contract_text",
]
