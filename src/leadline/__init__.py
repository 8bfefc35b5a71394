"""leadline: a contract between marketing and sales, compiled to SQL.

The package is organised by domain: ``contract`` (the YAML both teams sign),
``store`` (where data lives), ``ingest`` (getting data in clean),
``scoring`` (the compiled plan), ``lifecycle`` (stages) and ``cli``.
``leadline.app.Leadline`` is the one object every front door uses.
"""

__version__ = "0.1.0"
