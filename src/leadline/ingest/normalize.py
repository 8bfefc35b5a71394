"""Normalisers: small functions that return DuckDB SQL expressions.

Every cleaning rule is an expression over a column, not Python code over a
row, so a million-row import is one set-based statement and the same rules
can be unit-tested by running them through DuckDB (see
``tests/ingest/test_normalize.py``).  Callers pass SQL text for the input
(usually a quoted column name) and get SQL text back.

Conventions the rest of the import relies on:

* :func:`clean` is applied to every file value first: trim whitespace and turn
  form placeholders (``Select``, ``N/A``, ``NA``, ``-``, empty) into NULL — except
  ``NA`` in country and region columns, where it is a code (Namibia, North America);
* *codes* (activity types, stages, actions, reasons) are lower-case
  ``snake_case`` so contracts can compare them exactly;
* *categories* shown to people (lead source, industry, region) keep the most
  frequent spelling in the file; that needs a window over the file, so it
  lives in :mod:`leadline.ingest.stage`, which calls :func:`category_key`.
"""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources

# Values people type into forms when they mean "nothing".  Compared after
# trimming and lower-casing.
PLACEHOLDERS: tuple[str, ...] = ("select", "n/a", "na", "-", "--", "null", "nan", "none")

_WS = "' ' || chr(9) || chr(10) || chr(13) || chr(160)"

# Title -> seniority: the first matching rule wins (order matters: "vice
# president" must be caught before "president", "managing director" before
# "director").  Patterns run on the lower-cased title.
SENIORITY_RULES: tuple[tuple[str, str], ...] = (
    ("student", r"\b(student|intern|internship|trainee|apprentice|phd candidate)\b"),
    ("vp", r"\b(vp|svp|evp|avp|vice[ -]?president)\b"),
    (
        "c_level",
        r"\b(ceo|cfo|cto|cio|coo|cmo|cro|ciso|cpo|chief|founder|co-?founder|owner|"
        r"president|managing director|managing partner)\b",
    ),
    ("director", r"\b(director|head of|head)\b"),
    ("manager", r"\b(manager|mgr|supervisor|team lead|lead)\b"),
)
SENIORITIES: tuple[str, ...] = (
    "c_level",
    "vp",
    "director",
    "manager",
    "individual",
    "student",
)

# Title -> department: first match wins; functional words beat the generic
# "executive" bucket so that a CMO is marketing and a CFO is finance.
DEPARTMENT_RULES: tuple[tuple[str, str], ...] = (
    (
        "marketing",
        r"\b(marketing|marketer|cmo|brand|demand gen(eration)?|growth|seo|sem|content|"
        r"communications|social media|campaigns?)\b",
    ),
    (
        "sales",
        r"\b(sales|account executive|account manager|business development|bdr|sdr|cro|"
        r"revenue|commercial)\b",
    ),
    ("hr", r"\b(hr|human resources|people|talent|recruit(er|ing|ment)?)\b"),
    (
        "finance",
        r"\b(finance|financial|cfo|accountant|accounting|controller|treasurer|audit(or)?|"
        r"payroll)\b",
    ),
    (
        "it",
        r"\b(it|cio|ciso|information technology|information security|security|sysadmin|"
        r"system administrator|systems administrator|network|infrastructure|help ?desk)\b",
    ),
    (
        "engineering",
        r"\b(engineer|engineering|developer|software|cto|devops|architect|programmer|"
        r"r&d|data scientist|sre)\b",
    ),
    (
        "operations",
        r"\b(operations|ops|coo|logistics|supply chain|procurement|facilities)\b",
    ),
    (
        "executive",
        r"\b(ceo|chief executive|founder|co-?founder|owner|president|managing director|"
        r"managing partner|general manager)\b",
    ),
)
DEPARTMENTS: tuple[str, ...] = (
    "marketing",
    "sales",
    "engineering",
    "it",
    "finance",
    "operations",
    "hr",
    "executive",
    "other",
)

TRUE_WORDS: tuple[str, ...] = ("true", "t", "yes", "y", "1", "1.0")
FALSE_WORDS: tuple[str, ...] = ("false", "f", "no", "n", "0", "0.0")

EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


def ident(name: str) -> str:
    """Quote an identifier for DuckDB."""
    return '"' + name.replace('"', '""') + '"'


def lit(value: str) -> str:
    """Quote a string literal for DuckDB."""
    return "'" + value.replace("'", "''") + "'"


def _in_list(values: tuple[str, ...] | list[str]) -> str:
    return "(" + ", ".join(lit(v) for v in values) + ")"


# In a column of codes, "NA" is a value: Namibia, North America.
CODE_PLACEHOLDERS: tuple[str, ...] = tuple(p for p in PLACEHOLDERS if p != "na")


def clean(expr: str, *, codes: bool = False) -> str:
    """Trim, and turn blanks and form placeholders into NULL (``codes``: keep ``NA``)."""
    trimmed = f"trim({expr}, {_WS})"
    placeholders = CODE_PLACEHOLDERS if codes else PLACEHOLDERS
    return (
        f"CASE WHEN {trimmed} = '' OR lower({trimmed}) IN {_in_list(placeholders)} "
        f"THEN NULL ELSE {trimmed} END"
    )


def code(expr: str) -> str:
    """A machine code: lower-case snake_case (``Email Opened`` -> ``email_opened``)."""
    return f"nullif(trim(regexp_replace(lower({expr}), '[^a-z0-9]+', '_', 'g'), '_'), '')"


def category_key(expr: str) -> str:
    """What two spellings of one category share (``google`` and ``Google``)."""
    return f"lower(regexp_replace({expr}, '\\s+', ' ', 'g'))"


def upper_code(expr: str) -> str:
    """Currency and similar codes are upper-case."""
    return f"upper({expr})"


def email(expr: str) -> str:
    """Emails compare case-insensitively, so store them lower-cased and trimmed."""
    return f"lower({expr})"


def email_is_valid(expr: str) -> str:
    return f"regexp_matches({expr}, {lit(EMAIL_PATTERN)})"


def email_domain(email_expr: str) -> str:
    return f"nullif(split_part({email_expr}, '@', 2), '')"


def domain(expr: str) -> str:
    """A company web domain from a URL or host: no scheme, ``www.``, port or path."""
    return (
        "nullif(regexp_replace(regexp_replace(lower("
        f"{expr}), '^[a-z]+://', ''), '^www\\.|[:/?#].*$', '', 'g'), '')"
    )


@cache
def free_mail_domains() -> tuple[str, ...]:
    """The packaged list of consumer mail domains."""
    text = (resources.files("leadline.ingest") / "freemail.txt").read_text(encoding="utf-8")
    return tuple(
        line.strip().lower()
        for line in text.splitlines()
        if line.strip() and not line.startswith("#")
    )


def is_free_mail(domain_expr: str) -> str:
    return f"({domain_expr} IN {_in_list(free_mail_domains())})"


def _ordered_rules(expr: str, rules: tuple[tuple[str, str], ...], default: str) -> str:
    text = f"lower({expr})"
    whens = " ".join(
        f"WHEN regexp_matches({text}, {lit(pattern)}) THEN {lit(value)}" for value, pattern in rules
    )
    return f"CASE WHEN {expr} IS NULL THEN NULL {whens} ELSE {lit(default)} END"


def seniority(title_expr: str) -> str:
    """Title -> one of :data:`SENIORITIES` by ordered regex rules."""
    return _ordered_rules(title_expr, SENIORITY_RULES, "individual")


def department(title_expr: str) -> str:
    """Title -> one of :data:`DEPARTMENTS` by ordered regex rules."""
    return _ordered_rules(title_expr, DEPARTMENT_RULES, "other")


@cache
def country_aliases() -> dict[str, str]:
    """Normalised country name/alias/alpha-2/alpha-3 -> ISO 3166 alpha-2."""
    text = (resources.files("leadline.ingest") / "countries.csv").read_text(encoding="utf-8")
    reader = csv.DictReader(text.splitlines())
    return {row["alias"]: row["alpha2"] for row in reader}


def country_key(expr: str) -> str:
    """How a country spelling is looked up: ASCII, lower-case, words split by one space."""
    return f"trim(regexp_replace(lower(strip_accents({expr})), '[^a-z0-9]+', ' ', 'g'))"


COUNTRY_TABLE = "_ll_countries"


def country_table_sql() -> str:
    """DDL that loads the country lookup into a temp table (idempotent)."""
    values = ", ".join(f"({lit(k)}, {lit(v)})" for k, v in sorted(country_aliases().items()))
    return (
        f"CREATE OR REPLACE TEMP TABLE {COUNTRY_TABLE} AS "
        f"SELECT * FROM (VALUES {values}) AS t(alias, alpha2)"
    )


def country(expr: str) -> str:
    """Country name or code -> alpha-2 via the lookup table; unknown -> NULL."""
    return f"(SELECT c.alpha2 FROM {COUNTRY_TABLE} c WHERE c.alias = {country_key(expr)})"


def number(expr: str) -> str:
    """A number; thousands separators, currency signs and spaces are ignored."""
    return f"TRY_CAST(regexp_replace({expr}, '[,$€£ ]', '', 'g') AS DOUBLE)"


def integer(expr: str) -> str:
    """A whole number (``12.0`` is fine, ``12.5`` is not)."""
    n = number(expr)
    return f"CASE WHEN {n} = floor({n}) THEN TRY_CAST({n} AS BIGINT) END"


def boolean(expr: str) -> str:
    text = f"lower({expr})"
    return (
        f"CASE WHEN {text} IN {_in_list(TRUE_WORDS)} THEN true "
        f"WHEN {text} IN {_in_list(FALSE_WORDS)} THEN false END"
    )


def timestamp(expr: str, date_format: str | None = None) -> str:
    """A timestamp; an explicit profile format wins, else ISO-8601 forms.

    Values with a UTC offset (``Z``, ``+02:00``) are converted to UTC; the
    store keeps naive UTC timestamps.
    """
    if date_format:
        return f"try_strptime({expr}, {lit(date_format)})"
    offset = f"regexp_extract({expr}, '([+-])(\\d\\d):?(\\d\\d)$', ['sign', 'h', 'm'])"
    return (
        f"CASE WHEN regexp_matches({expr}, '\\d[T ]\\d\\d:\\d\\d(:\\d\\d(\\.\\d+)?)?"
        "[+-]\\d\\d:?\\d\\d$') THEN "
        f"TRY_CAST(regexp_replace({expr}, '[+-]\\d\\d:?\\d\\d$', '') AS TIMESTAMP) - "
        f"(CASE WHEN {offset}.sign = '-' THEN -1 ELSE 1 END) * ("
        f"TRY_CAST({offset}.h AS INTEGER) * INTERVAL 1 HOUR + "
        f"TRY_CAST({offset}.m AS INTEGER) * INTERVAL 1 MINUTE) "
        f"ELSE TRY_CAST(regexp_replace({expr}, '(?i)z$', '') AS TIMESTAMP) END"
    )


def date(expr: str, date_format: str | None = None) -> str:
    return f"CAST({timestamp(expr, date_format)} AS DATE)"


def topic_list(expr: str) -> str:
    """``a| B |c`` -> ``['a', 'b', 'c']`` (topics are codes, so lower-case)."""
    return (
        f"list_filter(list_transform(string_split({expr}, '|'), "
        "lambda x: lower(trim(x))), lambda x: x <> '')"
    )


def snake(name: str) -> str:
    """A file column name as an attribute key: ``Lead Origin`` -> ``lead_origin``."""
    out = []
    prev_us = True
    for ch in name.strip().lower():
        if ch.isalnum():
            out.append(ch)
            prev_us = False
        elif not prev_us:
            out.append("_")
            prev_us = True
    return "".join(out).strip("_") or "column"
