"""Write docs/reports.md from the report registry: ``python -m leadline.analytics.docgen``.

Each report's columns and definitions live next to its SQL; this module only
lays them out, and tests/analytics/test_docs.py fails when the file is stale.
"""

from __future__ import annotations

import sys
from importlib import resources

from leadline.analytics.registry import KINDS, Column, Report, reports

# The prose before the generated part (a text file: markdown tables do not wrap).
INTRO = (resources.files("leadline.analytics") / "docs_intro.txt").read_text(encoding="utf-8")


def _kind(col: Column) -> str:
    return KINDS.get(col.kind, col.kind)


def _columns(cols: tuple[Column, ...]) -> list[str]:
    lines = ["| column | kind | definition |", "|---|---|---|"]
    for col in cols:
        text = col.description.replace("|", "\\|")
        lines.append(f"| `{col.name}` | {_kind(col)} | {text} |")
    return lines


def render_report(report: Report) -> str:
    roles = ", ".join(("admin", *report.roles))
    lines = [
        f'<a id="{report.name}"></a>',
        "",
        f"## `{report.name}` — {report.title}",
        "",
        report.description,
        "",
        f"*Window:* {report.window}. *Roles:* {roles}.",
        "",
        *(f"- {d}" for d in report.definitions),
        *([""] if report.definitions else []),
    ]
    if report.options:
        lines += ["| option | default | values | meaning |", "|---|---|---|---|"]
        for o in report.options:
            values = ", ".join(f"`{c}`" for c in o.choices) if o.choices else "text"
            lines.append(f"| `{o.name}` | `{o.default}` | {values} | {o.description} |")
        lines.append("")
    if report.summary:
        lines += ["**Summary**", "", *_columns(report.summary), ""]
    for table in report.tables:
        lines += [
            f"**Table `{table.name}`** — {table.description}",
            "",
            *_columns(table.columns),
            "",
        ]
    lines += [f"```\nleadline report {report.name} --format json\n```", ""]
    return "\n".join(lines)


def render() -> str:
    listing = ["| report | what it answers |", "|---|---|"]
    listing += [f"| [`{r.name}`](#{r.name}) | {r.title} |" for r in reports().values()]
    body = [render_report(r) for r in reports().values()]
    return INTRO + "\n## The reports\n\n" + "\n".join(listing) + "\n\n" + "\n".join(body)


def main() -> None:
    sys.stdout.write(render())


if __name__ == "__main__":
    main()
