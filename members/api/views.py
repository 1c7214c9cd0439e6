"""Members, their development steps, transfers, dues and talks.

Writes follow the pages and the back office: a member is created and edited by whoever acts for
their organisation (members.actions.may_act_for: its secretaries, the park's administrators,
superusers) and deleted by the park's administrators; the development steps, transfers, dues and
talks are each one call to members.actions, which checks the actor and the rules (a refusal is
a 400 with the reason). StageChange and TransferEvent are read-only records written by those
actions. LetterSequence is not exposed: it is the internal counter behind letter numbers.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import permissions, status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import (
    ScopedCreateReadViewSet,
    ScopedModelViewSet,
    ScopedReadOnlyModelViewSet,
    call_action,
)
from core.querysets import CHANGE
from core.scope import scope_for
from core.security import AddressRateThrottle
from members import actions, selectors
from members.models import ApplicationTalk, DuesPayment, Member, StageChange, Transfer, TransferEvent
from parks.models import Organization

from . import filters, serializers


def _acts_for_some_organization(user) -> bool:
    return Member.objects.reaches_any(user, CHANGE)


class ActsForOrganizationMixin:
    """Writes by those who act for some organisation (a read-only role gets 403); the action then
    checks that they act for this member's organisation (400 with the reason if not)."""

    def may_create(self, user):
        return _acts_for_some_organization(user)

    def may_act(self, user, obj, action):
        return _acts_for_some_organization(user)


class MemberViewSet(ActsForOrganizationMixin, ScopedModelViewSet):
    """Party members, applicants and activists; ID numbers and phones masked unless permitted."""

    queryset = Member.objects.all()
    serializer_class = serializers.MemberSerializer
    filterset_class = filters.MemberFilter
    select_related = ("organization", "employer")
    search_fields = ["name"]
    ordering_fields = ["name", "birth_date", "points", "created_at", "stage"]

    def may_write(self, user, obj):
        return Member.objects.allows(user, obj, CHANGE)

    def create_object(self, serializer):
        # A new member joined their organisation: the first event of their membership history.
        actions.member_registered(member=serializer.save(), by=self.request.user)

    def may_delete(self, user, obj):
        # Taking a member off the roll changes their organisation: its park's administrators.
        return Organization.objects.allows(user, obj.organization, CHANGE)

    def _step(self, function, body, **extra):
        member = self.get_object()
        call_action(function, member=member, by=self.request.user, **extra, **self._body(body))
        return Response(self.get_serializer(self.reload(member)).data)

    def _body(self, serializer_class):
        body = serializer_class(data=self.request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        return dict(body.validated_data)

    @extend_schema(
        summary=_("Advance to the next stage"),
        description=_("members.actions.stage_advance: never skips a stage; checks the pipeline's waiting times."),
        request=serializers.AdvanceSerializer,
        responses={200: serializers.MemberSerializer},
    )
    @action(detail=True, methods=["post"])
    def advance(self, request, pk=None):
        return self._step(actions.stage_advance, serializers.AdvanceSerializer)

    @extend_schema(
        summary=_("Extend probation"),
        description=_("members.actions.probation_extend: at most one year beyond the normal end, with a reason."),
        request=serializers.ExtendProbationSerializer,
        responses={200: serializers.MemberSerializer},
    )
    @action(detail=True, methods=["post"], url_path="extend-probation")
    def extend_probation(self, request, pk=None):
        return self._step(actions.probation_extend, serializers.ExtendProbationSerializer)

    @extend_schema(
        summary=_("Correct the recorded stage"),
        description=_("members.actions.stage_correct: back, or past a stage, with a recorded reason."),
        request=serializers.CorrectStageSerializer,
        responses={200: serializers.MemberSerializer},
    )
    @action(detail=True, methods=["post"], url_path="correct-stage")
    def correct_stage(self, request, pk=None):
        return self._step(actions.stage_correct, serializers.CorrectStageSerializer)

    @extend_schema(
        summary=_("Record a change of status"),
        description=_(
            "members.actions.member_status_change: gone flowing, deceased, removed, or back on the roll, on the "
            "day it happened (not before the member's last recorded change); grounds required to remove a member "
            "or bring one back. Refused while a transfer is open."
        ),
        request=serializers.StatusChangeSerializer,
        responses={200: serializers.MemberSerializer},
    )
    @action(detail=True, methods=["post"], url_path="change-status")
    def change_status(self, request, pk=None):
        return self._step(actions.member_status_change, serializers.StatusChangeSerializer)


class StageChangeViewSet(ScopedReadOnlyModelViewSet):
    """The development history: written by the member steps (advance, extend-probation, correct-stage)."""

    queryset = StageChange.objects.all()
    serializer_class = serializers.StageChangeSerializer
    filterset_class = filters.StageChangeFilter
    select_related = ("member",)
    ordering_fields = ["effective_on", "created_at"]


@extend_schema_view(
    create=extend_schema(
        summary=_("Request a transfer"),
        description=_(
            "members.actions.transfer_request: the member for themself, or the sending side (the receiving "
            "side for a transfer in from outside). A member has at most one open transfer."
        ),
        request=serializers.TransferRequestSerializer,
        responses={201: serializers.TransferSerializer},
    )
)
class TransferViewSet(ScopedCreateReadViewSet):
    """Organisation-relation transfers (组织关系转接); each step is one action."""

    queryset = Transfer.objects.all()
    serializer_class = serializers.TransferSerializer
    filterset_class = filters.TransferFilter
    select_related = ("member", "from_organization", "to_organization")
    search_fields = ["member__name", "=letter_number", "outside_organization"]
    ordering_fields = ["requested_at", "letter_valid_until", "status"]

    def may_create(self, user):
        # A member asks for themself; the sides enter and decide. Officials and service staff only read.
        return scope_for(user).is_member or _acts_for_some_organization(user)

    def may_act(self, user, obj, action):
        return self.may_create(user)

    def create(self, request, *args, **kwargs):
        body = serializers.TransferRequestSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        transfer = call_action(actions.transfer_request, by=request.user, **body.validated_data)
        data = self.get_serializer(self.reload(transfer)).data
        return Response(data, status=status.HTTP_201_CREATED)

    def _step(self, function, body=None):
        transfer = self.get_object()
        extra = {}
        if body is not None:
            checked = body(data=self.request.data, context=self.get_serializer_context())
            checked.is_valid(raise_exception=True)
            extra = dict(checked.validated_data)
        transfer = call_action(function, transfer=transfer, by=self.request.user, **extra)
        return Response(self.get_serializer(self.reload(transfer)).data)

    @extend_schema(
        summary=_("Approve and issue the letter"),
        description=_(
            "members.actions.transfer_approve: the sending side; the letter is valid 1 to 3 months and states "
            "the month to which dues are paid from the dues ledger. A member owing dues is approved only with "
            "arrears_reason (400 with a field error without it)."
        ),
        request=serializers.TransferApproveSerializer,
        responses={200: serializers.TransferSerializer},
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._step(actions.transfer_approve, serializers.TransferApproveSerializer)

    @extend_schema(
        summary=_("Accept the member"),
        description=_(
            "members.actions.transfer_accept: the receiving side (the sending side confirms a transfer out); "
            "the member's organisation changes at that moment."
        ),
        request=None,
        responses={200: serializers.TransferSerializer},
    )
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        return self._step(actions.transfer_accept)

    @extend_schema(
        summary=_("Reject with a reason"),
        description=_("members.actions.transfer_reject: the side whose turn it is."),
        request=serializers.TransferRejectSerializer,
        responses={200: serializers.TransferSerializer},
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._step(actions.transfer_reject, serializers.TransferRejectSerializer)

    @extend_schema(
        summary=_("Cancel"),
        description=_("members.actions.transfer_cancel: the member or the sending side withdraws an open transfer."),
        request=serializers.TransferCancelSerializer,
        responses={200: serializers.TransferSerializer},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return self._step(actions.transfer_cancel, serializers.TransferCancelSerializer)


class TransferEventViewSet(ScopedReadOnlyModelViewSet):
    """The timeline of transfers: one row per step, written by the steps."""

    queryset = TransferEvent.objects.all()
    serializer_class = serializers.TransferEventSerializer
    filterset_class = filters.TransferEventFilter
    ordering_fields = ["at"]


@extend_schema_view(
    create=extend_schema(
        summary=_("Record the talk with an applicant"),
        description=_(
            "members.actions.record_application_talk: by the applicant's branch; recording it again corrects it."
        ),
    )
)
class ApplicationTalkViewSet(ActsForOrganizationMixin, ScopedCreateReadViewSet):
    """Talks with applicants (due within a month of the application)."""

    queryset = ApplicationTalk.objects.all()
    serializer_class = serializers.ApplicationTalkSerializer
    filterset_class = filters.ApplicationTalkFilter
    select_related = ("member",)
    ordering_fields = ["held_on"]

    def create_object(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = call_action(actions.record_application_talk, by=self.request.user, **data)


@extend_schema_view(
    create=extend_schema(
        summary=_("Record a month's dues"),
        description=_(
            "members.actions.dues_record_payment: by the member's branch; the amount due is computed from the "
            "official brackets, never typed; recording the month again corrects it."
        ),
    )
)
class DuesPaymentViewSet(ActsForOrganizationMixin, ScopedCreateReadViewSet):
    """The party-dues ledger: one row per member and month."""

    queryset = DuesPayment.objects.all()
    serializer_class = serializers.DuesPaymentSerializer
    filterset_class = filters.DuesPaymentFilter
    select_related = ("member",)
    ordering_fields = ["month", "paid_on"]

    def create_object(self, serializer):
        data = dict(serializer.validated_data)
        # The two the body may leave out take the model's defaults (employed; no pay given), and the
        # action then says what is missing (an employed member's pay) as a field error: a 400.
        data.setdefault("category", DuesPayment._meta.get_field("category").default)
        data.setdefault("monthly_pay", None)
        serializer.instance = call_action(actions.dues_record_payment, by=self.request.user, **data)


class LetterVerifyView(APIView):
    """Public: is this introduction letter genuine and still valid? Mirrors the letter-check page."""

    permission_classes = [permissions.AllowAny]
    authentication_classes = []
    throttle_classes = [AddressRateThrottle]  # by core.security.client_ip, one counter with the page
    throttle_scope = "letter_verify"

    @extend_schema(
        summary=_("Verify an introduction letter"),
        request=serializers.LetterVerifySerializer,
        responses={200: serializers.LetterStatusSerializer},
    )
    def post(self, request):
        body = serializers.LetterVerifySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        result = selectors.letter_status(**body.validated_data)
        return Response({"status": result})
