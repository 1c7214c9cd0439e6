"""Serializers of the activities API. They parse and present; the rules are in activities/actions.py.

Output serializers describe the rows; input serializers describe the bodies of the writes and of
the workflow steps, each turned into exactly one action call by the view.
"""

from decimal import Decimal

from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from core.api import DateTimeField, ModelCleanSerializer, ModelSerializer, ScopedPrimaryKeyRelatedField
from core.validators import TEXT_MINUTES
from parks.models import Organization, Room

from ..actions import MAX_VOLUNTEER_HOURS, AttendanceInput
from ..models import Activity, ActivityFile, Attendance, ComplianceRule, Kind, PointEntry, PointRule
from ..selectors import manageable_organizations


class RowsPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A foreign key chosen by id among the rows a selector gives the requesting user, where the
    choice is narrower than ``visible_to`` (the hosts one may manage, the rooms one may book).

    An id outside those rows is answered like one that does not exist ("invalid pk"), so the API
    does not reveal it. ``rows`` is a callable ``(user) -> queryset`` of ``model``. (portal.api_base's
    ScopedPrimaryKeyRelatedField is used where the choice is the related model's visible rows.)
    """

    def __init__(self, *, model, rows, **kwargs):
        self.rows = rows
        kwargs.setdefault("queryset", model.objects.none())  # the model, for the schema
        super().__init__(**kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        return self.rows(getattr(request, "user", None))


# --- output ---------------------------------------------------------------------------------------


class ActivityFileSerializer(ModelSerializer):
    """A photo or attachment of an activity; ``url`` is the scoped media URL."""

    url = serializers.SerializerMethodField(help_text=_("The file, served by the scoped media view."))

    class Meta:
        model = ActivityFile
        fields = ["id", "activity", "kind", "name", "size", "url", "uploaded_by", "uploaded_at"]
        read_only_fields = fields

    def get_url(self, obj) -> str:
        return obj.file.url if obj.file else ""


class ActivitySerializer(ModelSerializer):
    """An activity as stored; ``status`` changes only through the attendance and cancel steps."""

    host_name = serializers.CharField(source="host.name", read_only=True)
    room_name = serializers.CharField(source="room.name", read_only=True, default=None, allow_null=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    co_hosts = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    files = ActivityFileSerializer(many=True, read_only=True)
    attendance_count = serializers.IntegerField(read_only=True, help_text=_("Members on the attendance list."))
    present_count = serializers.IntegerField(read_only=True, help_text=_("Members present."))

    class Meta:
        model = Activity
        fields = [
            "id",
            "host",
            "host_name",
            "co_hosts",
            "kind",
            "kind_display",
            "title",
            "topic",
            "starts_at",
            "ends_at",
            "place",
            "room",
            "room_name",
            "online",
            "minutes",
            "non_member_count",
            "status",
            "status_display",
            "cancel_reason",
            "voting_members",
            "voting_present",
            "quorum_met",
            "attendance_count",
            "present_count",
            "files",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class AttendanceSerializer(ModelSerializer):
    """One member's attendance of one activity."""

    member_name = serializers.CharField(source="member.name", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = Attendance
        fields = [
            "id",
            "activity",
            "member",
            "member_name",
            "status",
            "status_display",
            "reason",
            "late",
            "left_early",
            "volunteer_hours",
        ]
        read_only_fields = fields


class ComplianceRuleSerializer(ModelCleanSerializer):
    """A minimum frequency of one kind of activity per branch and period (三会一课)."""

    minimum_count = serializers.IntegerField(min_value=1, max_value=100, required=False, default=1)

    class Meta:
        model = ComplianceRule
        fields = ["id", "kind", "period", "minimum_count", "applies_to", "is_active"]


class PointRuleSerializer(ModelCleanSerializer):
    """Points a member earns for being present at an activity of a kind, plus per volunteer hour."""

    class Meta:
        model = PointRule
        fields = ["id", "kind", "points", "points_per_volunteer_hour", "is_active"]


class PointEntrySerializer(ModelSerializer):
    """One line of a member's points ledger: an award or the reversal of one."""

    member_name = serializers.CharField(source="member.name", read_only=True)
    activity_title = serializers.CharField(source="activity.title", read_only=True, default=None, allow_null=True)

    class Meta:
        model = PointEntry
        fields = ["id", "member", "member_name", "activity", "activity_title", "points", "reason", "note", "created_at"]
        read_only_fields = fields


# --- input ----------------------------------------------------------------------------------------


def _manageable_hosts(user):
    return manageable_organizations(user)


def _managed_park_ids(user):
    return _manageable_hosts(user).exclude(park_id=None).values("park_id")


def _co_host_candidates(user):
    # As on the page: the branches of the parks whose activities the user logs (the action then
    # checks that a co-host is a branch of the host's district), plus what the user sees.
    return Organization.objects.filter(
        Q(park_id__in=_managed_park_ids(user)) | Q(pk__in=Organization.objects.visible_to(user).values("pk"))
    )


def _rooms(user):
    # The rooms of those parks (the action checks that the room is in the host's park).
    return Room.objects.filter(
        Q(park_id__in=_managed_park_ids(user)) | Q(pk__in=Room.objects.visible_to(user).values("pk"))
    )


class AttendanceEntrySerializer(serializers.Serializer):
    """One member's line of the attendance list."""

    member = serializers.IntegerField(min_value=1, help_text=_("Id of a party member of the host."))
    status = serializers.ChoiceField(choices=Attendance.Status.choices, default=Attendance.Status.PRESENT)
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    late = serializers.BooleanField(required=False, default=False)
    left_early = serializers.BooleanField(required=False, default=False)
    volunteer_hours = serializers.DecimalField(
        max_digits=5,
        decimal_places=1,
        min_value=Decimal("0"),
        max_value=MAX_VOLUNTEER_HOURS,
        required=False,
        default=Decimal("0"),
    )

    def to_input(self, data) -> AttendanceInput:
        return AttendanceInput(
            member_id=data["member"],
            status=data["status"],
            reason=data.get("reason", ""),
            late=data.get("late", False),
            left_early=data.get("left_early", False),
            volunteer_hours=data.get("volunteer_hours", Decimal("0")),
        )


def attendance_inputs(entries) -> list[AttendanceInput]:
    return [AttendanceEntrySerializer().to_input(entry) for entry in entries]


class ActivityWriteSerializer(serializers.Serializer):
    """Body of POST /activities/ (log) and PUT/PATCH /activities/{id}/ (change details).

    ``status`` is not writable: an activity that has started is logged as held, a future one as
    planned; then use the ``attendance`` and ``cancel`` steps.
    """

    host = RowsPrimaryKeyRelatedField(
        model=Organization, rows=_manageable_hosts, help_text=_("Organisation holding the activity (create only).")
    )
    kind = serializers.ChoiceField(choices=Kind.choices)
    title = serializers.CharField(max_length=200)
    topic = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    starts_at = DateTimeField()
    ends_at = DateTimeField(required=False, allow_null=True, default=None)
    place = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    room = RowsPrimaryKeyRelatedField(model=Room, rows=_rooms, required=False, allow_null=True, default=None)
    online = serializers.BooleanField(required=False, default=False)
    co_hosts = RowsPrimaryKeyRelatedField(
        model=Organization, rows=_co_host_candidates, many=True, required=False, default=list
    )
    minutes = serializers.CharField(required=False, allow_blank=True, default="", max_length=TEXT_MINUTES)
    non_member_count = serializers.IntegerField(min_value=0, max_value=100000, required=False, default=0)
    attendance = AttendanceEntrySerializer(
        many=True,
        required=False,
        allow_null=True,
        default=None,
        help_text=_(
            "Create only, for an activity that has started: the attendance list. Left out, every "
            "member on the host's checklist is recorded present."
        ),
    )
    reason = serializers.CharField(
        max_length=300,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("Update only: required when a held activity's period has closed; kept in the history."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance is not None:
            # The host of an existing activity does not change; the attendance has its own step.
            self.fields.pop("host")
            self.fields.pop("attendance")
        else:
            self.fields.pop("reason")

    def validate(self, attrs):
        starts_at, ends_at = attrs.get("starts_at"), attrs.get("ends_at")
        if starts_at is not None and ends_at is not None and ends_at < starts_at:
            raise serializers.ValidationError({"ends_at": _("The activity cannot end before it starts.")})
        return attrs


class ActivityCancelSerializer(serializers.Serializer):
    """Body of POST /activities/{id}/cancel/."""

    reason = serializers.CharField(max_length=300, help_text=_("Why the activity is cancelled."))


class AttendanceRecordSerializer(serializers.Serializer):
    """Body of POST /activities/{id}/attendance/: the same step as the page's checklist."""

    entries = AttendanceEntrySerializer(
        many=True,
        allow_empty=False,
        help_text=_("One entry per member; members left out keep what was recorded before."),
    )
    reason = serializers.CharField(
        max_length=300,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("Required when the activity's period has closed; kept in the history."),
    )


class ActivityFileUploadSerializer(serializers.Serializer):
    """Body of POST /activity-files/ (multipart): one photo or attachment for an activity."""

    activity = ScopedPrimaryKeyRelatedField(queryset=Activity.objects.all())
    kind = serializers.ChoiceField(choices=ActivityFile.Kind.choices)
    file = serializers.FileField(
        help_text=_("Photos: JPEG, PNG, WebP or GIF up to 10 MB; attachments: PDF, Office or text up to 20 MB.")
    )
    reason = serializers.CharField(
        max_length=300,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("Required when a held activity's period has closed."),
    )


class ChecklistMemberSerializer(serializers.Serializer):
    """A member on an activity's attendance checklist."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    stage = serializers.CharField()
    organization = serializers.IntegerField(source="organization_id")
