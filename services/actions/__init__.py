"""Writes of the service centre. Every workflow step is an action here: keyword-only, validated,
transactional, and taken through core.transitions (services.rules: REQUEST_STEPS, WISH_STEPS,
BOOKING_STEPS), which locks the row it changes, checks its state, records a timeline entry and
notifies after commit.

Refusals raise ``ValidationError`` (a rule of the workflow) or ``PermissionDenied`` (the user may
not take that step). Everything is importable from ``services.actions``.
"""

from .bookings import (
    BOOKING_HORIZON_DAYS,
    MAX_BOOKING_HOURS,
    booking_cancel,
    booking_confirm,
    booking_decline,
    booking_request,
)
from .common import MAX_ATTACHMENT_BYTES, Event, park_admins
from .requests import (
    REOPEN_DAYS,
    request_accept,
    request_assign,
    request_close,
    request_comment,
    request_reject,
    request_reopen,
    request_resolve,
    request_start,
    request_submit,
)
from .wishes import wish_cancel, wish_claim, wish_fulfil, wish_post

__all__ = [
    "BOOKING_HORIZON_DAYS",
    "MAX_ATTACHMENT_BYTES",
    "MAX_BOOKING_HOURS",
    "REOPEN_DAYS",
    "Event",
    "booking_cancel",
    "booking_confirm",
    "booking_decline",
    "booking_request",
    "park_admins",
    "request_accept",
    "request_assign",
    "request_close",
    "request_comment",
    "request_reject",
    "request_reopen",
    "request_resolve",
    "request_start",
    "request_submit",
    "wish_cancel",
    "wish_claim",
    "wish_fulfil",
    "wish_post",
]
