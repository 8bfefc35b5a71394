"""Scoring: contract rules as SQL fragments (no I/O), assembled into one plan.

``fit``, ``engagement``, ``intent``, ``exclusions``, ``triggers``, ``accounts``
and ``priority`` build expressions; ``plan`` assembles them into CTEs; ``run``
is the only module that executes anything.  See docs/scoring.md.
"""
