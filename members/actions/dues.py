"""Dues: the secretary's record of a month's payment, its amount from the official brackets
(``members.rules.dues_amount``)."""

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.texts import Text
from notifications.actions import notify

from ..models import DuesPayment, Member, Stage
from ..rules import CENT, DUES_BRACKETS, REDUCED_DUES, dues_amount  # noqa: F401 (re-exported by members.actions)
from .common import add_months, first_of_month, lock_member, may_act_for, today


@transaction.atomic
def dues_record_payment(
    *,
    member: Member,
    by,
    month: datetime.date,
    category: str,
    monthly_pay: Decimal | None,
    amount_paid: Decimal,
    paid_on: datetime.date,
) -> DuesPayment:
    """The secretary records a month's dues. The amount due is computed, never typed; one row per
    member and month (recording the month again corrects it)."""
    member = lock_member(member)
    if not may_act_for(by, member.organization):
        raise ValidationError(_("Only the member's branch records their dues."))
    if member.stage not in (Stage.PROBATIONARY, Stage.FULL):
        raise ValidationError(_("Dues are paid by probationary and full members."))
    month = first_of_month(month)
    if month > first_of_month(add_months(today(), 12)):
        raise ValidationError({"month": _("Dues cannot be recorded that far ahead.")})
    if paid_on > today():
        raise ValidationError({"paid_on": _("The payment date cannot be in the future.")})
    if amount_paid is None or amount_paid < 0:
        raise ValidationError({"amount_paid": _("Give the amount paid.")})
    due = dues_amount(category=category, monthly_pay=monthly_pay)
    payment, _created = DuesPayment.objects.update_or_create(
        member=member,
        month=month,
        defaults={
            "category": category,
            "monthly_pay": monthly_pay,
            "amount_due": due,
            "amount_paid": amount_paid,
            "paid_on": paid_on,
            "recorded_by": by,
        },
    )
    notify(
        recipients=[member.user],
        title=Text(_("Dues recorded for %(month)s"), month=f"{month:%Y-%m}"),
        url=reverse("members:my_dues"),
    )
    return payment
