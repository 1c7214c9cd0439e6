"""API of organisation life: activities, their files and attendance, the rules and the points ledger.

Every viewset starts from ``Model.objects.visible_to(user)`` (portal.api_base), so a row outside the
user's scope is 404. Who may write is ``activities.selectors.may_manage`` (the pages' rule), so a
read-only role gets 403. Writes and workflow steps are one call each to ``activities.actions``; a
status is never written directly.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from core.api import ScopedModelViewSet, ScopedReadOnlyModelViewSet, django_errors
from core.querysets import CHANGE

from .. import actions
from ..models import Activity, ActivityFile, Attendance, ComplianceRule, PointEntry, PointRule
from ..selectors import attach_attendance_counts, checklist_members, may_manage
from . import filters, serializers

ERRORS = {
    400: OpenApiResponse(description=_("Invalid input: field errors, or a rule of the workflow refused it.")),
    403: OpenApiResponse(description=_("You may see this activity but not manage it.")),
    404: OpenApiResponse(description=_("No such activity in your scope.")),
}


def may_manage_any(user) -> bool:
    """Superusers, secretaries and park administrators log activities; officials and members read."""
    return Activity.objects.reaches_any(user, CHANGE)


def _with_relations(queryset):
    # The attendance counts are not annotated here: the list's count query would join every
    # attendance row. They are attached to the page's rows (attach_attendance_counts).
    return queryset.select_related("host", "room").prefetch_related("co_hosts", "files")


@extend_schema_view(
    list=extend_schema(summary=_("Activities you may see"), description=_("Newest first; filter, search, order.")),
    retrieve=extend_schema(summary=_("One activity")),
    create=extend_schema(
        summary=_("Log an activity"),
        description=_(
            "Logs an activity of an organisation you manage (activities.actions.activity_log). One that "
            "has started is held, with its attendance (the list given, or everyone on the checklist "
            "present); a future one is planned."
        ),
        request=serializers.ActivityWriteSerializer,
        responses={201: serializers.ActivitySerializer, 400: ERRORS[400], 403: ERRORS[403]},
    ),
    update=extend_schema(
        summary=_("Change an activity's details"),
        description=_("activities.actions.activity_update; the status changes only by the steps."),
        request=serializers.ActivityWriteSerializer,
        responses={200: serializers.ActivitySerializer, **ERRORS},
    ),
    partial_update=extend_schema(
        summary=_("Change some of an activity's details"),
        description=_("activities.actions.activity_update; the status changes only by the steps."),
        request=serializers.ActivityWriteSerializer,
        responses={200: serializers.ActivitySerializer, **ERRORS},
    ),
)
class ActivityViewSet(ScopedModelViewSet):
    """Activities (三会一课 and other organisation life). Never deleted: cancel them instead."""

    queryset = Activity.objects.all()
    serializer_class = serializers.ActivitySerializer
    filterset_class = filters.ActivityFilterSet
    search_fields = ["title", "topic", "place", "host__name"]
    ordering_fields = ["starts_at", "title", "kind", "status", "created_at"]
    ordering = ["-starts_at", "-pk"]
    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    # Bodies with nested lists (co-hosts, attendance): JSON. Files go to /activity-files/.
    parser_classes = [JSONParser]

    def get_queryset(self):
        return _with_relations(super().get_queryset())

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        return None if page is None else attach_attendance_counts(page)

    def get_object(self):
        return attach_attendance_counts([super().get_object()])[0]

    def reload(self, obj):
        return attach_attendance_counts([super().reload(obj)])[0]

    def may_create(self, user):
        return may_manage_any(user)

    def may_write(self, user, obj):
        return Activity.objects.allows(user, obj, CHANGE)

    def may_act(self, user, obj, action):
        return Activity.objects.allows(user, obj, CHANGE)

    def _respond(self, activity, code=status.HTTP_200_OK):
        fresh = attach_attendance_counts([_with_relations(Activity.objects.filter(pk=activity.pk)).get()])[0]
        return Response(self.get_serializer(fresh).data, status=code)

    def create(self, request, *args, **kwargs):
        body = serializers.ActivityWriteSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        entries = data.pop("attendance", None)
        activity = actions.activity_log(
            by=request.user,
            attendance=None if entries is None else serializers.attendance_inputs(entries),
            **data,
        )
        return self._respond(activity, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        activity = self.get_object()
        body = serializers.ActivityWriteSerializer(
            activity, data=request.data, partial=kwargs.get("partial", False), context=self.get_serializer_context()
        )
        body.is_valid(raise_exception=True)
        changes = dict(body.validated_data)
        reason = changes.pop("reason", "")
        activity = actions.activity_update(activity=activity, by=request.user, reason=reason, **changes)
        return self._respond(activity)

    @extend_schema(
        summary=_("Cancel an activity"),
        description=_("activities.actions.activity_cancel: every point it gave is reversed."),
        request=serializers.ActivityCancelSerializer,
        responses={200: serializers.ActivitySerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return self.run_action(
            actions.activity_cancel,
            input_serializer=serializers.ActivityCancelSerializer,
            activity=self.get_object(),
            by=request.user,
        )

    @extend_schema(
        summary=_("Record attendance (the activity becomes held)"),
        description=_(
            "The same step as the attendance checklist page (activities.actions.attendance_record): "
            "only the host's party members, once the activity has started; members left out keep their "
            "row; points follow; after the period has closed a reason is required."
        ),
        request=serializers.AttendanceRecordSerializer,
        responses={200: serializers.ActivitySerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def attendance(self, request, pk=None):
        activity = self.get_object()
        body = serializers.AttendanceRecordSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        activity = actions.attendance_record(
            activity=activity,
            by=request.user,
            entries=serializers.attendance_inputs(body.validated_data["entries"]),
            reason=body.validated_data["reason"],
        )
        return self._respond(activity)

    @extend_schema(
        summary=_("The attendance checklist"),
        description=_("The members that may be recorded on the activity's attendance list (managers only)."),
        responses={200: serializers.ChecklistMemberSerializer(many=True), 403: ERRORS[403], 404: ERRORS[404]},
        filters=False,
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def checklist(self, request, pk=None):
        activity = self.get_object()
        if not may_manage(request.user, activity.host):
            raise PermissionDenied(_("You may not manage the activities of this organisation."))
        return Response(serializers.ChecklistMemberSerializer(checklist_members(activity.host), many=True).data)


@extend_schema_view(
    list=extend_schema(summary=_("Photos and attachments of activities you may see")),
    create=extend_schema(
        summary=_("Upload a photo or an attachment"),
        description=_(
            "multipart/form-data. The same type, content and size checks as the page. The file is "
            "then served only by the scoped media URL given in ``url``."
        ),
        request={"multipart/form-data": serializers.ActivityFileUploadSerializer},
        responses={201: serializers.ActivityFileSerializer, **ERRORS},
    ),
    destroy=extend_schema(summary=_("Delete a file"), responses={204: None, 403: ERRORS[403], 404: ERRORS[404]}),
)
class ActivityFileViewSet(ScopedModelViewSet):
    queryset = ActivityFile.objects.all()
    serializer_class = serializers.ActivityFileSerializer
    filterset_class = filters.ActivityFileFilterSet
    search_fields = ["name"]
    ordering_fields = ["uploaded_at", "name", "size"]
    ordering = ["activity", "kind", "pk"]
    http_method_names = ["get", "post", "delete", "head", "options"]

    def may_create(self, user):
        return may_manage_any(user)

    def may_write(self, user, obj):
        return ActivityFile.objects.allows(user, obj, CHANGE)

    def create(self, request, *args, **kwargs):
        body = serializers.ActivityFileUploadSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        data = body.validated_data
        activity = data["activity"]
        if not may_manage(request.user, activity.host):
            raise PermissionDenied(_("You may not manage the activities of this organisation."))
        field = "photos" if data["kind"] == ActivityFile.Kind.PHOTO else "attachments"
        with transaction.atomic():
            before = set(activity.files.values_list("pk", flat=True))
            try:
                actions.activity_update(
                    activity=activity, by=request.user, reason=data["reason"], **{field: [data["file"]]}
                )
            except DjangoValidationError as exc:
                errors = django_errors(exc)
                for name in ("photos", "attachments"):
                    if name in errors:
                        errors.setdefault("file", []).extend(errors.pop(name))
                raise DjangoValidationError(errors) from exc
            created = activity.files.exclude(pk__in=before).order_by("-pk").first()
        return Response(self.get_serializer(created).data, status=status.HTTP_201_CREATED)

    def destroy_object(self, instance):
        actions.activity_file_delete(activity_file=instance, by=self.request.user)


@extend_schema_view(
    list=extend_schema(
        summary=_("Attendance rows you may see"),
        description=_("Read-only: record attendance with POST /activities/{id}/attendance/."),
    ),
)
class AttendanceViewSet(ScopedReadOnlyModelViewSet):
    queryset = Attendance.objects.all()
    select_related = ("member",)
    serializer_class = serializers.AttendanceSerializer
    filterset_class = filters.AttendanceFilterSet
    search_fields = ["member__name", "reason"]
    ordering_fields = ["activity", "member__name", "status", "volunteer_hours"]
    ordering = ["activity", "member__name", "pk"]


RULE_ERRORS = {
    400: OpenApiResponse(description=_("Invalid input: messages per field.")),
    403: OpenApiResponse(description=_("Only superusers change the rules.")),
}


def _rule_schema(serializer):
    return extend_schema_view(
        list=extend_schema(description=_("Read by every role; changed by superusers only, as in the back office.")),
        create=extend_schema(responses={201: serializer, **RULE_ERRORS}),
        update=extend_schema(responses={200: serializer, **RULE_ERRORS}),
        partial_update=extend_schema(responses={200: serializer, **RULE_ERRORS}),
        destroy=extend_schema(responses={204: None, 403: RULE_ERRORS[403]}),
    )


@_rule_schema(serializers.ComplianceRuleSerializer)
class ComplianceRuleViewSet(ScopedModelViewSet):
    """The minimum frequency of each kind of activity per branch (三会一课). Writes: superusers."""

    queryset = ComplianceRule.objects.all()
    serializer_class = serializers.ComplianceRuleSerializer
    filterset_class = filters.ComplianceRuleFilterSet
    ordering_fields = ["kind", "period", "minimum_count"]
    ordering = ["pk"]


@_rule_schema(serializers.PointRuleSerializer)
class PointRuleViewSet(ScopedModelViewSet):
    """Points a member earns for being present at an activity of a kind (积分制). Writes: superusers."""

    queryset = PointRule.objects.all()
    serializer_class = serializers.PointRuleSerializer
    filterset_class = filters.PointRuleFilterSet
    ordering_fields = ["kind", "points"]
    ordering = ["pk"]


@extend_schema_view(
    list=extend_schema(
        summary=_("Points ledger"),
        description=_("Read-only: awards and reversals are written by the attendance and cancel steps."),
    ),
)
class PointEntryViewSet(ScopedReadOnlyModelViewSet):
    queryset = PointEntry.objects.all()
    select_related = ("member", "activity")
    serializer_class = serializers.PointEntrySerializer
    filterset_class = filters.PointEntryFilterSet
    search_fields = ["member__name", "note"]
    ordering_fields = ["created_at", "points"]
    ordering = ["-created_at", "-pk"]
