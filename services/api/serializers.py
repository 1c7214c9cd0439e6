"""Serializers of the service-centre API. They parse and present; the rules are in services.actions.

No status field is writable: every change of state is a workflow step (an action endpoint) whose
body is described by one of the ``*StepSerializer`` classes below.
"""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from activities.api.serializers import RowsPrimaryKeyRelatedField
from core.api import DateTimeField, ModelCleanSerializer, ModelSerializer, PersonNameField, ScopedPrimaryKeyRelatedField
from core.querysets import CHANGE
from parks.models import Enterprise, Park, Room

from .. import selectors
from ..models import (
    EnterpriseContact,
    RoomBooking,
    ServiceCategory,
    ServiceRequest,
    ServiceRequestEvent,
    ServiceTeam,
    Urgency,
    Wish,
)

# --- catalogue, contacts, teams ---------------------------------------------------------------------


class ServiceCategorySerializer(ModelCleanSerializer):
    """An entry of the service centre's catalogue."""

    class Meta:
        model = ServiceCategory
        fields = ["id", "code", "name", "name_en", "description", "position", "is_active"]


class EnterpriseContactSerializer(ModelCleanSerializer):
    """A login that acts for an enterprise (submits requests, books rooms)."""

    username = serializers.CharField(source="user.username", read_only=True)
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)

    class Meta:
        model = EnterpriseContact
        fields = ["id", "user", "username", "enterprise", "enterprise_name", "position", "created_at"]
        read_only_fields = ["created_at"]


class ServiceTeamSerializer(ModelCleanSerializer):
    """A team of a park's service centre; ``members`` are user ids."""

    park_name = serializers.CharField(source="park.name", read_only=True)

    class Meta:
        model = ServiceTeam
        fields = ["id", "park", "park_name", "name", "kind", "members", "is_active"]
        extra_kwargs = {"park": {"help_text": _("A park you administer.")}, "members": {"required": False}}


def _managed_parks(user):
    return Park.objects.visible_to(user, CHANGE)


# --- requests -----------------------------------------------------------------------------------------


class ServiceRequestSerializer(ModelSerializer):
    """A service request; ``status`` changes only through the workflow steps."""

    category_name = serializers.CharField(source="category.name", read_only=True)
    park_name = serializers.CharField(source="park.name", read_only=True)
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True, default=None, allow_null=True)
    team_name = serializers.CharField(source="team.name", read_only=True, default=None, allow_null=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    overdue = serializers.BooleanField(read_only=True, help_text=_("Still open and past its due date."))

    class Meta:
        model = ServiceRequest
        fields = [
            "id",
            "park",
            "park_name",
            "enterprise",
            "enterprise_name",
            "requester",
            "category",
            "category_name",
            "title",
            "description",
            "urgency",
            "due_on",
            "status",
            "status_display",
            "overdue",
            "team",
            "team_name",
            "rating",
            "rating_comment",
            "reject_reason",
            "created_at",
            "accepted_at",
            "resolved_at",
            "closed_at",
        ]
        read_only_fields = fields


def _submit_enterprises(user):
    return selectors.submit_enterprises(user)


def _active_categories(user):
    return ServiceCategory.objects.active()


class ServiceRequestSubmitSerializer(serializers.Serializer):
    """Body of POST /service-requests/ (multipart when an attachment is sent)."""

    category = RowsPrimaryKeyRelatedField(model=ServiceCategory, rows=_active_categories)
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=10000)
    urgency = serializers.ChoiceField(choices=Urgency.choices, default=Urgency.NORMAL)
    enterprise = RowsPrimaryKeyRelatedField(
        model=Enterprise,
        rows=_submit_enterprises,
        required=False,
        allow_null=True,
        default=None,
        help_text=_("An enterprise you are a contact of or employed by; left out, the request is your own."),
    )
    attachment = serializers.FileField(required=False, allow_null=True, default=None)


class ServiceRequestEventSerializer(ModelSerializer):
    """One entry of a request's timeline: a step or a comment, with its actor and time."""

    actor_name = PersonNameField(source="actor")
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    attachment_url = serializers.SerializerMethodField()

    class Meta:
        model = ServiceRequestEvent
        fields = [
            "id",
            "request",
            "kind",
            "kind_display",
            "actor",
            "actor_name",
            "text",
            "attachment_url",
            "status_after",
            "created_at",
        ]
        read_only_fields = fields

    def get_attachment_url(self, obj) -> str | None:
        return obj.attachment.url if obj.attachment else None


class AssignStepSerializer(serializers.Serializer):
    """Body of POST /service-requests/{id}/assign/."""

    team = ScopedPrimaryKeyRelatedField(
        queryset=ServiceTeam.objects.all(), help_text=_("An active team of the request's park.")
    )
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ResolveStepSerializer(serializers.Serializer):
    """Body of POST /service-requests/{id}/resolve/."""

    note = serializers.CharField(max_length=10000, help_text=_("How the request was resolved."))
    attachment = serializers.FileField(required=False, allow_null=True, default=None)


class CloseStepSerializer(serializers.Serializer):
    """Body of POST /service-requests/{id}/close/."""

    rating = serializers.IntegerField(min_value=1, max_value=5, help_text=_("Satisfaction from 1 to 5."))
    comment = serializers.CharField(max_length=10000, required=False, allow_blank=True, default="")


class ReasonStepSerializer(serializers.Serializer):
    """Body of a step that needs a reason (reject, reopen, decline)."""

    reason = serializers.CharField(max_length=2000)


class CommentStepSerializer(serializers.Serializer):
    """Body of POST /service-requests/{id}/comment/: text and/or an attachment."""

    text = serializers.CharField(max_length=10000, required=False, allow_blank=True, default="")
    attachment = serializers.FileField(required=False, allow_null=True, default=None)


# --- micro-wishes -----------------------------------------------------------------------------------


class WishSerializer(ModelSerializer):
    """A micro-wish; ``status`` changes only through claim, fulfil and cancel."""

    park_name = serializers.CharField(source="park.name", read_only=True)
    claimed_by_name = serializers.CharField(source="claimed_by.name", read_only=True, default=None, allow_null=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    photo_url = serializers.SerializerMethodField()

    class Meta:
        model = Wish
        fields = [
            "id",
            "park",
            "park_name",
            "beneficiary",
            "need",
            "posted_by",
            "posted_at",
            "status",
            "status_display",
            "claimed_by",
            "claimed_by_name",
            "claimed_at",
            "fulfilled_at",
            "fulfilment_note",
            "photo_url",
        ]
        read_only_fields = fields

    def get_photo_url(self, obj) -> str | None:
        return obj.photo.url if obj.photo else None


class WishPostSerializer(serializers.Serializer):
    """Body of POST /wishes/."""

    park = RowsPrimaryKeyRelatedField(model=Park, rows=_managed_parks, help_text=_("A park you administer."))
    beneficiary = serializers.CharField(max_length=20, help_text=_("A first name or a nickname only."))
    need = serializers.CharField(max_length=300)


class FulfilStepSerializer(serializers.Serializer):
    """Body of POST /wishes/{id}/fulfil/."""

    note = serializers.CharField(max_length=10000, help_text=_("How the wish was fulfilled."))
    photo = serializers.ImageField(required=False, allow_null=True, default=None)


# --- room bookings ------------------------------------------------------------------------------------


class RoomBookingSerializer(ModelSerializer):
    """A room booking; ``status`` changes only through confirm, decline and cancel."""

    room_name = serializers.CharField(source="room.name", read_only=True)
    park = serializers.IntegerField(source="room.park_id", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = RoomBooking
        fields = [
            "id",
            "room",
            "room_name",
            "park",
            "booked_by",
            "enterprise",
            "purpose",
            "attendees",
            "starts_at",
            "ends_at",
            "status",
            "status_display",
            "decided_by",
            "decided_at",
            "decline_reason",
            "created_at",
        ]
        read_only_fields = fields


def _bookable_rooms(user):
    return selectors.rooms(user)


class BookingRequestSerializer(serializers.Serializer):
    """Body of POST /room-bookings/."""

    room = RowsPrimaryKeyRelatedField(model=Room, rows=_bookable_rooms)
    starts_at = DateTimeField()
    ends_at = DateTimeField()
    purpose = serializers.CharField(max_length=200)
    attendees = serializers.IntegerField(min_value=1, max_value=10000, default=1)
    enterprise = RowsPrimaryKeyRelatedField(
        model=Enterprise,
        rows=_submit_enterprises,
        required=False,
        allow_null=True,
        default=None,
        help_text=_("Book for an enterprise you are a contact of."),
    )
