"""A seeded, reproducible B2B world for the demo workspace, written as CSV files.

Same seed (and scale and end) → byte-identical files, so the demo, its docs
and tests can quote exact numbers.  Every file uses the CANONICAL column names
of its import kind, so `leadline import` needs no mapping.

What the world contains and why:

* eight channels with monthly costs; content syndication and event badge
  scans bring many cheap leads that rarely buy, webinars and paid search bring
  fewer leads and more revenue (see :mod:`leadline.demo.vocab`);
* an ideal customer profile (software / fintech, 200–5000 employees, core
  markets) and titles that imply seniority, so fit matters;
* in-market leads who research a topic problem → solution → product and
  raise a hand; outcomes follow fit and intent;
* things a contract must catch: students, free-mail leads without company,
  competitor domains, test records, duplicates (same e-mail, other case);
* a handful of deliberately bad rows, listed in :data:`BAD_ROWS`, so the demo
  shows quarantine.
"""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

import numpy as np

from leadline.demo import vocab as V
from leadline.demo.behaviour import ACTS, SOURCE, build_activities, build_content, build_touches
from leadline.demo.frame import DAY, Arr, Clock, Frame, dates, ids, timestamps
from leadline.demo.outcomes import build_dispositions, build_opportunities, first_hand_raise
from leadline.demo.people import build_accounts, build_campaigns, build_leads, build_reps

DEFAULT_END = datetime(2026, 11, 1)
BASE_ACCOUNTS = 3_000
BASE_LEADS = 12_000

# The deliberately bad rows, by kind: (source_event_id, what is wrong).  Kept
# far below 0.1% of their file; the import must quarantine each of them.
BAD_ROWS: dict[str, tuple[tuple[str, str], ...]] = {
    "activities": (
        ("bad-0001", "unparseable occurred_at '2026-13-45 25:61'"),
        ("bad-0002", "unparseable occurred_at 'last tuesday'"),
        ("bad-0003", "unknown activity_type 'fax_received'"),
        ("bad-0004", "unknown activity_type 'carrier_pigeon'"),
        ("bad-0005", "missing lead key (no lead_id, no email)"),
        ("bad-0006", "missing lead key (no lead_id, no email)"),
    ),
    "touches": (("bad-0001", "unparseable touched_at 'yesterday'"),),
}

COLUMNS: dict[str, tuple[str, ...]] = {
    "reps": (
        "rep_id",
        "name",
        "email",
        "manager",
        "team",
        "region",
        "timezone",
        "capacity",
        "active",
    ),
    "accounts": (
        "account_id",
        "name",
        "domain",
        "industry",
        "employees",
        "annual_revenue",
        "country",
        "region",
        "owner",
        "parent_account",
        "created_at",
    ),
    "campaigns": (
        "campaign_id",
        "name",
        "channel",
        "started_at",
        "ended_at",
        "period_start",
        "period_end",
        "cost",
        "currency",
    ),
    "content": ("content_id", "title", "url", "content_type", "topics", "journey_stage", "gated"),
    "leads": (
        "lead_id",
        "email",
        "first_name",
        "last_name",
        "title",
        "seniority",
        "department",
        "company",
        "account_id",
        "country",
        "lead_source",
        "channel",
        "campaign_id",
        "created_at",
        "converted",
    ),
    "touches": ("source", "source_event_id", "lead_id", "campaign_id", "touched_at", "touch_type"),
    "activities": (
        "source",
        "source_event_id",
        "lead_id",
        "activity_type",
        "occurred_at",
        "url",
        "content_id",
        "campaign_id",
        "value",
    ),
    "opportunities": (
        "opportunity_id",
        "account_id",
        "lead_id",
        "name",
        "stage",
        "amount",
        "product",
        "owner",
        "created_at",
        "closed_at",
    ),
    "dispositions": (
        "source",
        "source_event_id",
        "lead_id",
        "action",
        "reason",
        "note",
        "actor",
        "decided_at",
    ),
}
TIME_COLUMNS = {
    "created_at",
    "started_at",
    "ended_at",
    "touched_at",
    "occurred_at",
    "closed_at",
    "decided_at",
}


def generate_world(
    out_dir: Path, *, seed: int = 7, scale: float = 1.0, end: datetime | None = None
) -> dict[str, Path]:
    """Write the world's CSV files into ``out_dir``; return ``{kind: path}``.

    ``scale`` multiplies accounts and leads (activities follow the leads);
    ``end`` is the moment "now" in the world (default 2026-11-01), and all
    activity lies in the 365 days before it.
    """
    if scale <= 0:
        raise ValueError("scale must be positive")
    rng = np.random.default_rng(seed)
    clock = Clock.year_before(end or DEFAULT_END)
    first_month = np.datetime64(clock.start, "s").astype("datetime64[M]")
    month_starts = (first_month + np.arange(13)).astype("datetime64[s]").astype(np.int64)

    reps = build_reps()
    accounts = build_accounts(rng, max(50, round(BASE_ACCOUNTS * scale)), clock, reps)
    campaigns = build_campaigns(rng)
    content = build_content()
    leads = build_leads(
        rng, max(200, round(BASE_LEADS * scale)), clock, accounts, campaigns, month_starts, scale
    )
    acts = build_activities(rng, leads, content, campaigns, clock)
    touches = build_touches(leads, acts)
    raised_at = first_hand_raise(leads, acts)
    opps = build_opportunities(rng, leads, accounts, reps, raised_at, acts["_w_start"], clock)
    activity_count = np.bincount(acts["_lead"], minlength=len(leads["lead_id"]))
    disps = build_dispositions(
        rng, leads, reps, raised_at, acts["_w_start"], activity_count, opps, clock
    )
    leads["converted"] = np.isin(np.arange(len(leads["lead_id"])), opps["_lead"])

    tables: dict[str, Frame] = {
        "reps": reps,
        "accounts": accounts,
        "campaigns": _campaign_months(rng, campaigns, leads, month_starts, clock),
        "content": content,
        "leads": leads,
        "touches": _touch_rows(leads, touches, campaigns),
        "activities": _activity_rows(leads, acts, content, campaigns),
        "opportunities": opps,
        "dispositions": disps,
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for kind, frame in tables.items():
        paths[kind] = out_dir / f"{kind}.csv"
        _write_csv(paths[kind], kind, frame)
    return paths


def _campaign_months(
    rng: np.random.Generator, campaigns: Frame, leads: Frame, month_starts: Arr, clock: Clock
) -> Frame:
    """One row per campaign per active month; cost follows the leads it bought."""
    month = np.clip(np.searchsorted(month_starts, leads["created_at"], "right") - 1, 0, 12)
    n_c = len(campaigns["campaign_id"])
    volume = np.zeros((n_c, 13))
    np.add.at(volume, (leads["_campaign"], month), 1)
    cpl = np.array([c.cost_per_lead for c in V.CHANNELS])[campaigns["_channel"]]
    rows_c, rows_m = [], []
    last_month = int(np.searchsorted(month_starts, clock.end - 1, "right") - 1)
    for c in range(n_c):
        lo, hi = campaigns["_first_month"][c], min(campaigns["_last_month"][c], last_month)
        span = np.arange(lo, hi + 1)
        rows_c.append(np.full(len(span), c))
        rows_m.append(span)
    c_idx, m_idx = np.concatenate(rows_c), np.concatenate(rows_m)
    leads_bought = np.maximum(volume[c_idx, m_idx], 2)
    cost = np.round(cpl[c_idx] * leads_bought * np.exp(rng.normal(0, 0.12, len(c_idx))), 2)
    always_on = campaigns["_last_month"] >= 11
    last = np.minimum(campaigns["_last_month"], last_month)
    started = month_starts[campaigns["_first_month"]]
    ended = np.where(always_on, -1, month_starts[np.minimum(last + 1, 12)] - 1)
    channel = np.array([c.name for c in V.CHANNELS], dtype=object)[campaigns["_channel"]]
    period_end = month_starts[np.minimum(m_idx + 1, 12)] - DAY
    return {
        "campaign_id": campaigns["campaign_id"][c_idx],
        "name": campaigns["name"][c_idx],
        "channel": channel[c_idx],
        "started_at": started[c_idx],
        "ended_at": ended[c_idx],
        "period_start": dates(np.maximum(month_starts[m_idx], clock.start)),
        "period_end": dates(np.minimum(period_end, clock.end - 1)),
        "cost": np.array([f"{x:.2f}" for x in cost], dtype=object),
        "currency": np.full(len(c_idx), "USD", dtype=object),
    }


def _touch_rows(leads: Frame, touches: Frame, campaigns: Frame) -> Frame:
    n = len(touches["_lead"])
    frame: Frame = {
        "source": np.full(n, "crm", dtype=object),
        "source_event_id": ids("T", n, 8),
        "lead_id": leads["lead_id"][touches["_lead"]],
        "campaign_id": campaigns["campaign_id"][touches["_campaign"]],
        "touched_at": timestamps(touches["_t"]).astype(object),
        "touch_type": touches["touch_type"],
    }
    bad = {
        "source": "crm",
        "source_event_id": BAD_ROWS["touches"][0][0],
        "lead_id": str(leads["lead_id"][0]),
        "campaign_id": str(campaigns["campaign_id"][0]),
        "touched_at": "yesterday",
        "touch_type": "first_touch",
    }
    return _insert_rows(frame, [bad])


def _activity_rows(leads: Frame, acts: Frame, content: Frame, campaigns: Frame) -> Frame:
    order = np.lexsort((acts["_lead"], acts["_t"]))
    act = acts["_act"][order]
    n = len(order)
    source = SOURCE[act]
    content_i = acts["_content"][order]
    campaign_i = acts["_campaign"][order]
    value = acts["value"][order]
    frame: Frame = {
        "source": source,
        "source_event_id": np.array([f"{s}-{i:09d}" for i, s in enumerate(source)], dtype=object),
        "lead_id": leads["lead_id"][acts["_lead"][order]],
        "activity_type": np.array(ACTS, dtype=object)[act],
        "occurred_at": timestamps(acts["_t"][order]).astype(object),
        "url": acts["url"][order],
        "content_id": np.where(content_i >= 0, content["content_id"][np.maximum(content_i, 0)], ""),
        "campaign_id": np.where(
            campaign_i >= 0, campaigns["campaign_id"][np.maximum(campaign_i, 0)], ""
        ),
        "value": np.array(["" if np.isnan(v) else f"{v:.0f}" for v in value], dtype=object),
    }
    lead0 = str(leads["lead_id"][0])
    when = str(frame["occurred_at"][n // 2])
    bad = []
    for (event_id, _why), (lead_id, kind, at) in zip(
        BAD_ROWS["activities"],
        (
            (lead0, "page_view", "2026-13-45 25:61"),
            (lead0, "page_view", "last tuesday"),
            (lead0, "fax_received", when),
            (lead0, "carrier_pigeon", when),
            ("", "page_view", when),
            ("", "demo_request", when),
        ),
        strict=True,
    ):
        bad.append(
            {
                "source": "web",
                "source_event_id": event_id,
                "lead_id": lead_id,
                "activity_type": kind,
                "occurred_at": at,
                "url": "/",
                "content_id": "",
                "campaign_id": "",
                "value": "",
            }
        )
    return _insert_rows(frame, bad)


def _insert_rows(frame: Frame, rows: list[dict[str, str]]) -> Frame:
    """Spread ``rows`` through the file (as real bad rows would be), deterministically."""
    n = len(next(iter(frame.values())))
    at = [(k + 1) * n // (len(rows) + 1) for k in range(len(rows))]
    out: Frame = {}
    for col, values in frame.items():
        extra = np.array([r[col] for r in rows], dtype=object)
        out[col] = np.insert(values.astype(object), at, extra)
    return out


def _text(name: str, values: Arr) -> list[str]:
    if name in TIME_COLUMNS and values.dtype.kind in "iu":
        text = timestamps(values).astype(object)
        text[values < 0] = ""
        return list(text)
    if values.dtype.kind == "b":
        return ["true" if v else "false" for v in values]
    if values.dtype.kind == "f":
        return ["" if np.isnan(v) else f"{v:.0f}" for v in values]
    return [str(v) for v in values]


def _write_csv(path: Path, kind: str, frame: Frame) -> None:
    columns = COLUMNS[kind]
    cols = [_text(c, frame[c]) for c in columns]
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(zip(*cols, strict=True))
