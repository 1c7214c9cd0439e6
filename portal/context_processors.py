from django.conf import settings

from .scope import scope_for


def portal(request):
    user = getattr(request, "user", None)
    return {
        "PORTAL_NAME": settings.PORTAL_NAME,
        "scope": scope_for(user) if user is not None else None,
    }
