"""/imports/: the import pages and the exports (included by portal/web_urls.py)."""

from django.urls import path

from dataio import exports as views_exports
from dataio import views as views_imports

urlpatterns = [
    path("", views_imports.import_index, name="imports"),
    path("template/<slug:kind>.<slug:file_format>", views_imports.import_template, name="import_template"),
    path("export/<slug:kind>/", views_exports.export, name="export"),
    path("exports/<int:pk>/", views_exports.export_job, name="export_job"),
    path("exports/<int:pk>/progress/", views_exports.export_job_progress, name="export_job_progress"),
    path("exports/<int:pk>/download/", views_exports.export_job_download, name="export_job_download"),
    path("<int:pk>/", views_imports.import_job, name="import_job"),
    path("<int:pk>/progress/", views_imports.import_job_progress, name="import_job_progress"),
    path("<int:pk>/confirm/", views_imports.import_confirm, name="import_confirm"),
]
