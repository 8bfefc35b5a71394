"""What leads do: the content library, activities and campaign touches.

Leads that are in market research one tracked topic inside a buying window
and move problem → solution → product, look at pricing and often raise a
hand; everybody else reads at random, opens newsletters and sometimes
browses the careers page.  Everything is sampled as whole columns.
"""

from __future__ import annotations

import numpy as np

from leadline.demo import vocab as V
from leadline.demo.frame import DAY, HOUR, Arr, Clock, Frame, ids, pick, sigmoid
from leadline.demo.people import COMPETITOR, DUPLICATE, TEST

ACTS: tuple[str, ...] = (
    "page_view",
    "content_download",
    "webinar_registered",
    "webinar_attended",
    "event_badge_scan",
    "email_open",
    "email_click",
    "email_unsubscribe",
    "email_bounce",
    "chat",
    "form_fill",
    "demo_request",
    "pricing_request",
    "contact_sales",
)
A = {name: i for i, name in enumerate(ACTS)}
SOURCE = np.array(
    [
        "web",
        "web",
        "webinar",
        "webinar",
        "events",
        "esp",
        "esp",
        "esp",
        "esp",
        "web",
        "web",
        "web",
        "web",
        "web",
    ],
    dtype=object,
)
# Background mix of activity types: casual readers vs. leads in market.
CASUAL_MIX = [46, 7, 2.5, 1.2, 0.4, 32, 7, 1.2, 0.6, 0.3, 0, 0, 0, 0]
MARKET_MIX = [52, 16, 4, 3, 0.4, 14, 8, 0.2, 0.2, 1.5, 0, 0, 0, 0]
WINDOW = 45 * DAY
STAGES = ("problem", "solution", "product")


def build_content() -> Frame:
    """Three pieces per (topic, stage) for tracked topics, a few off-topic pieces."""
    rows: list[tuple[str, str, str, str, str, bool]] = []
    for topic in V.TOPICS + V.OFF_TOPICS:
        for s, stage in enumerate(STAGES):
            for k, ctype in enumerate(V.CONTENT_TYPES[stage]):
                if topic in V.OFF_TOPICS and k:
                    continue
                title = f"{topic.replace('-', ' ').title()}: {stage} {ctype.replace('_', ' ')}"
                extra = (
                    f"|{V.TOPICS[(V.TOPICS.index(topic) + 1) % 4]}"
                    if (topic in V.TOPICS and stage == "product" and k == 2)
                    else ""
                )
                slug = f"{topic}-{stage}-{ctype}".replace("_", "-")
                rows.append(
                    (
                        title,
                        f"/resources/{slug}",
                        ctype,
                        topic + extra,
                        stage,
                        s < 2 and ctype != "blog_post",
                    )
                )
    n = len(rows)
    return {
        "content_id": ids("C", n, 3),
        "title": np.array([r[0] for r in rows], dtype=object),
        "url": np.array([r[1] for r in rows], dtype=object),
        "content_type": np.array([r[2] for r in rows], dtype=object),
        "topics": np.array([r[3] for r in rows], dtype=object),
        "journey_stage": np.array([r[4] for r in rows], dtype=object),
        "gated": np.array([r[5] for r in rows]),
        "_topic": np.array([r[3].split("|")[0] for r in rows], dtype=object),
    }


def _pages(rng: np.random.Generator, market: Arr, job_seeker: Arr) -> Arr:
    urls = np.array([p[0] for p in V.PAGES], dtype=object)
    base = np.array([p[1] for p in V.PAGES])
    hot = base * np.array([1, 5, 2.5, 2.5, 2, 1.5, 1, 0.3] + [1] * 8)
    seek = base * np.array([1, 0.2, 0.5, 0.3, 0.3, 0.5, 3, 25] + [0.5] * 8)
    out = urls[pick(rng, base, len(market))]
    for mask, weights in ((market, hot), (job_seeker & ~market, seek)):
        rows = np.flatnonzero(mask)
        out[rows] = urls[pick(rng, weights, len(rows))]
    return out


def build_activities(
    rng: np.random.Generator, leads: Frame, content: Frame, campaigns: Frame, clock: Clock
) -> Frame:
    n = len(leads["lead_id"])
    kind, market = leads["_kind"], leads["_in_market"]
    created = leads["created_at"]
    seeker = (leads["seniority"] == "student") | (leads["department"] == "engineering")
    seeker &= rng.random(n) < 0.5
    lam = np.where(market, 38.0, 15.5)
    lam = np.where(kind == DUPLICATE, 3.0, np.where(kind == TEST, 4.0, lam))
    lam = np.where(kind == COMPETITOR, 25.0, lam)
    count = rng.poisson(lam)
    lead = np.repeat(np.arange(n), count)
    m = len(lead)
    in_mkt = market[lead]
    # Buying window per lead: after creation, 45 days long.
    w_start = created + (
        rng.random(n) * np.maximum(clock.end - created - WINDOW, DAY) * 0.7
    ).astype(np.int64)
    span = clock.end - created[lead]
    t = created[lead] + (rng.random(m) * span).astype(np.int64)
    in_window = in_mkt & (rng.random(m) < 0.75)
    t = np.where(in_window, w_start[lead] + rng.integers(0, WINDOW, m), t)
    act = np.where(in_mkt, pick(rng, MARKET_MIX, m), pick(rng, CASUAL_MIX, m))
    url = np.full(m, "", dtype=object)
    content_i = np.full(m, -1)
    campaign_i = np.full(m, -1)
    value = np.full(m, np.nan)
    pv = act == A["page_view"]
    url[pv] = _pages(rng, in_mkt[pv], seeker[lead][pv])
    value[pv] = np.round(rng.exponential(45, pv.sum()), 0)
    # Downloads: in-market leads follow their topic's journey through the window.
    topic = rng.integers(0, len(V.TOPICS), n)[lead]
    frac = np.clip((t - w_start[lead]) / WINDOW, 0, 0.999)
    stage = np.where(in_window, (frac * 3).astype(int), 0)
    dl = np.flatnonzero(act == A["content_download"])
    on_topic = dl[in_mkt[dl]]
    key = np.array(V.TOPICS, dtype=object)[topic[on_topic]]
    stage_names = np.array(STAGES, dtype=object)[stage[on_topic]]
    for tname in V.TOPICS:
        for sname in STAGES:
            pool = np.flatnonzero(
                (content["_topic"] == tname) & (content["journey_stage"] == sname)
            )
            rows = on_topic[(key == tname) & (stage_names == sname)]
            content_i[rows] = pool[rng.integers(0, len(pool), len(rows))]
    casual = dl[~in_mkt[dl]]
    content_i[casual] = rng.integers(0, len(content["content_id"]), len(casual))
    webinars = np.flatnonzero(content["content_type"] == "webinar")
    web_c = np.flatnonzero(campaigns["_channel"] == _channel("webinar"))
    mail_c = np.flatnonzero(campaigns["_channel"] == _channel("email"))
    event_c = np.flatnonzero(campaigns["_channel"] == _channel("events"))
    for a_name, pool_c in (("webinar_registered", web_c), ("webinar_attended", web_c)):
        rows = np.flatnonzero(act == A[a_name])
        content_i[rows] = webinars[rng.integers(0, len(webinars), len(rows))]
        campaign_i[rows] = pool_c[rng.integers(0, len(pool_c), len(rows))]
    for a_name in ("email_open", "email_click", "email_unsubscribe", "email_bounce"):
        rows = np.flatnonzero(act == A[a_name])
        campaign_i[rows] = mail_c[rng.integers(0, len(mail_c), len(rows))]
    rows = np.flatnonzero(act == A["event_badge_scan"])
    campaign_i[rows] = event_c[rng.integers(0, len(event_c), len(rows))]
    rows = np.flatnonzero(act == A["chat"])
    url[rows] = np.where(in_mkt[rows], "/pricing", "/")
    background = {
        "_lead": lead,
        "_t": t,
        "_act": act,
        "url": url,
        "_content": content_i,
        "_campaign": campaign_i,
        "value": value,
    }
    origin = _origin(rng, leads, content, campaigns)
    raised = _hand_raisers(rng, leads, w_start, clock)
    out = {k: np.concatenate([background[k], origin[k], raised[k]]) for k in background}
    has_content = out["_content"] >= 0
    out["url"] = np.where(
        has_content & (out["url"] == ""), content["url"][np.maximum(out["_content"], 0)], out["url"]
    )
    out["_t"] = clock.clip(out["_t"])
    out["_w_start"] = w_start
    return out


def _channel(name: str) -> int:
    return next(i for i, c in enumerate(V.CHANNELS) if c.name == name)


def _origin(rng: np.random.Generator, leads: Frame, content: Frame, campaigns: Frame) -> Frame:
    """The activity that created each lead: a download, a badge scan, a form…"""
    n = len(leads["lead_id"])
    ch = leads["_channel"]
    act = np.full(n, A["form_fill"])
    act[ch == _channel("content_syndication")] = A["content_download"]
    act[ch == _channel("events")] = A["event_badge_scan"]
    act[ch == _channel("webinar")] = A["webinar_registered"]
    act[ch == _channel("email")] = A["email_click"]
    url = np.where(act == A["form_fill"], "/contact", "").astype(object)
    content_i = np.full(n, -1)
    gated = np.flatnonzero(content["gated"])
    rows = np.flatnonzero(act == A["content_download"])
    content_i[rows] = gated[rng.integers(0, len(gated), len(rows))]
    webinars = np.flatnonzero(content["content_type"] == "webinar")
    rows = np.flatnonzero(act == A["webinar_registered"])
    content_i[rows] = webinars[rng.integers(0, len(webinars), len(rows))]
    lead = np.arange(n)
    t = leads["created_at"]
    # About half of webinar registrants attend, a few days later.
    came = rows[rng.random(len(rows)) < 0.55 + 0.2 * leads["_in_market"][rows]]
    return {
        "_lead": np.concatenate([lead, came]),
        "_t": np.concatenate([t, t[came] + rng.integers(2 * DAY, 10 * DAY, len(came))]),
        "_act": np.concatenate([act, np.full(len(came), A["webinar_attended"])]),
        "url": np.concatenate([url, np.full(len(came), "", dtype=object)]),
        "_content": np.concatenate([content_i, content_i[came]]),
        "_campaign": np.concatenate([leads["_campaign"], leads["_campaign"][came]]),
        "value": np.full(n + len(came), np.nan),
    }


def _hand_raisers(rng: np.random.Generator, leads: Frame, w_start: Arr, clock: Clock) -> Frame:
    """Demo, pricing and contact-sales requests: mostly in-market leads of good fit."""
    n = len(leads["lead_id"])
    fit, market, kind = leads["_fit"], leads["_in_market"], leads["_kind"]
    p = np.where(market, 0.6 * sigmoid(fit - 1.5), 0.008)
    p = np.where(kind == COMPETITOR, 0.3, np.where(kind == TEST, 0.5, p))
    p = np.where(kind == DUPLICATE, 0.0, p)
    rows = np.flatnonzero(rng.random(n) < p)
    act = np.array([A["demo_request"], A["pricing_request"], A["contact_sales"]])[
        pick(rng, [0.6, 0.25, 0.15], len(rows))
    ]
    t = np.where(
        market[rows],
        w_start[rows] + rng.integers(15 * DAY, WINDOW, len(rows)),
        leads["created_at"][rows] + rng.integers(HOUR, 90 * DAY, len(rows)),
    )
    url = np.array(["/demo", "/pricing", "/contact"], dtype=object)[act - A["demo_request"]]
    return {
        "_lead": rows,
        "_t": clock.clip(t),
        "_act": act,
        "url": url,
        "_content": np.full(len(rows), -1),
        "_campaign": np.full(len(rows), -1),
        "value": np.full(len(rows), np.nan),
    }


def build_touches(leads: Frame, acts: Frame) -> Frame:
    """A first touch per lead, then a touch for each campaign response."""
    responded = np.flatnonzero(
        np.isin(acts["_act"], [A["webinar_registered"], A["email_click"], A["event_badge_scan"]])
        & (acts["_campaign"] >= 0)
    )
    n = len(leads["lead_id"])
    kinds = np.array(["webinar", "email_click", "event"], dtype=object)
    code = np.select(
        [
            acts["_act"][responded] == A["webinar_registered"],
            acts["_act"][responded] == A["email_click"],
        ],
        [0, 1],
        2,
    )
    lead = np.concatenate([np.arange(n), acts["_lead"][responded]])
    t = np.concatenate([leads["created_at"], acts["_t"][responded]])
    camp = np.concatenate([leads["_campaign"], acts["_campaign"][responded]])
    touch_type = np.concatenate([np.full(n, "first_touch", dtype=object), kinds[code]])
    # Drop the response that *is* the first touch (same lead, time and campaign).
    key = np.stack([lead, t, camp])
    _, keep = np.unique(key, axis=1, return_index=True)
    keep.sort()
    order = keep[np.argsort(t[keep], kind="stable")]
    return {
        "_lead": lead[order],
        "_t": t[order],
        "_campaign": camp[order],
        "touch_type": touch_type[order],
    }
