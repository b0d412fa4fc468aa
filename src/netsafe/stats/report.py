"""The annual report: every section for one year, a chart and its table per view, and a short summary of
the year's headline figures written from them; HTML, and PDF through WeasyPrint (nothing fetched: the charts
are inline SVG and the fetcher allows the data: scheme only).

Published by default (disclosure control), since a report is made to be handed out.
"""

from __future__ import annotations

from datetime import date
from html import escape
from pathlib import Path
from typing import Any

from netsafe.audit.service import Actor
from netsafe.errors import InvalidInput
from netsafe.pdf import write_pdf
from netsafe.stats import service
from netsafe.stats.charts import views
from netsafe.stats.disclosure import Rule, describe
from netsafe.store.db import Database

CSS = """
@page { size: A4; margin: 18mm 15mm; @bottom-right { content: "Page " counter(page) " of " counter(pages); } }
body { font-family: sans-serif; font-size: 10.5pt; color: #0b0c0c; }
h1 { font-size: 20pt; } h2 { font-size: 15pt; border-bottom: 2px solid #1d70b8; page-break-before: always; }
figure { page-break-inside: avoid; margin: 0 0 14pt 0; } figcaption { font-weight: bold; margin: 6pt 0; }
svg { max-width: 100%; height: auto; }
table { border-collapse: collapse; margin-top: 4pt; } td, th { border: 1px solid #b1b4b6; padding: 2pt 6pt; }
.rule { color: #505a5f; font-style: italic; } .summary li { margin-bottom: 4pt; }
"""


def _pick(out: dict[str, Any], view: str, key: str, value: str) -> Any:
    for row in out["rows"]:
        if row["view"] == view and row.get(key) == value:
            return row.get("count", row.get("value"))
    return None


def _say(value: Any) -> str:
    return "fewer than could be published" if value is None else f"{value:,}"


def summary(found: dict[str, dict[str, Any]], year: int) -> list[str]:
    """The headline figures as sentences, from the rows the tables show (a hidden cell stays hidden)."""
    hotline, cases, triage = found["hotline"], found["cases"], found["triage"]
    received, assessed, confirmed = (
        _say(_pick(hotline, f"{view}_by_month", "month", "total"))
        for view in ("received", "assessed", "confirmed")
    )
    lines = [
        f"In {year} the hotline received {received} reports, assessed {assessed} and confirmed {confirmed} "
        "as criminal."
    ]
    share = _pick(hotline, "public_reports", "measure", "actionable_percent")
    if share is not None:
        lines.append(f"{share}% of the public's assessed reports were actionable.")
    median = _pick(hotline, "notice_to_removal", "measure", "median_hours")
    if median is not None:
        lines.append(f"Half of the confirmed pages were removed within {median} hours of the first notice.")
    lines.append(
        f"Police received {_say(_pick(cases, 'by_risk_level', 'level', 'total'))} referrals; operations made "
        f"{_say(_pick(cases, 'operation_arrests', 'operation', 'total'))} arrests and safeguarded "
        f"{_say(_pick(cases, 'operation_children_safeguarded', 'operation', 'total'))} children."
    )
    met = _pick(cases, "target", "measure", "met_target_percent")
    if met is not None:
        lines.append(f"{met}% of the cases acted on met their response target.")
    scans = _pick(triage, "totals", "measure", "scans")
    lines.append(f"Triage ran {_say(scans)} scans.")
    graded = _pick(triage, "graded_items_by_month", "month", "total")
    if graded:
        trusted, settled = (
            _say(_pick(triage, "graded_hashes_by_standing", "standing", name))
            for name in ("trusted", "settled")
        )
        lines.append(
            f"Reviewers graded {_say(graded)} new items; of the hashes first graded this year {trusted} now "
            f"have a trusted grade and {settled} were settled by a senior."
        )
    return lines


def html(found: dict[str, dict[str, Any]], year: int, rule: Rule | None) -> str:
    parts = [
        '<!doctype html><html lang="en"><head><meta charset="utf-8">',
        f"<title>netsafe statistics {year}</title><style>{CSS}</style></head><body>",
        f"<h1>Statistics for {year}</h1>",
        f'<p class="rule">{escape(describe(rule))}</p>',
        '<h3>The year in brief</h3><ul class="summary">',
        *[f"<li>{escape(line)}</li>" for line in summary(found, year)],
        "</ul>",
    ]
    for out in found.values():
        parts.append(f"<h2>{escape(out['section'].capitalize())}</h2>")
        if not out["rows"]:
            parts.append("<p>No figures for this year.</p>")
        for view in views(out):
            parts.append(
                f"<figure><figcaption>{escape(view['title'])}</figcaption>{view['svg']}<table><thead><tr>"
            )
            parts += [f'<th scope="col">{escape(c)}</th>' for c in view["columns"]]
            parts.append("</tr></thead><tbody>")
            for row in view["rows"]:
                cells = [
                    "" if c not in row else "suppressed" if row[c] is None else str(row[c])
                    for c in view["columns"]
                ]
                parts.append("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in cells) + "</tr>")
            parts.append("</tbody></table></figure>")
    parts.append("</body></html>")
    return "".join(parts)


def write_report(db: Database, actor: Actor, year: int, out_dir: Path, rule: Rule | None) -> dict[str, Any]:
    if not 1990 <= year <= 2100:
        raise InvalidInput(f"--year {year}: give a year such as 2026")
    period = service.Period(date(year, 1, 1), date(year, 12, 31))
    found = {name: service.show(db, actor, name, period, rule) for name in service.SECTIONS}
    text = html(found, year, rule)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        page = out_dir / f"statistics-{year}.html"
        page.write_text(text, encoding="utf-8")
    except OSError:
        raise InvalidInput(
            f"--out {out_dir.name!r}: cannot write there; give a folder you may write to"
        ) from None
    pdf = out_dir / f"statistics-{year}.pdf"
    _write_pdf(text, pdf)
    return {"html": page.name, "pdf": pdf.name, "summary": summary(found, year)}


def _write_pdf(text: str, path: Path) -> None:
    write_pdf(text, path)
