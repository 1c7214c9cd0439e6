"""Demo dues ledger: a year of monthly payments for the demo branches, with a few members behind.

Idempotent: members who already have a payment are left alone.
"""

import datetime
import random
from decimal import Decimal

from django.utils import timezone

from members.actions import add_months, dues_amount
from members.models import DuesPayment, Member, Stage

MONTHS = 12


def seed(*, rng: random.Random, stdout) -> None:
    today = timezone.localdate()
    this_month = today.replace(day=1)
    members = list(
        Member.objects.filter(status=Member.Status.ACTIVE, stage__in=[Stage.PROBATIONARY, Stage.FULL])
        .exclude(dues_payments__isnull=False)
        .order_by("pk")
    )
    payments = []
    for member in members:
        pay = Decimal(rng.randrange(3000, 15000, 100))
        category = DuesPayment.Category.EMPLOYED
        if rng.random() < 0.05:
            category, pay = DuesPayment.Category.REDUCED, None
        due = dues_amount(category=category, monthly_pay=pay)
        # Most are up to date (paid through last month); some have fallen 2–8 months behind.
        behind = rng.choice([2, 3, 4, 6, 8]) if rng.random() < 0.12 else 1
        first = max(add_months(this_month, -MONTHS), (member.probationary_on or this_month).replace(day=1))
        month = first
        while month <= add_months(this_month, -behind):
            paid_on = min(add_months(month, 1) + datetime.timedelta(days=rng.randrange(0, 10)), today)
            payments.append(
                DuesPayment(
                    member=member,
                    month=month,
                    category=category,
                    monthly_pay=pay,
                    amount_due=due,
                    amount_paid=due,
                    paid_on=paid_on,
                )
            )
            month = add_months(month, 1)
    DuesPayment.objects.bulk_create(payments, batch_size=1000)
    stdout.write(f"members: {len(payments)} dues payments for {len(members)} members")
