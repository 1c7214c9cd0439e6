"""Uploaded files reach a user only through the scope of the row that holds them.

Every FileField's ``upload_to`` prefix is registered here (``protect``) by the app that owns it,
with its model and field; the media view serves a file only when ``Model.objects.visible_to(user)``
has a row pointing at it. A file under no registered prefix is never served.
"""

from django.apps import apps

PROTECTED: list[tuple[str, str, str]] = []


def protect(prefix: str, model_label: str, field: str) -> None:
    """Serve files under ``prefix`` only to users who see a ``model_label`` row whose ``field`` holds it."""
    if (prefix, model_label, field) not in PROTECTED:
        PROTECTED.append((prefix, model_label, field))


# Served inline; anything else is sent as a download, so an uploaded HTML or SVG file can never
# run in the portal's origin.
INLINE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".gif", ".webp", ".pdf"}


def owner_visible(user, path: str) -> bool:
    for prefix, label, field in PROTECTED:
        if path.startswith(prefix):
            model = apps.get_model(label)
            return model.objects.visible_to(user).filter(**{field: path}).exists()
    return False


def serve(request, path):
    """GET /media/<path>: the file, if the user may see the row it belongs to; else 404."""
    import posixpath
    from pathlib import PurePosixPath

    from django.conf import settings
    from django.contrib.auth.views import redirect_to_login
    from django.core.files.storage import default_storage
    from django.http import FileResponse, Http404, HttpResponse

    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    normalized = posixpath.normpath(path)
    if normalized != path or normalized.startswith(("/", "..")) or not owner_visible(request.user, path):
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
