"""The seeded demo world: a reproducible B2B company's year of leads, as CSV files.

:func:`leadline.demo.generator.generate_world` writes the files; the
``leadline demo`` command imports them into a fresh workspace.
"""

from __future__ import annotations

from leadline.demo.generator import BAD_ROWS, DEFAULT_END, generate_world

__all__ = ["BAD_ROWS", "DEFAULT_END", "generate_world"]
