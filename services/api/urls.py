"""Routes of the service-centre API, registered on the portal's router by ``portal/api.py``."""

from . import views


def register(router):
    router.register("service-categories", views.ServiceCategoryViewSet, basename="servicecategory")
    router.register("enterprise-contacts", views.EnterpriseContactViewSet, basename="enterprisecontact")
    router.register("service-teams", views.ServiceTeamViewSet, basename="serviceteam")
    router.register("service-requests", views.ServiceRequestViewSet, basename="servicerequest")
    router.register("service-request-events", views.ServiceRequestEventViewSet, basename="servicerequestevent")
    router.register("wishes", views.WishViewSet, basename="wish")
    router.register("room-bookings", views.RoomBookingViewSet, basename="roombooking")
