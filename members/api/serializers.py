from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from core import audit
from core.api import ActionSerializer, ModelCleanSerializer, ModelSerializer
from core.validators import TEXT_NOTE
from members.actions import STATUS_STEPS, may_act_for
from members.models import (
    ApplicationTalk,
    DuesPayment,
    Member,
    MembershipEvent,
    Stage,
    StageChange,
    Transfer,
    TransferEvent,
)
from members.selectors import can_view_full_id_number
from parks.models import Organization

STAGE_DATES = ["applied_on", "activist_on", "candidate_on", "probationary_on", "full_on"]


def _user(serializer):
    request = serializer.context.get("request")
    return getattr(request, "user", None)


class MemberSerializer(ModelCleanSerializer):
    """A member. ``id_number`` and ``phone`` are masked unless the user may see them in full
    (members.selectors.can_view_full_id_number); a write takes the full number. The stage, its
    dates and the organisation change only through the steps (advance, correct-stage, transfers)
    once the member exists; status and points never by a field."""

    id_number = serializers.CharField(
        max_length=18, help_text=_("Resident ID number: written in full, read masked unless you may see it.")
    )
    organization_name = serializers.CharField(source="organization.name", read_only=True)
    park = serializers.IntegerField(source="organization.park_id", read_only=True, allow_null=True)
    employer_name = serializers.SerializerMethodField()
    id_number_masked = serializers.SerializerMethodField()

    class Meta:
        model = Member
        fields = [
            "id",
            "name",
            "gender",
            "ethnicity",
            "birth_date",
            "id_number",
            "id_number_masked",
            "phone",
            "education",
            "employer",
            "employer_name",
            "organization",
            "organization_name",
            "park",
            "stage",
            *STAGE_DATES,
            "status",
            "shows_identity",
            "service_commitment",
            "points",
            "user",
            "created_at",
        ]
        read_only_fields = ["status", "points", "user", "created_at"]

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None and not isinstance(self.instance, list | tuple):
            # An existing member: the pipeline and the organisation move by their steps only.
            for name in ("stage", "organization", *STAGE_DATES):
                fields[name].read_only = True
        return fields

    def get_employer_name(self, obj) -> str | None:
        return obj.employer.name if obj.employer_id else None

    def get_id_number_masked(self, obj) -> bool:
        return not self._may_see_full(obj)

    def _may_see_full(self, member) -> bool:
        """``can_view_full_id_number`` for this member, asked once per row (the field above and
        ``to_representation`` both need it)."""
        asked = self.__dict__.get("_full_for")
        if asked is None or asked[0] is not member:
            asked = self._full_for = (member, can_view_full_id_number(_user(self), member))
        return asked[1]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not self._may_see_full(instance):
            data["id_number"] = instance.id_number_masked
            data["phone"] = instance.phone_masked
        elif self.context.get("request") is not None:
            audit.note(self.context["request"], instance)  # one audit row per response (core.audit)
        return data


class StageChangeSerializer(ModelSerializer):
    member_name = serializers.CharField(source="member.name", read_only=True)
    # Blank for the initial record: declared so that the schema allows "".
    from_stage = serializers.ChoiceField(choices=Stage.choices, allow_blank=True, read_only=True)
    # In the reader's language when the system wrote it (an import).
    reason = serializers.CharField(source="reason_display", read_only=True)

    class Meta:
        model = StageChange
        fields = [
            "id",
            "member",
            "member_name",
            "kind",
            "from_stage",
            "to_stage",
            "effective_on",
            "reason",
            "changed_by",
            "created_at",
        ]
        read_only_fields = fields


class AdvanceSerializer(ActionSerializer):
    effective_on = serializers.DateField()
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=TEXT_NOTE)


class ExtendProbationSerializer(ActionSerializer):
    until = serializers.DateField()
    reason = serializers.CharField(allow_blank=True, max_length=TEXT_NOTE)


class CorrectStageSerializer(ActionSerializer):
    to_stage = serializers.ChoiceField(choices=Stage.choices)
    effective_on = serializers.DateField()
    reason = serializers.CharField(allow_blank=True, max_length=TEXT_NOTE)


class StatusChangeSerializer(ActionSerializer):
    status = serializers.ChoiceField(choices=[(status.value, status.label) for status in STATUS_STEPS])
    on = serializers.DateField()
    note = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=MembershipEvent._meta.get_field("note").max_length
    )


class TransferSerializer(ModelSerializer):
    member_name = serializers.CharField(source="member.name", read_only=True)
    from_display = serializers.CharField(read_only=True)
    to_display = serializers.CharField(read_only=True)
    verification_code = serializers.SerializerMethodField(
        help_text=_("The letter's verification code: shown to the member and the sending side only.")
    )

    class Meta:
        model = Transfer
        fields = [
            "id",
            "member",
            "member_name",
            "kind",
            "status",
            "from_organization",
            "to_organization",
            "outside_organization",
            "outside_letter_number",
            "from_display",
            "to_display",
            "reason",
            "requested_by",
            "requested_at",
            "letter_number",
            "verification_code",
            "letter_issued_on",
            "letter_valid_until",
            "dues_paid_until",
            "rejection_reason",
            "closed_at",
        ]
        read_only_fields = fields

    def get_verification_code(self, obj) -> str | None:
        user = _user(self)
        if not obj.verification_code or user is None:
            return None
        if obj.member.user_id == user.pk or may_act_for(user, obj.from_organization):
            return obj.verification_code
        return None


class TransferRequestSerializer(serializers.Serializer):
    """The body of a transfer request (members.actions.transfer_request)."""

    member = serializers.PrimaryKeyRelatedField(queryset=Member.objects.none())
    kind = serializers.ChoiceField(choices=Transfer.Kind.choices, required=False)
    to_organization = serializers.PrimaryKeyRelatedField(
        queryset=Organization.objects.filter(kind__in=Organization.BRANCH_KINDS),
        required=False,
        allow_null=True,
        help_text=_("The receiving branch, for a transfer within the portal (any branch)."),
    )
    outside_organization = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    outside_letter_number = serializers.CharField(required=False, allow_blank=True, default="", max_length=50)
    reason = serializers.CharField(allow_blank=True, max_length=TEXT_NOTE)

    def get_fields(self):
        fields = super().get_fields()
        user = _user(self)
        if user is not None:
            fields["member"].queryset = Member.objects.visible_to(user)
        return fields


class TransferApproveSerializer(ActionSerializer):
    """The body of an approval. The month to which dues are paid is taken from the dues ledger by
    the action: a body that names it is refused (400), so that no client believes it set it."""

    valid_months = serializers.IntegerField(min_value=1, max_value=3, default=1)
    arrears_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=2000,
        help_text=_(
            "Required when the member owes dues up to last month: the reason for approving anyway "
            "(recorded on the timeline, not printed on the letter)."
        ),
    )

    def validate(self, attrs):
        if "dues_paid_until" in getattr(self, "initial_data", {}):
            raise serializers.ValidationError(
                {
                    "dues_paid_until": _(
                        "The month to which dues are paid is taken from the dues ledger; it cannot be set."
                    )
                }
            )
        return attrs


class TransferRejectSerializer(ActionSerializer):
    reason = serializers.CharField(allow_blank=True, max_length=TEXT_NOTE)


class TransferCancelSerializer(ActionSerializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=TEXT_NOTE)


class TransferEventSerializer(ModelSerializer):
    # Blank for the request, the first step: declared so that the schema allows "".
    from_status = serializers.ChoiceField(choices=Transfer.Status.choices, allow_blank=True, read_only=True)
    detail = serializers.CharField(
        source="detail_display",
        read_only=True,
        help_text=_("The portal's own note on the step (the months owed at an approval), in the request's language."),
    )

    class Meta:
        model = TransferEvent
        fields = ["id", "transfer", "action", "from_status", "to_status", "actor", "at", "note", "detail"]
        read_only_fields = fields


class ApplicationTalkSerializer(ModelSerializer):
    member = serializers.PrimaryKeyRelatedField(queryset=Member.objects.none())

    class Meta:
        model = ApplicationTalk
        fields = ["id", "member", "held_on", "held_by", "notes", "recorded_by"]
        read_only_fields = ["recorded_by"]
        # One talk per applicant: recording it again corrects it (the action), not a uniqueness error.
        validators = []

    def get_fields(self):
        fields = super().get_fields()
        user = _user(self)
        if user is not None:
            fields["member"].queryset = Member.objects.visible_to(user)
        return fields


class DuesPaymentSerializer(ModelSerializer):
    member = serializers.PrimaryKeyRelatedField(queryset=Member.objects.none())
    member_name = serializers.CharField(source="member.name", read_only=True)
    settled = serializers.BooleanField(read_only=True)

    class Meta:
        model = DuesPayment
        fields = [
            "id",
            "member",
            "member_name",
            "month",
            "category",
            "monthly_pay",
            "amount_due",
            "amount_paid",
            "paid_on",
            "settled",
            "recorded_by",
            "recorded_at",
        ]
        read_only_fields = ["amount_due", "recorded_by", "recorded_at"]
        # One row per member and month: recording the month again corrects it (the action).
        validators = []

    def get_fields(self):
        fields = super().get_fields()
        user = _user(self)
        if user is not None:
            fields["member"].queryset = Member.objects.visible_to(user)
        return fields


class LetterVerifySerializer(serializers.Serializer):
    number = serializers.CharField(max_length=20)
    code = serializers.CharField(max_length=32)


class LetterStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=["valid", "used", "expired", "withdrawn", "unknown"],
        help_text=_("Says nothing about whom the letter is for."),
    )
