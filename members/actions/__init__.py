"""Writes of the members app: transfers, the development pipeline and dues.

Every action is keyword-only, runs in one transaction, locks the rows whose state it changes, checks
the current state *after* taking the lock (so two people clicking at the same moment produce one
transition), records what happened and who did it, and notifies the next actor and the member after
commit. A refusal raises ``ValidationError`` with a message fit to show, and changes nothing.

The workflow steps (members.rules: TRANSFER_STEPS, STAGE_STEPS) go through core.transitions.
Everything is importable from ``members.actions``, whatever module of the package holds it.
"""

from .common import add_months, first_of_month, is_member_themself, lock_member, may_act_for, secretaries_of, today
from .dues import CENT, DUES_BRACKETS, REDUCED_DUES, dues_amount, dues_record_payment
from .membership import (
    STATUS_STEPS,
    default_joined_on,
    member_registered,
    member_status_change,
    members_registered,
    membership_changed,
    record_membership_event,
)
from .pipeline import (
    ACTIVIST_TRAINING_YEARS,
    ADULT_AGE,
    MAX_EXTENSION_MONTHS,
    PROBATION_YEARS,
    TALK_WITHIN_MONTHS,
    probation_ends_on,
    probation_extend,
    record_application_talk,
    stage_advance,
    stage_correct,
)
from .transfers import (
    LETTER_DEFAULT_MONTHS,
    LETTER_MAX_MONTHS,
    _deciding_side,
    expire_overdue_letters,
    format_letter_number,
    transfer_accept,
    transfer_approve,
    transfer_cancel,
    transfer_expire,
    transfer_reject,
    transfer_request,
)

__all__ = [
    "STATUS_STEPS",
    "member_status_change",
    "ACTIVIST_TRAINING_YEARS",
    "ADULT_AGE",
    "CENT",
    "DUES_BRACKETS",
    "LETTER_DEFAULT_MONTHS",
    "LETTER_MAX_MONTHS",
    "MAX_EXTENSION_MONTHS",
    "PROBATION_YEARS",
    "REDUCED_DUES",
    "TALK_WITHIN_MONTHS",
    "_deciding_side",
    "add_months",
    "default_joined_on",
    "dues_amount",
    "dues_record_payment",
    "expire_overdue_letters",
    "first_of_month",
    "format_letter_number",
    "is_member_themself",
    "lock_member",
    "may_act_for",
    "member_registered",
    "members_registered",
    "membership_changed",
    "probation_ends_on",
    "probation_extend",
    "record_application_talk",
    "record_membership_event",
    "secretaries_of",
    "stage_advance",
    "stage_correct",
    "today",
    "transfer_accept",
    "transfer_approve",
    "transfer_cancel",
    "transfer_expire",
    "transfer_reject",
    "transfer_request",
]
