"""Escalation messages: a Slack body and an e-mail for the manager of a missed SLA."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from leadline.routing.assign import Assignment
    from leadline.sla.breaches import Breach

KIND_NAMES = {"speed_to_lead": "speed to lead", "accept": "accept/reject"}


def duration(seconds: float) -> str:
    """Business time as ``2h 05m`` / ``35m`` / ``40s``."""
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.0f}s"
    minutes = int(seconds // 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m"


def _who(row: dict[str, Any]) -> str:
    name = " ".join(str(row[k]) for k in ("first_name", "last_name") if row.get(k)).strip()
    name = name or str(row.get("lead_email") or row["lead_id"])
    return f"{name} ({row['company']})" if row.get("company") else name


def sentence(b: Breach, row: dict[str, Any], new: Assignment | None) -> str:
    owner = row.get("rep_name") or b.rep_id or "nobody (unassigned)"
    text = (
        f"SLA breach — {KIND_NAMES.get(b.kind, b.kind)} for {b.priority or ''} MQL "
        f"{_who(row)}: owner {owner}, due {b.due_at:%Y-%m-%d %H:%M} UTC, "
        f"{duration(b.overdue_seconds)} overdue in business time"
    )
    if row.get("manager"):
        text += f"; manager {row['manager']}"
    if new is not None:
        text += f". Reassigned to {new.rep_name or new.rep_id or 'nobody'} (rule {new.rule})"
    return text + "."


def slack(b: Breach, row: dict[str, Any], new: Assignment | None) -> dict[str, Any]:
    text = sentence(b, row, new).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return {
        "text": text,
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": f":rotating_light: {text}"}},
            {
                "type": "context",
                "elements": [
                    {"type": "mrkdwn", "text": f"lead {b.lead_id} · breach {b.breach_id}"}
                ],
            },
        ],
    }


def email(b: Breach, row: dict[str, Any], new: Assignment | None) -> tuple[str, str, str]:
    subject = (
        f"[SLA breach] {KIND_NAMES.get(b.kind, b.kind)}: {_who(row)} ({b.priority or '-'})"
        f" — {row.get('rep_name') or b.rep_id or 'unassigned'}"
    )
    text = sentence(b, row, new) + f"\n\nlead {b.lead_id} · breach {b.breach_id}\n"
    body = f"<html><body><p>{html.escape(sentence(b, row, new))}</p></body></html>"
    return subject, text, body
