from django.urls import path

from . import views

app_name = "members"
urlpatterns = [
    path("transfers/new/", views.transfer_new, name="transfer_new"),
    path("transfers/in/<int:member_pk>/", views.transfer_in_new, name="transfer_in_new"),
    path("transfers/destinations/", views.destinations, name="destinations"),
    path("transfers/mine/", views.transfer_mine, name="transfer_mine"),
    path("transfers/inbox/", views.transfer_inbox, name="transfer_inbox"),
    path("transfers/<int:pk>/", views.transfer_detail, name="transfer_detail"),
    path("transfers/<int:pk>/letter/", views.transfer_letter, name="transfer_letter"),
    path("transfers/<int:pk>/<slug:step>/", views.transfer_act, name="transfer_act"),
    path("letters/verify/", views.letter_verify, name="letter_verify"),
    path("branch/", views.branch_home, name="branch_home"),
    path("branch/<int:org_pk>/", views.branch, name="branch"),
    path("member/<int:pk>/lifecycle/", views.member_lifecycle, name="member_lifecycle"),
    path("member/<int:pk>/lifecycle/<slug:step>/", views.member_lifecycle, name="member_act"),
    path("dues/mine/", views.my_dues, name="my_dues"),
]
