"""/dashboard/: the district, park and organisation dashboards and their drill-downs."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.dashboard_home, name="dashboard_home"),
    path("<slug:kind>/<int:pk>/", views.dashboard, name="dashboard"),
    path("<slug:kind>/<int:pk>/alerts/", views.dashboard_alerts, name="dashboard_alerts"),
    path("<slug:kind>/<int:pk>/compliance/", views.dashboard_compliance, name="dashboard_compliance"),
    path("<slug:kind>/<int:pk>/rows/<slug:figure>/", views.dashboard_rows, name="dashboard_rows"),
]
