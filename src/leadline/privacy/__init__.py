"""Personal data: export everything stored about a person, or forget them.

``person.export_person`` and ``person.forget`` work from an email address;
``catalog`` finds where personal data can live from the schema itself (so
tables other areas add are covered without a list to keep up to date);
``audit`` records every request with a hash of the address, not the address.
"""

from __future__ import annotations

from leadline.privacy.person import ForgetReport, export_person, forget

__all__ = ["ForgetReport", "export_person", "forget"]
