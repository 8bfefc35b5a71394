"""Charts drawn on the server as SVG: no JavaScript, no CDN, readable without a network.

Each function takes plain numbers and returns an SVG element as markup. The
numbers a chart shows are also in the table next to it (charts are for
seeing shape; tables are for reading figures), and every chart carries a
text title for screen readers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

PALETTE = ("#2f6fdf", "#f08c2e", "#3aa46b", "#c34a9c", "#7a5fd0", "#d24b4b", "#2aa3b8")
INK = "#1f2733"
MUTED = "#6b7685"
GRID = "#e3e7ee"
FONT = 'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif"'

Fmt = Callable[[float], str]


def plain_number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 or value == int(value) else f"{value:,.2f}"


def _svg(width: int, height: int, title: str, body: str, css_class: str = "chart") -> Markup:
    return Markup(
        f'<svg class="{css_class}" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg" {FONT}>'
        f"<title>{escape(title)}</title>{body}</svg>"
    )


def _text(
    x: float,
    y: float,
    text: str,
    *,
    anchor: str = "start",
    size: int = 12,
    color: str = INK,
    weight: str = "normal",
) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" '
        f'fill="{color}" font-weight="{weight}">{escape(text)}</text>'
    )


def _clip(label: str, limit: int = 24) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]


def bars(
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    fmt: Fmt = plain_number,
    width: int = 640,
    label_width: int = 150,
) -> Markup:
    """Horizontal bars, one group per label, one bar per series (e.g. revenue and pipeline).

    Negative values (a score part that takes points away) grow left of a zero line.
    """
    if not labels:
        return empty(title)
    label_w, value_w, bar_h, gap = label_width, 70, 14, 10
    group_h = bar_h * len(series) + gap
    legend_h = 22 if len(series) > 1 else 0
    height = legend_h + group_h * len(labels) + 6
    values = [v or 0 for s in series for v in s.values]
    high = max([*values, 0]) or 0
    low = -min([*values, 0])
    span = (high + low) or 1
    plot_w = width - label_w - value_w - (value_w if low else 0)
    zero = label_w + (value_w if low else 0) + plot_w * low / span
    parts = []
    if len(series) > 1:
        x = label_w
        for i, s in enumerate(series):
            parts.append(f'<rect x="{x}" y="4" width="12" height="12" fill="{PALETTE[i]}"/>')
            parts.append(_text(x + 16, 14, s.name, color=MUTED))
            x += 24 + 7 * len(s.name)
    if low:
        parts.append(
            f'<line x1="{zero:.1f}" y1="{legend_h}" x2="{zero:.1f}" y2="{height - 4}" '
            f'stroke="{GRID}"/>'
        )
    for row, label in enumerate(labels):
        y0 = legend_h + row * group_h
        parts.append(_text(label_w - 8, y0 + group_h / 2, _clip(label, label_w // 7), anchor="end"))
        for i, s in enumerate(series):
            value = s.values[row] or 0
            w = plot_w * abs(value) / span
            left = zero if value >= 0 else zero - w
            y = y0 + i * bar_h
            color = PALETTE[5] if value < 0 else PALETTE[i % len(PALETTE)]
            parts.append(
                f'<rect x="{left:.1f}" y="{y:.1f}" width="{w:.1f}" height="{bar_h - 2}" '
                f'fill="{color}" rx="2"><title>{escape(label)} — '
                f"{escape(s.name)}: {escape(fmt(value))}</title></rect>"
            )
            if value >= 0:
                parts.append(_text(zero + w + 4, y + bar_h - 4, fmt(value), size=11, color=MUTED))
            else:
                parts.append(
                    _text(left - 4, y + bar_h - 4, fmt(value), anchor="end", size=11, color=MUTED)
                )
    return _svg(width, height, title, "".join(parts))


def funnel(
    stages: Sequence[tuple[str, int, float | None]], *, title: str, width: int = 640
) -> Markup:
    """Centred bars narrowing stage by stage, with the conversion from the previous stage."""
    if not stages or not stages[0][1]:
        return empty(title)
    row_h, label_w, conv_w = 34, 110, 90
    plot_w = width - label_w - conv_w
    top = stages[0][1] or 1
    parts = []
    for i, (label, count, conversion) in enumerate(stages):
        w = max(2.0, plot_w * count / top)
        x = label_w + (plot_w - w) / 2
        y = i * row_h + 4
        color = PALETTE[0] if label not in ("won",) else PALETTE[2]
        parts.append(
            f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{row_h - 8}" fill="{color}" '
            f'rx="3"><title>{escape(label)}: {count:,}</title></rect>'
        )
        parts.append(
            _text(label_w - 8, y + row_h / 2 + 4, label.upper(), anchor="end", weight="600")
        )
        if w > 70:
            parts.append(
                _text(
                    label_w + plot_w / 2,
                    y + row_h / 2 + 4,
                    f"{count:,}",
                    anchor="middle",
                    color="#fff",
                    weight="600",
                )
            )
        else:
            parts.append(_text(x + w + 6, y + row_h / 2 + 4, f"{count:,}", weight="600"))
        if conversion is not None:
            parts.append(
                _text(width - conv_w + 8, y + row_h / 2 + 4, f"{conversion:.1%} ↓", color=MUTED)
            )
    return _svg(width, len(stages) * row_h + 8, title, "".join(parts))


def heatmap(
    rows: Sequence[str],
    columns: Sequence[str],
    values: Sequence[Sequence[float | None]],
    *,
    title: str,
    width: int = 640,
) -> Markup:
    """A grid of shares (0–1): darker is higher; each cell shows its percentage."""
    if not rows:
        return empty(title)
    label_w, head_h, cell_h = 80, 24, 24
    cell_w = (width - label_w) / max(1, len(columns))
    top = max((v or 0 for r in values for v in r), default=0) or 1
    parts = [
        _text(label_w + (j + 0.5) * cell_w, 16, c, anchor="middle", color=MUTED, weight="600")
        for j, c in enumerate(columns)
    ]
    for i, label in enumerate(rows):
        y = head_h + i * cell_h
        parts.append(_text(label_w - 8, y + cell_h / 2 + 4, label, anchor="end"))
        for j, value in enumerate(values[i]):
            x = label_w + j * cell_w
            share = (value or 0) / top
            fill = f"rgba(47, 111, 223, {0.08 + 0.85 * share:.3f})"
            text = "—" if value is None else f"{value:.0%}"
            parts.append(
                f'<rect x="{x + 1:.1f}" y="{y + 1}" width="{cell_w - 2:.1f}" height="{cell_h - 2}" '
                f'fill="{fill}"><title>{escape(label)} {escape(columns[j])}: {text}</title></rect>'
            )
            parts.append(
                _text(
                    x + cell_w / 2,
                    y + cell_h / 2 + 4,
                    text,
                    anchor="middle",
                    size=11,
                    color="#fff" if share > 0.55 else INK,
                )
            )
    return _svg(width, head_h + len(rows) * cell_h + 4, title, "".join(parts))


def lift_curve(
    deciles: Sequence[int],
    lift: Sequence[float | None],
    capture: Sequence[float | None],
    *,
    title: str,
    width: int = 640,
    height: int = 260,
) -> Markup:
    """Lift per decile as bars (1 = average) and cumulative capture as a line (0–100%)."""
    if not deciles:
        return empty(title)
    left, right, top_pad, bottom = 44, 44, 16, 30
    plot_w, plot_h = width - left - right, height - top_pad - bottom
    top = max([v or 0 for v in lift] + [1.0]) * 1.1
    step = plot_w / len(deciles)
    parts = [
        f'<line x1="{left}" y1="{top_pad + plot_h}" x2="{left + plot_w}" '
        f'y2="{top_pad + plot_h}" stroke="{GRID}"/>'
    ]
    one = top_pad + plot_h - plot_h * 1 / top
    parts.append(
        f'<line x1="{left}" y1="{one:.1f}" x2="{left + plot_w}" y2="{one:.1f}" '
        f'stroke="{MUTED}" stroke-dasharray="4 3"/>'
    )
    parts.append(_text(left - 6, one + 4, "1×", anchor="end", size=11, color=MUTED))
    points = []
    for i, d in enumerate(deciles):
        x = left + i * step
        h = plot_h * (lift[i] or 0) / top
        parts.append(
            f'<rect x="{x + step * 0.15:.1f}" y="{top_pad + plot_h - h:.1f}" '
            f'width="{step * 0.7:.1f}" height="{h:.1f}" fill="{PALETTE[0]}" rx="2">'
            f"<title>decile {d}: lift {lift[i] or 0:.2f}×</title></rect>"
        )
        parts.append(
            _text(x + step / 2, height - 10, str(d), anchor="middle", size=11, color=MUTED)
        )
        if capture[i] is not None:
            cy = top_pad + plot_h - plot_h * float(capture[i] or 0)
            points.append(f"{x + step / 2:.1f},{cy:.1f}")
    if points:
        parts.append(
            f'<polyline points="{" ".join(points)}" fill="none" stroke="{PALETTE[1]}" '
            f'stroke-width="2.5"/>'
        )
        parts.append(_text(left + plot_w + 4, top_pad + 10, "100%", size=11, color=PALETTE[1]))
    parts.append(
        _text(left, top_pad - 4, "lift (bars) · cumulative capture (line)", size=11, color=MUTED)
    )
    return _svg(width, height, title, "".join(parts))


def columns(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    title: str,
    fmt: Fmt = plain_number,
    width: int = 640,
    height: int = 200,
    highlight: int | None = None,
) -> Markup:
    """Vertical bars for a distribution (e.g. speed to lead by time bucket)."""
    if not labels or not any(values):
        return empty(title)
    left, bottom, top_pad = 10, 34, 18
    plot_h = height - bottom - top_pad
    step = (width - 2 * left) / len(labels)
    top = max(values) or 1
    parts = []
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        h = plot_h * value / top
        x = left + i * step
        color = PALETTE[5] if highlight is not None and i >= highlight else PALETTE[0]
        parts.append(
            f'<rect x="{x + step * 0.12:.1f}" y="{top_pad + plot_h - h:.1f}" '
            f'width="{step * 0.76:.1f}" height="{h:.1f}" fill="{color}" rx="2">'
            f"<title>{escape(label)}: {escape(fmt(value))}</title></rect>"
        )
        parts.append(
            _text(
                x + step / 2,
                top_pad + plot_h - h - 4,
                fmt(value),
                anchor="middle",
                size=11,
                color=MUTED,
            )
        )
        parts.append(_text(x + step / 2, height - 12, label, anchor="middle", size=11))
    return _svg(width, height, title, "".join(parts))


def empty(title: str) -> Markup:
    return _svg(640, 40, title, _text(8, 24, "No data for these filters.", color=MUTED))
