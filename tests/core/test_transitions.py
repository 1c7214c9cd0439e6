"""core.transitions: a step is taken from its from-states only, under a row lock, with one timeline
entry, and its notifications wait for the commit.

The helper is exercised on a transfer and its TransferEvent timeline, with a table of its own.
"""

import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.transitions import Done, Step, begin, transition
from members.models import Transfer, TransferEvent
from notifications.actions import notify
from notifications.models import Notification
from tests.factories import MemberFactory, OrganizationFactory, UserFactory

S = Transfer.Status
STEPS = {
    "approve": Step(from_={S.REQUESTED}, to=S.APPROVED, refused="This transfer cannot be approved: it is %(status)s."),
    "accept": Step(
        from_={S.APPROVED},
        to=S.DONE,
        refused="Not now: it is %(status)s.",
        refused_from={S.REQUESTED: "Not approved yet."},
    ),
    "reject": Step(from_=Transfer.OPEN_STATUSES, to=lambda t: S.REJECTED),
}


@pytest.fixture
def transfer(db):
    member = MemberFactory()
    return Transfer.objects.create(
        member=member, from_organization=member.organization, to_organization=OrganizationFactory(), reason="换工作"
    )


@pytest.fixture
def recipient(db):
    return UserFactory(email="secretary@example.org")


def record_event(action, by=None, note=""):
    def record(obj, from_status):
        return TransferEvent.objects.create(
            transfer=obj, action=action, from_status=from_status, to_status=obj.status, actor=by, note=note
        )

    return record


def notify_user(user, title="step taken"):
    return lambda obj, from_status: notify(recipients=[user], title=title, url=f"/transfers/{obj.pk}/")


def test_a_step_from_a_wrong_state_is_refused_and_writes_nothing(
    transfer, recipient, django_capture_on_commit_callbacks
):
    calls = []
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(ValidationError) as refused:
        transition(
            transfer,
            STEPS["accept"],
            changes=lambda obj: calls.append("changes") or {"closed_at": timezone.now()},
            record=record_event(TransferEvent.Action.ACCEPT),
            notify=notify_user(recipient),
        )
    assert refused.value.messages == ["Not approved yet."]  # the message for that state
    assert calls == []
    assert callbacks == []
    transfer.refresh_from_db()
    assert transfer.status == S.REQUESTED
    assert transfer.closed_at is None
    assert not TransferEvent.objects.exists()
    assert not Notification.objects.exists()


def test_the_refusal_names_the_current_state(transfer):
    transfer.status = S.REJECTED
    transfer.save()
    with pytest.raises(ValidationError) as refused:
        transition(transfer, STEPS["approve"])
    assert refused.value.messages == ["This transfer cannot be approved: it is rejected."]


def test_guard_runs_before_the_state_check_and_check_after_it(transfer):
    def guard(obj):
        raise PermissionDenied("not yours")

    with pytest.raises(PermissionDenied):
        transition(transfer, STEPS["accept"], guard=guard)  # the wrong state is not even looked at
    seen = []
    with pytest.raises(ValidationError):
        transition(transfer, STEPS["accept"], check=seen.append)
    assert seen == []  # the state refused the step first

    def needs_a_reason(obj):
        raise ValidationError("give a reason")

    with pytest.raises(ValidationError, match="give a reason"):
        transition(transfer, STEPS["reject"], check=needs_a_reason)
    assert Transfer.objects.get().status == S.REQUESTED


def test_a_right_step_writes_the_state_its_fields_and_exactly_one_event(transfer, recipient):
    by = UserFactory()
    stale = Transfer.objects.get(pk=transfer.pk)
    stale.reason = "edited in memory only"  # the helper re-reads the row: this is never saved
    with CaptureQueriesContext(connection) as queries:
        done = transition(
            stale,
            STEPS["approve"],
            changes={"letter_number": "2026-000001"},
            record=record_event(TransferEvent.Action.APPROVE, by=by, note="letter"),
            notify=notify_user(recipient),
        )
    assert isinstance(done, Done)
    assert done.from_state == S.REQUESTED
    assert done.obj.status == S.APPROVED
    assert done.event.to_status == S.APPROVED
    transfer.refresh_from_db()
    assert (transfer.status, transfer.letter_number, transfer.reason) == (S.APPROVED, "2026-000001", "换工作")
    event = TransferEvent.objects.get()
    assert (event.action, event.from_status, event.to_status, event.actor, event.note) == (
        "approve",
        S.REQUESTED,
        S.APPROVED,
        by,
        "letter",
    )
    assert event == done.event
    updates = [q["sql"] for q in queries.captured_queries if q["sql"].startswith('UPDATE "members_transfer"')]
    assert len(updates) == 1
    assert '"status"' in updates[0]
    assert '"letter_number"' in updates[0]
    assert '"reason"' not in updates[0]


def test_the_target_may_come_from_the_row_or_the_action(transfer):
    assert transition(transfer, STEPS["reject"]).obj.status == S.REJECTED  # Step.to is a callable
    other = Transfer.objects.create(member=MemberFactory(), reason="r", status=S.APPROVED)
    assert transition(other, Step(from_={S.APPROVED}), to=S.EXPIRED).obj.status == S.EXPIRED
    with pytest.raises(ValueError):
        transition(Transfer.objects.create(member=MemberFactory(), reason="r"), Step(from_={S.REQUESTED}))


def test_a_step_may_be_chosen_from_the_locked_row(transfer):
    chooser = lambda obj: STEPS["approve"] if obj.status == S.REQUESTED else STEPS["accept"]  # noqa: E731
    assert transition(Transfer(pk=transfer.pk), chooser).obj.status == S.APPROVED
    assert transition(Transfer(pk=transfer.pk), chooser).obj.status == S.DONE


def test_notifications_are_sent_only_after_commit(transfer, recipient, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        transition(
            transfer,
            STEPS["approve"],
            record=record_event(TransferEvent.Action.APPROVE),
            notify=notify_user(recipient, "approved"),
        )
        assert not Notification.objects.exists()  # not inside the transaction
    assert len(callbacks) == 1
    assert not Notification.objects.exists()
    callbacks[0]()  # the commit
    assert list(Notification.objects.values_list("recipient", "title")) == [(recipient.pk, "approved")]


def test_a_refusal_after_the_notify_call_sends_nothing(transfer, recipient, django_capture_on_commit_callbacks):
    def notify_then_fail(obj, from_state):
        notify_user(recipient)(obj, from_state)
        raise ValidationError("late refusal")

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(ValidationError):
        transition(transfer, STEPS["approve"], record=record_event("approve"), notify=notify_then_fail)
    assert callbacks == []
    assert not Notification.objects.exists()
    assert not TransferEvent.objects.exists()
    assert Transfer.objects.get().status == S.REQUESTED


def test_begin_creates_records_and_notifies(recipient, django_capture_on_commit_callbacks):
    member = MemberFactory()
    with django_capture_on_commit_callbacks(execute=True):
        done = begin(
            Step(from_=(), to=S.REQUESTED),
            create=lambda status: Transfer.objects.create(member=member, reason="r", status=status),
            record=record_event(TransferEvent.Action.REQUEST),
            notify=notify_user(recipient),
        )
    assert done.obj.status == S.REQUESTED
    assert done.from_state == ""
    assert TransferEvent.objects.get().from_status == ""
    assert Notification.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_steps_make_exactly_one_transition(recipient):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks: run with DATABASE_URL=postgres://…")
    member = MemberFactory()
    transfer = Transfer.objects.create(member=member, from_organization=member.organization, reason="r")
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            barrier.wait()
            done = transition(
                Transfer(pk=transfer.pk),
                STEPS["approve"],
                record=record_event(TransferEvent.Action.APPROVE),
                notify=notify_user(recipient),
            )
            results.append(done)
        except ValidationError as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(results) == 1
    assert len(errors) == 1
    assert errors[0].messages == ["This transfer cannot be approved: it is letter issued."]
    assert TransferEvent.objects.filter(transfer=transfer).count() == 1
    assert Transfer.objects.get(pk=transfer.pk).status == S.APPROVED
    assert Notification.objects.filter(recipient=recipient).count() == 1  # only the winner's, after its commit
