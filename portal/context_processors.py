from django.conf import settings

from .navigation import items_for
from .scope import scope_for


def portal(request):
    user = getattr(request, "user", None)
    scope = scope_for(user) if user is not None else None
    return {
        "PORTAL_NAME": settings.PORTAL_NAME,
        "scope": scope,
        "nav_items": items_for(scope) if scope is not None and user.is_authenticated else [],
    }
