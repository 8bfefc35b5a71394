"""The contract's schema: what marketing and sales agree on, as pydantic models.

Every model forbids unknown keys, so a typo in the YAML is an error with a
line number rather than a silently ignored rule.  Field descriptions are
written for the people who edit the contract; ``docs/contract.md`` is
generated from them (``python -m leadline.contract.docgen``).
"""

from __future__ import annotations

import re
from typing import Annotated, ClassVar, Literal, cast

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

STAGES: tuple[str, ...] = (
    "lead",
    "mql",
    "sal",
    "sql",
    "opportunity",
    "won",
    "lost",
    "rejected",
    "recycled",
    "disqualified",
)
Stage = Literal[
    "lead",
    "mql",
    "sal",
    "sql",
    "opportunity",
    "won",
    "lost",
    "rejected",
    "recycled",
    "disqualified",
]
Grade = Literal["A", "B", "C", "D"]
JourneyStage = Literal["problem", "solution", "product"]
JOURNEY_STAGES: tuple[str, ...] = ("problem", "solution", "product")

# Fields a rule may test.  ``lead.attributes.<key>`` and
# ``account.attributes.<key>`` reach custom columns kept by an import mapping;
# post-contact columns are stored apart and can never be referenced.
LEAD_FIELDS: dict[str, str] = {
    "lead.email": "text",
    "lead.email_domain": "text",
    "lead.is_free_mail": "bool",
    "lead.first_name": "text",
    "lead.last_name": "text",
    "lead.title": "text",
    "lead.seniority": "text",
    "lead.department": "text",
    "lead.company": "text",
    "lead.country": "text",
    "lead.lead_source": "text",
    "lead.channel": "text",
    "lead.campaign_id": "text",
}
ACCOUNT_FIELDS: dict[str, str] = {
    "account.name": "text",
    "account.domain": "text",
    "account.industry": "text",
    "account.employees": "number",
    "account.annual_revenue": "number",
    "account.country": "text",
    "account.region": "text",
    "account.owner": "text",
    "account.has_owner": "bool",
}
KNOWN_FIELDS: dict[str, str] = {**LEAD_FIELDS, **ACCOUNT_FIELDS}
ATTRIBUTE_FIELD = re.compile(r"^(lead|account)\.attributes\.[A-Za-z0-9_]+$")

ACTIVITY_TYPES: tuple[str, ...] = (
    "page_view",
    "form_fill",
    "content_download",
    "webinar_registered",
    "webinar_attended",
    "event_badge_scan",
    "email_open",
    "email_click",
    "email_unsubscribe",
    "email_bounce",
    "demo_request",
    "pricing_request",
    "contact_sales",
    "chat",
    "trial_signup",
    "site_visit_summary",
)


# Typed default factories (mypy cannot infer Literal element types from a lambda).
def _journey_stages() -> list[JourneyStage]:
    return ["problem", "solution", "product"]


def _stage_points() -> dict[JourneyStage, float]:
    return {"problem": 3.0, "solution": 6.0, "product": 10.0}


def _sql_requires() -> list[Literal["budget", "authority", "need", "timeline"]]:
    return ["budget", "authority", "need", "timeline"]


def _default_transitions() -> dict[Stage, list[Stage]]:
    return cast("dict[Stage, list[Stage]]", {k: list(v) for k, v in DEFAULT_TRANSITIONS.items()})


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Condition(Model):
    """A test on one lead or account field.  Exactly one operator is given."""

    field: str = Field(
        description="What to test: `lead.<field>`, `account.<field>`, or "
        "`lead.attributes.<key>` / `account.attributes.<key>` for custom columns."
    )
    in_: list[str | int | float | bool] | None = Field(
        None, alias="in", description="Matches when the value is one of these (case-insensitive)."
    )
    not_in: list[str | int | float | bool] | None = Field(
        None, description="Matches when the value is present and not one of these."
    )
    between: tuple[float, float] | None = Field(
        None, description="Matches when `low <= value <= high` (numbers)."
    )
    at_least: float | None = Field(None, description="Matches when `value >= at_least`.")
    at_most: float | None = Field(None, description="Matches when `value <= at_most`.")
    matches: str | None = Field(
        None, description="Matches when the value matches this regular expression (RE2 syntax)."
    )
    equals: str | int | float | bool | None = Field(
        None, description="Matches when the value equals this (text compares case-insensitively)."
    )
    missing: bool | None = Field(
        None, description="`true`: matches when the value is missing; `false`: when present."
    )

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    OPERATORS: ClassVar[tuple[str, ...]] = (
        "in_",
        "not_in",
        "between",
        "at_least",
        "at_most",
        "matches",
        "equals",
        "missing",
    )

    @model_validator(mode="after")
    def _one_operator(self) -> Condition:
        given = [op for op in self.OPERATORS if getattr(self, op) is not None]
        if len(given) != 1:
            names = ", ".join(op.rstrip("_") for op in self.OPERATORS)
            raise ValueError(f"give exactly one of {names} (found {len(given) or 'none'})")
        return self

    @field_validator("field")
    @classmethod
    def _known_field(cls, value: str) -> str:
        if value not in KNOWN_FIELDS and not ATTRIBUTE_FIELD.match(value):
            raise ValueError(
                f"unknown field {value!r}; use one of {', '.join(sorted(KNOWN_FIELDS))} "
                "or lead.attributes.<key> / account.attributes.<key>"
            )
        return value

    @field_validator("matches")
    @classmethod
    def _valid_regex(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as err:
                raise ValueError(f"invalid regular expression: {err}") from err
        return value

    @property
    def operator(self) -> str:
        return next(op for op in self.OPERATORS if getattr(self, op) is not None).rstrip("_")


class FitRule(Condition):
    """A fit rule: when the condition holds, the lead earns ``points``."""

    name: str | None = Field(None, description="Label shown in explanations; derived if omitted.")
    points: float = Field(description="Points added (negative to subtract) when the rule matches.")


class Grades(Model):
    """Minimum fit points for each grade; below ``C`` a lead is ``D``."""

    A: float = Field(description="Minimum fit points for grade A (best fit).")
    B: float = Field(description="Minimum fit points for grade B.")
    C: float = Field(description="Minimum fit points for grade C; below is D.")

    @model_validator(mode="after")
    def _descending(self) -> Grades:
        if not (self.A >= self.B >= self.C):
            raise ValueError("grade cut-offs must satisfy A >= B >= C")
        return self


class Fit(Model):
    """Who we sell to: firmographic and demographic rules, summed into a grade."""

    rules: list[FitRule] = Field(
        default_factory=list, description="Fit rules; every rule that matches adds its points."
    )
    grades: Grades = Field(description="Minimum points per grade.")


class Cap(Model):
    """At most ``points`` from one rule in any window of ``per_days`` days."""

    points: float = Field(gt=0, description="Most points the rule can add per window.")
    per_days: float = Field(gt=0, description="Window length in days.")


class ActivityMatch(Model):
    """Which activities a behaviour rule, trigger or exclusion signal applies to."""

    activity: str | list[str] = Field(
        description="Activity type(s), e.g. `page_view`, `demo_request`, `content_download`."
    )
    url_matches: str | None = Field(None, description="Regex the activity's URL must match.")
    topics: list[str] | None = Field(
        None, description="Only activities on content tagged with one of these topics."
    )
    journey_stage: JourneyStage | None = Field(
        None, description="Only activities on content at this buying-journey stage."
    )

    @field_validator("activity")
    @classmethod
    def _known_activity(cls, value: str | list[str]) -> str | list[str]:
        for item in [value] if isinstance(value, str) else value:
            if item not in ACTIVITY_TYPES:
                raise ValueError(
                    f"unknown activity type {item!r}; use one of {', '.join(ACTIVITY_TYPES)}"
                )
        return value

    @field_validator("url_matches")
    @classmethod
    def _valid_regex(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as err:
                raise ValueError(f"invalid regular expression: {err}") from err
        return value

    @property
    def activities(self) -> list[str]:
        return [self.activity] if isinstance(self.activity, str) else list(self.activity)


class BehaviourRule(ActivityMatch):
    """Points for what a lead does.  The first rule that matches an activity wins."""

    name: str = Field(description="Rule name, shown in explanations and reports.")
    points: float = Field(description="Points per matching activity (negative for bad signals).")
    cap: Cap | None = Field(None, description="Limit on points from this rule per window.")
    decay: bool = Field(
        True, description="Apply the recency half-life (false: counts fully until lookback ends)."
    )
    value_per_point: float | None = Field(
        None,
        description="For summary activities carrying a number (e.g. minutes on site): "
        "points = points × value / value_per_point.",
    )


class Trigger(ActivityMatch):
    """A hand-raiser: qualifies the lead immediately when its fit is good enough."""

    name: str = Field(description="Trigger name, shown in explanations and handoff briefs.")
    min_grade: Grade = Field("B", description="Worst fit grade that still qualifies.")
    within_days: float = Field(30, gt=0, description="How recent the hand-raise must be.")


class Behaviour(Model):
    """Engagement: points for activities, with recency decay and caps."""

    half_life_days: float = Field(30, gt=0, description="Points halve every N days.")
    lookback_days: float = Field(365, gt=0, description="Older activities are ignored.")
    rules: list[BehaviourRule] = Field(
        default_factory=list, description="Behaviour rules, in order; the first match wins."
    )
    triggers: list[Trigger] = Field(
        default_factory=list, description="Hand-raiser activities that qualify at once."
    )


class JourneyBonus(Model):
    """Bonus for moving through the buying journey on one topic, in order, within a window."""

    points: float = Field(description="Bonus points when the journey is completed.")
    stages: list[JourneyStage] = Field(
        default_factory=_journey_stages, description="Journey stages to pass through, in order."
    )
    within_days: float = Field(21, gt=0, description="Window the whole journey must fit in.")


class Intent(Model):
    """Topic intent: which tracked topics a lead researches, and how far along."""

    topics: list[str] = Field(
        default_factory=list, description="Topics that count; empty means every topic."
    )
    stage_points: dict[JourneyStage, float] = Field(
        default_factory=_stage_points,
        description="Points per (topic, journey stage) reached within the lookback.",
    )
    journey_bonus: JourneyBonus | None = Field(
        None, description="Bonus for moving through the journey on one topic."
    )
    lookback_days: float = Field(90, gt=0, description="Older topic evidence is ignored.")


class ExclusionRule(Condition):
    """Never qualify a lead that matches; the reason code is recorded."""

    reason: str = Field(description="Reason code, e.g. `student`, `test_record`, `competitor`.")


class ActivitySignal(ActivityMatch):
    """Exclude a lead whose behaviour says it is not a buyer (e.g. job seekers)."""

    reason: str = Field(description="Reason code recorded for the exclusion (snake_case).")
    min_count: int = Field(1, ge=1, description="How many matching activities it takes.")


class Exclusions(Model):
    """Who is never an MQL, whatever they do."""

    competitor_domains: list[str] = Field(
        default_factory=list, description="Email/account domains of competitors; never MQLs."
    )
    free_mail_without_company: bool = Field(
        True, description="Exclude free-mail addresses (gmail.com…) with no company or account."
    )
    rules: list[ExclusionRule] = Field(
        default_factory=list, description="Field conditions that exclude a lead."
    )
    activity_signals: list[ActivitySignal] = Field(
        default_factory=list, description="Behaviour that excludes a lead (e.g. job seekers)."
    )


class MqlCriteria(Model):
    min_grade: Grade = Field("B", description="Worst fit grade that can become an MQL.")
    min_score: float = Field(
        description="Minimum score (engagement + intent) for a lead of good enough fit."
    )


class MqaCriteria(Model):
    """When an account becomes a marketing qualified account."""

    min_engaged_contacts: int = Field(3, ge=1, description="Engaged contacts the account needs.")
    engaged_contact_score: float = Field(
        10, description="A contact counts as engaged at this score or above."
    )
    min_account_score: float = Field(
        description="Sum of the account's contacts' scores plus account-level intent."
    )


class SqlCriteria(Model):
    requires: list[Literal["budget", "authority", "need", "timeline"]] = Field(
        default_factory=_sql_requires, description="BANT items sales must confirm for an SQL."
    )


class Recycle(Model):
    reasons: list[str] = Field(
        default_factory=lambda: ["not_now", "no_budget"],
        description="Reject reasons that send a lead back to nurture.",
    )
    cooldown_days: float = Field(45, ge=0, description="Days before a recycled lead can requalify.")


DEFAULT_TRANSITIONS: dict[str, list[str]] = {
    "lead": ["mql", "disqualified"],
    "mql": ["sal", "rejected", "recycled", "disqualified"],
    "sal": ["sql", "rejected", "recycled"],
    "sql": ["opportunity", "recycled", "rejected"],
    "opportunity": ["won", "lost"],
    "won": [],
    "lost": ["recycled"],
    "rejected": ["recycled", "lead"],
    "recycled": ["mql", "disqualified"],
    "disqualified": ["lead"],
}


class Stages(Model):
    mql: MqlCriteria = Field(description="When a lead becomes a marketing qualified lead.")
    mqa: MqaCriteria | None = Field(None, description="When an account becomes an MQA.")
    sql: SqlCriteria = Field(
        default_factory=SqlCriteria, description="What sales must confirm for an SQL."
    )
    transitions: dict[Stage, list[Stage]] = Field(
        default_factory=_default_transitions,
        description="Allowed moves, from stage to stages.",
    )
    reject_reasons: list[str] = Field(
        default_factory=lambda: [
            "bad_fit",
            "no_intent",
            "student",
            "competitor",
            "duplicate",
            "not_now",
            "no_budget",
            "unreachable",
        ],
        description="Reason codes sales may give when rejecting an MQL (snake_case).",
    )
    recycle: Recycle = Field(
        default_factory=Recycle, description="Which rejections recycle, and the cooldown."
    )


class Priority(Model):
    """Priority = grade letter + tier: 1 hand-raiser, 2 MQL score, 3 warm, 4 cold."""

    warm_score: float | None = Field(
        None, description="Score for tier 3 (warm); default half the MQL score."
    )


class Owners(Model):
    marketing: str | None = Field(None, description="Who owns the contract in marketing.")
    sales: str | None = Field(None, description="Who owns the contract in sales.")


class Contract(Model):
    """The whole agreement.  Its version is the hash of the normalised document."""

    contract: str = Field(description="Name of the contract.")
    description: str | None = Field(None, description="What this contract is for.")
    owners: Owners | None = Field(None, description="Who signs off changes on each side.")
    fit: Fit = Field(description="Who we sell to, as a fit grade A–D.")
    behaviour: Behaviour = Field(
        default_factory=Behaviour, description="Engagement points for what leads do."
    )
    intent: Intent | None = Field(None, description="Topic research and journey progress.")
    exclude: Exclusions = Field(default_factory=Exclusions, description="Who is never an MQL.")
    stages: Stages = Field(description="Stage criteria, transitions and reason codes.")
    priority: Priority = Field(
        default_factory=Priority, description="How MQLs are tiered for SLA and routing."
    )
    # Sections owned by later parts of the system; validated loosely for now.
    routing: list[dict[str, object]] | None = Field(
        None, description="Assignment rules (validated by the routing module)."
    )
    nurture: dict[str, object] | None = Field(None, description="Nurture settings.")
    sla: dict[str, object] | None = Field(
        None, description="Service levels (validated by the SLA module)."
    )


Points = Annotated[float, Field()]
