"""Who is in the demo world: reps, accounts, campaigns and leads.

Besides the columns that are written out, accounts and leads carry *latent*
columns (``_fit``, ``_in_market``, ``_kind``…) that later steps use to decide
what a lead does and whether it buys.  They never reach the CSV files: a good
contract has to rediscover them from the observable data.
"""

from __future__ import annotations

import numpy as np

from leadline.demo import vocab as V
from leadline.demo.frame import DAY, Arr, Clock, Frame, ascii_slug, concat, ids, pick, take

# Latent lead kinds.
PERSON, COMPETITOR, TEST, DUPLICATE = 0, 1, 2, 3
STUDENT_TITLES = np.array([i for i, t in enumerate(V.TITLES) if t[1] == "student"])
LEAD_SOURCE = {
    "paid_search": "Web form",
    "content_syndication": "List import",
    "events": "Badge scan",
    "organic": "Web form",
    "email": "Email",
    "partner": "Partner referral",
    "webinar": "Webinar registration",
    "paid_social": "Web form",
}
TEST_EMAILS = ("test@example.com", "TEST1@example.com", "qa+demo@test.com", "asdf@example.com")


def build_reps() -> Frame:
    n = len(V.REPS)
    names = [r[0] for r in V.REPS]
    return {
        "rep_id": ids("R", n, 2),
        "name": np.array(names, dtype=object),
        "email": np.array(
            [
                ".".join(ascii_slug(p) for p in name.split()) + "@leadline-demo.example"
                for name in names
            ],
            dtype=object,
        ),
        "manager": np.array([r[4] for r in V.REPS], dtype=object),
        "team": np.array([r[1] for r in V.REPS], dtype=object),
        "region": np.array([r[2] for r in V.REPS], dtype=object),
        "timezone": np.array([r[3] for r in V.REPS], dtype=object),
        "capacity": np.array([40 if r[1] == "sdr" else 25 for r in V.REPS]),
        "active": np.array([i != n - 1 for i in range(n)]),
    }


def reps_in_region(reps: Frame, region: str, team: str | None = None) -> Arr:
    ok = reps["region"] == region
    if team:
        ok &= reps["team"] == team
    return np.flatnonzero(ok & reps["active"])


def build_accounts(rng: np.random.Generator, n: int, clock: Clock, reps: Frame) -> Frame:
    industry = pick(rng, [i[1] for i in V.INDUSTRIES], n)
    country = pick(rng, [c[1] for c in V.COUNTRIES], n)
    employees = np.clip(np.exp(rng.normal(5.4, 1.6, n)), 3, 250_000).astype(np.int64)
    revenue = np.round(employees * np.exp(rng.normal(np.log(170_000), 0.5, n)), -3)
    size_pts = np.where(
        (employees >= 200) & (employees <= 5000), 1.6, np.where(employees < 20, -1.2, 0.2)
    )
    fit = (
        np.array([i[2] for i in V.INDUSTRIES])[industry]
        + size_pts
        + np.array([c[3] for c in V.COUNTRIES])[country]
        + rng.normal(0, 0.4, n)
    )
    # Unique company names: a shuffled slice of first × second × suffix combinations.
    a, b, s = len(V.COMPANY_FIRST), len(V.COMPANY_SECOND), len(V.COMPANY_SUFFIX)
    combo = rng.permutation(a * b * s)[np.arange(n) % (a * b * s)]
    lap = np.arange(n) // (a * b * s)
    first, second, suffix = combo // (b * s), (combo // s) % b, combo % s
    tld = rng.integers(0, len(V.TLDS), n)
    names, domains = [], []
    for f, g, x, t, k in zip(first, second, suffix, tld, lap, strict=True):
        base = V.COMPANY_FIRST[f] + V.COMPANY_SECOND[g]
        more = f" {k + 1}" if k else ""
        names.append(f"{base}{more} {V.COMPANY_SUFFIX[x]}")
        domains.append(
            f"{base.lower()}{k + 1 if k else ''}-{V.COMPANY_SUFFIX[x].lower()}{V.TLDS[t]}"
        )
    region = np.array([c[2] for c in V.COUNTRIES], dtype=object)[country]
    owner = np.full(n, "", dtype=object)
    for reg in ("NA", "EMEA", "APAC", "LATAM"):
        aes = reps_in_region(reps, reg, "ae")
        rows = np.flatnonzero((region == reg) & (rng.random(n) < 0.3))
        if len(aes) and len(rows):
            owner[rows] = reps["rep_id"][aes[rng.integers(0, len(aes), len(rows))]]
    account_id = ids("ACC", n, 6)
    parent = np.full(n, "", dtype=object)
    child = np.flatnonzero(rng.random(n) < 0.02)
    parent[child] = account_id[rng.integers(0, n, len(child))]
    parent[parent == account_id] = ""
    return {
        "account_id": account_id,
        "name": np.array(names, dtype=object),
        "domain": np.array(domains, dtype=object),
        "industry": np.array([i[0] for i in V.INDUSTRIES], dtype=object)[industry],
        "employees": employees,
        "annual_revenue": revenue,
        "country": np.array([c[0] for c in V.COUNTRIES], dtype=object)[country],
        "region": region,
        "owner": owner,
        "parent_account": parent,
        "created_at": clock.start - rng.integers(30 * DAY, 2000 * DAY, n),
        "_fit": fit,
    }


def build_campaigns(rng: np.random.Generator) -> Frame:
    """One row per campaign; events run for two months of the year, others all year."""
    channel, name, months = [], [], []
    for c, ch in enumerate(V.CHANNELS):
        for title in ch.campaigns:
            channel.append(c)
            name.append(title)
            if ch.name == "events":
                first = int(rng.integers(0, 11))
                months.append((first, first + 1))
            else:
                months.append((0, 11))
    span = np.array(months)
    return {
        "campaign_id": ids("CMP", len(name), 3),
        "name": np.array(name, dtype=object),
        "_channel": np.array(channel),
        "_first_month": span[:, 0],
        "_last_month": span[:, 1],
    }


def _emails(local: Arr, domain: Arr) -> Arr:
    email = np.array([f"{a}@{b}" for a, b in zip(local, domain, strict=True)], dtype=object)
    _, first_seen, inverse = np.unique(email, return_index=True, return_inverse=True)
    clash = first_seen[inverse] != np.arange(len(email))
    email[clash] = [
        f"{a}{i}@{b}"
        for a, b, i in zip(local[clash], domain[clash], np.flatnonzero(clash), strict=True)
    ]
    return email


def _people(
    rng: np.random.Generator,
    n: int,
    clock: Clock,
    accounts: Frame,
    campaigns: Frame,
    month_starts: Arr,
) -> Frame:
    """The genuine leads: a channel, a campaign, an account (or free mail), a title."""
    channel = pick(rng, [c.share for c in V.CHANNELS], n)
    created = clock.start + (rng.random(n) ** 0.85 * 365 * DAY).astype(np.int64)
    campaign = np.zeros(n, dtype=np.int64)
    account = np.full(n, -1, dtype=np.int64)
    n_acc = len(accounts["account_id"])
    for c, ch in enumerate(V.CHANNELS):
        rows = np.flatnonzero(channel == c)
        own = np.flatnonzero(campaigns["_channel"] == c)
        pick_c = own[rng.integers(0, len(own), len(rows))]
        campaign[rows] = pick_c
        if ch.name == "events":  # badge scans arrive in bursts on the event days
            month = rng.integers(
                campaigns["_first_month"][pick_c], campaigns["_last_month"][pick_c] + 1
            )
            created[rows] = month_starts[month] + 10 * DAY + rng.integers(0, 3 * DAY, len(rows))
        weights = np.exp(ch.fit_bias * accounts["_fit"])
        account[rows] = rng.choice(n_acc, size=len(rows), p=weights / weights.sum())
        free = rows[rng.random(len(rows)) < ch.free_mail_rate]
        account[free] = -1
    title_w = np.array([t[3] for t in V.TITLES])
    title_w[STUDENT_TITLES] = 0
    title = pick(rng, title_w, n)
    student_rate = np.array([c.student_rate for c in V.CHANNELS])[channel]
    student_rate = np.where(account < 0, 0.3, student_rate)
    students = rng.random(n) < student_rate
    title[students] = STUDENT_TITLES[rng.integers(0, len(STUDENT_TITLES), students.sum())]
    first = rng.integers(0, len(V.FIRST_NAMES), n)
    last = rng.integers(0, len(V.LAST_NAMES), n)
    has_acc = account >= 0
    acc = np.where(has_acc, account, 0)
    local = np.array(
        [
            f"{ascii_slug(V.FIRST_NAMES[f])}.{ascii_slug(V.LAST_NAMES[g])}"
            for f, g in zip(first, last, strict=True)
        ],
        dtype=object,
    )
    free_domain = np.array(V.FREE_MAIL, dtype=object)[rng.integers(0, len(V.FREE_MAIL), n)]
    domain = np.where(has_acc, accounts["domain"][acc], free_domain)
    country_codes = np.array([c[0] for c in V.COUNTRIES], dtype=object)
    own_country = country_codes[pick(rng, [c[1] for c in V.COUNTRIES], n)]
    country = np.where(has_acc & (rng.random(n) < 0.95), accounts["country"][acc], own_country)
    persona = np.array([t[4] for t in V.TITLES])[title]
    fit = np.where(has_acc, accounts["_fit"][acc], -1.5) + persona
    p_market = np.clip(
        np.array([c.in_market for c in V.CHANNELS])[channel] * np.exp(0.3 * (fit - 3.5)), 0, 0.8
    )
    in_market = (rng.random(n) < p_market) & ~students
    return {
        "email": _emails(local, domain),
        "first_name": np.array(V.FIRST_NAMES, dtype=object)[first],
        "last_name": np.array(V.LAST_NAMES, dtype=object)[last],
        "title": np.array([t[0] for t in V.TITLES], dtype=object)[title],
        "seniority": np.array([t[1] for t in V.TITLES], dtype=object)[title],
        "department": np.array([t[2] for t in V.TITLES], dtype=object)[title],
        "company": np.where(has_acc, accounts["name"][acc], ""),
        "account_id": np.where(has_acc, accounts["account_id"][acc], ""),
        "country": country,
        "channel": np.array([c.name for c in V.CHANNELS], dtype=object)[channel],
        "lead_source": np.array([LEAD_SOURCE[c.name] for c in V.CHANNELS], dtype=object)[channel],
        "campaign_id": campaigns["campaign_id"][campaign],
        "created_at": created,
        "_campaign": campaign,
        "_channel": channel,
        "_account": account,
        "_fit": fit,
        "_in_market": in_market,
        "_student": students,
        "_kind": np.full(n, PERSON),
        "_original": np.full(n, -1),
    }


def _odd_leads(rng: np.random.Generator, people: Frame, clock: Clock, scale: float) -> Frame:
    """Competitors snooping, test records and duplicates (same e-mail, new id, other case)."""
    n = len(people["email"])
    n_comp = max(3, round(8 * scale))
    comp = take(people, rng.integers(0, n, n_comp))
    domains = np.array(V.COMPETITOR_DOMAINS, dtype=object)[np.arange(n_comp) % 2]
    comp["email"] = np.array(
        [
            f"{a.split('@')[0]}.{i}@{d}"
            for i, (a, d) in enumerate(zip(comp["email"], domains, strict=True))
        ],
        dtype=object,
    )
    comp["company"] = np.where(domains == V.COMPETITOR_DOMAINS[0], "RivalSoft", "Competitor Inc")
    comp["account_id"] = np.full(n_comp, "", dtype=object)
    comp["_account"] = np.full(n_comp, -1)
    comp["_kind"] = np.full(n_comp, COMPETITOR)
    comp["_in_market"] = np.ones(n_comp, dtype=bool)
    comp["_fit"] = np.full(n_comp, 1.0)

    test = take(people, rng.integers(0, n, len(TEST_EMAILS)))
    test["email"] = np.array(TEST_EMAILS, dtype=object)
    test["first_name"] = np.full(len(TEST_EMAILS), "Test", dtype=object)
    test["last_name"] = np.full(len(TEST_EMAILS), "Test", dtype=object)
    test["company"] = np.full(len(TEST_EMAILS), "Test", dtype=object)
    test["account_id"] = np.full(len(TEST_EMAILS), "", dtype=object)
    test["_account"] = np.full(len(TEST_EMAILS), -1)
    test["_kind"] = np.full(len(TEST_EMAILS), TEST)
    test["_in_market"] = np.zeros(len(TEST_EMAILS), dtype=bool)

    n_dup = max(2, round(0.01 * n))
    source = rng.choice(n, size=n_dup, replace=False)
    dup = take(people, source)
    upper = rng.random(n_dup) < 0.5
    dup["email"] = np.array(
        [e.upper() if u else e.title() for e, u in zip(dup["email"], upper, strict=True)],
        dtype=object,
    )
    dup["created_at"] = clock.clip(dup["created_at"] + rng.integers(DAY, 60 * DAY, n_dup))
    dup["_kind"] = np.full(n_dup, DUPLICATE)
    dup["_original"] = source
    return concat([comp, test, dup])


def build_leads(
    rng: np.random.Generator,
    n: int,
    clock: Clock,
    accounts: Frame,
    campaigns: Frame,
    month_starts: Arr,
    scale: float,
) -> Frame:
    """All leads, ordered by creation time, with ids ``L-0000001``…"""
    people = _people(rng, n, clock, accounts, campaigns, month_starts)
    odd = _odd_leads(rng, people, clock, scale)
    leads = concat([people, odd])
    order = np.argsort(leads["created_at"], kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    leads["_original"] = np.where(leads["_original"] >= 0, rank[leads["_original"]], -1)
    leads = take(leads, order)
    leads["lead_id"] = ids("L", len(order), 7)
    return leads
