"""The members' rules at their edges (docs/rules.md): the dues brackets at and just past each
bound, the applicant's 18th birthday (and a 29 February birthday), the last day of probation and
of its longest extension from a leap day, and the introduction letter's last valid day."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from members import actions
from members.actions import transfers as transfer_actions
from members.models import ApplicationTalk, Member, Stage, Transfer
from tests.factories import MemberFactory

from .conftest import reload

pytestmark = pytest.mark.django_db

D = datetime.timedelta


# --- dues brackets (中组发〔2008〕3号) --------------------------------------------------------------


@pytest.mark.parametrize(
    ("category", "pay", "due"),
    [
        ("employed", "0", "0.00"),
        ("employed", "2999.99", "15.00"),  # 0.5 %
        ("employed", "3000", "15.00"),  # 3000 itself is still 0.5 %
        ("employed", "3000.01", "30.00"),  # one fen more: 1 % of the whole pay
        ("employed", "5000", "50.00"),
        ("employed", "5000.01", "75.00"),  # 1.5 %
        ("employed", "10000", "150.00"),
        ("employed", "10000.01", "200.00"),  # 2 %
        ("retired", "3000.01", "15.00"),  # a retiree has no 3000 bound
        ("retired", "5000", "25.00"),  # 0.5 % up to and including 5000
        ("retired", "5000.01", "50.00"),  # 1 % above
        ("reduced", "8000", "0.20"),  # students, the unemployed, low-income: 0.20 whatever the pay
    ],
)
def test_dues_at_each_bracket_edge(category, pay, due):
    assert actions.dues_amount(category=category, monthly_pay=Decimal(pay)) == Decimal(due)


@pytest.mark.parametrize(("category", "pay"), [("employed", "-0.01"), ("retired", None), ("student", "100")])
def test_dues_refuse_a_negative_or_missing_pay_and_an_unknown_category(category, pay):
    with pytest.raises(ValidationError):
        actions.dues_amount(category=category, monthly_pay=Decimal(pay) if pay else None)


# --- applicants are at least 18 -------------------------------------------------------------------


def applicant(world, *, birth_date, applied_on):
    member = MemberFactory(
        organization=world.branch_a1,
        stage=Stage.APPLICANT,
        birth_date=birth_date,
        applied_on=applied_on,
        activist_on=None,
        candidate_on=None,
        probationary_on=None,
        full_on=None,
    )
    ApplicationTalk.objects.create(member=member, held_on=applied_on + D(10), recorded_by=world.secretary)
    return member


@pytest.mark.parametrize(
    ("birth_date", "applied_on", "allowed"),
    [
        (datetime.date(2006, 6, 10), datetime.date(2024, 6, 9), False),  # the day before the 18th birthday
        (datetime.date(2006, 6, 10), datetime.date(2024, 6, 10), True),  # the birthday
        (datetime.date(2006, 6, 10), datetime.date(2024, 6, 11), True),  # the day after
        (datetime.date(2008, 2, 29), datetime.date(2026, 2, 28), False),  # born on a leap day: not yet
        (datetime.date(2008, 2, 29), datetime.date(2026, 3, 1), True),  # 18 on 1 March of a common year
        (datetime.date(2006, 2, 28), datetime.date(2024, 2, 28), True),  # a leap year changes nothing else
    ],
)
def test_an_applicant_becomes_an_activist_only_if_18_when_applying(world, birth_date, applied_on, allowed):
    member = applicant(world, birth_date=birth_date, applied_on=applied_on)
    effective_on = applied_on + D(40)
    if allowed:
        change = actions.stage_advance(member=member, by=world.secretary, effective_on=effective_on)
        assert change.to_stage == Stage.ACTIVIST
    else:
        with pytest.raises(ValidationError, match="18"):
            actions.stage_advance(member=member, by=world.secretary, effective_on=effective_on)
        assert Member.objects.get(pk=member.pk).stage == Stage.APPLICANT


# --- probation: one year, extended by at most one year (党章 Art. 7) ------------------------------


def probationary_from(world, day):
    return MemberFactory(
        organization=world.branch_a1,
        stage=Stage.PROBATIONARY,
        applied_on=day - D(800),
        activist_on=day - D(700),
        candidate_on=day - D(200),
        probationary_on=day,
        full_on=None,
    )


@pytest.mark.parametrize(
    ("effective_on", "allowed"),
    [(datetime.date(2025, 2, 27), False), (datetime.date(2025, 2, 28), True), (datetime.date(2025, 3, 1), True)],
)
def test_probation_from_a_leap_day_ends_on_28_february(world, effective_on, allowed):
    member = probationary_from(world, datetime.date(2024, 2, 29))
    if allowed:
        assert actions.stage_advance(member=member, by=world.secretary, effective_on=effective_on).to_stage == "full"
    else:
        with pytest.raises(ValidationError, match="2025-02-28"):
            actions.stage_advance(member=member, by=world.secretary, effective_on=effective_on)


@pytest.mark.parametrize(
    ("until", "allowed"),
    [(datetime.date(2026, 2, 27), True), (datetime.date(2026, 2, 28), True), (datetime.date(2026, 3, 1), False)],
)
def test_probation_is_extended_by_one_year_at_most(world, until, allowed):
    member = probationary_from(world, datetime.date(2024, 2, 29))  # the normal end: 2025-02-28
    if allowed:
        actions.probation_extend(member=member, by=world.secretary, until=until, reason="继续考察")
        assert actions.probation_ends_on(Member.objects.get(pk=member.pk)) == until
    else:
        with pytest.raises(ValidationError, match="one year at most"):
            actions.probation_extend(member=member, by=world.secretary, until=until, reason="继续考察")


def test_an_extended_probation_is_confirmed_from_its_new_end_not_before(world):
    member = probationary_from(world, datetime.date(2024, 2, 29))
    actions.probation_extend(member=member, by=world.secretary, until=datetime.date(2025, 8, 31), reason="继续考察")
    with pytest.raises(ValidationError, match="2025-08-31"):
        actions.stage_advance(member=member, by=world.secretary, effective_on=datetime.date(2025, 8, 30))
    change = actions.stage_advance(member=member, by=world.secretary, effective_on=datetime.date(2025, 8, 31))
    assert change.to_stage == Stage.FULL


# --- the introduction letter: one to three months, valid through its last day -------------------


@pytest.fixture
def on_day(monkeypatch):
    """Set the day the transfer actions take as today."""

    def set_day(day):
        monkeypatch.setattr(transfer_actions, "today", lambda: day)

    return set_day


@pytest.mark.parametrize(
    ("issued", "months", "valid_until"),
    [
        (datetime.date(2025, 11, 30), 3, datetime.date(2026, 2, 28)),  # three months, the longest
        (datetime.date(2024, 1, 31), 1, datetime.date(2024, 2, 29)),  # one month into a leap February
        (datetime.date(2025, 1, 31), 1, datetime.date(2025, 2, 28)),
    ],
)
def test_a_letter_is_valid_to_the_same_day_months_later_or_the_end_of_a_shorter_month(
    world, requested, on_day, issued, months, valid_until
):
    on_day(issued)
    t = actions.transfer_approve(transfer=requested, by=world.secretary, valid_months=months, arrears_reason="补交中")
    assert (t.letter_issued_on, t.letter_valid_until) == (issued, valid_until)


@pytest.mark.parametrize(("shift", "accepted"), [(-1, True), (0, True), (1, False)])
def test_the_letter_is_accepted_through_its_last_day_and_expires_the_day_after(
    world, requested, on_day, shift, accepted
):
    on_day(datetime.date(2024, 1, 31))
    t = actions.transfer_approve(transfer=requested, by=world.secretary, valid_months=1, arrears_reason="补交中")
    last_day = datetime.date(2024, 2, 29)
    assert t.letter_valid_until == last_day
    on_day(last_day + D(shift))
    assert actions.expire_overdue_letters(on=last_day + D(shift)) == (0 if accepted else 1)
    if accepted:
        assert actions.transfer_accept(transfer=t, by=world.secretary_b).status == Transfer.Status.DONE
        assert Member.objects.get(pk=world.member_a1.pk).organization_id == world.branch_b.pk
    else:
        assert reload(t).status == Transfer.Status.EXPIRED
        with pytest.raises(ValidationError):
            actions.transfer_accept(transfer=t, by=world.secretary_b)
        assert Member.objects.get(pk=world.member_a1.pk).organization_id == world.branch_a1.pk


@pytest.mark.parametrize(("months", "allowed"), [(0, False), (1, True), (3, True), (4, False)])
def test_a_letter_is_valid_one_to_three_months(world, requested, months, allowed):
    if allowed:
        t = actions.transfer_approve(transfer=requested, by=world.secretary, valid_months=months, arrears_reason="x")
        assert t.letter_valid_until == actions.add_months(t.letter_issued_on, months)
    else:
        with pytest.raises(ValidationError, match="one to three months"):
            actions.transfer_approve(transfer=requested, by=world.secretary, valid_months=months, arrears_reason="x")
        assert reload(requested).status == Transfer.Status.REQUESTED
