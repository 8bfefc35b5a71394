"""Routing: who gets each MQL, the handoff brief they read, and the message that tells them.

:func:`route_mqls` is the one entry point both batch scoring and real-time
events use; :func:`owner_of` answers "whose is this lead"; briefs are built
by :func:`leadline.routing.brief.build_brief`.
"""

from __future__ import annotations

from leadline.routing.assign import (
    Assignment,
    list_assignments,
    owner_of,
    reassign,
    route_mqls,
    unrouted_mqls,
)
from leadline.routing.brief import Brief, build_brief, build_briefs

__all__ = [
    "Assignment",
    "Brief",
    "build_brief",
    "build_briefs",
    "list_assignments",
    "owner_of",
    "reassign",
    "route_mqls",
    "unrouted_mqls",
]
