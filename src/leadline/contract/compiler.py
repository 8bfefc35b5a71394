"""Compile a contract ONCE into the set-based scoring plan (sqlglot expressions).

``compile_contract`` builds two plans — every lead, and a lead-filtered
variant — from the same fragments (``leadline.scoring.fit``, ``engagement``,
``intent``, ``exclusions``, ``triggers``, ``accounts``, ``priority``,
assembled by ``leadline.scoring.plan``).  Batch scoring, single-lead scoring,
explanations, replays and contract diffs all execute these expressions, so
they cannot disagree.  Nothing here touches a database.

Queries take the named parameter ``$as_of`` (naive UTC timestamp) and, for the
lead-filtered variant, ``$lead_ids`` (a list of lead ids).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from sqlglot import exp

from leadline.contract.schema import Contract
from leadline.errors import CompileError
from leadline.scoring.model import LogisticSpec
from leadline.scoring.plan import PARTS_COLUMNS, SHARED_CTES, SNAPSHOT_COLUMNS, Plan, build_plan


@dataclass(frozen=True)
class CompiledContract:
    """A contract turned into SQL: what every scoring path executes."""

    contract: Contract
    version: str
    batch: Plan
    filtered: Plan
    _cache: dict[tuple[str, bool], exp.Select] = field(
        default_factory=dict, compare=False, repr=False
    )

    def plan(self, lead_ids: bool = False) -> Plan:
        return self.filtered if lead_ids else self.batch

    def _built(self, kind: str, lead_ids: bool) -> exp.Select:
        """The cached expression itself: callers get copies (they add ORDER BY, rename)."""
        key = (kind, lead_ids)
        if key not in self._cache:
            plan = self.plan(lead_ids)
            body = plan.snapshot_body if kind == "snapshot" else plan.parts_body
            self._cache[key] = plan.query(body)
        return self._cache[key]

    def _query(self, kind: str, lead_ids: bool) -> exp.Select:
        return self._built(kind, lead_ids).copy()

    def snapshot_query(self, lead_ids: bool = False) -> exp.Select:
        """One row per scored lead: the ``score_snapshots`` columns except ``run_id``."""
        return self._query("snapshot", lead_ids)

    def parts_query(self, lead_ids: bool = False) -> exp.Select:
        """Every part of every score: the ``score_parts`` columns except ``run_id``."""
        return self._query("parts", lead_ids)

    snapshot_columns = SNAPSHOT_COLUMNS
    parts_columns = PARTS_COLUMNS
    shared_ctes = SHARED_CTES


def compile_contract(
    contract: Contract, version: str, *, model: LogisticSpec | None = None
) -> CompiledContract:
    """Build (and parse) both plans once; raises CompileError on an internal SQL bug.

    A contract with a ``model:`` section needs that stored model passed in as
    ``model`` (``Leadline.compile`` looks it up); the plan itself never reads
    the store.
    """
    wanted = contract.model.version if contract.model is not None else None
    given = model.version if model is not None else None
    if wanted != given:
        raise CompileError(
            f"the contract pins model {wanted!r} but model {given!r} was given to the compiler"
        )
    if model is not None and contract.model is not None:
        model = replace(model, points=contract.model.points)
    compiled = CompiledContract(
        contract=contract,
        version=version,
        batch=build_plan(contract, version, lead_filter=False, model=model),
        filtered=build_plan(contract, version, lead_filter=True, model=model),
    )
    for lead_ids in (False, True):  # parse now: a broken plan fails at compile time
        for kind in ("snapshot", "parts"):
            compiled._built(kind, lead_ids)
    return compiled
