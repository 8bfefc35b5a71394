"""What counts as personal, and how a value is scrubbed of a person."""

from __future__ import annotations

import json

import pytest

from leadline.privacy.catalog import Catalog, Person, personal_key
from leadline.store.duckdb import DuckDBEngine


@pytest.mark.parametrize(
    ("key", "personal"),
    [
        ("first_name", True),
        ("First Name", True),
        ("lastName", True),
        ("name", True),
        ("email", True),
        ("E-Mail", True),
        ("phone", True),
        ("mobile_number", True),
        ("street_address", True),
        ("zip", True),
        ("linkedin_url", True),
        ("sales_notes", True),
        ("comment", True),
        ("ip", True),
        ("form_name", False),
        ("campaign_name", False),
        ("email_campaign", False),
        ("city", False),
        ("tier", False),
        ("zipper_color", False),
    ],
)
def test_personal_keys(key: str, personal: bool) -> None:
    assert personal_key(key) is personal


PERSON = Person("ann@acme.example", ("Ann Archer",))


@pytest.mark.parametrize(
    ("text", "is_json", "expected"),
    [
        ("/contact?e=ANN@acme.example&x=1", False, "/contact?e=[forgotten]&x=1"),
        ("Call Ann Archer today", False, "Call [forgotten] today"),
        ("Annie Archerson called", False, "Annie Archerson called"),
        (
            '{"first_name": "Ann", "form": "demo", "msg": "from ann@acme.example"}',
            True,
            {"form": "demo", "msg": "from [forgotten]"},
        ),
        ('{"rows": [{"Email": "x"}, {"tier": 2}]}', True, {"rows": [{}, {"tier": 2}]}),
        ("not json but ann@acme.example", True, "not json but [forgotten]"),
    ],
)
def test_scrub(text: str, is_json: bool, expected: object) -> None:
    out = PERSON.scrub(text, is_json)
    assert out is not None
    if isinstance(expected, dict):
        assert json.loads(out) == expected
    else:
        assert out == expected


def test_the_catalog_finds_every_table_about_leads_from_the_schema(engine: DuckDBEngine) -> None:
    engine.execute("CREATE TABLE extra_notes (lead_id VARCHAR, body VARCHAR, n INTEGER)")
    catalog = Catalog.read(engine)
    assert {"leads", "activities", "dispositions", "stage_history", "extra_notes"} <= set(
        catalog.lead_tables
    )
    assert "quarantine" not in catalog.lead_tables  # searched by address instead
    columns = {c.name: c.is_json for c in catalog.lead_tables["leads"]}
    assert columns["attributes"] is True and columns["email"] is False
    assert "lead_id" not in columns and "account_id" not in columns
    assert [c.name for c in catalog.lead_tables["extra_notes"]] == ["body"]
