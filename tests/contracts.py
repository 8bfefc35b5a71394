"""Contracts shared by test areas (the CLI and API worlds build on the same small one)."""

from __future__ import annotations

SMALL_CONTRACT = """\
contract: small-test
fit:
  rules:
    - {name: software, field: account.industry, in: [software], points: 30}
    - {name: senior, field: lead.seniority, in: [vp, c_level, director], points: 30}
  grades: {A: 60, B: 30, C: 10}
behaviour:
  half_life_days: 30
  rules:
    - {name: demo request, activity: demo_request, points: 40}
    - name: pricing page
      activity: page_view
      url_matches: "^/pricing"
      points: 10
      cap: {points: 20, per_days: 7}
    - {name: page view, activity: page_view, points: 1, cap: {points: 5, per_days: 7}}
  triggers:
    - {name: demo request, activity: demo_request, min_grade: B, within_days: 30}
exclude:
  competitor_domains: [rival.example]
  free_mail_without_company: true
stages:
  mql: {min_grade: B, min_score: 25}
"""
