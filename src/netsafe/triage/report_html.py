"""report.html: one self-contained page (no script, no external reference) an examiner can open offline,
and the source of report.pdf (netsafe.pdf), so its CSS carries the page rules for print.

The case and exhibit, the evidence and its hashes, the charge table, the exhibit table (the files that
matched and their near-copies, most severe first), the errors. No picture of any item is included unless
thumbnails were asked for, and then only small, blurred, greyscale thumbnails of images that matched nothing
and resemble nothing that matched: a known image (or a near-copy of one) is never shown again.
"""

from __future__ import annotations

import base64
import io
from html import escape
from pathlib import Path
from typing import Any

from netsafe.hashsets.profiles import ProfileError, load_profile
from netsafe.signals.types import CRYPTO_SIGNALS
from netsafe.textsafe import utf8_safe
from netsafe.triage.report_exhibit import Row, exhibit_rows

# Colours by rank in the profile's severity order (most severe first); non-pertinent (severity 0) and
# uncategorised are grey. Dark enough for white text, and told apart in greyscale print by the label.
SEVERITY_COLOURS = ("#8b1a1a", "#c2410c", "#a16207", "#6b21a8")
NEUTRAL = "#5b6770"
# A thumbnail whose grey levels vary less than this (standard deviation, 0-255) is a near-uniform image.
UNIFORM_STDDEV = 4.0

CSS = """
@page{size:A4;margin:18mm 12mm 16mm 12mm;
@top-left{content:string(ref);font:9px sans-serif;color:#444}
@top-right{content:"netsafe triage report";font:9px sans-serif;color:#444}
@bottom-right{content:"Page " counter(page) " of " counter(pages);font:9px sans-serif;color:#444}}
.ref{string-set:ref content();font-weight:bold}
body{font:13px/1.4 system-ui,"DejaVu Sans",sans-serif;margin:1.5em;color:#222;max-width:60em}
@media print{body{margin:0;font-size:10px}table.exhibit{font-size:9px}}
h1{font-size:1.5em;margin:.2em 0}h2{font-size:1.2em;margin-top:1.6em;break-after:avoid}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:2px 6px;text-align:left;
vertical-align:top}th{background:#f0f0f0}td.n,th.n{text-align:right}
code{font-size:.9em;word-break:break-all}tr{break-inside:avoid}
table.exhibit{width:100%;font-size:11px;table-layout:fixed}table.exhibit td{overflow-wrap:anywhere}
.cat{display:inline-block;color:#fff;padding:0 4px;border-radius:3px}
.near{background:#fff8e1}.muted{color:#666}.small{font-size:.85em}
.thumbs{display:flex;flex-wrap:wrap;gap:6px}.thumbs div{width:110px;font-size:10px;border:1px solid #ccc;
padding:3px;overflow-wrap:anywhere}.thumbs img{display:block;margin:0 auto 2px}
.uniform{height:96px;background:#eee;display:flex;align-items:center;text-align:center;justify-content:center}
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


def colours(profile: str) -> dict[str | None, str]:
    """Category code -> colour, by severity (the most severe darkest red); unknown codes are grey."""
    try:
        grading = load_profile(profile)
    except ProfileError:
        return {None: NEUTRAL}
    out: dict[str | None, str] = {None: NEUTRAL}
    rank = 0
    for code in grading.severity_order:
        if grading.severity(code) > 0:
            out[code] = SEVERITY_COLOURS[min(rank, len(SEVERITY_COLOURS) - 1)]
            rank += 1
        else:
            out[code] = NEUTRAL
    return out


def _badge(code: str | None, label: str, palette: dict[str | None, str]) -> str:
    colour = palette.get(code, NEUTRAL)
    return f'<span class="cat" style="background:{colour}">{_e(label)}</span>'


def chart(charge: list[dict[str, Any]], palette: dict[str | None, str]) -> str:
    """Matched items by category as a horizontal bar chart, inline SVG (no fonts, scripts or links)."""
    counts = [(r["category"], r["label"], r["images"] + r["videos"]) for r in charge]
    if not any(n for _, _, n in counts):
        return '<p class="muted">No matches.</p>'
    bar_h, gap, label_w, width = 20, 6, 150, 320
    top = max(n for _, _, n in counts)
    height = len(counts) * (bar_h + gap)
    parts = [
        f'<svg role="img" aria-label="matched items by category" width="{label_w + width + 60}" '
        f'height="{height}" viewBox="0 0 {label_w + width + 60} {height}">'
    ]
    for i, (code, label, n) in enumerate(counts):
        y = i * (bar_h + gap)
        w = max(2, round(width * n / top)) if n else 0
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end" font-size="12">{_e(label)}</text>'
            f'<rect x="{label_w}" y="{y}" width="{w}" height="{bar_h}" fill="{palette.get(code, NEUTRAL)}">'
            f'</rect><text x="{label_w + w + 6}" y="{y + 15}" font-size="12">{n}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def reference(scan: dict[str, Any]) -> str:
    """The line every printed page carries: case and exhibit references."""
    case = scan.get("case") or "(no case reference)"
    exhibit = scan.get("exhibit") or "(no exhibit reference)"
    return f"Case {case} · Exhibit {exhibit}"


def _charge_table(charge: list[dict[str, Any]], palette: dict[str | None, str]) -> list[str]:
    out = [
        "<table><tr><th>Category</th><th class=n>Still images</th><th class=n>Videos</th>"
        "<th class=n>Distinct items</th><th class=n>Files</th></tr>"
    ]
    for r in charge:
        out.append(
            f"<tr><td>{_badge(r['category'], r['label'], palette)}</td><td class=n>{r['images']}</td>"
            f"<td class=n>{r['videos']}</td><td class=n>{r['images'] + r['videos']}</td>"
            f"<td class=n>{r['files']}</td></tr>"
        )
    out.append("</table>")
    return out


def _times(row: Row) -> str:
    parts = [
        (label, row.time(name)) for label, name in (("C", "created"), ("M", "modified"), ("A", "accessed"))
    ]
    shown = [f"{label} {_e(value)}" for label, value in parts if value]
    return "<br>".join(shown) or '<span class="muted">none recorded</span>'


def _exhibit_table(rows: list[Row], palette: dict[str | None, str]) -> list[str]:
    if not rows:
        return ['<p class="muted">No file matched a hash set.</p>']
    out = [
        '<table class="exhibit"><colgroup><col style="width:5%"><col style="width:12%">'
        '<col style="width:24%"><col style="width:18%"><col style="width:24%"><col style="width:17%">'
        "</colgroup><tr><th>Item</th><th>Category</th><th>Location, file name, size</th>"
        "<th>File-system times (UTC)</th><th>MD5, SHA-1, SHA-256</th><th>Hash set, MediaID, series, "
        "signal, distance</th></tr>"
    ]
    for r in rows:
        item, place = r.data, r.place
        sig = item["signals"]
        hashes = "<br>".join(f"<code>{_e(sig[k])}</code>" for k in CRYPTO_SIGNALS if k in sig)
        deleted = " <strong>(deleted)</strong>" if place["deleted"] else ""
        where = f"{_where(place)}<br>{_e(r.file_name)}, {_size(item['size'])}{deleted}"
        if r.status == "near-copy":
            cells = (
                f'<tr class="near"><td class=n>&#8776;{r.similar_to or ""}</td>'
                f"<td>{_badge(None, 'needs grading', palette)}</td><td>{where}</td><td>{_times(r)}</td>"
                f"<td>{hashes}</td><td>{_e(r.note())}</td></tr>"
            )
        else:
            found = "<br>".join(
                f"{_e(m['hashset'])}, MediaID {_e(m.get('source_id') or '-')}"
                + (f", series {_e(m['series'])}" if m.get("series") else "")
                + f", {_e(m['signal'])} {m['distance']}"
                for m in item["matches"]
            )
            cells = (
                f"<tr><td class=n>{r.item}</td><td>{_badge(r.category, r.category_label, palette)}</td>"
                f"<td>{where}</td><td>{_times(r)}</td><td>{hashes}</td><td>{found}</td></tr>"
            )
        out.append(cells)
    out.append("</table>")
    return out


def uniform(png_b64: str) -> bool:
    """True for a thumbnail of a near-uniform image (one colour, or nearly): it would show as a block."""
    from PIL import Image, ImageStat

    try:
        with Image.open(io.BytesIO(base64.b64decode(png_b64))) as img:
            return float(ImageStat.Stat(img.convert("L")).stddev[0]) < UNIFORM_STDDEV
    except Exception:  # an unreadable thumbnail is not shown either
        return True


def _thumbnails(report: dict[str, Any], thumbnails: dict[str, str]) -> list[str]:
    out = [
        '<h2>Unmatched images</h2><p class="muted">Blurred greyscale thumbnails of images that matched no '
        "hash set and resemble no matched item, for a first look before grading. Near-copies of found "
        'items are never shown.</p><div class="thumbs">'
    ]
    for item in report["items"]:
        sha = item["sha256"]
        if sha not in thumbnails or item["matches"] or item["near_copy_of"] or item["kind"] != "image":
            continue
        place = item["locations"][0]
        label = f"{_e(place['path'])}<br>{_size(item['size'])}"
        if len(item["locations"]) > 1:
            label += f", {len(item['locations'])} files"
        if uniform(thumbnails[sha]):
            picture = f'<div class="uniform" title="{_e(sha)}">near-uniform image (one colour)</div>'
        else:
            picture = (
                f'<img alt="thumbnail of {_e(place["path"])}" title="{_e(sha)}" '
                f'src="data:image/png;base64,{thumbnails[sha]}">'
            )
        out.append(f"<div>{picture}{label}</div>")
    out.append("</div>")
    return out


def render(report: dict[str, Any], thumbnails: dict[str, str] | None = None) -> str:
    scan, summary = report["scan"], report["summary"]
    palette = colours(summary["charge_profile"])
    out: list[str] = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        # No network: the page may not load anything, even if a name in the evidence tries to make it.
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; img-src data:\">",
        f"<title>{_e(reference(scan))}: netsafe triage report</title>",
        f"<style>{CSS}</style></head><body>",
        f'<p class="ref">{_e(reference(scan))}</p>',
        "<h1>netsafe triage report</h1>",
        "<table>",
    ]
    meta = [
        ("Case", scan["case"] or ""),
        ("Exhibit", scan["exhibit"] or ""),
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
    out.append("</table><h2>Evidence</h2><table><tr><th>Source</th><th>Type</th><th>Hashes</th></tr>")
    for src in scan["sources"]:
        hashes = [f"SHA-256 (netsafe) <code>{_e(src['sha256'])}</code>"] if src.get("sha256") else []
        for name, value in (src.get("acquisition_hashes") or {}).items():
            hashes.append(f"{_e(name.upper())} (acquisition) <code>{_e(value)}</code>")
        out.append(
            f"<tr><td><code>{_e(src['path'])}</code></td><td>{_e(src['type'])}</td>"
            f"<td>{'<br>'.join(hashes)}</td></tr>"
        )
    out.append(
        f"</table><h2>Charge table</h2><p>Distinct items and files matched, by the most severe category "
        f"of their matches ({_e(summary['charge_profile'])}). Near-copies are not graded and not counted "
        "here.</p>"
    )
    out.extend(_charge_table(summary["charge"], palette))
    out.append(chart(summary["charge"], palette))
    out.append("<h2>Summary</h2><table>")
    rows = [
        ("Files", summary["files"]),
        ("Size", _size(summary["bytes"])),
        ("Distinct items", summary["items"]),
        ("Images (distinct)", summary["images"]),
        ("Videos (distinct)", summary["videos"]),
        ("Deleted files", summary["deleted_files"]),
        ("Matched items (distinct)", summary["matched_items"]),
        ("Matched files", summary["matched_files"]),
        ("Near-copies needing grading (distinct)", summary["near_copies"]),
        ("Errors", summary["errors"]),
    ]
    out.extend(f"<tr><th>{_e(k)}</th><td class=n>{_e(v)}</td></tr>" for k, v in rows)
    out.append("</table><h3>Matches by hash set</h3><table>")
    out.extend(
        f"<tr><th>{_e(k)}</th><td class=n>{v}</td></tr>" for k, v in summary["matches_by_hashset"].items()
    )
    out.append(
        "</table><h2>Exhibit table</h2><p>Every file that matched, most severe first, then its "
        "near-copies: images or videos that matched no list but are within the perceptual threshold of a "
        "found item. A near-copy needs grading; it is not counted above. report.csv lists every file.</p>"
    )
    out.extend(_exhibit_table(exhibit_rows(report, found_only=True), palette))
    out.append("<h2>Errors</h2>")
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
        out.extend(_thumbnails(report, thumbnails))
    out.append("</body></html>\n")
    return "\n".join(out)


def write_html(report: dict[str, Any], path: Path, thumbnails: dict[str, str] | None = None) -> str:
    """Write report.html; returns its text (report.pdf is printed from it)."""
    html = render(report, thumbnails)
    path.write_text(html, encoding="utf-8")
    return html
