import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from notifications.models import Notification
from services import actions
from services.models import Wish
from tests.factories import MemberFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_post_claim_fulfil(svc, django_capture_on_commit_callbacks):
    w = svc
    with django_capture_on_commit_callbacks(execute=True):
        wish = actions.wish_post(by=w.park_admin, park=w.park_a1, beneficiary="小红", need="一个新书包")
    assert Notification.objects.filter(recipient=w.member_user).exists()  # members of the park hear of it
    with django_capture_on_commit_callbacks(execute=True):
        wish = actions.wish_claim(wish=wish, by=w.member_user)
    assert wish.status == Wish.Status.CLAIMED
    assert wish.claimed_by == w.member_a1
    assert Notification.objects.filter(recipient=w.park_admin, title__contains=w.member_a1.name).exists()
    wish = actions.wish_fulfil(
        wish=wish, by=w.member_user, note="已送到", photo=SimpleUploadedFile("p.jpg", b"\xff\xd8\xff fake")
    )
    assert wish.status == Wish.Status.FULFILLED
    assert wish.photo.name.endswith(".jpg")


def test_post_refusals(svc):
    w = svc
    with pytest.raises(PermissionDenied):
        actions.wish_post(by=w.park_admin, park=w.park_b, beneficiary="小红", need="书包")
    with pytest.raises(ValidationError) as exc:
        actions.wish_post(by=w.park_admin, park=w.park_a1, beneficiary="王小红13800001111", need="联系电话 13800001111")
    assert set(exc.value.error_dict) == {"beneficiary", "need"}


def test_claim_refusals(svc):
    w = svc
    wish = actions.wish_post(by=w.park_admin, park=w.park_a1, beneficiary="小红", need="书包")
    with pytest.raises(PermissionDenied):
        actions.wish_claim(wish=wish, by=w.outsider)  # not a member
    other_park = UserFactory()
    MemberFactory(user=other_park, organization=w.branch_b)
    with pytest.raises(PermissionDenied):
        actions.wish_claim(wish=wish, by=other_park)
    actions.wish_claim(wish=wish, by=w.member_user)
    second = UserFactory()
    MemberFactory(user=second, organization=w.branch_a1)
    with pytest.raises(ValidationError):
        actions.wish_claim(wish=wish, by=second)  # exactly one claimer
    with pytest.raises(PermissionDenied):
        actions.wish_fulfil(wish=wish, by=second, note="x")
    with pytest.raises(ValidationError):
        actions.wish_fulfil(wish=wish, by=w.member_user, note=" ")
    with pytest.raises(ValidationError):
        actions.wish_fulfil(wish=wish, by=w.member_user, note="ok", photo=SimpleUploadedFile("p.exe", b"MZ"))
    assert Wish.objects.get(pk=wish.pk).status == Wish.Status.CLAIMED


def test_cancel(svc):
    w = svc
    wish = actions.wish_post(by=w.park_admin, park=w.park_a1, beneficiary="小红", need="书包")
    with pytest.raises(PermissionDenied):
        actions.wish_cancel(wish=wish, by=w.member_user)
    assert actions.wish_cancel(wish=wish, by=w.park_admin).status == Wish.Status.CANCELLED
    with pytest.raises(ValidationError):
        actions.wish_claim(wish=wish, by=w.member_user)
