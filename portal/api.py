"""The REST API under /api/v1/: one router, the OpenAPI schema and its two viewers.

Each app registers its viewsets in ``<app>/api/urls.py`` (or ``api/views.py``) with
``def register(router)``; this module calls them in the order their endpoints appear.
Conventions: docs/api.md; the base classes: core/api.py.
"""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

import accounts.api.views
import activities.api.urls
import members.api.urls
import notifications.api.views
import parks.api.urls
import services.api.urls
import stats.api

# Modules with a ``register(router)`` function, in the order their endpoints appear.
API_MODULES = [
    accounts.api.views,
    notifications.api.views,
    parks.api.urls,
    members.api.urls,
    activities.api.urls,
    services.api.urls,
]

# Modules with extra ``urlpatterns`` under /api/v1/ (endpoints that are not viewsets of a model).
EXTRA_URL_MODULES = [members.api.urls, stats.api]


def build_router():
    router = DefaultRouter()
    for module in API_MODULES:
        module.register(router)
    return router


router = build_router()

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="swagger-ui"),
    path(
        "redoc/",
        SpectacularRedocView.as_view(url_name="api:schema", template_name="portal/api_redoc.html"),
        name="redoc",
    ),
    *[pattern for module in EXTRA_URL_MODULES for pattern in module.urlpatterns],
    path("", include(router.urls)),
]
