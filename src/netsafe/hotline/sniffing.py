"""What a fetched body is, from its bytes: a hostile server's Content-Type is a claim, not a fact.

Images and videos are told by their magic numbers (netsafe.media.sniff, the same rules hashing uses). HTML
by the WHATWG sniffing patterns (a known tag at the start), or as any text with a tag in it: reading links
out of something that is not quite HTML costs nothing, missing a page's pictures loses evidence. The header
is never believed for calling bytes an image or a video.
"""

from __future__ import annotations

import re
from typing import Literal

from netsafe.media.sniff import SNIFF_BYTES, sniff

ItemKind = Literal["image", "video", "other"]

HTML = "text/html"
UNKNOWN = "application/octet-stream"

# From the WHATWG MIME sniffing standard, "rules for identifying an unknown MIME type": a tag that ends with
# a space or ">" after optional leading whitespace.
_HTML_START = re.compile(
    rb"[\t\n\x0c\r ]*<(?:!doctype html|html|head|script|iframe|h1|div|font|table|a|style|title|b|body|br|p"
    rb"|!--)[ >]",
    re.IGNORECASE,
)
_ANY_TAG = re.compile(rb"<[a-zA-Z!/]")
_BINARY = re.compile(rb"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f]")
_BOMS = (b"\xef\xbb\xbf", b"\xfe\xff", b"\xff\xfe")


def sniff_content_type(body: bytes, declared: str | None = None) -> str:
    head = body[:SNIFF_BYTES]
    found = sniff(head)
    if found.kind != "other" and found.mime:
        return found.mime
    for bom in _BOMS:
        if head.startswith(bom):
            head = head[len(bom) :]
            break
    if _HTML_START.match(head):
        return HTML
    if found.mime is None and not _BINARY.search(head):
        mime = (declared or "").split(";", 1)[0].strip().lower()
        if mime in (HTML, "application/xhtml+xml") or _ANY_TAG.search(body[:4096]):
            return HTML
    return found.mime or UNKNOWN


def kind_of(content_type: str) -> ItemKind:
    if content_type.startswith("image/"):
        return "image"
    if content_type.startswith("video/"):
        return "video"
    return "other"
