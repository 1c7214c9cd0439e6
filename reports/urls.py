"""/reports/: the statistics reports."""

from django.urls import path

from .views import report_build, report_detail, report_excel, report_list, report_rebuild

app_name = "reports"
urlpatterns = [
    path("", report_list, name="list"),
    path("build/", report_build, name="build"),
    path("<int:pk>/", report_detail, name="detail"),
    path("<int:pk>/excel/", report_excel, name="excel"),
    path("<int:pk>/rebuild/", report_rebuild, name="rebuild"),
]
