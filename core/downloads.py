"""Files sent for download (exports, import templates, reports): one way to name them.

A file is named in the reader's language ("党员名册-2026-11-30.xlsx" in Chinese, "Party members
-2026-11-30.xlsx" in English) and sent with RFC 6266's ``filename*=UTF-8''…`` (RFC 5987
encoding), which every current browser reads, and a plain ASCII ``filename="…"`` for the clients
that read only that.
"""

import re
import unicodedata
from urllib.parse import quote

from django.http import HttpResponse, StreamingHttpResponse

CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}
# What no file name may hold on any common system, and control characters.
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')
_NOT_ASCII_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def file_name(*parts, extension: str) -> str:
    """Parts joined by "-" (each str()'d, so lazy translations are rendered now), made safe for a
    file name, with the extension: ``file_name(_("Party members"), "2026-11-30", extension="xlsx")``."""
    stem = "-".join(_UNSAFE.sub("_", str(part)).strip() for part in parts if str(part).strip())
    return f"{stem or 'download'}.{extension}"


def ascii_fallback(name: str) -> str:
    """An ASCII version of a file name (accents dropped, anything else a "-")."""
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    stem = _NOT_ASCII_SAFE.sub("-", stem).strip("-.") or "download"
    extension = _NOT_ASCII_SAFE.sub("", extension)
    return f"{stem}.{extension}" if extension else stem


def content_disposition(filename: str, *, fallback: str | None = None) -> str:
    """``attachment; filename="<ASCII>"; filename*=UTF-8''<percent-encoded>`` (RFC 6266)."""
    plain = ascii_fallback(fallback or filename)
    header = f'attachment; filename="{plain}"'
    if filename != plain:
        header += f"; filename*=UTF-8''{quote(filename, safe='')}"
    return header


def download(content: bytes, *, filename: str, fallback: str | None = None, content_type: str | None = None):
    """A private (not cached) download of ``content``; the content type follows the extension
    unless given. ``fallback``: the ASCII name for old clients (else derived from ``filename``)."""
    extension = filename.rpartition(".")[2].lower()
    response = HttpResponse(
        content, content_type=content_type or CONTENT_TYPES.get(extension, "application/octet-stream")
    )
    response["Content-Disposition"] = content_disposition(filename, fallback=fallback)
    response["Cache-Control"] = "private, no-store"
    return response


def streaming_download(chunks, *, filename: str, fallback: str | None = None, content_type: str | None = None):
    """``download`` for a file sent as it is written: ``chunks`` is an iterable of bytes."""
    extension = filename.rpartition(".")[2].lower()
    response = StreamingHttpResponse(
        chunks, content_type=content_type or CONTENT_TYPES.get(extension, "application/octet-stream")
    )
    response["Content-Disposition"] = content_disposition(filename, fallback=fallback)
    response["Cache-Control"] = "private, no-store"
    return response
