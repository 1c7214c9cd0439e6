"""Uploaded files reach a user only through the scope of the row that holds them.

Every FileField's ``upload_to`` prefix is registered here (``protect``) by the app that owns it,
with its model and field; the media view serves a file only when ``Model.objects.visible_to(user)``
has a row pointing at it. A file under no registered prefix is never served.
"""

import posixpath
import re

from django.apps import apps

PROTECTED: list[tuple[str, str, str]] = []
# Prefixes whose files are never served, to anyone (a superuser included): written once and read
# only by the code that owns them, e.g. an import's spreadsheet with its plain ID numbers.
SEALED: set[str] = set()


def protect(prefix: str, model_label: str, field: str) -> None:
    """Serve files under ``prefix`` only to users who see a ``model_label`` row whose ``field`` holds it."""
    if (prefix, model_label, field) not in PROTECTED:
        PROTECTED.append((prefix, model_label, field))


def seal(prefix: str, model_label: str, field: str) -> None:
    """Files under ``prefix`` belong to ``model_label.field`` and are served to nobody."""
    protect(prefix, model_label, field)
    SEALED.add(prefix)


# What a stored file's name can look like: the storage writes relative POSIX paths of printable
# characters. Anything else is refused before it reaches the database or the filesystem.
MAX_PATH = 300  # the longest FileField (``max_length``) of the portal
MAX_SEGMENT = 255  # a file name on the usual filesystems
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def valid_path(path: str) -> bool:
    """A relative path under MEDIA_ROOT as the storage writes them: no NUL or other control
    character, no backslash, not absolute, no empty, ``.`` or ``..`` segment, not overlong."""
    if not path or len(path) > MAX_PATH or _CONTROL.search(path) or "\\" in path:
        return False
    if path.startswith("/") or posixpath.normpath(path) != path:
        return False
    segments = path.split("/")
    return all(segment not in ("", ".", "..") and len(segment.encode()) <= MAX_SEGMENT for segment in segments)


# Served inline; anything else is sent as a download, so an uploaded HTML or SVG file can never
# run in the portal's origin.
INLINE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".gif", ".webp", ".pdf"}


def owner_visible(user, path: str) -> bool:
    if not valid_path(path):
        return False
    for prefix, label, field in PROTECTED:
        if path.startswith(prefix):
            if prefix in SEALED:
                return False
            model = apps.get_model(label)
            return model.objects.visible_to(user).filter(**{field: path}).exists()
    return False


def serve(request, path):
    """GET /media/<path>: the file, if the user may see the row it belongs to; else 404. A path
    that no stored file could have (``valid_path``) is a 404 before anything is looked up."""
    from pathlib import PurePosixPath

    from django.conf import settings
    from django.contrib.auth.views import redirect_to_login
    from django.core.files.storage import default_storage
    from django.http import FileResponse, Http404, HttpResponse

    if not valid_path(path):
        raise Http404
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not owner_visible(request.user, path):
        raise Http404
    inline = PurePosixPath(path).suffix.lower() in INLINE_EXTENSIONS
    if settings.MEDIA_ACCEL_REDIRECT:
        # The reverse proxy sends the file from an internal location (docs/deploy.md).
        response = HttpResponse()
        response["X-Accel-Redirect"] = settings.MEDIA_ACCEL_REDIRECT.rstrip("/") + "/" + path
        response["Content-Type"] = ""
        disposition = "inline" if inline else "attachment"
        response["Content-Disposition"] = f'{disposition}; filename="{PurePosixPath(path).name}"'
    else:
        try:
            handle = default_storage.open(path, "rb")
        except FileNotFoundError:
            raise Http404 from None
        response = FileResponse(handle, as_attachment=not inline, filename=PurePosixPath(path).name)
    response["Cache-Control"] = "private, max-age=3600"
    return response
