"""Validation passes that run after the schema accepted the contract.

Each pass is a small function ``(contract, positions) -> list[Problem]`` that
checks one concern the field-by-field schema cannot see (consistency between
sections, rules that can never fire).  ``PASSES`` is their order, the way
sqlglot's optimizer is a tuple of rules; every pass has its own fixture file
under ``tests/contract/fixtures``.
"""

from __future__ import annotations

import re
from collections import Counter, deque
from collections.abc import Callable

from leadline.contract.schema import (
    ENV_REF,
    JOURNEY_STAGES,
    KNOWN_FIELDS,
    STAGES,
    ActivityMatch,
    Condition,
    Contract,
)
from leadline.contract.yamlpos import PathT, Positions
from leadline.errors import Problem

Pass = Callable[[Contract, Positions], list[Problem]]

SNAKE_CASE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
NUMERIC_OPERATORS = ("between", "at_least", "at_most")


def check_thresholds(contract: Contract, pos: Positions) -> list[Problem]:
    """Thresholds that would make qualification trivial or impossible."""
    out: list[Problem] = []
    mql = contract.stages.mql
    if mql.min_score <= 0:
        out.append(
            pos.problem(
                ("stages", "mql", "min_score"),
                f"must be greater than 0, got {mql.min_score:g} (every lead of good fit "
                "would be an MQL without doing anything)",
            )
        )
    best = sum(r.points for r in contract.fit.rules if r.points > 0)
    if contract.fit.rules and best < contract.fit.grades.A:
        out.append(
            pos.problem(
                ("fit", "grades", "A"),
                f"no lead can reach grade A: it needs {contract.fit.grades.A:g} points but all "
                f"positive fit rules together give {best:g}",
            )
        )
    mqa = contract.stages.mqa
    if mqa is not None and mqa.min_account_score <= 0:
        out.append(
            pos.problem(
                ("stages", "mqa", "min_account_score"),
                f"must be greater than 0, got {mqa.min_account_score:g}",
            )
        )
    warm = contract.priority.warm_score
    if warm is not None and not 0 < warm < mql.min_score:
        out.append(
            pos.problem(
                ("priority", "warm_score"),
                f"must be between 0 and stages.mql.min_score ({mql.min_score:g}), got {warm:g}",
            )
        )
    return out


def _condition_problems(cond: Condition, path: PathT, pos: Positions) -> list[Problem]:
    out: list[Problem] = []
    kind = KNOWN_FIELDS.get(cond.field)  # None for custom attributes: any operator
    op = cond.operator
    if kind == "text" and op in NUMERIC_OPERATORS:
        out.append(
            pos.problem(
                (*path, op),
                f"{cond.field} is text; '{op}' needs a number field",
            )
        )
    if kind in ("number", "bool") and op == "matches":
        out.append(
            pos.problem(
                (*path, op),
                f"{cond.field} is a {kind}; 'matches' needs a text field",
            )
        )
    if cond.between is not None and cond.between[0] > cond.between[1]:
        out.append(
            pos.problem(
                (*path, "between"),
                f"low must not exceed high, got [{cond.between[0]:g}, {cond.between[1]:g}]",
            )
        )
    return out


def check_conditions(contract: Contract, pos: Positions) -> list[Problem]:
    """Operators that fit the field's type, and ranges that are not empty."""
    out: list[Problem] = []
    for i, rule in enumerate(contract.fit.rules):
        for inner, cond in rule.conditions():
            out += _condition_problems(cond, ("fit", "rules", i, *inner), pos)
    for i, excl in enumerate(contract.exclude.rules):
        out += _condition_problems(excl, ("exclude", "rules", i), pos)
    return out


def _duplicates(names: list[str | None], path: PathT, what: str, pos: Positions) -> list[Problem]:
    counts = Counter(n for n in names if n is not None)
    out: list[Problem] = []
    seen: set[str] = set()
    for i, name in enumerate(names):
        if name is None:
            continue
        if name in seen and counts[name] > 1:
            out.append(
                pos.problem(
                    (*path, i, "name"),
                    f"{what} name {name!r} is used more than once",
                )
            )
        seen.add(name)
    return out


def check_unique_names(contract: Contract, pos: Positions) -> list[Problem]:
    """Rule names label scores and reports, so each must say which rule it was."""
    b = contract.behaviour
    return (
        _duplicates([r.name for r in b.rules], ("behaviour", "rules"), "behaviour rule", pos)
        + _duplicates([t.name for t in b.triggers], ("behaviour", "triggers"), "trigger", pos)
        + _duplicates([r.name for r in contract.fit.rules], ("fit", "rules"), "fit rule", pos)
    )


# Constructs Python's ``re`` accepts but RE2 (DuckDB, Spark) does not; the
# first alternative skips escaped characters such as ``\(``.
_NOT_RE2 = re.compile(r"\\[^1-9]|(\(\?[=!]|\(\?<[=!])|(\(\?P=|\\[1-9])|(\(\?>)")
_NOT_RE2_NAMES = {1: "look-around", 2: "back-reference", 3: "atomic group"}


def _re2_problem(pattern: str | None) -> str | None:
    if pattern is None:
        return None
    for m in _NOT_RE2.finditer(pattern):
        for group, what in _NOT_RE2_NAMES.items():
            if m.group(group):
                return (
                    f"{what} {m.group(group)!r} is not supported by RE2, the regular "
                    "expression syntax of the SQL engines"
                )
    return None


def check_regexes(contract: Contract, pos: Positions) -> list[Problem]:
    """Regexes are checked by the schema with Python's ``re``; the SQL side runs RE2."""
    found: list[tuple[PathT, str | None]] = []
    for i, rule in enumerate(contract.fit.rules):
        for inner, cond in rule.conditions():
            found.append((("fit", "rules", i, *inner, "matches"), cond.matches))
    for i, excl in enumerate(contract.exclude.rules):
        found.append((("exclude", "rules", i, "matches"), excl.matches))
    groups: list[tuple[str, list[ActivityMatch]]] = [
        ("rules", list(contract.behaviour.rules)),
        ("triggers", list(contract.behaviour.triggers)),
    ]
    for section, items in groups:
        for i, m in enumerate(items):
            found.append((("behaviour", section, i, "url_matches"), m.url_matches))
    for i, sig in enumerate(contract.exclude.activity_signals):
        found.append((("exclude", "activity_signals", i, "url_matches"), sig.url_matches))
    out: list[Problem] = []
    for path, pattern in found:
        message = _re2_problem(pattern)
        if message:
            out.append(pos.problem(path, message))
    return out


def check_transitions(contract: Contract, pos: Positions) -> list[Problem]:
    """Every stage must be reachable from ``lead``, or leads could never get there."""
    moves = contract.stages.transitions
    reached = {"lead"}
    queue: deque[str] = deque(["lead"])
    while queue:
        for nxt in moves.get(queue.popleft(), []):  # type: ignore[call-overload]
            if nxt not in reached:
                reached.add(nxt)
                queue.append(nxt)
    missing = [s for s in STAGES if s not in reached]
    if not missing:
        return []
    return [
        pos.problem(
            ("stages", "transitions"),
            f"stage(s) {', '.join(repr(s) for s in missing)} cannot be reached from 'lead'",
        )
    ]


def check_reasons(contract: Contract, pos: Positions) -> list[Problem]:
    """Reason codes are stored and grouped in reports, so keep them snake_case and known."""
    out: list[Problem] = []
    st = contract.stages
    for i, reason in enumerate(st.recycle.reasons):
        if reason not in st.reject_reasons:
            out.append(
                pos.problem(
                    ("stages", "recycle", "reasons", i),
                    f"recycle reason {reason!r} is not one of stages.reject_reasons",
                )
            )
    coded: list[tuple[PathT, str]] = [
        (("stages", "reject_reasons", i), r) for i, r in enumerate(st.reject_reasons)
    ]
    coded += [
        (("exclude", "rules", i, "reason"), r.reason) for i, r in enumerate(contract.exclude.rules)
    ]
    coded += [
        (("exclude", "activity_signals", i, "reason"), s.reason)
        for i, s in enumerate(contract.exclude.activity_signals)
    ]
    for path, reason in coded:
        if not SNAKE_CASE.match(reason):
            out.append(
                pos.problem(
                    path,
                    f"reason code {reason!r} must be snake_case (e.g. 'test_record')",
                )
            )
    return out


def _covers(earlier: ActivityMatch, later: ActivityMatch, activity: str) -> bool:
    """True when ``earlier`` matches every ``activity`` event that ``later`` matches."""
    if activity not in earlier.activities:
        return False
    if earlier.url_matches is not None and earlier.url_matches != later.url_matches:
        return False
    if earlier.journey_stage is not None and earlier.journey_stage != later.journey_stage:
        return False
    return not (
        earlier.topics is not None
        and (later.topics is None or not set(later.topics) <= set(earlier.topics))
    )


def check_shadowed_rules(contract: Contract, pos: Positions) -> list[Problem]:
    """The first matching behaviour rule wins, so a later rule can be dead code."""
    rules = contract.behaviour.rules
    out: list[Problem] = []
    for i, rule in enumerate(rules):
        shadows: list[str] = []
        for activity in rule.activities:
            by = next((e for e in rules[:i] if _covers(e, rule, activity)), None)
            if by is None:
                break
            if by.name not in shadows:
                shadows.append(by.name)
        else:
            names = ", ".join(repr(n) for n in shadows)
            out.append(
                pos.problem(
                    ("behaviour", "rules", i),
                    f"rule {rule.name!r} can never match: earlier rule {names} already matches "
                    "every activity it does (the first matching rule wins)",
                    hint="move the narrower rule first or give it a filter",
                )
            )
    return out


def check_intent(contract: Contract, pos: Positions) -> list[Problem]:
    """A journey bonus needs at least two distinct stages in buying order."""
    intent = contract.intent
    if intent is None or intent.journey_bonus is None:
        return []
    stages = list(intent.journey_bonus.stages)
    order = [JOURNEY_STAGES.index(s) for s in stages]
    if len(stages) < 2 or order != sorted(set(order)):
        return [
            pos.problem(
                ("intent", "journey_bonus", "stages"),
                "needs two or more distinct stages in buying order "
                f"({' → '.join(JOURNEY_STAGES)}), got [{', '.join(stages)}]",
            )
        ]
    return []


def check_routing(contract: Contract, pos: Positions) -> list[Problem]:
    """Routing rules: typed conditions, RE2 regexes, and names that say which rule chose."""
    routing = contract.routing
    if routing is None:
        return []
    out: list[Problem] = []
    for i, rule in enumerate(routing.rules):
        for j, cond in enumerate(rule.when):
            path: PathT = ("routing", "rules", i, "when", j)
            out += _condition_problems(cond, path, pos)
            message = _re2_problem(cond.matches)
            if message:
                out.append(pos.problem((*path, "matches"), message))
    out += _duplicates([r.name for r in routing.rules], ("routing", "rules"), "routing rule", pos)
    return out


def _is_env_ref(value: str) -> bool:
    return ENV_REF.fullmatch(value.strip()) is not None


def check_secrets(contract: Contract, pos: Positions) -> list[Problem]:
    """Contracts live in git: passwords and webhook secrets come from the environment."""
    notify = contract.routing.notify if contract.routing else None
    if notify is None:
        return []
    out: list[Problem] = []
    smtp = notify.email.smtp if notify.email else None
    if smtp is not None and smtp.password is not None and not _is_env_ref(smtp.password):
        out.append(
            pos.problem(
                ("routing", "notify", "email", "smtp", "password"),
                "a password must not be written in the contract",
                hint="use an environment variable, e.g. password: ${LEADLINE_SMTP_PASSWORD}",
            )
        )
    url = notify.webhook.url if notify.webhook else None
    if url is not None and "hooks.slack.com" in url and not ENV_REF.search(url):
        out.append(
            pos.problem(
                ("routing", "notify", "webhook", "url"),
                "a Slack webhook URL is a secret and must not be written in the contract",
                hint="use an environment variable, e.g. url: ${LEADLINE_SLACK_WEBHOOK}",
            )
        )
    if url is not None and not ENV_REF.search(url) and not url.startswith(("http://", "https://")):
        out.append(
            pos.problem(
                ("routing", "notify", "webhook", "url"),
                f"expected an http(s) URL or a ${{VAR}} reference, got {url!r}",
            )
        )
    return out


def check_sla(contract: Contract, pos: Positions) -> list[Problem]:
    """Escalations need somewhere to go; reassignment needs routing rules."""
    sla = contract.sla
    if sla is None:
        return []
    out: list[Problem] = []
    notify = contract.routing.notify if contract.routing else None
    configured = {
        "webhook": notify is not None and notify.webhook is not None,
        "email": notify is not None and notify.email is not None,
    }
    for i, channel in enumerate(sla.escalation.notify or []):
        if not configured[channel]:
            out.append(
                pos.problem(
                    ("sla", "escalation", "notify", i),
                    f"escalation channel {channel!r} is not configured under routing.notify",
                )
            )
    if sla.escalation.reassign and contract.routing is None:
        out.append(
            pos.problem(
                ("sla", "escalation", "reassign"),
                "reassignment needs routing rules (add a routing section)",
            )
        )
    if sla.escalation.reassign and not sla.speed_to_lead:
        out.append(
            pos.problem(
                ("sla", "escalation", "reassign"),
                "reassignment happens on speed-to-lead breaches; set sla.speed_to_lead",
            )
        )
    return out


PASSES: tuple[Pass, ...] = (
    check_thresholds,
    check_conditions,
    check_unique_names,
    check_regexes,
    check_transitions,
    check_reasons,
    check_shadowed_rules,
    check_intent,
    check_routing,
    check_secrets,
    check_sla,
)
