"""Fill a migrated store with a benchmark world, directly in SQL (no CSV).

Every column comes from ``hash(row number, seed, salt)``, so the same seed
always gives the same rows, and 10M activities take seconds: DuckDB's
``range()`` generates them set-based.  Distributions are skewed the way real
data is (a few busy leads, many quiet ones; page views and e-mail opens
dominate; hand-raisers are rare).
"""

from __future__ import annotations

from datetime import datetime

from common import Scale
from leadline.store.base import Engine

AS_OF = datetime(2026, 11, 1)
SEED = 7
TOPICS = (
    "data-quality",
    "lead-scoring",
    "revops-analytics",
    "pipeline-forecasting",
    "marketing-automation",
    "company-culture",
)
STAGES = ("problem", "solution", "product")
INDUSTRIES = (
    "software",
    "software",
    "fintech",
    "healthcare",
    "manufacturing",
    "retail",
    "education",
    "logistics",
    "media",
    "government",
    "nonprofit",
)
COUNTRIES = ("US", "US", "US", "CA", "GB", "GB", "DE", "FR", "NL", "AU", "IN", "SG", "BR")
TITLES = (
    ("CEO", "c_level", "executive"),
    ("VP Marketing", "vp", "marketing"),
    ("Head of Revenue Operations", "director", "sales"),
    ("Director of Demand Generation", "director", "marketing"),
    ("Marketing Manager", "manager", "marketing"),
    ("Marketing Manager", "manager", "marketing"),
    ("Sales Manager", "manager", "sales"),
    ("Marketing Specialist", "individual", "marketing"),
    ("Marketing Specialist", "individual", "marketing"),
    ("Software Engineer", "individual", "engineering"),
    ("Data Analyst", "individual", "other"),
    ("Account Executive", "individual", "sales"),
    ("Student", "student", "other"),
    ("Marketing Intern", "student", "marketing"),
)
URLS = (
    "/",
    "/",
    "/pricing",
    "/product",
    "/product/scoring",
    "/blog/what-is-an-mql",
    "/blog/lead-scoring-mistakes",
    "/blog/revops-metrics",
    "/careers",
    "/about",
    "/customers",
    "/integrations",
    "/docs/getting-started",
    "/jobs/sales-engineer",
)
# (activity type, weight per 10,000)
ACTIVITY_MIX = (
    ("page_view", 4600),
    ("email_open", 2000),
    ("email_click", 600),
    ("content_download", 1000),
    ("webinar_registered", 300),
    ("webinar_attended", 200),
    ("event_badge_scan", 200),
    ("form_fill", 300),
    ("chat", 100),
    ("email_unsubscribe", 100),
    ("email_bounce", 100),
    ("demo_request", 40),
    ("pricing_request", 30),
    ("contact_sales", 20),
)
FREE_MAIL = ("gmail.com", "yahoo.com", "outlook.com")
COMPETITORS = ("rivalsoft.example", "competitor.example")


def u(i: str, salt: int) -> str:
    """A pseudo-random double in [0, 1) for row ``i``: reproducible for the seed."""
    return f"((hash({i}, {SEED}, {salt}) % 1000003) / 1000003.0)"


def pick(values: tuple[str, ...], i: str, salt: int) -> str:
    items = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
    return f"[{items}][CAST(floor({u(i, salt)} * {len(values)}) AS INTEGER) + 1]"


def _activity_case(i: str) -> str:
    total = sum(w for _, w in ACTIVITY_MIX)
    bucket = f"(hash({i}, {SEED}, 31) % {total})"
    whens, upto = [], 0
    for name, weight in ACTIVITY_MIX:
        upto += weight
        whens.append(f"WHEN {bucket} < {upto} THEN '{name}'")
    return "CASE " + " ".join(whens) + " END"


def fill(engine: Engine, scale: Scale) -> None:
    """Insert accounts, content, leads and activities for ``scale`` (store must be empty)."""
    # Bulk load first, index after (as one would load any warehouse): keeping
    # an index up to date row by row through one 10M-row INSERT costs far more.
    indexes = _drop_lookup_indexes(engine)
    _fill(engine, scale)
    for statement in indexes:
        engine.execute(statement)


def _drop_lookup_indexes(engine: Engine) -> list[str]:
    """Drop the store's DuckDB lookup indexes; return the statements that recreate them."""
    if engine.DIALECT != "duckdb":
        return []
    rows = engine.fetch(
        "SELECT index_name, sql FROM duckdb_indexes() WHERE table_name IN ('activities', 'leads')"
    )
    for name, _ in rows:
        engine.execute(f"DROP INDEX {name}")
    return [str(sql) for _, sql in rows]


def _fill(engine: Engine, scale: Scale) -> None:
    stamp = AS_OF.isoformat(sep=" ")
    engine.execute(
        "INSERT INTO accounts (account_id, name, domain, industry, employees, annual_revenue, "
        "country, region, owner, created_at) SELECT "
        "'A' || lpad(CAST(i AS VARCHAR), 7, '0'), 'Account ' || i, "
        "'acct' || i || '.example', "
        f"{pick(INDUSTRIES, 'i', 1)}, "
        f"CAST(exp(2 + 8 * {u('i', 2)}) AS BIGINT), "
        f"round(exp(2 + 8 * {u('i', 2)}) * (80000 + 200000 * {u('i', 3)}), -3), "
        f"{pick(COUNTRIES, 'i', 4)}, NULL, "
        f"CASE WHEN {u('i', 5)} < 0.3 THEN 'R' || CAST(i % 20 AS VARCHAR) END, "
        f"TIMESTAMP '{stamp}' - INTERVAL 800 DAY "
        f"FROM range({scale.accounts}) AS t(i)"
    )
    topic_pairs = ", ".join(f"'{t}'" for t in TOPICS)
    engine.execute(
        "INSERT INTO content (content_id, title, url, content_type, topics, journey_stage, gated) "
        "SELECT 'C' || lpad(CAST(i AS VARCHAR), 4, '0'), 'Asset ' || i, '/resources/asset-' || i, "
        "'ebook', CASE WHEN i % 5 = 4 "
        f"THEN [[{topic_pairs}][i % 6 + 1], [{topic_pairs}][(i + 1) % 6 + 1]] "
        f"ELSE [[{topic_pairs}][i % 6 + 1]] END, "
        f"{pick(STAGES, 'i', 6)}, i % 2 = 0 FROM range({scale.content}) AS t(i)"
    )
    titles = tuple(t[0] for t in TITLES)
    title_i = f"CAST(floor({u('i', 10)} * {len(TITLES)}) AS INTEGER) + 1"
    seniorities = ", ".join(f"'{t[1]}'" for t in TITLES)
    departments = ", ".join(f"'{t[2]}'" for t in TITLES)
    title_list = ", ".join(f"'{t}'" for t in titles)
    # 8% free mail without company, 0.2% competitors, the rest at an account.
    kind = f"{u('i', 11)}"
    domain = (
        f"CASE WHEN {kind} < 0.08 THEN {pick(FREE_MAIL, 'i', 12)} "
        f"WHEN {kind} < 0.082 THEN {pick(COMPETITORS, 'i', 13)} "
        f"ELSE 'acct' || CAST(hash(i, {SEED}, 14) % {scale.accounts} AS VARCHAR) || '.example' END"
    )
    engine.execute(
        "INSERT INTO leads (lead_id, email, email_domain, is_free_mail, first_name, last_name, "
        "title, seniority, department, company, account_id, country, lead_source, channel, "
        "created_at) SELECT lead_id, 'person' || i || '@' || domain, domain, "
        "domain IN ('gmail.com', 'yahoo.com', 'outlook.com'), 'First' || i, 'Last' || i, "
        f"[{title_list}][ti], [{seniorities}][ti], [{departments}][ti], "
        "CASE WHEN account_id IS NOT NULL THEN 'Account ' || substr(account_id, 2) END, "
        f"account_id, {pick(COUNTRIES, 'i', 15)}, 'Web form', 'organic', "
        f"TIMESTAMP '{stamp}' - to_seconds(CAST(floor({u('i', 16)} * 400 * 86400) AS BIGINT)) "
        f"FROM (SELECT i, 'L' || lpad(CAST(i AS VARCHAR), 8, '0') AS lead_id, {title_i} AS ti, "
        f"{domain} AS domain, CASE WHEN {kind} >= 0.082 THEN 'A' || "
        f"lpad(CAST(hash(i, {SEED}, 14) % {scale.accounts} AS VARCHAR), 7, '0') END AS account_id "
        f"FROM range({scale.leads}) AS t(i)) AS s"
    )
    # Busy leads: lead number = n * u^2 puts more activity on low-numbered leads.
    lead_no = f"CAST(floor(pow({u('i', 20)}, 2) * {scale.leads}) AS BIGINT)"
    age = f"CAST(floor(pow({u('i', 21)}, 1.5) * 365 * 86400) AS BIGINT)"
    content = f"'C' || lpad(CAST(hash(i, {SEED}, 23) % {scale.content} AS VARCHAR), 4, '0')"
    engine.execute(
        "INSERT INTO activities (source, source_event_id, lead_id, activity_type, occurred_at, "
        "url, content_id, campaign_id, value, ingested_at) SELECT 'bench', CAST(i AS VARCHAR), "
        f"'L' || lpad(CAST({lead_no} AS VARCHAR), 8, '0'), activity_type, "
        f"TIMESTAMP '{stamp}' - to_seconds({age}), "
        f"CASE WHEN activity_type = 'page_view' THEN {pick(URLS, 'i', 22)} END, "
        f"CASE WHEN activity_type IN ('content_download', 'webinar_registered', "
        f"'webinar_attended') THEN {content} END, NULL, NULL, TIMESTAMP '{stamp}' "
        f"FROM (SELECT i, {_activity_case('i')} AS activity_type "
        f"FROM range({scale.activities}) AS t(i)) AS s"
    )
