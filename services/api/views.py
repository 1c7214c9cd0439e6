"""API of the party-mass service centre: catalogue, contacts, teams, requests and their timeline,
micro-wishes and room bookings.

Scope is each model's ``visible_to(user)`` (404 outside it). Every workflow step is one call to
``services.actions``; refusals come back as 400 (a rule, with field errors where a field is at
fault) or 403 (the user may not take that step). No status field is writable.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import (
    ScopedCreateReadViewSet,
    ScopedModelViewSet,
    ScopedReadOnlyModelViewSet,
)
from core.querysets import CHANGE

from .. import actions
from ..models import (
    EnterpriseContact,
    RoomBooking,
    ServiceCategory,
    ServiceRequest,
    ServiceRequestEvent,
    ServiceTeam,
    Wish,
)
from . import filters, serializers

ERRORS = {
    400: OpenApiResponse(description=_("Invalid input, or the workflow does not allow this step now.")),
    403: OpenApiResponse(description=_("You may see this row but may not take this step.")),
    404: OpenApiResponse(description=_("No such row in your scope.")),
}


def errors(thing=None):
    """The error responses of a write or a step (``thing`` only documents the call site)."""
    return dict(ERRORS)


# --- catalogue ------------------------------------------------------------------------------------


@extend_schema_view(
    create=extend_schema(responses={201: serializers.ServiceCategorySerializer, **errors("category")}),
    update=extend_schema(responses={200: serializers.ServiceCategorySerializer, **errors("category")}),
    partial_update=extend_schema(responses={200: serializers.ServiceCategorySerializer, **errors("category")}),
    destroy=extend_schema(responses={204: None, **errors("category")}),
)
class ServiceCategoryViewSet(ScopedModelViewSet):
    """The service centre's catalogue: the same for every park; read by every user, changed by
    superusers (as in the back office)."""

    queryset = ServiceCategory.objects.all()
    serializer_class = serializers.ServiceCategorySerializer
    filterset_class = filters.ServiceCategoryFilterSet
    search_fields = ["name", "code", "description"]
    ordering_fields = ["position", "name", "code"]
    ordering = ["position", "name"]

    def base_queryset(self):
        # The catalogue has no scope of its own: every signed-in user reads it to submit a request.
        return ServiceCategory.objects.all()


# --- enterprise contacts --------------------------------------------------------------------------


@extend_schema_view(
    create=extend_schema(responses={201: serializers.EnterpriseContactSerializer, **errors("contact")}),
    update=extend_schema(responses={200: serializers.EnterpriseContactSerializer, **errors("contact")}),
    partial_update=extend_schema(responses={200: serializers.EnterpriseContactSerializer, **errors("contact")}),
    destroy=extend_schema(responses={204: None, **errors("contact")}),
)
class EnterpriseContactViewSet(ScopedModelViewSet):
    """Logins that act for an enterprise. Superusers add and change them; a park administrator may
    remove one of the park's (the back office's rule)."""

    queryset = EnterpriseContact.objects.all()
    select_related = ("user", "enterprise")
    serializer_class = serializers.EnterpriseContactSerializer
    filterset_class = filters.EnterpriseContactFilterSet
    search_fields = ["user__username", "enterprise__name", "position"]
    ordering_fields = ["created_at", "enterprise__name"]
    ordering = ["enterprise", "user"]

    def may_delete(self, user, obj):
        return EnterpriseContact.objects.allows(user, obj, CHANGE)


# --- teams ----------------------------------------------------------------------------------------


@extend_schema_view(
    create=extend_schema(responses={201: serializers.ServiceTeamSerializer, **errors("team")}),
    update=extend_schema(responses={200: serializers.ServiceTeamSerializer, **errors("team")}),
    partial_update=extend_schema(responses={200: serializers.ServiceTeamSerializer, **errors("team")}),
    destroy=extend_schema(responses={204: None, **errors("team")}),
)
class ServiceTeamViewSet(ScopedModelViewSet):
    """Teams of a park's service centre; the park's administrators manage them."""

    queryset = ServiceTeam.objects.all()
    select_related = ("park",)
    prefetch_related = ("members",)
    serializer_class = serializers.ServiceTeamSerializer
    filterset_class = filters.ServiceTeamFilterSet
    search_fields = ["name"]
    ordering_fields = ["name", "kind", "park"]
    ordering = ["park", "name"]

    def may_create(self, user):
        return ServiceTeam.objects.reaches_any(user, CHANGE)

    def may_write(self, user, obj):
        return ServiceTeam.objects.allows(user, obj, CHANGE)


# --- requests -------------------------------------------------------------------------------------


def _step(request_serializer, summary, description):
    return extend_schema(
        summary=summary,
        description=description,
        request=request_serializer,
        responses={200: serializers.ServiceRequestSerializer, **errors("request")},
    )


@extend_schema_view(
    list=extend_schema(summary=_("Service requests you may see")),
    retrieve=extend_schema(responses={200: serializers.ServiceRequestSerializer, 404: errors("request")[404]}),
    create=extend_schema(
        summary=_("Submit a service request"),
        description=_(
            "services.actions.request_submit: a party member, or a contact of the enterprise, submits; "
            "the due date follows the urgency. JSON, or multipart/form-data with an attachment."
        ),
        request={
            "application/json": serializers.ServiceRequestSubmitSerializer,
            "multipart/form-data": serializers.ServiceRequestSubmitSerializer,
        },
        responses={201: serializers.ServiceRequestSerializer, **errors("request")},
    ),
)
class ServiceRequestViewSet(ScopedCreateReadViewSet):
    """Requests (诉求): submitted → accepted → assigned → in progress → resolved → closed, or rejected."""

    queryset = ServiceRequest.objects.all()
    serializer_class = serializers.ServiceRequestSerializer
    filterset_class = filters.ServiceRequestFilterSet
    search_fields = ["title", "description", "enterprise__name"]
    ordering_fields = ["created_at", "due_on", "urgency", "status"]
    ordering = ["-created_at", "-pk"]

    def may_create(self, user):
        return True  # members and enterprise contacts; request_submit refuses anyone else (403)

    def get_queryset(self):
        return super().get_queryset().with_overdue().select_related("category", "team", "enterprise", "park")

    def _respond(self, obj, code=status.HTTP_200_OK):
        fresh = ServiceRequest.objects.with_overdue().select_related("category", "team", "enterprise", "park")
        return Response(self.get_serializer(fresh.get(pk=obj.pk)).data, status=code)

    def create(self, request, *args, **kwargs):
        body = serializers.ServiceRequestSubmitSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        obj = actions.request_submit(by=request.user, **body.validated_data)
        return self._respond(obj, status.HTTP_201_CREATED)

    def _take(self, step, body_serializer=None, **extra):
        obj = self.get_object()
        data = {}
        if body_serializer is not None:
            body = body_serializer(data=self.request.data, context=self.get_serializer_context())
            body.is_valid(raise_exception=True)
            data = dict(body.validated_data)
        step(request=obj, by=self.request.user, **data, **extra)
        return self._respond(obj)

    @_step(None, _("Accept"), _("services.actions.request_accept: the park administrator accepts a submitted request."))
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        return self._take(actions.request_accept)

    @_step(
        serializers.AssignStepSerializer,
        _("Assign to a team"),
        _("services.actions.request_assign: the park administrator assigns (or reassigns) it to a team."),
    )
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        return self._take(actions.request_assign, serializers.AssignStepSerializer)

    @_step(None, _("Start work"), _("services.actions.request_start: a member of the assigned team starts."))
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        return self._take(actions.request_start)

    @_step(
        serializers.ResolveStepSerializer,
        _("Resolve"),
        _("services.actions.request_resolve: a member of the assigned team says how it was resolved."),
    )
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        return self._take(actions.request_resolve, serializers.ResolveStepSerializer)

    @_step(
        serializers.CloseStepSerializer,
        _("Close with a rating"),
        _("services.actions.request_close: the requester closes a resolved request with a 1–5 rating."),
    )
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        return self._take(actions.request_close, serializers.CloseStepSerializer)

    @_step(
        serializers.ReasonStepSerializer,
        _("Reject with a reason"),
        _("services.actions.request_reject: the park administrator rejects a request not yet being worked on."),
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._take(actions.request_reject, serializers.ReasonStepSerializer)

    @_step(
        serializers.ReasonStepSerializer,
        _("Reopen"),
        _("services.actions.request_reopen: the requester reopens within 7 days of the resolution."),
    )
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        return self._take(actions.request_reopen, serializers.ReasonStepSerializer)

    @extend_schema(
        summary=_("Comment on the timeline"),
        description=_("services.actions.request_comment: text and/or an attachment (multipart/form-data)."),
        request={
            "application/json": serializers.CommentStepSerializer,
            "multipart/form-data": serializers.CommentStepSerializer,
        },
        responses={201: serializers.ServiceRequestEventSerializer, **errors("request")},
    )
    @action(detail=True, methods=["post"])
    def comment(self, request, pk=None):
        obj = self.get_object()
        body = serializers.CommentStepSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        event = actions.request_comment(request=obj, by=request.user, **body.validated_data)
        return Response(
            serializers.ServiceRequestEventSerializer(event, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )


@extend_schema_view(
    list=extend_schema(summary=_("Timeline entries of the requests you may see"), description=_("Read-only.")),
    retrieve=extend_schema(responses={200: serializers.ServiceRequestEventSerializer, 404: errors("entry")[404]}),
)
class ServiceRequestEventViewSet(ScopedReadOnlyModelViewSet):
    queryset = ServiceRequestEvent.objects.select_related("actor", "actor__member")
    serializer_class = serializers.ServiceRequestEventSerializer
    filterset_class = filters.ServiceRequestEventFilterSet
    search_fields = ["text"]
    ordering_fields = ["created_at"]
    ordering = ["request", "created_at", "pk"]


# --- micro-wishes ---------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary=_("Micro-wishes you may see")),
    retrieve=extend_schema(responses={200: serializers.WishSerializer, 404: errors("wish")[404]}),
    create=extend_schema(
        summary=_("Post a micro-wish"),
        description=_("services.actions.wish_post: a park administrator posts a first name and the need."),
        request=serializers.WishPostSerializer,
        responses={201: serializers.WishSerializer, **errors("wish")},
    ),
)
class WishViewSet(ScopedCreateReadViewSet):
    """Micro-wishes (微心愿): posted by the park, claimed and fulfilled by a member."""

    queryset = Wish.objects.select_related("park", "claimed_by")
    serializer_class = serializers.WishSerializer
    filterset_class = filters.WishFilterSet
    search_fields = ["beneficiary", "need"]
    ordering_fields = ["posted_at", "status"]
    ordering = ["-posted_at", "-pk"]

    def may_create(self, user):
        return Wish.objects.reaches_any(user, CHANGE)

    def _respond(self, wish, code=status.HTTP_200_OK):
        fresh = Wish.objects.select_related("park", "claimed_by").get(pk=wish.pk)
        return Response(self.get_serializer(fresh).data, status=code)

    def create(self, request, *args, **kwargs):
        body = serializers.WishPostSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        wish = actions.wish_post(by=request.user, **body.validated_data)
        return self._respond(wish, status.HTTP_201_CREATED)

    @extend_schema(
        summary=_("Claim"),
        description=_("services.actions.wish_claim: a party member of the wish's park claims an open wish."),
        request=None,
        responses={200: serializers.WishSerializer, **errors("wish")},
    )
    @action(detail=True, methods=["post"])
    def claim(self, request, pk=None):
        return self._respond(actions.wish_claim(wish=self.get_object(), by=request.user))

    @extend_schema(
        summary=_("Record the fulfilment"),
        description=_(
            "services.actions.wish_fulfil: the member who claimed it, with a note and optionally a photo "
            "(multipart/form-data)."
        ),
        request={
            "application/json": serializers.FulfilStepSerializer,
            "multipart/form-data": serializers.FulfilStepSerializer,
        },
        responses={200: serializers.WishSerializer, **errors("wish")},
    )
    @action(detail=True, methods=["post"])
    def fulfil(self, request, pk=None):
        wish = self.get_object()
        body = serializers.FulfilStepSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._respond(actions.wish_fulfil(wish=wish, by=request.user, **body.validated_data))

    @extend_schema(
        summary=_("Withdraw"),
        description=_("services.actions.wish_cancel: a park administrator withdraws a wish not yet fulfilled."),
        request=None,
        responses={200: serializers.WishSerializer, **errors("wish")},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return self._respond(actions.wish_cancel(wish=self.get_object(), by=request.user))


# --- room bookings --------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary=_("Room bookings you may see")),
    retrieve=extend_schema(responses={200: serializers.RoomBookingSerializer, 404: errors("booking")[404]}),
    create=extend_schema(
        summary=_("Ask for a room"),
        description=_(
            "services.actions.booking_request: a member of the park or a contact of one of its "
            "enterprises; in the future, at most 12 hours, not meeting a confirmed booking (400 with a "
            "field error on starts_at)."
        ),
        request=serializers.BookingRequestSerializer,
        responses={201: serializers.RoomBookingSerializer, **errors("booking")},
    ),
)
class RoomBookingViewSet(ScopedCreateReadViewSet):
    """Bookings of the service centre's rooms: pending → confirmed or declined; cancelled."""

    queryset = RoomBooking.objects.select_related("room")
    serializer_class = serializers.RoomBookingSerializer
    filterset_class = filters.RoomBookingFilterSet
    search_fields = ["purpose", "room__name"]
    ordering_fields = ["starts_at", "created_at", "status"]
    ordering = ["room", "starts_at"]

    def may_create(self, user):
        return True  # members of the park and enterprise contacts; booking_request refuses others (403)

    def _respond(self, booking, code=status.HTTP_200_OK):
        fresh = RoomBooking.objects.select_related("room").get(pk=booking.pk)
        return Response(self.get_serializer(fresh).data, status=code)

    def create(self, request, *args, **kwargs):
        body = serializers.BookingRequestSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        booking = actions.booking_request(by=request.user, **body.validated_data)
        return self._respond(booking, status.HTTP_201_CREATED)

    @extend_schema(
        summary=_("Confirm"),
        description=_(
            "services.actions.booking_confirm: the park administrator confirms a pending booking; one "
            "that overlaps a confirmed booking is refused with 400 (also when the database's exclusion "
            "constraint catches it)."
        ),
        request=None,
        responses={200: serializers.RoomBookingSerializer, **errors("booking")},
    )
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        return self._respond(actions.booking_confirm(booking=self.get_object(), by=request.user))

    @extend_schema(
        summary=_("Decline with a reason"),
        description=_("services.actions.booking_decline: the park administrator declines a pending booking."),
        request=serializers.ReasonStepSerializer,
        responses={200: serializers.RoomBookingSerializer, **errors("booking")},
    )
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        booking = self.get_object()
        body = serializers.ReasonStepSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._respond(actions.booking_decline(booking=booking, by=request.user, **body.validated_data))

    @extend_schema(
        summary=_("Cancel"),
        description=_("services.actions.booking_cancel: whoever booked, or a park administrator, before it begins."),
        request=None,
        responses={200: serializers.RoomBookingSerializer, **errors("booking")},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return self._respond(actions.booking_cancel(booking=self.get_object(), by=request.user))
