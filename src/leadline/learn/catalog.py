"""Which features a workspace's data can offer a model, found by looking at the store.

Candidates come from every place a lead's data lives, all of them readable
as of a time by the feature builder (:mod:`leadline.scoring.model`):

* lead and account columns (source, channel, country, seniority, industry,
  size...) and every attribute an import mapping kept (``field_catalog``);
  text becomes one indicator per frequent value plus a "missing" indicator,
  numbers become ``log1p`` plus "at least" indicators at their quartiles;
* post-contact keys (``leads.post_contact``) are offered too, marked as such,
  so the leakage guard can show what it excludes (and what including them
  would do);
* activities: counts per activity type (inside 30 days and the contract's
  lookback when the data has times), page views by URL section, activity on
  content per buying-journey stage, and the values of summary facts (time on
  site...) with "at least" indicators at their quartiles;
* the lead's age, when leads have creation times.

Level and threshold choices look only at the inputs, never at outcomes, so
they cannot leak the label; which candidates survive is the guard's job.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from leadline.scoring.model import Feature
from leadline.store.base import Engine

LEAD_CATEGORIES = (
    "lead.lead_source",
    "lead.channel",
    "lead.country",
    "lead.seniority",
    "lead.department",
    "lead.is_free_mail",
)
ACCOUNT_CATEGORIES = ("account.industry", "account.country", "account.region")
ACCOUNT_NUMBERS = ("account.employees", "account.annual_revenue")
# Attribute keys that name records, not people (ids are never features).
IDENTIFIER_KEY = re.compile(r"(^|_)(id|uuid|number)$|^(e_?mail|email_address|phone)$")


@dataclass(frozen=True)
class Skipped:
    """A source the catalogue did not turn into features, and why."""

    source: str
    reason: str
    detail: str


@dataclass
class Catalog:
    features: list[Feature] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    post_contact_mappings: dict[str, str | None] = field(default_factory=dict)


@dataclass(frozen=True)
class CatalogOptions:
    """How generous the catalogue is; defaults suit thousands to millions of leads."""

    timed: bool
    windows: tuple[float | None, ...]
    lookback_days: float = 365.0
    min_share: float = 0.005
    min_count: int = 20
    max_levels: int = 25
    url_sections: int = 12


def _column_sql(source: str) -> str:
    entity, _, name = source.partition(".")
    alias = "l" if entity == "lead" else "a"
    if name.startswith("attributes."):
        return f"json_extract_string({alias}.attributes, '$.{name.split('.', 1)[1]}')"
    if name.startswith("post_contact."):
        return f"json_extract_string(l.post_contact, '$.{name.split('.', 1)[1]}')"
    return f"{alias}.{name}"


_PEOPLE = (
    "FROM leads AS l LEFT JOIN accounts AS a ON a.account_id = l.account_id "
    "WHERE l.merged_into IS NULL"
)


def _short(source: str) -> str:
    return re.split(r"[.:]", source)[-1]


class _Finder:
    def __init__(self, engine: Engine, options: CatalogOptions) -> None:
        self.engine = engine
        self.o = options
        self.catalog = Catalog()
        self.people = int(engine.scalar(f"SELECT count(*) {_PEOPLE}") or 0)
        self.support = max(self.o.min_count, int(self.o.min_share * self.people))

    def add(self, feature: Feature) -> None:
        self.catalog.features.append(feature)

    def skip(self, source: str, reason: str, detail: str) -> None:
        self.catalog.skipped.append(Skipped(source, reason, detail))

    # -- columns ---------------------------------------------------------
    def column(self, source: str, *, numeric: bool | None = None) -> None:
        sql = _column_sql(source)
        text = f"CAST({sql} AS VARCHAR)"
        present_sql = f"{sql} IS NOT NULL AND trim({text}) <> ''"
        row = self.engine.fetch(
            f"SELECT count(*) FILTER (WHERE {present_sql}), "
            f"count(DISTINCT lower({text})) FILTER (WHERE {present_sql}), "
            f"count(TRY_CAST({sql} AS DOUBLE)) FILTER (WHERE {present_sql}) {_PEOPLE}"
        )[0]
        present, distinct, numbers = (int(v or 0) for v in row)
        if present < self.support or (distinct < 2 and present == self.people):
            self.skip(source, "constant", f"{present} leads have a value, {distinct} distinct")
            return
        key = source.rsplit(".", 1)[-1]
        if (".attributes." in source or ".post_contact." in source) and (
            IDENTIFIER_KEY.search(key) or distinct >= 0.9 * present
        ):
            self.skip(source, "identifier", f"{distinct} distinct values in {present} leads")
            return
        missing = self.people - present
        if min(missing, present) >= self.support:
            self.add(Feature(f"{source} missing", source, "missing", field=source))
        is_number = (
            numeric if numeric is not None else (numbers >= 0.98 * present and distinct > 12)
        )
        if is_number:
            self.number(source, sql)
        else:
            self.levels(source, text, present_sql)

    def levels(self, source: str, text: str, present_sql: str) -> None:
        rows = self.engine.fetch(
            f"SELECT lower({text}) AS v, count(*) AS n, min({text}) AS shown {_PEOPLE} "
            f"AND {present_sql} GROUP BY 1 HAVING count(*) >= ? ORDER BY n DESC, v LIMIT ?",
            [self.support, self.o.max_levels],
        )
        if len(rows) == 1 and int(rows[0][1]) == self.people:
            return
        for value, _n, shown in rows:
            self.add(Feature(f"{source} = {shown}", source, "category", field=source, value=value))

    def number(self, source: str, sql: str) -> None:
        values = self.engine.fetch_arrow(
            f"SELECT TRY_CAST({sql} AS DOUBLE) AS v {_PEOPLE} AND TRY_CAST({sql} AS DOUBLE) "
            "IS NOT NULL"
        )
        data = values.column("v").to_numpy(zero_copy_only=False).astype(float)
        self.add(Feature(f"{source} (log)", source, "number", field=source, transform="log1p"))
        for edge in _quartiles(data):
            self.add(Feature(f"{source} >= {edge:g}", source, "at_least", field=source, low=edge))

    # -- activities ------------------------------------------------------
    def activities(self) -> None:
        rows = self.engine.fetch(
            "SELECT activity_type, count(DISTINCT lead_id) AS leads FROM activities "
            "GROUP BY 1 ORDER BY 1"
        )
        for activity, leads in rows:
            source = f"activity:{activity}"
            if int(leads) < self.support:
                self.skip(source, "rare", f"{leads} leads have one")
                continue
            self.counts(source, activity)
        self.url_sections()
        self.journey_stages()
        self.facts()

    def counts(
        self,
        source: str,
        activity: str | None,
        *,
        url: str | None = None,
        stage: str | None = None,
    ) -> None:
        for window in self.o.windows:
            label = f"{source} count" + (f" {window:g}d" if window is not None else "")
            self.add(
                Feature(
                    label,
                    source,
                    "activity_count",
                    activity=activity,
                    url_matches=url,
                    journey_stage=stage,
                    window_days=window,
                    transform="log1p",
                )
            )

    def url_sections(self) -> None:
        rows = self.engine.fetch(
            "SELECT section, count(DISTINCT lead_id) AS leads FROM ("
            "SELECT lead_id, lower(regexp_extract(url, '^/[^/?#]*')) AS section "
            "FROM activities WHERE activity_type = 'page_view' AND url IS NOT NULL) AS s "
            "WHERE section NOT IN ('', '/') GROUP BY 1 HAVING count(DISTINCT lead_id) >= ? "
            "ORDER BY leads DESC, section LIMIT ?",
            [self.support, self.o.url_sections],
        )
        for section, _leads in rows:
            pattern = "^" + re.escape(section) + "([/?#]|$)"
            self.counts(f"activity:page_view:{section}", "page_view", url=pattern)

    def journey_stages(self) -> None:
        rows = self.engine.fetch(
            "SELECT c.journey_stage, count(DISTINCT x.lead_id) FROM activities AS x "
            "JOIN content AS c ON c.content_id = x.content_id WHERE c.journey_stage IS NOT NULL "
            "GROUP BY 1 ORDER BY 1"
        )
        for stage, leads in rows:
            if int(leads) >= self.support:
                self.counts(f"activity:journey:{stage}", None, stage=stage)

    def facts(self) -> None:
        rows = self.engine.fetch(
            "SELECT activity_type, json_extract_string(attributes, '$.fact') AS fact, "
            "count(DISTINCT lead_id) FROM activities WHERE value IS NOT NULL "
            "GROUP BY 1, 2 ORDER BY 1, 2"
        )
        for activity, fact, leads in rows:
            if int(leads) < self.support:
                continue
            source = f"fact:{fact}" if fact else f"value:{activity}"
            per_lead = self.engine.fetch_arrow(
                "SELECT sum(value) AS v FROM activities WHERE activity_type = ? AND "
                "value IS NOT NULL AND coalesce(json_extract_string(attributes, '$.fact'), '') "
                "= ? GROUP BY lead_id",
                [activity, fact or ""],
            )
            data = per_lead.column("v").to_numpy(zero_copy_only=False).astype(float)
            window = self.o.lookback_days if self.o.timed else None
            base = {
                "activity": activity,
                "fact": fact,
                "window_days": window,
            }
            self.add(
                Feature(f"{source} (log)", source, "activity_value", transform="log1p", **base)
            )
            for edge in _quartiles(data):
                self.add(
                    Feature(f"{source} >= {edge:g}", source, "activity_value", low=edge, **base)
                )

    def lead_age(self) -> None:
        dated = int(self.engine.scalar(f"SELECT count(l.created_at) {_PEOPLE}") or 0)
        if self.o.timed and dated >= 0.5 * self.people:
            self.add(Feature("lead age (log days)", "lead.created_at", "lead_age"))


def _quartiles(data: np.ndarray) -> list[float]:
    """Distinct quartile edges (rounded to 3 significant digits), strictly above the minimum."""
    if data.size == 0:
        return []
    edges = {float(f"{q:.3g}") for q in np.quantile(data, [0.25, 0.5, 0.75])}
    return sorted(e for e in edges if e > float(np.min(data)))


def discover(engine: Engine, options: CatalogOptions) -> Catalog:
    """Every candidate feature the store can support (none excluded yet: see the guard)."""
    finder = _Finder(engine, options)
    for source in LEAD_CATEGORIES:
        finder.column(source, numeric=False)
    if engine.scalar("SELECT count(*) FROM leads WHERE account_id IS NOT NULL"):
        for source in ACCOUNT_CATEGORIES:
            finder.column(source, numeric=False)
        for source in ACCOUNT_NUMBERS:
            finder.column(source, numeric=True)
    catalogued = engine.fetch(
        "SELECT field, post_contact, mapping FROM field_catalog WHERE entity = 'leads' "
        "ORDER BY post_contact, field"
    )
    for key, post_contact, mapping in catalogued:
        if not re.fullmatch(r"[A-Za-z0-9_]+", str(key)):
            finder.skip(f"lead.attributes.{key}", "unusable_name", "not a plain key")
            continue
        source = f"lead.{'post_contact' if post_contact else 'attributes'}.{key}"
        if post_contact:
            finder.catalog.post_contact_mappings[source] = mapping
        finder.column(source)
    finder.activities()
    finder.lead_age()
    return finder.catalog


def short_name(source: str) -> str:
    """``lead.post_contact.tags`` → ``tags`` (what ``--allow-feature`` may also be given)."""
    return _short(source)
