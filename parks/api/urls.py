from . import views


def register(router):
    router.register("districts", views.DistrictViewSet, basename="district")
    router.register("parks", views.ParkViewSet, basename="park")
    router.register("enterprises", views.EnterpriseViewSet, basename="enterprise")
    router.register("organizations", views.OrganizationViewSet, basename="organization")
    router.register("rooms", views.RoomViewSet, basename="room")
