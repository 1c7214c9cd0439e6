"""Micro-wishes: posted by a park administrator, then the steps of services.rules.WISH_STEPS (claim,
fulfil, withdraw), each through core.transitions (row lock, state check, notifications after commit).
"""

import re

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.texts import Text
from core.transitions import transition
from members.models import Member
from notifications.actions import notify
from parks.models import Park

from .. import rules
from ..models import Wish
from .common import MAX_ATTACHMENT_BYTES, park_admins

_DIGITS = re.compile(r"\d{6,}")


@transaction.atomic
def wish_post(*, by, park: Park, beneficiary: str, need: str) -> Wish:
    """A park administrator posts a micro-wish: a first name and the need, nothing else personal."""
    if not rules.manages_park(by, park.pk):
        raise PermissionDenied(_("Only the park's administrators post micro-wishes."))
    beneficiary, need = (beneficiary or "").strip(), (need or "").strip()
    errors = {}
    if not beneficiary or len(beneficiary) > 20 or any(ch.isdigit() for ch in beneficiary):
        errors["beneficiary"] = _("Give a first name or a nickname only (up to 20 characters, no digits).")
    if not need:
        errors["need"] = _("Describe the wish.")
    elif _DIGITS.search(need):
        errors["need"] = _("Leave out phone, ID or account numbers: the wish is shown to every member of the park.")
    if errors:
        raise ValidationError(errors)
    wish = Wish.objects.create(park=park, beneficiary=beneficiary, need=need, posted_by=by)
    members = get_user_model().objects.filter(
        member__organization__park=park, member__status=Member.Status.ACTIVE, is_active=True
    )
    notify(
        recipients=list(members),
        title=Text(_("New micro-wish: %(need)s"), need=need[:60]),
        url=reverse("services:wish_list"),
    )
    return wish


@transaction.atomic
def wish_claim(*, wish: Wish, by) -> Wish:
    """A member of the wish's park claims an open wish. Exactly one claim wins, even concurrently:
    the row is locked and its state checked under the lock."""
    member = Member.objects.filter(user=by, status=Member.Status.ACTIVE).select_related("organization").first()
    if member is None:
        raise PermissionDenied(_("Only party members claim micro-wishes."))

    def same_park(locked):
        if member.organization.park_id != locked.park_id:
            raise PermissionDenied(_("This micro-wish belongs to another park."))

    def notify_park(locked, _from_status):
        notify(
            recipients=park_admins(locked.park_id) + ([locked.posted_by] if locked.posted_by else []),
            title=Text(_("Micro-wish claimed by %(member)s"), member=member.name),
            body=locked.need,
            url=reverse("services:wish_list"),
        )

    done = transition(
        wish,
        rules.WISH_STEPS["claim"],
        guard=same_park,
        changes=lambda locked: {"claimed_by": member, "claimed_at": timezone.now()},
        notify=notify_park,
    )
    return done.obj


@transaction.atomic
def wish_fulfil(*, wish: Wish, by, note: str, photo=None) -> Wish:
    """The member who claimed the wish records its fulfilment with a note and, optionally, a photo."""
    note = (note or "").strip()

    def claimant(locked):
        if locked.claimed_by is None or locked.claimed_by.user_id != by.pk:
            raise PermissionDenied(_("Only the member who claimed the wish records its fulfilment."))

    def check(locked):
        if not note:
            raise ValidationError({"note": _("Say how the wish was fulfilled.")})
        if photo is not None and photo.size > MAX_ATTACHMENT_BYTES:
            raise ValidationError({"photo": _("The photo is larger than 10 MB.")})

    def changes(locked):
        values = {"fulfilled_at": timezone.now(), "fulfilment_note": note}
        if photo is not None:
            values["photo"] = photo
        return values

    done = transition(
        wish,
        rules.WISH_STEPS["fulfil"],
        queryset=Wish.objects.select_related("claimed_by"),
        guard=claimant,
        check=check,
        changes=changes,
        clean_exclude=["park", "posted_by", "claimed_by"],
        notify=lambda locked, _from: notify(
            recipients=park_admins(locked.park_id),
            title=Text(_("Micro-wish fulfilled: %(need)s"), need=locked.need[:60]),
            body=note,
            url=reverse("services:wish_list"),
        ),
    )
    return done.obj


@transaction.atomic
def wish_cancel(*, wish: Wish, by) -> Wish:
    """A park administrator withdraws a wish that is not fulfilled yet."""

    def manager(locked):
        if not rules.manages_park(by, locked.park_id):
            raise PermissionDenied(_("Only the park's administrators withdraw micro-wishes."))

    def notify_claimant(locked, _from_status):
        if locked.claimed_by and locked.claimed_by.user:
            notify(
                recipients=[locked.claimed_by.user],
                title=_("A micro-wish you claimed was withdrawn"),
                body=locked.need,
                url=reverse("services:wish_list"),
            )

    done = transition(
        wish,
        rules.WISH_STEPS["cancel"],
        queryset=Wish.objects.select_related("claimed_by__user"),
        guard=manager,
        notify=notify_claimant,
    )
    return done.obj
