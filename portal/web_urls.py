from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views, views_dashboards
from .api_views import tokens as api_tokens

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("accounts/tokens/", api_tokens, name="api_tokens"),
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/read-all/", views.notification_read_all, name="notifications_read_all"),
    path("notifications/<int:pk>/read/", views.notification_read, name="notification_read"),
    path("dashboard/", views_dashboards.dashboard_home, name="dashboard_home"),
    path("dashboard/<slug:kind>/<int:pk>/", views_dashboards.dashboard, name="dashboard"),
    path("dashboard/<slug:kind>/<int:pk>/alerts/", views_dashboards.dashboard_alerts, name="dashboard_alerts"),
    path(
        "dashboard/<slug:kind>/<int:pk>/compliance/", views_dashboards.dashboard_compliance, name="dashboard_compliance"
    ),
    path("dashboard/<slug:kind>/<int:pk>/rows/<slug:figure>/", views_dashboards.dashboard_rows, name="dashboard_rows"),
    path("reports/", include("portal.views_reports")),
    path("parks/", include("parks.urls")),
    path("members/", include("members.urls")),
    path("activities/", include("activities.urls")),
    path("services/", include("services.urls")),
    path("imports/", include("portal.urls_imports")),
]
