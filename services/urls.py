from django.urls import path

from . import views

app_name = "services"
urlpatterns = [
    path("", views.my_requests, name="my_requests"),
    path("requests/new/", views.request_new, name="request_new"),
    path("requests/<int:pk>/", views.request_detail, name="request_detail"),
    path("requests/<int:pk>/<slug:step>/", views.request_step, name="request_step"),
    path("queue/", views.queue, name="queue"),
    path("inbox/", views.inbox, name="inbox"),
    path("teams/", views.team_list, name="team_list"),
    path("teams/<int:pk>/", views.team_queue, name="team_queue"),
    path("wishes/", views.wish_list, name="wish_list"),
    path("wishes/<int:pk>/<slug:step>/", views.wish_step, name="wish_step"),
    path("rooms/", views.room_list, name="room_list"),
    path("rooms/<int:pk>/", views.room_week, name="room_week"),
    path("bookings/", views.booking_list, name="booking_list"),
    path("bookings/mine/", views.my_bookings, name="my_bookings"),
    path("bookings/<int:pk>/<slug:step>/", views.booking_step, name="booking_step"),
]
