"""The development pipeline: the applicant's talk, and the stage steps of members.rules.STAGE_STEPS
(advance, extension of probation, correction), each a StageChange on the member's timeline."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.texts import Text
from core.transitions import transition
from notifications.actions import notify

from ..models import STAGE_DATE_FIELD, STAGE_ORDER, ApplicationTalk, Member, Stage, StageChange
from ..rules import (  # the pipeline's dates and durations live in members.rules, re-exported here
    ACTIVIST_TRAINING_YEARS,
    ADULT_AGE,
    MAX_EXTENSION_MONTHS,
    PROBATION_YEARS,
    STAGE_STEPS,
    TALK_WITHIN_MONTHS,
    candidacy_from,
    next_stage,
    probation_ends_on,
    probation_normal_end,
)
from .common import add_months, lock_member, may_act_for, today

__all__ = [
    "ACTIVIST_TRAINING_YEARS",
    "ADULT_AGE",
    "MAX_EXTENSION_MONTHS",
    "PROBATION_YEARS",
    "TALK_WITHIN_MONTHS",
    "probation_ends_on",
    "probation_extend",
    "record_application_talk",
    "stage_advance",
    "stage_correct",
]


def _check_pipeline_actor(member, by):
    if not may_act_for(by, member.organization):
        raise ValidationError(_("Only the member's branch can change their stage."))


def _stage_step(
    member: Member, step: str, *, by, kind: str, effective_on: datetime.date, reason: str, guard=None, **kwargs
) -> StageChange:
    """Take a step of STAGE_STEPS on ``member`` (locked, with its organisation) for its branch;
    the StageChange of ``kind`` (date, reason, who) is the timeline entry, returned."""

    def branch(locked):
        _check_pipeline_actor(locked, by)
        if guard is not None:
            guard(locked)

    def record(locked, from_stage):
        return StageChange.objects.create(
            member=locked,
            kind=kind,
            from_stage=from_stage,
            to_stage=locked.stage,
            effective_on=effective_on,
            reason=reason,
            changed_by=by,
        )

    done = transition(
        member,
        STAGE_STEPS[step],
        queryset=Member.objects.select_related("organization"),
        state_field="stage",
        guard=branch,
        record=record,
        **kwargs,
    )
    return done.event


@transaction.atomic
def record_application_talk(
    *, member: Member, by, held_on: datetime.date, held_by: str = "", notes: str = ""
) -> ApplicationTalk:
    """Record the talk with an applicant (due within one month of the application)."""
    member = lock_member(member)
    _check_pipeline_actor(member, by)
    if member.stage != Stage.APPLICANT:
        raise ValidationError(_("A talk is recorded for an applicant."))
    if held_on > today():
        raise ValidationError({"held_on": _("The talk cannot be in the future.")})
    if member.applied_on and held_on < member.applied_on:
        raise ValidationError({"held_on": _("The talk cannot be before the application.")})
    talk, _created = ApplicationTalk.objects.update_or_create(
        member=member, defaults={"held_on": held_on, "held_by": held_by, "notes": notes, "recorded_by": by}
    )
    return talk


@transaction.atomic
def stage_advance(*, member: Member, by, effective_on: datetime.date, reason: str = "") -> StageChange:
    """Move ``member`` to the next stage, never skipping one.

    Rules (DESIGN §3): applicant → activist needs the applicant to have been 18 when applying and
    the talk held; activist → candidate after at least one year as activist; probationary → full
    after the year of probation (and any extension). The date cannot be in the future or before the
    current stage's date.
    """

    def active(locked):
        if locked.status != Member.Status.ACTIVE:
            raise ValidationError(_("Only an active member's stage can change."))

    def check(locked):
        current_since = locked.stage_date()
        if effective_on > today():
            raise ValidationError({"effective_on": _("The date cannot be in the future.")})
        if current_since and effective_on < current_since:
            raise ValidationError({"effective_on": _("The date cannot be before the current stage began.")})
        if locked.stage == Stage.APPLICANT:
            applied = locked.applied_on or effective_on
            if locked.age(applied) < ADULT_AGE:
                raise ValidationError(_("An applicant must be at least 18 years old when applying."))
            if not ApplicationTalk.objects.filter(member=locked).exists():
                raise ValidationError(_("Record the talk with the applicant first."))
        elif locked.stage == Stage.ACTIVIST:
            if not locked.activist_on or effective_on < candidacy_from(locked.activist_on):
                raise ValidationError(_("An activist is trained for at least one year before becoming a candidate."))
        elif locked.stage == Stage.PROBATIONARY:
            ends = probation_ends_on(locked)
            if ends is None or effective_on < ends:
                raise ValidationError(
                    _("Probation lasts until %(date)s; confirmation cannot be earlier.")
                    % {"date": ends.isoformat() if ends else "?"}
                )

    def notify_member(locked, _from_stage):
        notify(
            recipients=[locked.user],
            title=Text(_("Your stage changed: %(stage)s"), stage=Stage(locked.stage).label),
            url=reverse("members:my_dues"),
        )

    return _stage_step(
        member,
        "advance",
        by=by,
        guard=active,
        check=check,
        changes=lambda locked: {STAGE_DATE_FIELD[next_stage(locked)]: effective_on},
        notify=notify_member,
        kind=StageChange.Kind.ADVANCE,
        effective_on=effective_on,
        reason=(reason or "").strip(),
    )


@transaction.atomic
def probation_extend(*, member: Member, by, until: datetime.date, reason: str) -> StageChange:
    """Extend a probationary member's probation to ``until``: at most one year beyond the normal end.

    The extension is a StageChange of kind ``extension`` whose ``effective_on`` is the new end date.
    """
    reason = (reason or "").strip()

    def check(locked):
        if not reason:
            raise ValidationError({"reason": _("Please give the reason for the extension.")})
        normal = probation_normal_end(locked.probationary_on)
        current = probation_ends_on(locked)
        if until <= current:
            raise ValidationError({"until": _("The new end must be later than %(date)s.") % {"date": current}})
        if until > add_months(normal, MAX_EXTENSION_MONTHS):
            raise ValidationError({"until": _("Probation can be extended by one year at most.")})

    def notify_member(locked, _from_stage):
        notify(recipients=[locked.user], title=Text(_("Your probation was extended to %(date)s"), date=until))

    return _stage_step(
        member,
        "extend",
        by=by,
        check=check,
        notify=notify_member,
        kind=StageChange.Kind.EXTENSION,
        effective_on=until,
        reason=reason,
    )


@transaction.atomic
def stage_correct(*, member: Member, by, to_stage: str, effective_on: datetime.date, reason: str) -> StageChange:
    """Correct a recorded stage (back, or past a stage) with a recorded reason; the dates of later
    stages are cleared."""
    reason = (reason or "").strip()

    def check(locked):
        if not reason:
            raise ValidationError({"reason": _("A correction needs a reason.")})
        if to_stage not in STAGE_ORDER:
            raise ValidationError({"to_stage": _("Unknown stage.")})
        if effective_on > today():
            raise ValidationError({"effective_on": _("The date cannot be in the future.")})

    def dates(locked):
        later = STAGE_ORDER[STAGE_ORDER.index(to_stage) + 1 :]
        return {**{STAGE_DATE_FIELD[stage]: None for stage in later}, STAGE_DATE_FIELD[to_stage]: effective_on}

    return _stage_step(
        member,
        "correct",
        by=by,
        check=check,
        to=to_stage,
        changes=dates,
        clean_exclude=["id_number", "user", "organization", "employer"],
        kind=StageChange.Kind.CORRECTION,
        effective_on=effective_on,
        reason=reason,
    )
