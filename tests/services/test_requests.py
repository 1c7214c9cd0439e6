import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from core.history import HistoryCommitCounter
from notifications.models import Notification
from services import actions
from services.models import DEFAULT_DUE_DAYS, RequestStatus, ServiceRequest, ServiceRequestEvent, due_date

from .factories import ServiceRequestFactory, category

pytestmark = pytest.mark.django_db


def submit(w, by=None, **kwargs):
    kwargs.setdefault("enterprise", w.enterprise_a1)
    return actions.request_submit(
        by=by or w.contact,
        category=category("ecommerce-policy"),
        title="融资需求",
        description="需要一笔流动资金贷款",
        urgency="high",
        **kwargs,
    )


def test_full_workflow_records_every_step_and_notifies(svc, django_capture_on_commit_callbacks):
    w = svc
    with django_capture_on_commit_callbacks(execute=True):
        req = submit(w)
    assert req.park == w.park_a1
    assert req.status == RequestStatus.SUBMITTED
    assert req.due_on == timezone.localdate() + datetime.timedelta(days=DEFAULT_DUE_DAYS["high"])
    assert Notification.objects.filter(recipient=w.park_admin).count() == 1
    assert Notification.objects.filter(recipient=w.service).count() == 1  # service staff triage too

    with django_capture_on_commit_callbacks(execute=True):
        actions.request_accept(request=req, by=w.park_admin)
        actions.request_assign(request=req, by=w.park_admin, team=w.finance)
    assert Notification.objects.filter(recipient=w.service).count() == 2

    with django_capture_on_commit_callbacks(execute=True):
        actions.request_start(request=req, by=w.service)
        actions.request_resolve(request=req, by=w.service, note="已对接银行")
        req = actions.request_close(request=req, by=w.contact, rating=5, comment="很满意")
    assert req.status == RequestStatus.CLOSED
    assert req.rating == 5
    kinds = list(req.events.values_list("kind", flat=True))
    assert kinds == ["submitted", "accepted", "assigned", "started", "resolved", "closed"]
    assert all(e.actor_id for e in req.events.all())
    # The contact heard of every step between submitting and closing; the team of the closing.
    assert Notification.objects.filter(recipient=w.contact).count() == 4
    assert Notification.objects.filter(recipient=w.service, title__contains="5").exists()


def test_notifications_wait_for_commit(svc, django_capture_on_commit_callbacks):
    w = svc
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        submit(w)
    assert not Notification.objects.exists()
    # The one callback besides the counts of the history written (core.history).
    assert len([c for c in callbacks if not isinstance(c, HistoryCommitCounter)]) == 1


def test_assign_from_submitted_accepts_too(svc):
    w = svc
    req = actions.request_assign(request=submit(w), by=w.park_admin, team=w.finance)
    assert req.status == RequestStatus.ASSIGNED
    assert req.accepted_at is not None
    assert list(req.events.values_list("kind", flat=True)) == ["submitted", "accepted", "assigned"]


def test_member_submits_without_enterprise_into_their_park(svc):
    w = svc
    req = actions.request_submit(by=w.member_user, category=category(), title="t", description="d")
    assert req.park == w.park_a1
    assert req.enterprise is None
    assert req.urgency == "normal"


@pytest.mark.parametrize("who", ["outsider", "contact_b", "park_admin"])
def test_only_contacts_and_members_submit_for_an_enterprise(svc, who):
    with pytest.raises(PermissionDenied):
        submit(svc, by=getattr(svc, who))


def test_submit_validates_input(svc):
    with pytest.raises(ValidationError) as exc:
        actions.request_submit(
            by=svc.contact, category=category(), title=" ", description="", urgency="x", enterprise=svc.enterprise_a1
        )
    assert set(exc.value.error_dict) == {"title", "description", "urgency"}


def test_due_days_are_configurable(settings):
    settings.HONGFAN_SERVICE_DUE_DAYS = {"normal": 2}
    start = timezone.now()
    assert due_date("normal", start) == timezone.localtime(start).date() + datetime.timedelta(days=2)
    assert due_date("low", start) == timezone.localtime(start).date() + datetime.timedelta(days=15)


def test_refusals(svc):
    w = svc
    req = submit(w)
    with pytest.raises(PermissionDenied):
        actions.request_accept(request=req, by=w.park_admin_b)  # another park's administrator
    with pytest.raises(PermissionDenied):
        actions.request_accept(request=req, by=w.official)  # officials read only
    with pytest.raises(ValidationError):
        actions.request_assign(request=req, by=w.park_admin, team=w.team_b)  # a team of another park
    with pytest.raises(ValidationError):
        actions.request_close(request=req, by=w.contact, rating=5)  # not resolved yet
    req = actions.request_assign(request=req, by=w.park_admin, team=w.finance)
    with pytest.raises(PermissionDenied):
        actions.request_start(request=req, by=w.team_b_worker)  # not in the assigned team
    with pytest.raises(PermissionDenied):
        actions.request_start(request=req, by=w.park_admin)  # administrators do not do the work
    with pytest.raises(ValidationError):
        actions.request_resolve(request=req, by=w.service, note="x")  # not started
    req = actions.request_start(request=req, by=w.service)
    with pytest.raises(ValidationError):
        actions.request_reject(request=req, by=w.park_admin, reason="no")  # work has started
    with pytest.raises(ValidationError):
        actions.request_resolve(request=req, by=w.service, note="  ")
    req = actions.request_resolve(request=req, by=w.service, note="done")
    with pytest.raises(PermissionDenied):
        actions.request_close(request=req, by=w.service, rating=5)  # only the requester side
    for bad in (0, 6, "x", None):
        with pytest.raises(ValidationError):
            actions.request_close(request=req, by=w.contact, rating=bad)
    assert ServiceRequest.objects.get(pk=req.pk).status == RequestStatus.RESOLVED


def test_reject_needs_a_reason_and_ends_the_request(svc):
    w = svc
    req = submit(w)
    with pytest.raises(ValidationError):
        actions.request_reject(request=req, by=w.park_admin, reason="")
    req = actions.request_reject(request=req, by=w.park_admin, reason="不属于服务范围")
    assert req.status == RequestStatus.REJECTED
    assert req.reject_reason == "不属于服务范围"
    with pytest.raises(ValidationError):
        actions.request_accept(request=req, by=w.park_admin)


def _resolved(w):
    req = actions.request_assign(request=submit(w), by=w.park_admin, team=w.finance)
    req = actions.request_start(request=req, by=w.service)
    return actions.request_resolve(request=req, by=w.service, note="done")


def test_reopen_within_seven_days_goes_back_to_the_team(svc):
    w = svc
    req = actions.request_close(request=_resolved(w), by=w.contact, rating=2)
    req = actions.request_reopen(request=req, by=w.contact, reason="问题没有解决")
    assert req.status == RequestStatus.ASSIGNED
    assert req.team == w.finance
    assert req.rating is None
    assert req.events.last().kind == ServiceRequestEvent.Kind.REOPENED


def test_reopen_refused_after_seven_days(svc):
    w = svc
    req = _resolved(w)
    ServiceRequest.objects.filter(pk=req.pk).update(resolved_at=timezone.now() - datetime.timedelta(days=7, hours=1))
    with pytest.raises(ValidationError):
        actions.request_reopen(request=req, by=w.contact, reason="again")
    with pytest.raises(PermissionDenied):
        actions.request_reopen(request=_resolved(w), by=w.park_admin, reason="again")


def test_comment_with_attachment_goes_on_the_timeline(svc):
    from django.core.files.uploadedfile import SimpleUploadedFile

    w = svc
    req = submit(w)
    event = actions.request_comment(
        request=req, by=w.contact, text="补充材料", attachment=SimpleUploadedFile("a.pdf", b"%PDF-1.4 test")
    )
    assert event.attachment.name.endswith(".pdf")
    with pytest.raises(ValidationError):
        actions.request_comment(request=req, by=w.contact, text="x", attachment=SimpleUploadedFile("a.exe", b"MZ"))
    with pytest.raises(PermissionDenied):
        actions.request_comment(request=req, by=w.official, text="x")


def test_overdue_flag(svc):
    w = svc
    today = timezone.localdate()
    late = ServiceRequestFactory(enterprise=w.enterprise_a1, due_on=today - datetime.timedelta(days=1))
    ServiceRequestFactory(
        enterprise=w.enterprise_a1, due_on=today - datetime.timedelta(days=1), status=RequestStatus.RESOLVED
    )
    ServiceRequestFactory(enterprise=w.enterprise_a1, due_on=today)
    assert list(ServiceRequest.objects.overdue()) == [late]
    flags = dict(ServiceRequest.objects.with_overdue().values_list("pk", "is_overdue"))
    assert sum(flags.values()) == 1
    assert flags[late.pk]
    assert late.overdue
