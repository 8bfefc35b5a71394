"""The dashboard in real headless Chromium on a demo workspace: every page, every figure."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest

from leadline.api.keys import revoke_key
from leadline.web.render import raw
from leadline.web.session import PAGES

from .conftest import Dashboard, Tab, shoot, sign_in


def check_clean(tab: Tab, dashboard: Dashboard) -> None:
    assert tab.errors == [], tab.errors
    outside = [u for u in tab.requests if not u.startswith((dashboard.url, "data:"))]
    assert outside == [], f"the dashboard must not reach beyond its server: {outside}"


@pytest.mark.parametrize("page", [p.name for p in PAGES])
def test_every_page_loads_without_console_errors(
    demo_dashboard: Dashboard, tab: Tab, page: str
) -> None:
    info = next(p for p in PAGES if p.name == page)
    sign_in(tab, demo_dashboard, "admin")
    response = tab.page.goto(demo_dashboard.url + info.path)
    assert response is not None and response.status == 200
    assert tab.page.locator("h1").inner_text() == info.title
    assert tab.page.locator("header nav a.on").inner_text() == info.title
    # charts are drawn on the server: SVG, with a title for screen readers
    if page != "leads":
        assert tab.page.locator("svg.chart title").count() >= 1
    shoot(tab, page, docs=page == "overview")
    check_clean(tab, demo_dashboard)


def api_document(dashboard: Dashboard, report: str, query: str) -> dict[str, Any]:
    with dashboard.api("admin") as http:
        response = http.get(f"/api/v1/reports/{report}", params=parse_qsl(query))
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()
    return document


def shown_figures(tab: Tab) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    tables = tab.page.eval_on_selector_all(
        "table.data[data-report]",
        """els => els.map(t => ({
            report: t.dataset.report, table: t.dataset.table, query: t.dataset.query,
            rows: [...t.querySelectorAll('tbody tr')].filter(r => r.querySelector('td[data-col]'))
                  .map(r => Object.fromEntries([...r.querySelectorAll('td[data-col]')]
                        .map(c => [c.dataset.col, c.dataset.value])))
        }))""",
    )
    kpis = tab.page.eval_on_selector_all(
        ".kpi[data-report]",
        """els => els.map(k => ({report: k.dataset.report, query: k.dataset.query,
                                 key: k.dataset.key, value: k.dataset.value}))""",
    )
    return tables, kpis


@pytest.mark.parametrize(
    "path",
    [
        "/dashboard/",
        "/dashboard/channels",
        "/dashboard/channels?by=campaign&model=linear&content=1",
        "/dashboard/funnel?from=2026-03-01&to=2026-08-31",
        "/dashboard/reasons?by=channel",
        "/dashboard/sla",
        "/dashboard/scoring?outcome=won",
    ],
)
def test_the_figures_shown_equal_the_apis(demo_dashboard: Dashboard, tab: Tab, path: str) -> None:
    sign_in(tab, demo_dashboard, "admin")
    tab.page.goto(demo_dashboard.url + path)
    tables, kpis = shown_figures(tab)
    assert tables and kpis
    documents: dict[tuple[str, str], dict[str, Any]] = {}
    compared = 0
    for item in [*tables, *kpis]:
        key = (item["report"], item["query"])
        if key not in documents:
            documents[key] = api_document(demo_dashboard, *key)
    for table in tables:
        api_rows = documents[(table["report"], table["query"])]["tables"][table["table"]]
        assert len(table["rows"]) <= len(api_rows)
        for shown, expected in zip(table["rows"], api_rows, strict=False):
            for column, value in shown.items():
                assert value == raw(expected[column]), (table["report"], column)
                compared += 1
    for kpi in kpis:
        summary = documents[(kpi["report"], kpi["query"])]["summary"]
        assert kpi["value"] == raw(summary[kpi["key"]]), (kpi["report"], kpi["key"])
        compared += 1
    assert compared > 20
    check_clean(tab, demo_dashboard)


def kpi(tab: Tab, report: str, key: str) -> str:
    value: str = tab.page.locator(
        f'.kpi[data-report="{report}"][data-key="{key}"]'
    ).first.get_attribute("data-value")
    return value


def test_changing_a_filter_changes_the_figures(demo_dashboard: Dashboard, tab: Tab) -> None:
    sign_in(tab, demo_dashboard)
    tab.page.goto(demo_dashboard.url + "/dashboard/")
    leads_all, revenue_all = kpi(tab, "funnel", "leads"), kpi(tab, "funnel", "won_revenue")
    # choosing a channel submits the filter form by itself (leadline.js)
    with tab.page.expect_navigation():
        tab.page.select_option("select[name=channel]", "webinar")
    assert "channel=webinar" in tab.page.url
    leads_webinar = kpi(tab, "funnel", "leads")
    assert int(leads_webinar) < int(leads_all)
    assert kpi(tab, "funnel", "won_revenue") != revenue_all
    with demo_dashboard.api() as http:
        expected = http.get("/api/v1/reports/funnel", params={"channel": "webinar"}).json()
    assert int(leads_webinar) == expected["summary"]["leads"]
    # the date window narrows it further, and the filters travel with the menu
    tab.page.fill("input[name=from]", "2026-06-01")
    with tab.page.expect_navigation():
        tab.page.click("form.filters button[type=submit]")
    assert int(kpi(tab, "funnel", "leads")) < int(leads_webinar)
    href = tab.page.locator("header nav a", has_text="Funnel").get_attribute("href")
    assert "channel=webinar" in href and "from=2026-06-01" in href
    check_clean(tab, demo_dashboard)


def test_a_lead_opens_from_the_list(demo_dashboard: Dashboard, tab: Tab) -> None:
    sign_in(tab, demo_dashboard, "sales")
    assert tab.page.url.endswith("/dashboard/leads")  # sales lands on the leads
    rows = tab.page.locator("table.leads tbody tr[data-lead]")
    assert rows.count() == 50
    first = rows.first.get_attribute("data-lead")
    prios = [r.inner_text() for r in tab.page.locator("table.leads .prio").all()[:10]]
    assert prios[0] in ("A1", "B1") and prios == sorted(prios, key=lambda p: (p[1], p[0]))
    # the explanation panel, without leaving the list
    with tab.page.expect_navigation():
        rows.first.locator("a.explain").click()
    panel = tab.page.locator("aside.panel")
    assert panel.is_visible()
    assert panel.locator("table tbody tr").count() >= 1
    assert "MQL" in panel.locator(".verdict").first.inner_text()
    shoot(tab, "leads-panel")
    # and the lead page itself
    with tab.page.expect_navigation():
        panel.locator("a.button", has_text="Open lead").click()
    assert tab.page.url.endswith(f"/dashboard/leads/{first}")
    assert tab.page.locator('[data-field="lead_id"]').inner_text() == first
    assert tab.page.locator('table[data-table="parts"] tbody tr').count() >= 1
    assert tab.page.locator("ol.timeline li").count() >= 1
    assert tab.page.locator('table[data-table="history"] tbody tr').count() >= 1
    with demo_dashboard.api("sales") as http:
        lead = http.get(f"/api/v1/leads/{first}").json()
    shown_stage = tab.page.locator('[data-field="stage"]').inner_text()
    assert shown_stage == lead["stage"]
    shoot(tab, "lead", docs=True)
    check_clean(tab, demo_dashboard)


def test_sign_in_keeps_the_key_in_an_httponly_cookie(demo_dashboard: Dashboard, tab: Tab) -> None:
    page = tab.page
    page.goto(demo_dashboard.url + "/dashboard/funnel?channel=email")
    assert "/dashboard/login" in page.url  # not signed in yet
    page.fill("input[name=key]", "ll_nope_nope")
    page.click("form button[type=submit]")
    assert "unknown API key" in page.locator("[role=alert]").inner_text()
    page.fill("input[name=key]", demo_dashboard.tokens["marketing"])
    with page.expect_navigation():
        page.click("form button[type=submit]")
    assert page.url.endswith("/dashboard/funnel?channel=email")  # back where we were going
    cookie = next(c for c in page.context.cookies() if c["name"] == "leadline_key")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert cookie["path"] == "/dashboard"
    assert page.evaluate("document.cookie") == ""  # scripts cannot read it
    # the API stays Bearer-only: the cookie opens no API call
    plain = httpx.get(
        demo_dashboard.url + "/api/v1/reports/funnel", cookies={"leadline_key": cookie["value"]}
    )
    assert plain.status_code == 401
    with page.expect_navigation():
        page.click("header .who button")
    assert "/dashboard/login" in page.url
    assert not [c for c in page.context.cookies() if c["name"] == "leadline_key"]
    check_clean(tab, demo_dashboard)


def test_roles_and_revoked_keys(demo_dashboard: Dashboard, tab: Tab) -> None:
    from leadline.api.keys import create_key

    sign_in(tab, demo_dashboard, "sales")
    nav = [a.inner_text() for a in tab.page.locator("header nav a").all()]
    assert nav == ["Leads", "SLA"]
    response = tab.page.goto(demo_dashboard.url + "/dashboard/channels")
    assert response is not None and response.status == 403
    # a key revoked while its browser is signed in is signed out at the next page
    key, token = create_key(demo_dashboard.ll.engine, "marketing", "short-lived")
    tab.page.goto(demo_dashboard.url + "/dashboard/login")
    tab.page.fill("input[name=key]", token)
    with tab.page.expect_navigation():
        tab.page.click("form button[type=submit]")
    assert tab.page.locator("h1").inner_text() == "Overview"
    revoke_key(demo_dashboard.ll.engine, key.key_id)
    tab.page.goto(demo_dashboard.url + "/dashboard/funnel")
    assert "/dashboard/login" in tab.page.url
