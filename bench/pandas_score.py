"""The benchmark contract's semantics as a plain, vectorised pandas script.

What a competent analyst would write to score leads without leadline: read
the tables into DataFrames once, then fit (every matching rule adds points),
grade, engagement (first matching rule per activity, recency decay, caps per
rule per window), intent (points per topic and journey stage reached, plus a
journey bonus), exclusions, triggers and the MQA roll-up.  It is driven by
the same :class:`Contract` so it cannot quietly score a different contract,
and ``bench/scoring.py`` checks its numbers against leadline's.
"""

from __future__ import annotations

import warnings
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from leadline.contract.schema import ActivityMatch, Condition, Contract

GRADES = ("A", "B", "C", "D")


def load(engine: Any) -> dict[str, pd.DataFrame]:
    """Read the tables the script needs (not timed: an analyst starts from DataFrames)."""
    return {
        "leads": engine.fetch_arrow(
            "SELECT lead_id, email_domain, is_free_mail, title, seniority, department, company, "
            "account_id, country, created_at, merged_into FROM leads"
        ).to_pandas(),
        "accounts": engine.fetch_arrow(
            "SELECT account_id, domain, industry, employees, annual_revenue, country, owner "
            "FROM accounts"
        ).to_pandas(),
        "activities": engine.fetch_arrow(
            "SELECT lead_id, activity_type, occurred_at, url, content_id, value FROM activities"
        ).to_pandas(),
        "content": engine.fetch_arrow(
            "SELECT content_id, topics, journey_stage FROM content"
        ).to_pandas(),
    }


def _condition(df: pd.DataFrame, cond: Condition) -> pd.Series:
    entity, _, name = cond.field.partition(".")
    column = df[f"{entity}_{name}"] if f"{entity}_{name}" in df else df[name]
    if cond.missing is not None:
        absent = column.isna() | (column.astype("string").str.strip() == "")
        return absent if cond.missing else ~absent
    if cond.in_ is not None:
        return (
            column.astype("string")
            .str.lower()
            .isin([str(v).lower() for v in cond.in_])
            .fillna(False)
            .astype(bool)
        )
    if cond.not_in is not None:
        low = column.astype("string").str.lower()
        return (low.notna() & ~low.isin([str(v).lower() for v in cond.not_in])).astype(bool)
    number = pd.to_numeric(column, errors="coerce")
    if cond.between is not None:
        return number.between(*cond.between).fillna(False).astype(bool)
    if cond.at_least is not None:
        return (number >= cond.at_least).fillna(False).astype(bool)
    if cond.at_most is not None:
        return (number <= cond.at_most).fillna(False).astype(bool)
    if cond.matches is not None:
        return pd.Series(_regex_by_value(column, cond.matches), index=df.index)
    return (
        (column.astype("string").str.lower() == str(cond.equals).lower()).fillna(False).astype(bool)
    )


def _regex_by_value(values: pd.Series, pattern: str) -> np.ndarray:
    """Match a regex once per distinct value (URLs repeat), not once per row."""
    codes, uniques = pd.factorize(values)
    with warnings.catch_warnings():  # groups in the pattern are fine: we only test matching
        warnings.simplefilter("ignore", UserWarning)
        hit = pd.Series(uniques).astype("string").str.contains(pattern, case=False, regex=True)
    table: np.ndarray = np.append(hit.fillna(False).to_numpy(dtype=bool), False)  # -1: missing
    matched: np.ndarray = table[codes]
    return matched


def _match(acts: pd.DataFrame, m: ActivityMatch) -> np.ndarray:
    ok: np.ndarray = acts["activity_type"].isin(m.activities).to_numpy().copy()
    if m.url_matches is not None:
        ok &= _regex_by_value(acts["url"], m.url_matches)
    if m.topics is not None:
        wanted = set(m.topics)
        ok &= (
            acts["topics"]
            .map(lambda t: t is not None and bool(wanted & set(t)))
            .to_numpy(dtype=bool)
        )
    if m.journey_stage is not None:
        ok &= (acts["journey_stage"] == m.journey_stage).to_numpy()
    return ok


def _engagement(acts: pd.DataFrame, contract: Contract) -> pd.Series:
    b = contract.behaviour
    live = acts[acts["age_days"] <= b.lookback_days]
    rule = np.select([_match(live, r) for r in b.rules], list(range(len(b.rules))), -1)
    keep = rule >= 0
    ev = pd.DataFrame({"lead_id": live["lead_id"].to_numpy()[keep], "rule": rule[keep]})
    age = live["age_days"].to_numpy()[keep]
    points = np.array([r.points for r in b.rules])[ev["rule"]]
    decays = np.array([r.decay for r in b.rules])[ev["rule"]]
    per_days = np.array([r.cap.per_days if r.cap else np.inf for r in b.rules])[ev["rule"]]
    ev["raw"] = points
    halves = np.array([r.half_life(b.half_life_days) for r in b.rules])[ev["rule"]]
    ev["decayed"] = points * np.where(decays, 0.5 ** (age / halves), 1.0)
    ev["bucket"] = np.where(np.isfinite(per_days), np.floor(age / per_days), 0)
    g = (
        ev.groupby(["lead_id", "rule", "bucket"], sort=False)
        .agg(raw=("raw", "sum"), decayed=("decayed", "sum"))
        .reset_index()
    )
    cap = np.array([r.cap.points if r.cap else np.inf for r in b.rules])[g["rule"]]
    over = g["raw"].to_numpy() > cap
    g["points"] = np.where(over, g["decayed"] * cap / g["raw"], g["decayed"])
    return g.groupby("lead_id", sort=False)["points"].sum()


def _intent(acts: pd.DataFrame, contract: Contract) -> pd.Series:
    intent = contract.intent
    if intent is None:
        return pd.Series(dtype=float)
    ev = acts[
        (acts["age_days"] <= intent.lookback_days)
        & acts["journey_stage"].isin(["problem", "solution", "product"])
        & acts["topics"].notna()
    ][["lead_id", "topics", "journey_stage", "age_days"]]
    ev = ev.explode("topics").rename(columns={"topics": "topic"})
    if intent.topics:
        ev = ev[ev["topic"].isin(intent.topics)]
    st = (
        ev.groupby(["lead_id", "topic", "journey_stage"], sort=False)
        .agg(first_age=("age_days", "max"))
        .reset_index()
    )
    st["points"] = st["journey_stage"].map(intent.stage_points).fillna(0.0).astype(float)
    total = st.groupby("lead_id", sort=False)["points"].sum()
    bonus = intent.journey_bonus
    if bonus is not None and bonus.stages:
        wide = st.pivot_table(
            index=["lead_id", "topic"], columns="journey_stage", values="first_age", aggfunc="max"
        )
        ok = pd.Series(True, index=wide.index)
        for s in bonus.stages:
            ok &= wide[s].notna() if s in wide else False
        if ok.any():
            for a, b in zip(bonus.stages, bonus.stages[1:], strict=False):
                ok &= wide[a] >= wide[b]
            ok &= (wide[bonus.stages[0]] - wide[bonus.stages[-1]]) <= bonus.within_days
        done = ok[ok].reset_index()["lead_id"].unique()
        total = total.add(pd.Series(bonus.points, index=done), fill_value=0.0)
    return total


def score(data: dict[str, pd.DataFrame], contract: Contract, as_of: datetime) -> pd.DataFrame:
    """One row per scored lead: fit_points, grade, engagement, intent, score, verdict."""
    leads, accounts = data["leads"], data["accounts"]
    ts = pd.Timestamp(as_of)
    people = leads[
        leads["merged_into"].isna() & (leads["created_at"].isna() | (leads["created_at"] <= ts))
    ]
    people = people.merge(
        accounts.add_prefix("account_"),
        left_on="account_id",
        right_on="account_account_id",
        how="left",
    )
    people = people.rename(columns={c: f"lead_{c}" for c in leads.columns if c != "lead_id"})
    people["account_id"] = people["lead_account_id"]
    people["account_has_owner"] = people["account_owner"].notna()

    fit = np.zeros(len(people))
    for rule in contract.fit.rules:
        match = _condition(people, rule)
        if rule.combined is not None:  # `and` / `or`: more conditions in one rule
            word, more = rule.combined
            for cond in more:
                match = (
                    (match & _condition(people, cond))
                    if word == "and"
                    else (match | _condition(people, cond))
                )
        fit += np.where(match.to_numpy(), rule.points, 0.0)
    g = contract.fit.grades
    grade = np.select([fit >= g.A, fit >= g.B, fit >= g.C], ["A", "B", "C"], "D")

    # Activities re-keyed to surviving leads, with their age and content.
    survivor = leads.set_index("lead_id")["merged_into"].fillna(
        leads.set_index("lead_id").index.to_series()
    )
    acts = data["activities"]
    acts = acts[acts["occurred_at"] <= ts].copy()
    acts["lead_id"] = acts["lead_id"].map(survivor)
    acts = acts[acts["lead_id"].isin(people["lead_id"])]
    acts["age_days"] = (ts - acts["occurred_at"]).dt.total_seconds() / 86400.0
    content = data["content"].set_index("content_id")
    acts["topics"] = acts["content_id"].map(content["topics"])
    acts["journey_stage"] = acts["content_id"].map(content["journey_stage"])

    out = pd.DataFrame(
        {
            "lead_id": people["lead_id"].to_numpy(),
            "account_id": people["account_id"].to_numpy(),
            "fit_points": fit,
            "grade": grade,
        }
    )
    out["engagement"] = out["lead_id"].map(_engagement(acts, contract)).fillna(0.0)
    out["intent"] = out["lead_id"].map(_intent(acts, contract)).fillna(0.0)
    out["score"] = out["engagement"] + out["intent"]

    # Exclusions: field reasons in order, then behaviour signals.
    ex = contract.exclude
    reasons, conds = [], []
    if ex.competitor_domains:
        domains = [d.lower() for d in ex.competitor_domains]
        conds.append(
            people["lead_email_domain"].str.lower().isin(domains).fillna(False)
            | people["account_domain"].str.lower().isin(domains).fillna(False)
        )
        reasons.append("competitor")
    if ex.free_mail_without_company:
        company = people["lead_company"].fillna("").str.strip()
        conds.append(
            people["lead_is_free_mail"].fillna(False).astype(bool)
            & (company == "")
            & people["account_id"].isna()
        )
        reasons.append("free_mail_no_company")
    for ex_rule in ex.rules:
        conds.append(_condition(people, ex_rule))
        reasons.append(ex_rule.reason)
    for sig in ex.activity_signals:
        counts = acts.loc[_match(acts, sig), "lead_id"].value_counts()
        conds.append(people["lead_id"].map(counts).fillna(0).to_numpy() >= sig.min_count)
        reasons.append(sig.reason)
    excluded = np.select([np.asarray(c, dtype=bool) for c in conds], reasons, "")
    out["excluded_reason"] = pd.Series(excluded).replace("", None).to_numpy()

    rank = {g_: i for i, g_ in enumerate(GRADES)}
    grade_i = out["grade"].map(rank).to_numpy()
    fired, names = [], []
    for t in contract.behaviour.triggers:
        recent = acts[_match(acts, t) & (acts["age_days"] <= t.within_days).to_numpy()]
        has = out["lead_id"].isin(recent["lead_id"]).to_numpy()
        fired.append(has & (grade_i <= rank[t.min_grade]))
        names.append(t.name)
    trigger = np.select(fired, names, "") if fired else np.full(len(out), "")
    out["trigger_rule"] = pd.Series(trigger).replace("", None).to_numpy()

    mql = contract.stages.mql
    by_score = (grade_i <= rank[mql.min_grade]) & (out["score"].to_numpy() >= mql.min_score)
    out["qualifies_mql"] = out["excluded_reason"].isna() & (by_score | out["trigger_rule"].notna())

    mqa = contract.stages.mqa
    if mqa is not None:
        has_acc = out[out["account_id"].notna()]
        roll = has_acc.groupby("account_id").agg(
            contacts=("score", "sum"),
            engaged=("score", lambda s: int((s >= mqa.engaged_contact_score).sum())),
        )
        acc_acts = acts.assign(
            lead_id=acts["lead_id"].map(people.set_index("lead_id")["account_id"])
        ).dropna(subset=["lead_id"])
        roll["account_score"] = roll["contacts"] + roll.index.map(
            _intent(acc_acts, contract)
        ).fillna(0.0)
        roll["mqa"] = (roll["engaged"] >= mqa.min_engaged_contacts) & (
            roll["account_score"] >= mqa.min_account_score
        )
        out["account_score"] = out["account_id"].map(roll["account_score"])
        out["account_qualifies_mqa"] = out["account_id"].map(roll["mqa"])
    return out
