"""report.html: one self-contained page (no script, no external reference) an examiner can open offline.

Summary, a bar chart of matches by category (inline SVG), the table of matches and the table of errors.
No picture of any item is included unless thumbnails were asked for, and then only small, blurred,
greyscale thumbnails of images that matched nothing: a known image is never shown again.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from netsafe.textsafe import utf8_safe

CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;
vertical-align:top}th{background:#f0f0f0}td.n{text-align:right}code{font-size:12px;word-break:break-all}
.thumbs img{margin:2px;border:1px solid #ccc}.muted{color:#666}
"""


def _e(value: Any) -> str:
    return escape(utf8_safe("" if value is None else str(value)), quote=True)


def _where(place: dict[str, Any]) -> str:
    """A location in <code>; one whose names had to be escaped also shows its exact bytes."""
    shown = f"<code>{_e(place['path'])}</code>"
    exact = place.get("path_bytes_hex")
    if exact:
        shown += f'<br><span class="muted">exact bytes (hex): <code>{_e(exact)}</code></span>'
    return shown


def _size(n: int) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} bytes"


def chart(counts: dict[str, int]) -> str:
    """A horizontal bar chart as inline SVG (no fonts, scripts or links from elsewhere)."""
    if not counts:
        return '<p class="muted">No matches.</p>'
    bar_h, gap, label_w, width = 22, 6, 170, 360
    top = max(counts.values())
    height = len(counts) * (bar_h + gap)
    parts = [
        f'<svg role="img" aria-label="matches by category" width="{label_w + width + 60}" '
        f'height="{height}" viewBox="0 0 {label_w + width + 60} {height}">'
    ]
    for i, (label, n) in enumerate(counts.items()):
        y = i * (bar_h + gap)
        w = max(2, round(width * n / top))
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 16}" text-anchor="end" font-size="13">{_e(label)}</text>'
            f'<rect x="{label_w}" y="{y}" width="{w}" height="{bar_h}" fill="#b03030"></rect>'
            f'<text x="{label_w + w + 6}" y="{y + 16}" font-size="13">{n}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def render(report: dict[str, Any], thumbnails: dict[str, str] | None = None) -> str:
    scan, summary = report["scan"], report["summary"]
    out: list[str] = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        # No network: the page may not load anything, even if a name in the evidence tries to make it.
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; img-src data:\">",
        "<title>netsafe triage report</title>",
        f"<style>{CSS}</style></head><body>",
        "<h1>netsafe triage report</h1>",
        "<table>",
    ]
    meta = [
        ("Examiner", scan["examiner"] or ""),
        ("Started", scan["started"]),
        ("Finished", scan["finished"] or "(not finished)"),
        ("netsafe version", scan["netsafe_version"]),
        ("Signals", ", ".join(scan["signals"])),
        (
            "Hash sets",
            ", ".join(
                f"{s['name']} v{s['version']} ({s['entries']} entries, {s['profile']})"
                for s in scan["hash_sets"]
            )
            or "none",
        ),
    ]
    out.extend(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in meta)
    out.append("</table><h2>Sources</h2><table><tr><th>Source</th><th>Type</th><th>SHA-256</th></tr>")
    for src in scan["sources"]:
        out.append(
            f"<tr><td><code>{_e(src['path'])}</code></td><td>{_e(src['type'])}</td>"
            f"<td><code>{_e(src.get('sha256') or '')}</code></td></tr>"
        )
    out.append("</table><h2>Summary</h2><table>")
    rows = [
        ("Files", summary["files"]),
        ("Size", _size(summary["bytes"])),
        ("Distinct items", summary["items"]),
        ("Images (distinct)", summary["images"]),
        ("Videos (distinct)", summary["videos"]),
        ("Deleted files", summary["deleted_files"]),
        ("Matched items (distinct)", summary["matched_items"]),
        ("Matched files", summary["matched_files"]),
        ("Errors", summary["errors"]),
    ]
    out.extend(f'<tr><th>{_e(k)}</th><td class="n">{_e(v)}</td></tr>' for k, v in rows)
    out.append("</table><h3>Matches by hash set</h3><table>")
    out.extend(
        f'<tr><th>{_e(k)}</th><td class="n">{v}</td></tr>' for k, v in summary["matches_by_hashset"].items()
    )
    out.append("</table><h2>Matches by category</h2>")
    out.append(chart(summary["matches_by_category"]))
    out.append(
        "<h2>Matches</h2><table><tr><th>Category</th><th>Hash set</th><th>Signal</th><th>Distance</th>"
        "<th>SHA-256</th><th>Locations</th></tr>"
    )
    for item in report["items"]:
        for m in item["matches"]:
            places = "<br>".join(
                f"{_where(p)}{' (deleted)' if p['deleted'] else ''}" for p in item["locations"]
            )
            out.append(
                f"<tr><td>{_e(m['category_label'])}</td><td>{_e(m['hashset'])}</td><td>{_e(m['signal'])}</td>"
                f'<td class="n">{m["distance"]}</td><td><code>{_e(item["sha256"])}</code></td>'
                f"<td>{places}</td></tr>"
            )
    out.append("</table><h2>Errors</h2>")
    if report["errors"]:
        out.append("<table><tr><th>Location</th><th>Problem</th><th>Message</th></tr>")
        out.extend(
            f"<tr><td>{_where(err)}</td><td>{_e(err['code'])}</td><td>{_e(err['message'])}</td></tr>"
            for err in report["errors"]
        )
        out.append("</table>")
    else:
        out.append('<p class="muted">None.</p>')
    if thumbnails:
        matched = {i["sha256"] for i in report["items"] if i["matches"]}
        out.append(
            '<h2>Unmatched images</h2><p class="muted">Blurred greyscale thumbnails of images that matched '
            "no "
            'hash set, for a first look before grading.</p><div class="thumbs">'
        )
        for item in report["items"]:
            sha = item["sha256"]
            if sha in thumbnails and sha not in matched and item["kind"] == "image":
                out.append(
                    f'<img alt="{_e(item["locations"][0]["path"])}" title="{_e(sha)}" '
                    f'src="data:image/png;base64,{thumbnails[sha]}">'
                )
        out.append("</div>")
    out.append("</body></html>\n")
    return "\n".join(out)


def write_html(report: dict[str, Any], path: Path, thumbnails: dict[str, str] | None = None) -> None:
    path.write_text(render(report, thumbnails), encoding="utf-8")
