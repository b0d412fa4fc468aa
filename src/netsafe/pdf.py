"""HTML to PDF with WeasyPrint, the one way every netsafe report is paginated (triage, statistics).

Nothing is fetched: the pages hold their pictures inline (data: URLs) and WeasyPrint's fetcher is allowed
the data: scheme only, so a name in the evidence that looks like a URL can never reach the network or a
local file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def _weasyprint() -> tuple[Any, Any]:
    """WeasyPrint's HTML and URLFetcher, imported without its side effect on the whole process.

    Importing weasyprint sets Pillow's ``ImageFile.LOAD_TRUNCATED_IMAGES`` to True for everyone: after a
    scan wrote its report.pdf, a truncated JPEG would then hash as if whole, in the same process (a
    server that started a scan from its pages). The flag is put back as it was."""
    from PIL import ImageFile

    before = ImageFile.LOAD_TRUNCATED_IMAGES
    try:
        from weasyprint import HTML
        from weasyprint.urls import URLFetcher
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = before
    return HTML, URLFetcher


def write_pdf(html: str, path: Path) -> None:
    # Imported when first needed: WeasyPrint loads Pango and its fonts, a second every command would pay.
    html_class, fetcher_class = _weasyprint()
    html_class(string=html, url_fetcher=fetcher_class(allowed_protocols={"data"}), base_url=None).write_pdf(
        path
    )
