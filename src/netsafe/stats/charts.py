"""Charts as SVG, drawn on the server: a horizontal bar per cell of a view, its number written beside it
(and "suppressed" where the rule hides it), so the chart carries its table's numbers as text and needs no
script, no font download and no CDN. Sized by hand: one bar chart is all the views need.
"""

from __future__ import annotations

from html import escape
from typing import Any

from netsafe.stats.tables import TOTAL

BAR_HEIGHT = 22
GAP = 6
LABEL_WIDTH = 210
BAR_WIDTH = 360
NUMBER_WIDTH = 110
FIGURE_KEYS = ("view", "count", "value", "per_100k", "change_percent")


def cell_label(row: dict[str, Any]) -> str:
    """What a row is, from its keys other than the figures: "2026-10", "Low", "Kent Police 2023 x"."""
    return " ".join(str(v) for k, v in row.items() if k not in FIGURE_KEYS)


def figure(row: dict[str, Any]) -> int | float | None:
    value = row["count"] if "count" in row else row.get("value")
    return value if isinstance(value, int | float) else None


def bar_chart(title: str, rows: list[dict[str, Any]]) -> str:
    shown = [r for r in rows if TOTAL not in r.values()]
    top = max((figure(r) or 0 for r in shown), default=0) or 1
    height = 30 + len(shown) * (BAR_HEIGHT + GAP)
    width = LABEL_WIDTH + BAR_WIDTH + NUMBER_WIDTH
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-labelledby="t-{escape(title)}">',
        f'<title id="t-{escape(title)}">{escape(title)}</title>',
    ]
    for index, row in enumerate(shown):
        y = 20 + index * (BAR_HEIGHT + GAP)
        value = figure(row)
        label = escape(cell_label(row))
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + 15}" text-anchor="end" font-size="13">{label}</text>'
        )
        if value is None:
            parts.append(
                f'<text class="figure" x="{LABEL_WIDTH}" y="{y + 15}" font-size="13">suppressed</text>'
            )
            continue
        length = max(1.0, BAR_WIDTH * float(value) / float(top)) if value else 0.0
        parts.append(
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{length:.1f}" height="{BAR_HEIGHT}" fill="#1d70b8"/>'
        )
        x = LABEL_WIDTH + length + 6
        parts.append(f'<text class="figure" x="{x:.1f}" y="{y + 15}" font-size="13">{value}</text>')
    parts.append("</svg>")
    return "".join(parts)


def views(out: dict[str, Any]) -> list[dict[str, Any]]:
    """A section's rows grouped by view, in order, each with its chart (views of medians and shares are
    tables only, with a chart of their counts where they have any)."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for row in out["rows"]:
        grouped.setdefault(row["view"], []).append(row)
    found = []
    for name, rows in grouped.items():
        title = f"{out['section']}: {name.replace('_', ' ')}"
        columns = [k for k in rows[0] if k != "view"]
        for row in rows:
            columns += [k for k in row if k not in columns and k != "view"]
        found.append(
            {"name": name, "title": title, "rows": rows, "columns": columns, "svg": bar_chart(title, rows)}
        )
    return found
