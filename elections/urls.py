from django.urls import path

from . import views

app_name = "elections"
urlpatterns = [
    path("", views.index, name="index"),
    path("inbox/", views.inbox, name="inbox"),
    path("organization/<int:org_pk>/", views.organization, name="organization"),
    path("organization/<int:org_pk>/record/", views.record, name="record"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/<slug:step>/", views.act, name="act"),
]
