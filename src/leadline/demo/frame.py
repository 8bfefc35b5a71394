"""Small shared pieces of the demo world: the column frame, time and text helpers.

The generator builds every table as a dict of equal-length numpy columns (a
"frame") and only turns values into text when it writes the CSV, so each
step stays vectorised: no Python loop per lead or activity.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray

Arr = NDArray[Any]
Frame = dict[str, Arr]
DAY = 86_400
HOUR = 3_600


@dataclass(frozen=True)
class Clock:
    """The year the world covers, in integer seconds since the epoch (naive UTC)."""

    start: int
    end: int

    @classmethod
    def year_before(cls, end: datetime) -> Clock:
        stop = int(np.datetime64(end.replace(tzinfo=None), "s").astype(np.int64))
        return cls(stop - 365 * DAY, stop)

    def clip(self, t: Arr) -> Arr:
        """Keep times inside the year (one second before ``end`` at the latest)."""
        return np.clip(t, self.start, self.end - 1)


def concat(frames: list[Frame]) -> Frame:
    """Stack frames with the same columns."""
    keys = list(frames[0])
    return {k: np.concatenate([f[k] for f in frames]) for k in keys}


def take(frame: Frame, index: Arr) -> Frame:
    return {k: v[index] for k, v in frame.items()}


def timestamps(t: Arr) -> Arr:
    """Integer seconds → ``YYYY-MM-DD HH:MM:SS`` text."""
    text = np.datetime_as_string(t.astype("datetime64[s]"), unit="s")
    return np.char.replace(text, "T", " ")


def dates(t: Arr) -> Arr:
    return np.datetime_as_string(t.astype("datetime64[s]").astype("datetime64[D]"), unit="D")


def ascii_slug(text: str) -> str:
    """``"Müller"`` → ``"muller"``; used for e-mail local parts and domains."""
    flat = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in flat.lower() if ch.isalnum())


def pick(rng: np.random.Generator, weights: Arr | list[float], size: int) -> Arr:
    """Sample ``size`` indices with the given (unnormalised) weights."""
    p = np.asarray(weights, dtype=float)
    return rng.choice(len(p), size=size, p=p / p.sum())


def sigmoid(x: Arr) -> Arr:
    return 1.0 / (1.0 + np.exp(-x))


def ids(prefix: str, n: int, width: int, start: int = 1) -> Arr:
    """``prefix-000001``… identifiers."""
    return np.array([f"{prefix}-{i:0{width}d}" for i in range(start, start + n)], dtype=object)
