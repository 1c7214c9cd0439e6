"""Every API body reaches its action with the arguments the action needs: never a 500 (issue #14).

A serializer field that is optional (not required, no default) is missing from the validated data
when the body leaves it out. If the action the data is passed to (``action(by=..., **data)``) has
no default for that argument, the request fails with a TypeError: a 500. The dues payments did
(``category`` and ``monthly_pay``, found by the CI fuzz on 2026-12-01). Here every action the API
calls with a body is bound to its serializer's fields twice: with the fewest a valid body may have
(the required fields and those with a default) and with all of them. The pairs are listed by hand
(``CALLS``); a scan of the API views' code makes sure a new one is listed too, and that each
listed one gives the arguments its code gives.
"""

import ast
import inspect
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from rest_framework.fields import empty

from accounts.actions import role_grant
from accounts.api.serializers import RoleAssignmentSerializer
from activities import actions as activity_actions
from activities.api import serializers as activity_serializers
from members import actions as member_actions
from members import selectors as member_selectors
from members.api import serializers as member_serializers
from services import actions as service_actions
from services.api import serializers as service_serializers

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Call:
    """One API view method calling ``action`` with ``given`` arguments of its own plus the body
    validated by ``serializer`` (without the fields it ``pops``); ``partial`` for a PATCH-like
    update, whose body may hold any subset of the fields."""

    where: str  # "app/api/views.py:Class.method"
    action: object
    serializer: type | None
    given: frozenset = field(default_factory=frozenset)
    pops: frozenset = field(default_factory=frozenset)
    partial: bool = False


def call(where, action, serializer=None, given=(), pops=(), partial=False):
    return Call(where, action, serializer, frozenset(given), frozenset(pops), partial)


M, MS = member_actions, member_serializers
S, SS = service_actions, service_serializers
A, AS = activity_actions, activity_serializers
MEMBERS = "members/api/views.py:"
SERVICES = "services/api/views.py:"
ACTIVITIES = "activities/api/views.py:"
ON_MEMBER = ("member", "by")  # MemberViewSet._step
ON_TRANSFER = ("transfer", "by")  # TransferViewSet._step
ON_REQUEST = ("request", "by")  # ServiceRequestViewSet._take

CALLS = [
    call("accounts/api/views.py:RoleAssignmentViewSet.create_object", role_grant, RoleAssignmentSerializer, ["by"]),
    call(
        ACTIVITIES + "ActivityViewSet.create",
        A.activity_log,
        AS.ActivityWriteSerializer,
        ["by", "attendance"],
        pops=["attendance"],
    ),
    call(
        ACTIVITIES + "ActivityViewSet.update",
        A.activity_update,
        AS.ActivityWriteSerializer,
        ["activity", "by", "reason"],
        pops=["reason"],
        partial=True,
    ),
    call(ACTIVITIES + "ActivityViewSet.cancel", A.activity_cancel, AS.ActivityCancelSerializer, ["activity", "by"]),
    call(MEMBERS + "MemberViewSet.advance", M.stage_advance, MS.AdvanceSerializer, ON_MEMBER),
    call(MEMBERS + "MemberViewSet.extend_probation", M.probation_extend, MS.ExtendProbationSerializer, ON_MEMBER),
    call(MEMBERS + "MemberViewSet.correct_stage", M.stage_correct, MS.CorrectStageSerializer, ON_MEMBER),
    call(MEMBERS + "MemberViewSet.change_status", M.member_status_change, MS.StatusChangeSerializer, ON_MEMBER),
    call(MEMBERS + "TransferViewSet.create", M.transfer_request, MS.TransferRequestSerializer, ["by"]),
    call(MEMBERS + "TransferViewSet.approve", M.transfer_approve, MS.TransferApproveSerializer, ON_TRANSFER),
    call(MEMBERS + "TransferViewSet.accept", M.transfer_accept, None, ON_TRANSFER),
    call(MEMBERS + "TransferViewSet.reject", M.transfer_reject, MS.TransferRejectSerializer, ON_TRANSFER),
    call(MEMBERS + "TransferViewSet.cancel", M.transfer_cancel, MS.TransferCancelSerializer, ON_TRANSFER),
    call(
        MEMBERS + "ApplicationTalkViewSet.create_object",
        M.record_application_talk,
        MS.ApplicationTalkSerializer,
        ["by"],
    ),
    # The view fills in the two the body may leave out (the model's category, no pay given).
    call(
        MEMBERS + "DuesPaymentViewSet.create_object",
        M.dues_record_payment,
        MS.DuesPaymentSerializer,
        ["by", "category", "monthly_pay"],
    ),
    call(MEMBERS + "LetterVerifyView.post", member_selectors.letter_status, MS.LetterVerifySerializer),
    call(SERVICES + "ServiceRequestViewSet.create", S.request_submit, SS.ServiceRequestSubmitSerializer, ["by"]),
    call(SERVICES + "ServiceRequestViewSet.accept", S.request_accept, None, ON_REQUEST),
    call(SERVICES + "ServiceRequestViewSet.assign", S.request_assign, SS.AssignStepSerializer, ON_REQUEST),
    call(SERVICES + "ServiceRequestViewSet.start", S.request_start, None, ON_REQUEST),
    call(SERVICES + "ServiceRequestViewSet.resolve", S.request_resolve, SS.ResolveStepSerializer, ON_REQUEST),
    call(SERVICES + "ServiceRequestViewSet.close", S.request_close, SS.CloseStepSerializer, ON_REQUEST),
    call(SERVICES + "ServiceRequestViewSet.reject", S.request_reject, SS.ReasonStepSerializer, ON_REQUEST),
    call(SERVICES + "ServiceRequestViewSet.reopen", S.request_reopen, SS.ReasonStepSerializer, ON_REQUEST),
    call(SERVICES + "ServiceRequestViewSet.comment", S.request_comment, SS.CommentStepSerializer, ON_REQUEST),
    call(SERVICES + "WishViewSet.create", S.wish_post, SS.WishPostSerializer, ["by"]),
    call(SERVICES + "WishViewSet.fulfil", S.wish_fulfil, SS.FulfilStepSerializer, ["wish", "by"]),
    call(SERVICES + "RoomBookingViewSet.create", S.booking_request, SS.BookingRequestSerializer, ["by"]),
    call(SERVICES + "RoomBookingViewSet.decline", S.booking_decline, SS.ReasonStepSerializer, ["booking", "by"]),
]

# Methods that pass a body on for their callers above (each caller is listed), and one whose
# arguments are built from the body by name (the file's kind decides the argument).
HELPERS = {
    MEMBERS + "MemberViewSet._step",
    MEMBERS + "TransferViewSet._step",
    SERVICES + "ServiceRequestViewSet._take",
    ACTIVITIES + "ActivityFileViewSet.create",
}


def body_arguments(serializer) -> tuple[set, set]:
    """(the validated data's keys for the smallest valid body, for the fullest one)."""
    least, most = set(), set()
    for name, serializer_field in serializer().fields.items():
        if serializer_field.read_only:
            continue
        key = serializer_field.source_attrs[0] if serializer_field.source_attrs else name
        most.add(key)
        if serializer_field.required or serializer_field.default is not empty:
            least.add(key)
    return least, most


def refusal(action, names) -> str | None:
    """Why ``action(**{name: ... for name in names})`` would raise a TypeError, or None."""
    try:
        inspect.signature(action).bind(**dict.fromkeys(names))
    except TypeError as exc:
        return str(exc)
    return None


@pytest.mark.parametrize("listed", CALLS, ids=[c.where.split(":")[1] for c in CALLS])
def test_the_action_takes_every_body_the_serializer_lets_through(listed):
    least, most = body_arguments(listed.serializer) if listed.serializer else (set(), set())
    if listed.partial:
        least = set()
    for body in (least, most):
        names = (body - listed.pops) | listed.given
        problem = refusal(listed.action, names)
        assert problem is None, (
            f"{listed.where}: {listed.action.__name__}({', '.join(sorted(names))}) fails: {problem}. "
            "Give the argument a default in the action (or the view), or make the field required."
        )


def test_the_check_sees_an_optional_field_the_action_requires():
    def record(*, by, member, amount, note):
        return None

    assert refusal(record, {"by", "member", "amount"}) == "missing a required argument: 'note'"
    assert refusal(record, {"by", "member", "amount", "note", "extra"}) is not None
    assert refusal(record, {"by", "member", "amount", "note"}) is None


HELPER_NAMES = ("_step", "_take", "run_action")
NOT_ARGUMENTS = {"input_serializer", "output_serializer"}  # run_action's own


def _methods():
    """{"app/api/views.py:Class.method": its AST} of every API view method."""
    methods = {}
    for path in sorted(ROOT.glob("*/api/views.py")):
        tree = ast.parse(path.read_text())
        for cls in (node for node in tree.body if isinstance(node, ast.ClassDef)):
            for method in (node for node in cls.body if isinstance(node, ast.FunctionDef)):
                methods[f"{path.relative_to(ROOT)}:{cls.name}.{method.name}"] = method
    return methods


def _body_call(method):
    """The call of ``method`` that passes a body on: with ``**`` (a body's data), or to a helper."""
    for node in ast.walk(method):
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Attribute) and node.func.attr in HELPER_NAMES:
                return node
            if any(keyword.arg is None for keyword in node.keywords):
                return node
    return None


def _arguments_at(where, methods) -> tuple[set, set]:
    """(given, pops) as the view's code has them: the call's own keyword arguments (a helper's,
    for a call through one), the keys it fills in (``data.setdefault("k", ...)``) and those it
    takes out of the body (``data.pop("k")``)."""
    method = methods[where]
    body_call = _body_call(method)
    given = {keyword.arg for keyword in body_call.keywords if keyword.arg} - NOT_ARGUMENTS
    helper = body_call.func.attr if isinstance(body_call.func, ast.Attribute) else None
    if helper in ("_step", "_take"):
        own = methods[where.rsplit(".", 1)[0] + "." + helper]
        given |= {keyword.arg for keyword in _body_call(own).keywords if keyword.arg}
    pops = set()
    for node in ast.walk(method):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args:
            key = node.args[0].value if isinstance(node.args[0], ast.Constant) else None
            if node.func.attr == "setdefault" and key:
                given.add(key)
            elif node.func.attr == "pop" and key:
                pops.add(key)
    return given, pops


def test_every_call_with_a_body_is_listed_with_the_arguments_its_code_gives():
    methods = _methods()
    scanned = {where for where, method in methods.items() if _body_call(method) is not None}
    assert len(scanned) > 20, "the scan reads the API views"
    listed = {c.where for c in CALLS} | HELPERS
    assert scanned - listed == set(), "API views passing a body on that CALLS does not list"
    assert listed - scanned == set(), "CALLS lists views the scan no longer finds"
    for listed_call in CALLS:
        given, pops = _arguments_at(listed_call.where, methods)
        assert (given, pops) == (set(listed_call.given), set(listed_call.pops)), listed_call.where
