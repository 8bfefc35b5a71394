"""Service levels: business-hours clocks per MQL, first touches, breaches and escalation.

Clocks start when an MQL is routed (:mod:`leadline.sla.clocks`), stop on the
first touch (:func:`record_first_touch`) or sales' verdict, and
:func:`check_sla` records and escalates the ones that ran out.
"""

from __future__ import annotations

from leadline.sla.breaches import Breach, check_sla, sla_breaches, sla_clocks
from leadline.sla.calendar import Calendar
from leadline.sla.touches import record_first_touch, touches_of

__all__ = [
    "Breach",
    "Calendar",
    "check_sla",
    "record_first_touch",
    "sla_breaches",
    "sla_clocks",
    "touches_of",
]
