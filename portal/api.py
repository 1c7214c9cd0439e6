"""The REST API under /api/v1/: one router, the OpenAPI schema and its two viewers.

Each app registers its viewsets in ``<app>/api/urls.py`` with ``def register(router)``; this module
calls them in order. An app whose API module does not exist yet is skipped (its endpoints simply
do not appear). Conventions: docs/api.md; the base classes: portal/api_base.py.
"""

import importlib

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

# Modules with a ``register(router)`` function, in the order their endpoints appear.
API_MODULES = [
    "portal.api_views",
    "parks.api.urls",
    "members.api.urls",
    "activities.api.urls",
    "services.api.urls",
]

# Modules with extra ``urlpatterns`` under /api/v1/ (endpoints that are not viewsets of a model).
EXTRA_URL_MODULES = [
    "members.api.urls",
    "portal.api_statistics",
]


def _import_optional(name):
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and (name == exc.name or name.startswith(exc.name + ".")):
            return None  # the module itself is missing: that app has no API yet
        raise


def build_router():
    router = DefaultRouter()
    for name in API_MODULES:
        module = _import_optional(name)
        if module is not None:
            module.register(router)
    return router


router = build_router()


def _extra_urls():
    patterns = []
    for name in EXTRA_URL_MODULES:
        module = _import_optional(name)
        if module is not None:
            patterns += getattr(module, "urlpatterns", [])
            if hasattr(module, "register") and name not in API_MODULES:
                module.register(router)
    return patterns


_extra = _extra_urls()

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="swagger-ui"),
    path(
        "redoc/",
        SpectacularRedocView.as_view(url_name="api:schema", template_name="portal/api_redoc.html"),
        name="redoc",
    ),
    *_extra,
    path("", include(router.urls)),
]
