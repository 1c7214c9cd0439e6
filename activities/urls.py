from django.urls import path

from . import views

app_name = "activities"
urlpatterns = [
    path("", views.activity_list, name="list"),
    path("new/", views.activity_create, name="create"),
    path("<int:pk>/", views.activity_detail, name="detail"),
    path("<int:pk>/edit/", views.activity_edit, name="edit"),
    path("<int:pk>/attendance/", views.activity_attendance, name="attendance"),
    path("<int:pk>/cancel/", views.activity_cancel, name="cancel"),
    path("checklist-row/<int:member_pk>/", views.checklist_row, name="checklist_row"),
    path("checklist/", views.checklist, name="checklist"),
    path("calendar/", views.compliance_calendar, name="calendar"),
    path("compliance/", views.compliance_table, name="compliance"),
    path("mine/", views.my_activities, name="mine"),
    path("points/", views.my_points, name="points"),
]
