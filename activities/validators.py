"""Checks on uploaded photos and attachments: extension, content and size.

The extension alone proves nothing, so each file's first bytes are compared with what its type
must start with, and photos are opened with Pillow.
"""

import os
import zipfile

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
MAX_FILES_PER_UPLOAD = 20

PHOTO_EXTENSIONS = {".jpg", ".jpeg", ".png", ".webp", ".gif"}
PHOTO_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
# extension → how its content must look
ATTACHMENT_KINDS = {
    ".pdf": "pdf",
    ".doc": "ole",
    ".xls": "ole",
    ".ppt": "ole",
    ".docx": "ooxml",
    ".xlsx": "ooxml",
    ".pptx": "ooxml",
    ".txt": "text",
}


def _extension(upload):
    return os.path.splitext(upload.name or "")[1].lower()


def _head(upload, size=2048):
    upload.seek(0)
    head = upload.read(size)
    upload.seek(0)
    return head


def validate_photo(upload) -> None:
    if _extension(upload) not in PHOTO_EXTENSIONS:
        raise ValidationError(
            _("%(name)s: photos must be JPEG, PNG, WebP or GIF images."),
            params={"name": upload.name},
            code="photo_type",
        )
    if upload.size > MAX_PHOTO_BYTES:
        raise ValidationError(
            _("%(name)s is larger than %(limit)d MB."),
            params={"name": upload.name, "limit": MAX_PHOTO_BYTES >> 20},
            code="too_large",
        )
    from PIL import Image

    try:
        upload.seek(0)
        with Image.open(upload) as image:
            image.verify()
            image_format = image.format
    except Exception as exc:  # Pillow raises many kinds of errors on a broken or fake image
        raise ValidationError(
            _("%(name)s is not a readable image."), params={"name": upload.name}, code="photo_content"
        ) from exc
    finally:
        upload.seek(0)
    if image_format not in PHOTO_FORMATS:
        raise ValidationError(
            _("%(name)s: photos must be JPEG, PNG, WebP or GIF images."),
            params={"name": upload.name},
            code="photo_type",
        )


def validate_attachment(upload) -> None:
    kind = ATTACHMENT_KINDS.get(_extension(upload))
    if kind is None:
        raise ValidationError(
            _("%(name)s: attachments must be PDF, Word, Excel, PowerPoint or plain-text files."),
            params={"name": upload.name},
            code="attachment_type",
        )
    if upload.size > MAX_ATTACHMENT_BYTES:
        raise ValidationError(
            _("%(name)s is larger than %(limit)d MB."),
            params={"name": upload.name, "limit": MAX_ATTACHMENT_BYTES >> 20},
            code="too_large",
        )
    head = _head(upload)
    if kind == "pdf":
        ok = head.startswith(b"%PDF-")
    elif kind == "ole":
        ok = head.startswith(OLE_MAGIC)
    elif kind == "ooxml":
        ok = head.startswith(ZIP_MAGIC) and _is_ooxml(upload)
    else:
        try:
            head.decode("utf-8")
            ok = b"\x00" not in head
        except UnicodeDecodeError:
            # A cut in the middle of a multi-byte character at the end of the sample is fine.
            ok = b"\x00" not in head and _decodes_but_tail(head)
    if not ok:
        raise ValidationError(
            _("The content of %(name)s does not match its file type."),
            params={"name": upload.name},
            code="attachment_content",
        )


def _decodes_but_tail(head):
    for cut in range(1, 4):
        try:
            head[:-cut].decode("utf-8")
            return True
        except UnicodeDecodeError:
            continue
    return False


def _is_ooxml(upload):
    try:
        upload.seek(0)
        with zipfile.ZipFile(upload) as archive:
            return "[Content_Types].xml" in archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return False
    finally:
        upload.seek(0)
