import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from members import actions, selectors
from members.models import DuesPayment, Member, Stage, StageChange
from members.rules import LapseGround
from tests.clock import today
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db
D = datetime.timedelta


def applicant(world, **kw):
    values = dict(
        organization=world.branch_a1,
        stage=Stage.APPLICANT,
        applied_on=today() - D(40),
        activist_on=None,
        candidate_on=None,
        probationary_on=None,
        full_on=None,
        birth_date=datetime.date(1995, 5, 5),
    )
    values.update(kw)
    return MemberFactory(**values)


def fresh(member):
    return Member.objects.get(pk=member.pk)


def test_no_activist_without_the_talk_and_never_under_18(world):
    m = applicant(world)
    with pytest.raises(ValidationError, match="talk"):
        actions.stage_advance(member=m, by=world.secretary, effective_on=today())
    actions.record_application_talk(member=m, by=world.secretary, held_on=today() - D(20))
    change = actions.stage_advance(member=m, by=world.secretary, effective_on=today())
    assert (change.from_stage, change.to_stage, change.kind) == ("applicant", "activist", "advance")
    assert fresh(m).stage == Stage.ACTIVIST
    assert fresh(m).activist_on == today()
    young = applicant(world, birth_date=actions.add_months(today(), -12 * 17))  # 17 today (29 Feb: born 28 Feb)
    actions.record_application_talk(member=young, by=world.secretary, held_on=today())
    with pytest.raises(ValidationError, match="18"):
        actions.stage_advance(member=young, by=world.secretary, effective_on=today())


def test_activist_needs_one_year_and_no_stage_is_skipped(world):
    m = applicant(world, stage=Stage.ACTIVIST, activist_on=today() - D(300))
    with pytest.raises(ValidationError, match="one year"):
        actions.stage_advance(member=m, by=world.secretary, effective_on=today())
    assert fresh(m).stage == Stage.ACTIVIST
    assert not StageChange.objects.filter(member=m).exists()
    m = applicant(world, stage=Stage.ACTIVIST, activist_on=actions.add_months(today(), -13))
    assert actions.stage_advance(member=m, by=world.secretary, effective_on=today()).to_stage == Stage.CANDIDATE


def test_probation_one_year_extension_at_most_one_year(world):
    start = actions.add_months(today(), -12)
    m = applicant(
        world,
        stage=Stage.PROBATIONARY,
        activist_on=start - D(800),
        candidate_on=start - D(100),
        probationary_on=start + D(1),
    )
    with pytest.raises(ValidationError, match="Probation"):
        actions.stage_advance(member=m, by=world.secretary, effective_on=today())
    normal_end = actions.add_months(m.probationary_on, 12)
    with pytest.raises(ValidationError, match="one year at most"):
        actions.probation_extend(member=m, by=world.secretary, until=actions.add_months(normal_end, 13), reason="x")
    with pytest.raises(ValidationError):
        actions.probation_extend(member=m, by=world.secretary, until=actions.add_months(normal_end, 6), reason="")
    actions.probation_extend(member=m, by=world.secretary, until=actions.add_months(normal_end, 6), reason="考察")
    assert actions.probation_ends_on(fresh(m)) == actions.add_months(normal_end, 6)
    row = next(r for r in selectors.pipeline_board([world.branch_a1.pk]) if r.member.pk == m.pk)
    assert row.due_on == actions.add_months(normal_end, 6)


def test_confirmation_after_probation(world):
    m = applicant(
        world,
        stage=Stage.PROBATIONARY,
        activist_on=today() - D(900),
        candidate_on=today() - D(500),
        probationary_on=actions.add_months(today(), -12),
    )
    change = actions.stage_advance(member=m, by=world.secretary, effective_on=today())
    assert change.to_stage == Stage.FULL
    assert fresh(m).full_on == today()
    with pytest.raises(ValidationError, match="no further stage"):
        actions.stage_advance(member=m, by=world.secretary, effective_on=today())


def test_correction_needs_a_reason_and_clears_later_dates(world):
    m = world.member_a1
    with pytest.raises(ValidationError):
        actions.stage_correct(
            member=m,
            by=world.secretary,
            to_stage=Stage.PROBATIONARY,
            effective_on=datetime.date(2016, 9, 1),
            reason=" ",
        )
    actions.stage_correct(
        member=m,
        by=world.secretary,
        to_stage=Stage.PROBATIONARY,
        effective_on=datetime.date(2016, 9, 1),
        reason="录入错误",
    )
    m = fresh(m)
    assert m.stage == Stage.PROBATIONARY
    assert m.full_on is None
    assert StageChange.objects.get(member=m).kind == StageChange.Kind.CORRECTION


def test_only_the_branch_changes_stages(world):
    m = applicant(world)
    for user in (world.secretary_b, world.official, world.member_user, world.outsider):
        with pytest.raises(ValidationError, match="branch"):
            actions.record_application_talk(member=m, by=user, held_on=today())


def test_pipeline_board_overdue_first(world):
    late = applicant(world, name="迟谈话", applied_on=today() - D(45))
    soon = applicant(world, name="新申请", applied_on=today() - D(3))
    rows = selectors.pipeline_board([world.branch_a1.pk])
    names = [r.member.name for r in rows]
    assert names.index("迟谈话") < names.index("新申请")
    assert rows[names.index("迟谈话")].overdue
    assert not rows[names.index("新申请")].overdue
    assert all(r.member.stage != Stage.FULL for r in rows)
    assert late
    assert soon


@pytest.mark.parametrize(
    ("category", "pay", "due"),
    [
        ("employed", "3000", "15.00"),
        ("employed", "3000.01", "30.00"),
        ("employed", "5000", "50.00"),
        ("employed", "8000", "120.00"),
        ("employed", "10000", "150.00"),
        ("employed", "12000", "240.00"),
        ("retired", "5000", "25.00"),
        ("retired", "6000", "60.00"),
        ("reduced", None, "0.20"),
        ("employed", "1234.5", "6.17"),
    ],
)
def test_dues_brackets(category, pay, due):
    assert actions.dues_amount(category=category, monthly_pay=Decimal(pay) if pay else None) == Decimal(due)


def test_dues_amount_needs_pay():
    with pytest.raises(ValidationError):
        actions.dues_amount(category="employed", monthly_pay=None)


def test_recording_dues_and_arrears(world):
    m = world.member_a1
    this_month = today().replace(day=1)
    three_ago = actions.add_months(this_month, -3)
    p = actions.dues_record_payment(
        member=m,
        by=world.secretary,
        month=three_ago + D(9),
        category="employed",
        monthly_pay=Decimal("8000"),
        amount_paid=Decimal("120"),
        paid_on=today(),
    )
    assert p.month == three_ago
    assert p.amount_due == Decimal("120.00")
    # Recording the month again corrects it rather than duplicating it.
    actions.dues_record_payment(
        member=m,
        by=world.secretary,
        month=three_ago,
        category="employed",
        monthly_pay=Decimal("8000"),
        amount_paid=Decimal("100"),
        paid_on=today(),
    )
    assert DuesPayment.objects.filter(member=m).count() == 1
    with pytest.raises(ValidationError):
        actions.dues_record_payment(
            member=m,
            by=world.secretary_b,
            month=three_ago,
            category="employed",
            monthly_pay=Decimal("8000"),
            amount_paid=Decimal("1"),
            paid_on=today(),
        )
    # Registered in the portal a year ago; the only month recorded is short, so nothing is settled
    # since registration (earlier months were settled on paper).
    Member.objects.filter(pk=m.pk).update(created_at=timezone.now() - datetime.timedelta(days=366))
    rows = {r.member.pk: r for r in selectors.branch_dues([world.branch_a1.pk])}
    assert rows[m.pk].paid_through is None
    assert rows[m.pk].months_in_arrears in (11, 12, 13)
    actions.dues_record_payment(
        member=m,
        by=world.secretary,
        month=three_ago,
        category="employed",
        monthly_pay=Decimal("8000"),
        amount_paid=Decimal("120"),
        paid_on=today(),
    )
    row = {r.member.pk: r for r in selectors.branch_dues([world.branch_a1.pk])}[m.pk]
    assert row.paid_through == three_ago
    assert row.months_in_arrears == 2
    # Dues are covered up to three months ago: that ground does not hold; a year registered with
    # no organisation life recorded, the other one does, since the registration.
    assert row.no_dues_since is None
    assert row.no_life_since == today() - D(366)


def test_a_member_registered_this_month_owes_nothing_yet(world):
    rows = {r.member.pk: r for r in selectors.branch_dues([world.branch_a1.pk])}
    assert rows[world.member_a1.pk].months_in_arrears == 0


def registered_long_ago(member, days=400):
    Member.objects.filter(pk=member.pk).update(created_at=timezone.now() - D(days))


def test_attendance_in_the_last_six_months_clears_the_no_life_ground(world):
    from tests.activities.factories import ActivityFactory, AttendanceFactory

    def grounds():
        return {r.member.pk: r for r in selectors.branch_dues([world.branch_a1.pk])}[m.pk].grounds

    m = world.member_a1_other
    assert grounds() == {}  # registered today: nothing can be six months late yet
    registered_long_ago(m)
    assert LapseGround.NO_LIFE in grounds()
    old = ActivityFactory(host=world.branch_a1, starts_at=timezone.now() - D(250))
    AttendanceFactory(activity=old, member=m)
    assert grounds()[LapseGround.NO_LIFE] == timezone.localdate(old.starts_at)
    recent = ActivityFactory(host=world.branch_a1, starts_at=timezone.now() - D(20))
    AttendanceFactory(activity=recent, member=m, status="absent")
    assert LapseGround.NO_LIFE in grounds()
    # A training is not organisation life; a themed party day is.
    training = ActivityFactory(host=world.branch_a1, starts_at=recent.starts_at, kind="training")
    AttendanceFactory(activity=training, member=m)
    assert LapseGround.NO_LIFE in grounds()
    AttendanceFactory(activity=ActivityFactory(host=world.branch_a1, starts_at=recent.starts_at), member=m)
    assert LapseGround.NO_LIFE not in grounds()


def test_dues_ground_for_a_full_member_with_no_dues_covered_for_six_months(world):
    m = world.member_a1_other
    registered_long_ago(m)
    rows = {r.member.pk: r for r in selectors.branch_dues([world.branch_a1.pk])}
    assert rows[m.pk].no_dues_since is not None
    actions.dues_record_payment(
        member=m,
        by=world.secretary,
        month=today(),
        category="reduced",
        monthly_pay=None,
        amount_paid=Decimal("0.20"),
        paid_on=today() - D(10),
    )
    rows = {r.member.pk: r for r in selectors.branch_dues([world.branch_a1.pk])}
    assert rows[m.pk].no_dues_since is None


def test_branch_page_and_member_pages(client, world, django_assert_max_num_queries):
    for n in range(5):
        applicant(world, name=f"申请人{n}")
    client.force_login(world.secretary)
    with django_assert_max_num_queries(18):
        page = client.get(reverse("members:branch", args=[world.branch_a1.pk]))
    assert page.status_code == 200
    assert page.content.decode().count("申请人") == 5
    assert client.get(reverse("members:branch", args=[world.branch_b.pk])).status_code == 404
    m = applicant(world, name="谈话对象")
    url = reverse("members:member_act", args=[m.pk, "advance"])
    response = client.post(url, {"advance-effective_on": today().isoformat()})
    assert response.status_code == 400
    assert "talk" in response.content.decode()
    assert (
        client.post(
            reverse("members:member_act", args=[m.pk, "talk"]), {"talk-held_on": today().isoformat()}
        ).status_code
        == 302
    )
    assert client.post(url, {"advance-effective_on": "garbage"}).status_code == 400
    assert client.post(url, {"advance-effective_on": today().isoformat()}).status_code == 302
    assert fresh(m).stage == Stage.ACTIVIST
    dues = reverse("members:member_act", args=[world.member_a1.pk, "dues"])
    assert (
        client.post(
            dues,
            {
                "dues-month": "2026-01",
                "dues-category": "employed",
                "dues-amount_paid": "1",
                "dues-paid_on": today().isoformat(),
            },
        ).status_code
        == 400
    )  # no pay given
    assert (
        client.post(
            dues,
            {
                "dues-month": "2026-01",
                "dues-category": "employed",
                "dues-monthly_pay": "4000",
                "dues-amount_paid": "40",
                "dues-paid_on": today().isoformat(),
            },
        ).status_code
        == 302
    )
    client.force_login(world.secretary_b)
    assert client.get(reverse("members:member_lifecycle", args=[m.pk])).status_code == 404
    client.force_login(world.member_user)
    mine = client.get(reverse("members:my_dues"))
    assert mine.status_code == 200
    assert "2026-01" in mine.content.decode()
