import django_filters

from core.filters import IdFilter
from members.models import ApplicationTalk, DuesPayment, Member, StageChange, Transfer, TransferEvent


class MemberFilter(django_filters.FilterSet):
    park = IdFilter(field_name="organization__park")
    district = IdFilter(field_name="organization__district")

    class Meta:
        model = Member
        fields = ["organization", "employer", "stage", "status", "gender", "education", "shows_identity"]


class StageChangeFilter(django_filters.FilterSet):
    class Meta:
        model = StageChange
        fields = ["member", "kind", "to_stage"]


class TransferFilter(django_filters.FilterSet):
    class Meta:
        model = Transfer
        fields = ["member", "kind", "status", "from_organization", "to_organization"]


class TransferEventFilter(django_filters.FilterSet):
    class Meta:
        model = TransferEvent
        fields = ["transfer", "action"]


class ApplicationTalkFilter(django_filters.FilterSet):
    organization = IdFilter(field_name="member__organization")

    class Meta:
        model = ApplicationTalk
        fields = ["member"]


class DuesPaymentFilter(django_filters.FilterSet):
    organization = IdFilter(field_name="member__organization")

    class Meta:
        model = DuesPayment
        fields = ["member", "month", "category"]
