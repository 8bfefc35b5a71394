"""The post-contact guard finds every field a contract names, combined rules included."""

from __future__ import annotations

from leadline.contract import guard
from leadline.contract.loader import load_contract_text

TEXT = """\
contract: t
fit:
  grades: {A: 10, B: 5, C: 1}
  rules:
    - {field: lead.seniority, in: [vp], points: 5}
    - field: account.industry
      in: [software]
      and:
        - {field: lead.attributes.tags, equals: hot}
      points: 5
    - field: lead.title
      missing: true
      or: [{field: lead.attributes.lead_quality, equals: x}]
      points: 1
exclude:
  rules:
    - {field: lead.title, matches: student, reason: student}
stages: {mql: {min_score: 5}}
"""


def test_every_condition_of_every_rule_is_a_reference() -> None:
    refs = guard.field_references(load_contract_text(TEXT, filename="leadline.yaml"))
    assert refs == [
        (("fit", "rules", 0, "field"), "lead.seniority"),
        (("fit", "rules", 1, "field"), "account.industry"),
        (("fit", "rules", 1, "and", 0, "field"), "lead.attributes.tags"),
        (("fit", "rules", 2, "field"), "lead.title"),
        (("fit", "rules", 2, "or", 0, "field"), "lead.attributes.lead_quality"),
        (("exclude", "rules", 0, "field"), "lead.title"),
    ]


def test_a_post_contact_field_inside_a_combined_rule_is_refused_where_it_is_written() -> None:
    loaded = load_contract_text(TEXT, filename="leadline.yaml")
    problems = guard.post_contact_problems(
        loaded, {("leads", "tags"): "x-education", ("leads", "lead_quality"): None}
    )
    shown = [str(p) for p in problems]
    assert len(shown) == 2
    assert shown[0].startswith(":9:19: fit.rules[1].and[0].field: lead.attributes.tags", 10)
    assert "declared by mapping 'x-education'" in shown[0]
    assert shown[1].startswith(":13:20: fit.rules[2].or[0].field: lead.attributes.lead_quality", 10)
