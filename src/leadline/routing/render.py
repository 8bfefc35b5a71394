"""A brief as JSON, as a Slack message (``text`` + ``blocks``) and as an e-mail.

Every format is built from the same short sentences (:func:`headline`,
:func:`why_line`, …) so Slack, the e-mail and the terminal never tell a rep
different stories.  Slack ``mrkdwn`` and HTML are escaped; nothing a lead
typed into a form can inject markup.
"""

from __future__ import annotations

import html
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from leadline.routing.brief import Brief

SLACK_TEXT_LIMIT = 2900  # Slack refuses section text over 3000 characters


def _iso(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _iso(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_iso(v) for v in value]
    return value


def person_name(lead: dict[str, Any]) -> str:
    name = " ".join(str(lead[k]) for k in ("first_name", "last_name") if lead.get(k)).strip()
    return name or str(lead.get("email") or lead.get("lead_id"))


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if isinstance(value, datetime) else str(value or "")


def _num(value: Any) -> str:
    if value is None:
        return "?"
    number = float(value)
    return f"{number:,.0f}" if number.is_integer() else f"{number:,.1f}"


# -- sentences shared by every format ------------------------------------------------


def headline(b: Brief) -> str:
    """``A1 MQL: Jane Doe, VP Marketing at Acme``."""
    who = person_name(b.lead)
    role = b.lead.get("title")
    company = (b.account or {}).get("name") or b.lead.get("company")
    tail = " at ".join(str(x) for x in (role, company) if x)
    priority = b.verdict.get("priority") or ""
    return f"{priority} MQL: {who}" + (f", {tail}" if tail else "")


def why_line(b: Brief) -> str:
    v = b.verdict
    reason = str(v.get("mql_reason") or "")
    if reason.startswith("trigger:"):
        reason = f"hand-raiser ({reason.removeprefix('trigger:')})"
    return (
        f"{reason}; score {_num(v.get('score'))} (engagement {_num(v.get('engagement'))}, "
        f"intent {_num(v.get('intent'))}), fit grade {v.get('grade')}"
    )


def reason_lines(b: Brief) -> list[str]:
    out = []
    for p in b.reasons:
        events = f" ×{p['events']}" if p.get("events") else ""
        if p["component"] == "trigger":
            out.append(f"hand-raise: {p['rule']}{events}")
            continue
        out.append(f"{p['rule']}{events}: +{_num(p['points'])} ({p['component']})")
    return out


def fit_line(b: Brief) -> str:
    v = b.verdict
    parts = ", ".join(f"{p['rule']} {p['points']:+g}" for p in b.fit[:6]) or "no fit rule matched"
    return f"grade {v.get('grade')} ({_num(v.get('fit_points'))} fit points): {parts}"


def firm_line(b: Brief) -> str | None:
    a = b.account
    if not a:
        return None
    bits = [
        str(a["industry"]) if a.get("industry") else None,
        f"{_num(a['employees'])} employees" if a.get("employees") is not None else None,
        str(a["country"]) if a.get("country") else None,
        f"owner {a['owner']}" if a.get("owner") else None,
    ]
    return f"{a.get('name') or a.get('account_id')}: " + ", ".join(x for x in bits if x)


def topic_lines(b: Brief) -> list[str]:
    return [
        f"{t['topic']}: {t['activities']} activities, reached {t.get('furthest_stage') or 'n/a'}"
        f" (last {_when(t.get('last_at'))})"
        for t in b.topics[:5]
    ]


def activity_lines(b: Brief) -> list[str]:
    out = []
    for a in b.activities:
        what = a.get("title") or a.get("url") or ""
        extra = []
        if a.get("journey_stage"):
            extra.append(str(a["journey_stage"]))
        if a.get("topics"):
            extra.append(", ".join(a["topics"]))
        suffix = f" [{'; '.join(extra)}]" if extra else ""
        out.append(
            f"{_when(a['occurred_at'])} {a['activity_type'].replace('_', ' ')}"
            + (f": {what}" if what else "")
            + suffix
        )
    return out


def page_line(b: Brief) -> str | None:
    if not b.pages:
        return None
    return ", ".join(f"{p['url']} ×{p['views']}" for p in b.pages)


def bant_lines(b: Brief) -> list[str]:
    known = b.bant.get("known", {})
    out = [f"{k}: {v}" for k, v in known.items()]
    out += [f"ask about {k}: {q}" for k, q in b.bant.get("questions", {}).items()]
    return out


def account_lines(b: Brief) -> list[str]:
    out = []
    for c in b.other_contacts:
        out.append(
            f"contact {person_name(c)}"
            + (f" ({c['title']})" if c.get("title") else "")
            + f": {c['activities']} activities, stage {c['stage']}"
        )
    for o in b.open_opportunities:
        amount = f", {_num(o['amount'])}" if o.get("amount") is not None else ""
        out.append(f"open opportunity {o.get('name') or o['opportunity_id']}: {o['stage']}{amount}")
    for d in b.past_dispositions:
        reason = f" ({d['reason']})" if d.get("reason") else ""
        out.append(f"{_when(d['decided_at'])} {d['who']}: {d['action']}{reason}")
    return out


def owner_line(b: Brief) -> str:
    o = b.owner
    if not o or not o.get("rep_id"):
        return "nobody yet: no eligible rep"
    name = o.get("name") or o["rep_id"]
    return f"{name} ({o['rep_id']}) by rule '{o['rule']}'"


def sla_line(b: Brief) -> str | None:
    due = [f"{c['kind'].replace('_', ' ')} by {_when(c['due_at'])} UTC" for c in b.sla]
    return "; ".join(due) or None


# -- formats ----------------------------------------------------------------------------


def to_dict(b: Brief) -> dict[str, Any]:
    data = {
        "lead_id": b.lead_id,
        "as_of": b.as_of,
        "contract_version": b.contract_version,
        "headline": headline(b),
        "lead": b.lead,
        "account": b.account,
        "owner": b.owner,
        "sla": b.sla,
        "why": {"summary": why_line(b), "verdict": b.verdict, "top_reasons": b.reasons},
        "fit": {"summary": fit_line(b), "rules": b.fit},
        "intent": {"topics": b.topics, "pages": b.pages, "recent_activities": b.activities},
        "bant": b.bant,
        "account_context": {
            "other_engaged_contacts": b.other_contacts,
            "open_opportunities": b.open_opportunities,
            "past_dispositions": b.past_dispositions,
        },
    }
    result: dict[str, Any] = _iso(data)
    return result


def _mrkdwn(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _section(title: str, lines: list[str]) -> dict[str, Any] | None:
    if not lines:
        return None
    body = f"*{_mrkdwn(title)}*\n" + "\n".join(f"• {_mrkdwn(line)}" for line in lines)
    if len(body) > SLACK_TEXT_LIMIT:
        body = body[: SLACK_TEXT_LIMIT - 1] + "…"
    return {"type": "section", "text": {"type": "mrkdwn", "text": body}}


def to_slack(b: Brief) -> dict[str, Any]:
    """A Slack incoming-webhook body: ``text`` (notifications, fallbacks) plus ``blocks``."""
    pages = page_line(b)
    firm = firm_line(b)
    sla = sla_line(b)
    sections = [
        _section("Why now", [why_line(b), *reason_lines(b)]),
        _section("Owner", [owner_line(b), *([sla] if sla else [])]),
        _section("Fit", [fit_line(b), *([firm] if firm else [])]),
        _section("What they read", [*topic_lines(b), *activity_lines(b)]),
        _section("Pages", [pages] if pages else []),
        _section("BANT", bant_lines(b)),
        _section("Account", account_lines(b)),
    ]
    contact = " · ".join(
        str(x) for x in (b.lead.get("email"), b.lead.get("country"), b.lead.get("channel")) if x
    )
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": _mrkdwn(headline(b))[:150]}},
        *[s for s in sections if s is not None],
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": _mrkdwn(
                        f"lead {b.lead_id}"
                        + (f" · {contact}" if contact else "")
                        + f" · contract {b.contract_version}"
                    ),
                }
            ],
        },
    ]
    text = f"{headline(b)} — {why_line(b)} — owner {owner_line(b)}"
    return {"text": _mrkdwn(text), "blocks": blocks}


def _text_sections(b: Brief) -> list[tuple[str, list[str]]]:
    pages = page_line(b)
    firm = firm_line(b)
    sla = sla_line(b)
    return [
        ("Why now", [why_line(b), *reason_lines(b)]),
        ("Owner", [owner_line(b), *([f"SLA: {sla}"] if sla else [])]),
        ("Fit", [fit_line(b), *([firm] if firm else [])]),
        ("What they read", [*topic_lines(b), *activity_lines(b)]),
        ("Pages", [pages] if pages else []),
        ("BANT", bant_lines(b) or ["all answers recorded"]),
        ("Account", account_lines(b) or ["no other activity at this account"]),
    ]


def to_text(b: Brief, sections: list[tuple[str, list[str]]] | None = None) -> str:
    lines = [headline(b), f"{b.lead.get('email') or ''}".strip(), ""]
    for title, body in sections or _text_sections(b):
        if body:
            lines.append(title)
            lines += [f"  - {line}" for line in body]
            lines.append("")
    lines.append(f"lead {b.lead_id} · contract {b.contract_version} · as of {_when(b.as_of)} UTC")
    return "\n".join(lines).rstrip() + "\n"


def to_email(b: Brief) -> tuple[str, str, str]:
    """(subject, plain text, HTML), from the same sections as the terminal text."""
    v = b.verdict
    reason = str(v.get("mql_reason") or "")
    short = reason.removeprefix("trigger:") if reason.startswith("trigger:") else "score"
    title = headline(b)
    subject = f"[{v.get('priority')} MQL] {title.split(': ', 1)[-1]} — {short}"
    sections = _text_sections(b)
    parts = ["<html><body>", f"<h2>{html.escape(title)}</h2>"]
    for name, body in sections:
        if body:
            parts.append(f"<h3>{html.escape(name)}</h3><ul>")
            parts += [f"<li>{html.escape(line)}</li>" for line in body]
            parts.append("</ul>")
    parts.append(
        f"<p><small>lead {html.escape(b.lead_id)} · contract "
        f"{html.escape(b.contract_version)}</small></p></body></html>"
    )
    return subject, to_text(b, sections), "\n".join(parts)
