"""The contract's schema: what marketing and sales agree on, as pydantic models.

Every model forbids unknown keys, so a typo in the YAML is an error with a
line number rather than a silently ignored rule.  Field descriptions are
written for the people who edit the contract; ``docs/contract.md`` is
generated from them (``python -m leadline.contract.docgen``).
"""

from __future__ import annotations

import re
from datetime import date
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
    """A fit rule: when the condition holds, the lead earns ``points``.

    ``and`` / ``or`` combine more conditions in one rule, for a profile that only
    counts together ("software companies of 200-5,000 people"): separate rules
    would add their points even when only one of them holds.
    """

    name: str | None = Field(None, description="Label shown in explanations; derived if omitted.")
    points: float = Field(description="Points added (negative to subtract) when the rule matches.")
    and_: list[Condition] | None = Field(
        None,
        alias="and",
        description="More conditions that must ALL hold as well (e.g. industry and size).",
    )
    or_: list[Condition] | None = Field(
        None,
        alias="or",
        description="Other conditions: the rule matches when its own condition OR any of "
        "these holds. Not together with `and`.",
    )

    @model_validator(mode="after")
    def _one_combination(self) -> FitRule:
        if self.and_ is not None and self.or_ is not None:
            raise ValueError("give 'and' or 'or', not both: write two rules instead")
        if self.and_ == [] or self.or_ == []:
            raise ValueError("'and' / 'or' needs at least one condition")
        return self

    @property
    def combined(self) -> tuple[str, list[Condition]] | None:
        """``("and" | "or", conditions)`` when the rule combines conditions."""
        if self.and_:
            return "and", list(self.and_)
        if self.or_:
            return "or", list(self.or_)
        return None

    def conditions(self) -> list[tuple[tuple[str | int, ...], Condition]]:
        """Every condition with its path inside the rule: ``()`` for its own."""
        out: list[tuple[tuple[str | int, ...], Condition]] = [((), self)]
        if self.combined is not None:
            word, more = self.combined
            out += [((word, j), cond) for j, cond in enumerate(more)]
        return out


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
    half_life_days: float | None = Field(
        None,
        gt=0,
        description="This rule's own half-life in days (default: `behaviour.half_life_days`), "
        "e.g. longer for a demo request than for a page view.",
    )
    value_per_point: float | None = Field(
        None,
        description="For summary activities carrying a number (e.g. minutes on site): "
        "points = points × value / value_per_point.",
    )

    @model_validator(mode="after")
    def _half_life_needs_decay(self) -> BehaviourRule:
        if self.half_life_days is not None and not self.decay:
            raise ValueError("half_life_days has no effect with decay: false; drop one of them")
        return self

    def half_life(self, default: float) -> float:
        """The half-life this rule's points decay with."""
        return self.half_life_days if self.half_life_days is not None else default


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


MODEL_VERSION = re.compile(r"^m-[0-9a-f]{12}$")


class ModelComponent(Model):
    """A learned model's predicted conversion, added to the score (see docs/learn.md).

    The model is a stored, immutable artifact (`leadline models list`); the
    contract pins one version, so a score is always reproducible from the
    contract version, and rolling back is pinning an earlier version.
    """

    version: str = Field(description="Stored model version, e.g. `m-3f9a0c12ab34`.")
    points: float = Field(
        gt=0, description="Points at a predicted conversion of 1: the score gains points × p."
    )

    @field_validator("version")
    @classmethod
    def _model_version(cls, value: str) -> str:
        if not MODEL_VERSION.match(value):
            raise ValueError(
                f"expected a model version such as m-3f9a0c12ab34 (see `leadline models "
                f"list`), got {value!r}"
            )
        return value


# -- routing, notifications and service levels --------------------------------

WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)\s*$")
CLOCK_TIME = re.compile(r"^([01]?\d|2[0-4]):([0-5]\d)$")
PRIORITY_KEY = re.compile(r"^[A-D][1-4]?$")
ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def parse_duration(text: str) -> tuple[float, str]:
    """``"5m"`` → ``(5.0, "m")``; units s, m, h, d.  Raises ValueError otherwise."""
    match = DURATION.match(str(text))
    if not match or float(match.group(1)) <= 0:
        raise ValueError(f"expected a positive duration such as 30s, 5m, 1h or 2d, got {text!r}")
    return float(match.group(1)), match.group(2)


def _duration(value: object) -> str:
    parse_duration(str(value))
    return str(value).strip()


def _workdays() -> list[Weekday]:
    return ["mon", "tue", "wed", "thu", "fri"]


class BusinessHours(Model):
    """The working week: when reps take leads and when SLA clocks run.

    Hours are local to each rep (``reps.timezone``); ``timezone`` is used for
    reps without one and for leads no rep was found for.
    """

    days: list[Weekday] = Field(default_factory=_workdays, description="Working days.")
    start: str = Field("09:00", description="Start of the working day, `HH:MM` (quote it).")
    end: str = Field(
        "17:00",
        description="End of the working day, `HH:MM`; earlier than `start` means an "
        "overnight shift that ends the next morning.",
    )
    timezone: str = Field("UTC", description="IANA time zone for reps without one.")

    @field_validator("start", "end", mode="before")
    @classmethod
    def _clock(cls, value: object) -> object:
        # YAML 1.1 reads an unquoted 18:00 as the base-60 number 1080.
        if isinstance(value, int) and not isinstance(value, bool):
            value = f"{value:02d}:00" if value < 24 else f"{value // 60:02d}:{value % 60:02d}"
        if not isinstance(value, str) or not CLOCK_TIME.match(value.strip()):
            raise ValueError(f"expected a time of day as HH:MM, got {value!r}")
        hours, minutes = value.strip().split(":")
        if int(hours) == 24 and int(minutes) != 0:
            raise ValueError(f"expected a time of day as HH:MM, got {value!r}")
        return f"{int(hours):02d}:{minutes}"

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return _known_zone(value)

    @model_validator(mode="after")
    def _not_empty(self) -> BusinessHours:
        if self.start == self.end:
            raise ValueError("start and end must differ (a working day cannot be empty)")
        if not self.days:
            raise ValueError("days must list at least one working day")
        return self


def _known_zone(value: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {value!r}; use an IANA name such as Europe/Berlin"
        ) from None
    return value


class RepPool(Model):
    """Which reps share a round robin: listed ids, and/or every active rep of a team/region."""

    reps: list[str] | None = Field(None, description="Rep ids (or e-mails) from the reps table.")
    team: list[str] | None = Field(None, description="Every active rep of these teams.")
    region: list[str] | None = Field(None, description="Every active rep in these regions.")

    @model_validator(mode="after")
    def _some_filter(self) -> RepPool:
        if self.reps is None and self.team is None and self.region is None:
            raise ValueError("give reps, team or region (or several)")
        return self


class RoutingRule(Model):
    """One way to choose an owner.  Rules are tried in order; the first that finds a rep wins."""

    name: str = Field(description="Rule name, stored with every assignment it makes.")
    when: list[Condition] = Field(
        default_factory=list,
        description="Conditions on lead/account fields; all must hold (none: every lead).",
    )
    priority: list[str] | None = Field(
        None,
        description="Only MQLs of these priorities (`A1`) or grades (`A`).",
    )
    to: Literal["account_owner"] | None = Field(
        None, description="`account_owner`: the owner of the lead's account, if an active rep."
    )
    round_robin: RepPool | None = Field(
        None, description="Take turns among these reps (the pointer is stored per rule)."
    )
    honour_capacity: bool = Field(
        True, description="Skip reps whose open MQLs reached their capacity."
    )
    working_hours_only: bool = Field(
        False,
        description="Only reps inside their working hours now; otherwise reps on hours are "
        "preferred and off-hours reps take the rest.",
    )

    @field_validator("priority")
    @classmethod
    def _priorities(cls, value: list[str] | None) -> list[str] | None:
        for item in value or []:
            if not PRIORITY_KEY.match(item):
                raise ValueError(
                    f"expected priorities such as A1 or grades such as B, got {item!r}"
                )
        return value

    @model_validator(mode="after")
    def _one_target(self) -> RoutingRule:
        if (self.to is None) == (self.round_robin is None):
            raise ValueError("give exactly one of to, round_robin")
        return self


class Backoff(Model):
    """Wait before retry n: ``first × factor^(n-1)``, at most ``max`` (wall-clock durations)."""

    first: str = Field("30s", description="Wait before the first retry.")
    factor: float = Field(2.0, ge=1, description="Each retry waits this many times longer.")
    max: str = Field("1h", description="Longest wait between two attempts.")

    @field_validator("first", "max", mode="before")
    @classmethod
    def _durations(cls, value: object) -> str:
        return _duration(value)


class Webhook(Model):
    """A Slack-compatible incoming webhook (JSON body with `text` and `blocks`)."""

    url: str = Field(
        description="Where to POST; put secrets in the environment: `${LEADLINE_SLACK_WEBHOOK}`."
    )


class Smtp(Model):
    """The mail server; `${VAR}` references are read from the environment at delivery."""

    host: str = Field("localhost", description="SMTP host (or `${VAR}`).")
    port: int | str = Field(25, description="SMTP port (or `${VAR}`).")
    username: str | None = Field(None, description="Login user (or `${VAR}`).")
    password: str | None = Field(
        None, description="Login password: must be a `${VAR}` reference, never the secret."
    )
    starttls: bool = Field(False, description="Upgrade the connection with STARTTLS.")
    ssl: bool = Field(False, description="Connect with implicit TLS (port 465).")


class Email(Model):
    """E-mail handoffs: a subject, plain text and simple HTML."""

    to: list[str] = Field(
        default_factory=lambda: ["rep"],
        description="Recipients: `rep` (the assigned rep's e-mail) and/or addresses.",
    )
    cc: list[str] = Field(default_factory=list, description="Copied addresses.")
    sender: str = Field(alias="from", description="The From address.")
    smtp: Smtp = Field(default_factory=Smtp, description="Mail server settings.")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Notify(Model):
    """Where handoffs and escalations go; every message is queued first, then delivered."""

    webhook: Webhook | None = Field(None, description="Post briefs to a webhook (Slack…).")
    email: Email | None = Field(None, description="E-mail briefs to the rep.")
    max_attempts: int = Field(8, ge=1, description="Attempts before a message is dead-lettered.")
    backoff: Backoff = Field(default_factory=Backoff, description="Waits between retries.")


class Routing(Model):
    """Who gets an MQL, and how they hear about it."""

    rules: list[RoutingRule] = Field(description="Routing rules, tried in order.")
    fallback: str | None = Field(
        None, description="Rep id that gets MQLs no rule placed (none: left unassigned)."
    )
    default_capacity: int | None = Field(
        None,
        ge=1,
        description="Open-MQL capacity for reps without `reps.capacity` (none: no limit).",
    )
    notify: Notify | None = Field(None, description="Handoff notifications.")


class Escalation(Model):
    """What happens when an SLA clock runs out."""

    notify: list[Literal["webhook", "email"]] | None = Field(
        None,
        description="Channels under `routing.notify` that tell the manager (default: all "
        "that are configured).",
    )
    managers: dict[str, str] = Field(
        default_factory=dict,
        description="Manager (as in `reps.manager`) → e-mail; a manager who is a rep "
        "(id, name or e-mail) is found in the reps table.",
    )
    fallback_email: str | None = Field(
        None, description="Who hears about breaches when the manager has no address."
    )
    reassign: bool = Field(
        False,
        description="On a speed-to-lead breach, give the MQL to the next eligible rep "
        "(once per MQL).",
    )


class MqlCommitment(Model):
    """Marketing's side of the deal: volume and quality."""

    per_month: int = Field(ge=0, description="MQLs marketing delivers per month.")
    min_sql_rate: float = Field(
        ge=0, le=1, description="Share of MQLs that must become SQLs (0–1)."
    )


class Sla(Model):
    """Service levels both teams agreed, measured in business hours."""

    business_hours: BusinessHours = Field(
        default_factory=BusinessHours, description="The working week (also used by routing)."
    )
    holidays: list[date] = Field(
        default_factory=list, description="Dates nobody works (in each rep's calendar)."
    )
    speed_to_lead: dict[str, str] = Field(
        default_factory=dict,
        description="MQL → first touch, per priority (`A1`), grade (`A`) or `default`; "
        "durations like 5m, 1h, 1d (d = one working day).",
    )
    accept_within: str | None = Field(
        None, description="MQL → accepted or rejected (business time), e.g. 1d."
    )
    escalation: Escalation = Field(
        default_factory=Escalation, description="Who hears about breaches, and reassignment."
    )
    mql_commitment: MqlCommitment | None = Field(
        None, description="Marketing's volume and quality commitment (for reports)."
    )

    @field_validator("speed_to_lead", mode="before")
    @classmethod
    def _budgets(cls, value: object) -> object:
        if isinstance(value, dict):
            for key, budget in value.items():
                if key != "default" and not PRIORITY_KEY.match(str(key)):
                    raise ValueError(
                        f"speed_to_lead keys are priorities (A1), grades (A) or default, "
                        f"got {key!r}"
                    )
                _duration(budget)
            return {str(k): str(v).strip() for k, v in value.items()}
        return value

    @field_validator("accept_within", mode="before")
    @classmethod
    def _accept(cls, value: object) -> object:
        return None if value is None else _duration(value)


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
    routing: Routing | None = Field(
        None, description="Who gets each MQL (rules, capacity, round robin) and notifications."
    )
    sla: Sla | None = Field(
        None, description="Speed-to-lead and accept deadlines in business hours; escalation."
    )
    # Owned by a later part of the system; validated loosely for now.
    nurture: dict[str, object] | None = Field(None, description="Nurture settings.")
    model: ModelComponent | None = Field(
        None, description="A pinned learned model whose predicted conversion adds to the score."
    )


Points = Annotated[float, Field()]
