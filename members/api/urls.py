from django.urls import path

from . import views


def register(router):
    router.register("members", views.MemberViewSet, basename="member")
    router.register("stage-changes", views.StageChangeViewSet, basename="stagechange")
    router.register("transfers", views.TransferViewSet, basename="transfer")
    router.register("transfer-events", views.TransferEventViewSet, basename="transferevent")
    router.register("application-talks", views.ApplicationTalkViewSet, basename="applicationtalk")
    router.register("dues-payments", views.DuesPaymentViewSet, basename="duespayment")


# Endpoints that are not viewsets of a model, under /api/v1/.
urlpatterns = [
    path("letters/verify/", views.LetterVerifyView.as_view(), name="letter-verify"),
]
