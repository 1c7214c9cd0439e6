"""The introduction letter's QR code: it opens the public check with the letter's number and code."""

from urllib.parse import urlencode

import segno
from django.urls import reverse
from django.utils.safestring import mark_safe


def verification_path(transfer) -> str:
    """The public check of ``transfer``'s letter, its number and code filled in."""
    query = urlencode({"number": transfer.letter_number, "code": transfer.verification_code})
    return f"{reverse('members:letter_verify')}?{query}"


def verification_url(request, transfer) -> str:
    """The absolute address the QR code holds, built from the request (host and scheme as served)."""
    return request.build_absolute_uri(verification_path(transfer))


def qr_svg(url: str, *, title: str = "") -> str:
    """The QR code of ``url`` as inline SVG (error correction M, as printed letters get creased)."""
    svg = segno.make(url, error="m").svg_inline(scale=3, title=title or None, svgclass="hf-letter-qr")
    return mark_safe(svg)  # noqa: S308 - segno's own markup; the title is escaped by segno
