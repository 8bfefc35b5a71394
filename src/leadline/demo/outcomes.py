"""How it ends: opportunities (open, won, lost) and sales' dispositions.

Outcomes depend on the latent fit and intent, plus whether the lead raised
a hand, so a contract that scores fit and behaviour well separates winners
from the rest; channels differ only through the leads they bring.
"""

from __future__ import annotations

import numpy as np

from leadline.demo import vocab as V
from leadline.demo.behaviour import A
from leadline.demo.frame import DAY, HOUR, Arr, Clock, Frame, ids, pick, sigmoid
from leadline.demo.people import COMPETITOR, DUPLICATE, PERSON, TEST, reps_in_region

NOTES = {
    "bad_fit": "Company too small / wrong industry.",
    "no_intent": "Downloaded content only, no project.",
    "student": "Student research.",
    "competitor": "Works for a competitor.",
    "duplicate": "Already in CRM under another record.",
    "not_now": "Interested, budget cycle next year.",
    "no_budget": "No budget this year.",
    "unreachable": "No answer after 5 attempts.",
}


def first_hand_raise(leads: Frame, acts: Frame) -> Arr:
    """Time of each lead's first demo/pricing/contact request (-1 if none)."""
    n = len(leads["lead_id"])
    raised = np.isin(acts["_act"], [A["demo_request"], A["pricing_request"], A["contact_sales"]])
    first = np.full(n, np.iinfo(np.int64).max)
    np.minimum.at(first, acts["_lead"][raised], acts["_t"][raised])
    return np.where(first == np.iinfo(np.int64).max, -1, first)


def build_opportunities(
    rng: np.random.Generator,
    leads: Frame,
    accounts: Frame,
    reps: Frame,
    raised_at: Arr,
    w_start: Arr,
    clock: Clock,
) -> Frame:
    fit, market = leads["_fit"], leads["_in_market"]
    raised = raised_at >= 0
    eligible = (leads["_kind"] == PERSON) & (leads["_account"] >= 0)
    p = sigmoid(0.6 * (fit - 3.5) + 1.8 * market + 1.8 * raised - 4.5)
    rows = np.flatnonzero(eligible & (rng.random(len(fit)) < p))
    k = len(rows)
    start = np.where(raised[rows], raised_at[rows], w_start[rows] + 45 * DAY)
    created = start + rng.integers(DAY, 12 * DAY, k)
    ok = created < clock.end - DAY
    rows, created, k = rows[ok], created[ok], int(ok.sum())
    account = leads["_account"][rows]
    closed = created + rng.integers(20 * DAY, 140 * DAY, k)
    is_closed = closed < clock.end
    p_win = sigmoid(0.7 * (fit[rows] - 3.5) - 1.0 + 0.6 * raised[rows])
    won = rng.random(k) < p_win
    stage = np.where(is_closed, np.where(won, "won", "lost"), "open").astype(object)
    employees = accounts["employees"][account]
    tier = np.where(employees > 2000, 2, np.where(employees > 300, 1, 0))
    tier = np.clip(tier + pick(rng, [0.15, 0.7, 0.15], k) - 1, 0, 2)
    price = np.array([p_[1] for p_ in V.PRODUCTS])[tier]
    amount = np.round(price * np.exp(rng.normal(0, 0.3, k)), -2)
    owner = accounts["owner"][account].copy()
    for region in ("NA", "EMEA", "APAC", "LATAM"):
        aes = reps_in_region(reps, region, "ae")
        need = np.flatnonzero((owner == "") & (accounts["region"][account] == region))
        owner[need] = reps["rep_id"][aes[rng.integers(0, len(aes), len(need))]]
    product = np.array([p_[0] for p_ in V.PRODUCTS], dtype=object)[tier]
    return {
        "opportunity_id": ids("OPP", k, 6),
        "account_id": accounts["account_id"][account],
        "lead_id": leads["lead_id"][rows],
        "name": np.array(
            [f"{c} - {p_}" for c, p_ in zip(leads["company"][rows], product, strict=True)],
            dtype=object,
        ),
        "stage": stage,
        "amount": amount,
        "product": product,
        "owner": owner,
        "created_at": created,
        "closed_at": np.where(is_closed, closed, -1),
        "_lead": rows,
    }


def build_dispositions(
    rng: np.random.Generator,
    leads: Frame,
    reps: Frame,
    raised_at: Arr,
    w_start: Arr,
    activity_count: Arr,
    opps: Frame,
    clock: Clock,
) -> Frame:
    """Verdicts for leads that plausibly reached MQL: hand-raisers and busy readers."""
    n = len(leads["lead_id"])
    kind, fit, market = leads["_kind"], leads["_fit"], leads["_in_market"]
    raised = raised_at >= 0
    busy = (activity_count >= 25) & (fit > 0.5)
    candidate = raised | (market & busy) | (busy & (rng.random(n) < 0.3))
    candidate |= (kind == DUPLICATE) & leads["_in_market"] & (rng.random(n) < 0.5)
    has_opp = np.zeros(n, dtype=bool)
    has_opp[opps["_lead"]] = True
    rows = np.flatnonzero(candidate)
    mql_at = np.where(
        raised[rows],
        raised_at[rows],
        np.where(market[rows], w_start[rows] + 30 * DAY, leads["created_at"][rows] + 30 * DAY),
    )
    decided = mql_at + rng.integers(HOUR // 2, 72 * HOUR, len(rows))
    keep = decided < clock.end
    rows, decided = rows[keep], decided[keep]
    k = len(rows)
    u = rng.random(k)
    reason = np.full(k, "", dtype=object)
    good = (fit[rows] >= 2.5) & market[rows]
    reason[~good & (fit[rows] < 2.5)] = np.where(
        u[~good & (fit[rows] < 2.5)] < 0.7, "bad_fit", "no_intent"
    )
    weak = ~good & (fit[rows] >= 2.5)
    reason[weak] = np.array(["no_intent", "not_now", "unreachable"], dtype=object)[
        pick(rng, [0.5, 0.3, 0.2], int(weak.sum()))
    ]
    later = good & (u > 0.75)
    reason[later] = np.array(["not_now", "no_budget", "unreachable"], dtype=object)[
        pick(rng, [0.45, 0.35, 0.2], int(later.sum()))
    ]
    reason[leads["_student"][rows]] = "student"
    reason[kind[rows] == COMPETITOR] = "competitor"
    reason[kind[rows] == DUPLICATE] = "duplicate"
    reason[kind[rows] == TEST] = "bad_fit"
    reason[has_opp[rows]] = ""
    action = np.where(
        reason == "",
        "accept",
        np.where(
            np.isin(reason, ["not_now", "no_budget"]) & (rng.random(k) < 0.6), "recycle", "reject"
        ),
    ).astype(object)
    active = np.flatnonzero(reps["active"] & (reps["team"] == "sdr"))
    actor = reps["email"][active[rng.integers(0, len(active), k)]]
    note = np.array([NOTES.get(r, "") for r in reason], dtype=object)
    order = np.argsort(decided, kind="stable")
    return {
        "source": np.full(k, "crm", dtype=object),
        "source_event_id": ids("DSP", k, 6),
        "lead_id": leads["lead_id"][rows][order],
        "action": action[order],
        "reason": reason[order],
        "note": note[order],
        "actor": actor[order],
        "decided_at": decided[order],
    }
