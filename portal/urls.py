from django.contrib import admin
from django.urls import include, path

from . import media

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(("portal.api", "api"), namespace="api")),
    # Uploaded files, in every mode, only through the scope of the row that holds them.
    path("media/<path:path>", media.serve, name="media"),
    path("", include("portal.web_urls")),
]
