"""The root URLconf: every page, the back office, the API and the scoped media route.

Each app keeps its own ``urls.py``; this file only mounts them, so a path is found from here.
"""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from django.views.generic import RedirectView

from accounts import twofactor_views
from accounts.views import tokens as api_tokens
from core import media, ops

from . import views

# Models that moved out of the portal app keep their back-office addresses working.
_MOVED_ADMIN = {
    "roleassignment": "accounts",
    "notification": "notifications",
    "statreport": "reports",
    "statreportrun": "reports",
    "importjob": "dataio",
}

urlpatterns = [
    path("i18n/setlang/", views.set_language, name="set_language"),
    re_path(
        rf"^admin/portal/(?P<model>{'|'.join(_MOVED_ADMIN)})/(?P<rest>.*)$",
        lambda request, model, rest: RedirectView.as_view(
            url=f"/admin/{_MOVED_ADMIN[model]}/{model}/{rest}", query_string=True, permanent=True
        )(request),
    ),
    path("admin/", admin.site.urls),
    path("api/v1/", include(("portal.api", "api"), namespace="api")),
    # Uploaded files, in every mode, only through the scope of the row that holds them.
    path("media/<path:path>", media.serve, name="media"),
    # Prometheus: superusers here; machines by address or token in core.ops.OpsMiddleware; else 404.
    path("metrics", ops.metrics_view, name="metrics"),
    path("", views.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("accounts/tokens/", api_tokens, name="api_tokens"),
    path("accounts/2fa/", twofactor_views.status, name="twofactor_status"),
    path("accounts/2fa/setup/", twofactor_views.setup, name="twofactor_setup"),
    path("accounts/2fa/verify/", twofactor_views.verify, name="twofactor_verify"),
    path("accounts/2fa/recovery-codes/", twofactor_views.recovery_codes, name="twofactor_recovery_codes"),
    path("accounts/2fa/disable/", twofactor_views.disable, name="twofactor_disable"),
    path("notifications/", include("notifications.urls")),
    path("dashboard/", include("stats.urls")),
    path("reports/", include("reports.urls")),
    path("parks/", include("parks.urls")),
    path("members/", include("members.urls")),
    path("elections/", include("elections.urls")),
    path("activities/", include("activities.urls")),
    path("services/", include("services.urls")),
    path("imports/", include("dataio.urls")),
]
