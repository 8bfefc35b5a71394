"""Learn from outcomes: training sets as of the scoring moment, models, a leakage guard,
rule suggestions and model artifacts a contract can pin.

Modules: ``catalog`` (candidate features), ``dataset`` (the as-of training
set and its split), ``guard`` (leakage), ``models`` and ``evaluate``,
``artifacts`` (the ``models`` table), ``run`` (``leadline learn``) and
``suggest`` (``leadline suggest``).  Kept import-light: the core object only
needs ``artifacts``.
"""
