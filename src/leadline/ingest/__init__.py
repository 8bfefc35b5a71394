"""Getting data in clean: read, map, normalise, dedupe, quarantine, load.

``run_import`` is the one entry point; everything else here is what callers
need to describe a file (``load_mapping``, ``list_profiles``, ``KINDS``) or to
add their own row checks (``RowProblem``).  See docs/import.md.
"""

from __future__ import annotations

from leadline.ingest.kinds import KIND_SPECS, KINDS
from leadline.ingest.profiles import Mapping, Section, list_profiles, load_mapping
from leadline.ingest.run import ImportSummary, run_import
from leadline.ingest.stage import RowProblem

__all__ = [
    "KINDS",
    "KIND_SPECS",
    "ImportSummary",
    "Mapping",
    "RowProblem",
    "Section",
    "list_profiles",
    "load_mapping",
    "run_import",
]
