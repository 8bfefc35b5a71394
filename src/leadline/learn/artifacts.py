"""Learned models as versioned, immutable artifacts in the store (table ``models``).

A model version is the hash of what it computes (features, intercept,
coefficients): ``m-`` and 12 hex digits.  Saving the same model again is a
no-op, and a stored version never changes, so a contract that pins
``model: {version: m-…}`` scores the same way forever; rolling back is
pinning an earlier version (``leadline models pin``), and every score
records the contract version that carried the pin.

Each artifact keeps its training data range, target, the contract in force
when it was trained, its features and coefficients, the held-out metrics of
every model compared in that run and the leakage guard's findings.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from leadline.contract.loader import LoadedContract
from leadline.contract.yamlpos import load_yaml
from leadline.errors import ContractErrors, NotFound
from leadline.scoring.model import Feature, LogisticSpec
from leadline.store.base import Engine


@dataclass(frozen=True)
class ModelArtifact:
    version: str
    kind: str
    target: str
    trained_at: datetime
    data_from: datetime | None
    data_to: datetime | None
    contract_version: str | None
    features: tuple[Feature, ...]
    intercept: float
    coefficients: tuple[float, ...]
    params: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    training: dict[str, Any] = field(default_factory=dict)

    def spec(self, points: float) -> LogisticSpec:
        return LogisticSpec(self.version, self.features, self.intercept, self.coefficients, points)

    def summary(self) -> dict[str, Any]:
        mine = self.metrics.get("logistic regression", {})
        return {
            "version": self.version,
            "kind": self.kind,
            "target": self.target,
            "trained_at": self.trained_at,
            "data_from": self.data_from,
            "data_to": self.data_to,
            "features": len(self.features),
            "roc_auc": mine.get("roc_auc"),
            "pr_auc": mine.get("pr_auc"),
            "brier": mine.get("brier"),
            "contract_version": self.contract_version,
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.summary(),
            "features": [
                {**f.to_dict(), "coefficient": c}
                for f, c in zip(self.features, self.coefficients, strict=True)
            ],
            "intercept": self.intercept,
            "params": self.params,
            "metrics": self.metrics,
            "training": self.training,
        }


def model_version(features: list[Feature], intercept: float, coefficients: list[float]) -> str:
    """``m-`` + 12 hex digits of the sha256 of what the model computes."""
    doc = {
        "features": [f.to_dict() for f in features],
        "intercept": repr(float(intercept)),
        "coefficients": [repr(float(c)) for c in coefficients],
    }
    blob = json.dumps(doc, sort_keys=True).encode("utf-8")
    return "m-" + hashlib.sha256(blob).hexdigest()[:12]


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def save(engine: Engine, artifact: ModelArtifact) -> bool:
    """Store the artifact; False when that version was already stored (never overwritten)."""
    params = {
        **artifact.params,
        "intercept": artifact.intercept,
        "coefficients": list(artifact.coefficients),
    }
    before = int(engine.scalar("SELECT count(*) FROM models") or 0)
    engine.execute(
        "INSERT INTO models (model_version, kind, target, trained_at, data_from, data_to, "
        "contract_version, features, params, metrics, training) "
        "SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE NOT EXISTS "
        "(SELECT 1 FROM models WHERE model_version = ?)",
        [
            artifact.version,
            artifact.kind,
            artifact.target,
            artifact.trained_at,
            artifact.data_from,
            artifact.data_to,
            artifact.contract_version,
            _json([f.to_dict() for f in artifact.features]),
            _json(params),
            _json(artifact.metrics),
            _json(artifact.training),
            artifact.version,
        ],
    )
    return int(engine.scalar("SELECT count(*) FROM models") or 0) > before


def _load(row: dict[str, Any]) -> ModelArtifact:
    params = json.loads(row["params"])
    return ModelArtifact(
        version=row["model_version"],
        kind=row["kind"],
        target=row["target"],
        trained_at=row["trained_at"],
        data_from=row["data_from"],
        data_to=row["data_to"],
        contract_version=row["contract_version"],
        features=tuple(Feature.from_dict(f) for f in json.loads(row["features"])),
        intercept=float(params.pop("intercept")),
        coefficients=tuple(float(c) for c in params.pop("coefficients")),
        params=params,
        metrics=json.loads(row["metrics"]),
        training=json.loads(row["training"]),
    )


def get(engine: Engine, version: str) -> ModelArtifact:
    rows = engine.fetch_dicts("SELECT * FROM models WHERE model_version = ?", [version])
    if not rows:
        raise NotFound(f"no stored model {version!r} (see `leadline models list`)")
    return _load(rows[0])


def list_models(engine: Engine) -> list[dict[str, Any]]:
    rows = engine.fetch_dicts("SELECT * FROM models ORDER BY trained_at, model_version")
    return [_load(r).summary() for r in rows]


def spec_for(engine: Engine, loaded: LoadedContract) -> LogisticSpec | None:
    """The stored model a contract pins, ready for the compiler (None without ``model:``).

    A missing version, or a model that uses post-contact fields, is a
    contract problem located at ``model.version``.
    """
    pinned = loaded.contract.model
    if pinned is None:
        return None
    problem: str | None = None
    try:
        artifact = get(engine, pinned.version)
    except NotFound:
        problem = (
            f"no stored model {pinned.version!r} in this workspace (see `leadline models list`)"
        )
    else:
        leaky = [f.source for f in artifact.features if f.post_contact]
        if leaky:
            problem = (
                f"model {pinned.version} was trained with post-contact fields "
                f"({', '.join(sorted(set(leaky)))}); a contract may not score on them"
            )
    if problem is not None:
        positions = load_yaml(loaded.text, loaded.path or "<contract>").positions
        raise ContractErrors(problems=[positions.problem(("model", "version"), problem)])
    return artifact.spec(pinned.points)


_MODEL_BLOCK = re.compile(r"^model:[^\n]*\n(?:(?:[ \t]+[^\n]*|[ \t]*)\n)*", re.MULTILINE)


def pinned_text(text: str, version: str, points: float) -> str:
    """The contract text with ``model:`` pinned to ``version`` (comments elsewhere kept)."""
    block = f"model:\n  version: {version}\n  points: {points:g}\n"
    if _MODEL_BLOCK.search(text):
        return _MODEL_BLOCK.sub(lambda _: block, text, count=1)
    return text.rstrip("\n") + "\n\n" + block
