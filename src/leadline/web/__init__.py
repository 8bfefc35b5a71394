"""The dashboard: server-rendered pages over the same reports as the CLI and the API.

Templates (jinja2) and one stylesheet live in this package; charts are SVG
drawn on the server (:mod:`leadline.web.charts`), so the dashboard needs no
CDN and no internet. :data:`router` is mounted by :mod:`leadline.api.app`.
"""

from __future__ import annotations

from leadline.web.routes import router

__all__ = ["router"]
