"""Normalisers, table-driven, each row run through DuckDB."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import duckdb
import pytest

from leadline.ingest import normalize as N


@pytest.fixture(scope="module")
def conn() -> duckdb.DuckDBPyConnection:
    c = duckdb.connect()
    c.execute(N.country_table_sql())
    return c


def run(conn: duckdb.DuckDBPyConnection, fn: Callable[[str], str], value: Any) -> Any:
    return conn.execute(f"SELECT {fn(N.clean('CAST($1 AS VARCHAR)'))}", [value]).fetchall()[0][0]


CASES: list[tuple[str, Callable[[str], str], Any, Any]] = [
    # placeholders and trimming
    ("placeholder Select", lambda e: e, "Select", None),
    ("placeholder select lower", lambda e: e, " select ", None),
    ("placeholder N/A", lambda e: e, "N/A", None),
    ("placeholder NA", lambda e: e, "NA", None),
    ("placeholder dash", lambda e: e, "-", None),
    ("empty", lambda e: e, "", None),
    ("whitespace", lambda e: e, " \t ", None),
    ("trim", lambda e: e, "  Google  ", "Google"),
    # emails and domains
    ("email lower", N.email, " Ann@Acme.COM ", "ann@acme.com"),
    ("email domain", lambda e: N.email_domain(N.email(e)), "Bo@Example.org", "example.org"),
    ("free mail gmail", lambda e: N.is_free_mail(N.email_domain(N.email(e))), "x@GMAIL.com", True),
    ("free mail corp", lambda e: N.is_free_mail(N.email_domain(N.email(e))), "x@acme.com", False),
    ("domain from url", N.domain, "https://www.Acme.com/about?x=1", "acme.com"),
    ("domain bare", N.domain, "sub.acme.io", "sub.acme.io"),
    # casing of codes
    ("code", N.code, "Email Opened", "email_opened"),
    ("code punctuation", N.code, " Demo-Request! ", "demo_request"),
    ("category key", N.category_key, "Google", "google"),
    # titles -> seniority
    ("ceo", N.seniority, "CEO", "c_level"),
    ("chief", N.seniority, "Chief Marketing Officer", "c_level"),
    ("vp", N.seniority, "VP of Sales", "vp"),
    ("vice president", N.seniority, "Vice President, Engineering", "vp"),
    ("director", N.seniority, "Director of IT", "director"),
    ("head of", N.seniority, "Head of Growth", "director"),
    ("managing director", N.seniority, "Managing Director", "c_level"),
    ("manager", N.seniority, "Marketing Manager", "manager"),
    ("individual", N.seniority, "Data Analyst", "individual"),
    ("student", N.seniority, "Student", "student"),
    ("intern", N.seniority, "Marketing Intern", "student"),
    ("no title", N.seniority, "Select", None),
    # titles -> department
    ("cmo", N.department, "CMO", "marketing"),
    ("sales", N.department, "Account Executive", "sales"),
    ("engineering", N.department, "Senior Software Engineer", "engineering"),
    ("it", N.department, "IT Manager", "it"),
    ("finance", N.department, "CFO", "finance"),
    ("operations", N.department, "COO", "operations"),
    ("hr", N.department, "Talent Acquisition Lead", "hr"),
    ("executive", N.department, "Founder & CEO", "executive"),
    ("other", N.department, "Student", "other"),
    # countries
    ("country name", N.country, "India", "IN"),
    ("country alpha2", N.country, "de", "DE"),
    ("country alpha3", N.country, "FRA", "FR"),
    ("country USA", N.country, "USA", "US"),
    ("country United States", N.country, "United States", "US"),
    ("country UK", N.country, "UK", "GB"),
    ("country accents", N.country, "Côte d'Ivoire", "CI"),
    ("country misspelt", N.country, "Philipines", "PH"),
    ("country unknown", N.country, "unknown", None),
    ("country region", N.country, "Asia/Pacific Region", None),
    # numbers, booleans, timestamps
    ("number", N.number, "1,234.5", 1234.5),
    ("number bad", N.number, "abc", None),
    ("int", N.integer, "12.0", 12),
    ("int fractional", N.integer, "12.5", None),
    ("bool yes", N.boolean, "Yes", True),
    ("bool 0", N.boolean, "0", False),
    ("bool bad", N.boolean, "maybe", None),
    ("ts iso", N.timestamp, "2024-03-01T10:00:00", datetime(2024, 3, 1, 10)),
    ("ts Z", N.timestamp, "2024-03-01T10:00:00Z", datetime(2024, 3, 1, 10)),
    ("ts offset", N.timestamp, "2024-03-01 10:00:00+02:00", datetime(2024, 3, 1, 8)),
    ("ts date", N.timestamp, "2016-10-20", datetime(2016, 10, 20)),
    ("ts bad", N.timestamp, "yesterday", None),
    ("topics", N.topic_list, "Data-Quality| pricing ||", ["data-quality", "pricing"]),
]


@pytest.mark.parametrize(("name", "fn", "value", "expected"), CASES, ids=[c[0] for c in CASES])
def test_normaliser(
    conn: duckdb.DuckDBPyConnection,
    name: str,
    fn: Callable[[str], str],
    value: Any,
    expected: Any,
) -> None:
    assert run(conn, fn, value) == expected


def test_date_format_override(conn: duckdb.DuckDBPyConnection) -> None:
    sql = N.timestamp("$1", "%d/%m/%Y")
    assert conn.execute(f"SELECT {sql}", ["20/10/2016"]).fetchall()[0][0] == datetime(2016, 10, 20)


@pytest.mark.parametrize(
    ("header", "key"),
    [
        ("Lead Origin", "lead_origin"),
        ("What is your current occupation?", "what_is_your_current_occupation"),
        ("  X--Y ", "x_y"),
    ],
)
def test_snake(header: str, key: str) -> None:
    assert N.snake(header) == key


def test_every_seniority_and_department_is_declared() -> None:
    assert {v for v, _ in N.SENIORITY_RULES} <= set(N.SENIORITIES)
    assert {v for v, _ in N.DEPARTMENT_RULES} <= set(N.DEPARTMENTS)
