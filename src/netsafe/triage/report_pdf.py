"""report.pdf: report.html paginated for disclosure (WeasyPrint), every page headed with the case and
exhibit references and numbered "Page n of m" by the page rules in report_html.CSS.

Nothing is fetched: the page holds its pictures inline (data: URLs) and WeasyPrint's fetcher is allowed
the data: scheme only, so a name in the evidence that looks like a URL can never reach the network or a
local file.
"""

from __future__ import annotations

from pathlib import Path


def write_pdf(html: str, path: Path) -> None:
    # Imported here: WeasyPrint loads Pango and its fonts, a second of start-up every command would pay.
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    HTML(string=html, url_fetcher=URLFetcher(allowed_protocols={"data"}), base_url=None).write_pdf(path)
