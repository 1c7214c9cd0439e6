"""The rules that have a database version (members.rules: ``AddMonths``, the pipeline's dates, the
two grounds of lapse risk; members.selectors.transfer_overdue_q) give what the Python rule gives,
at the edges: the day before, of and after each deadline, leap days, month ends, extensions of
probation, approved leave pausing the lapse count, prepaid and unsettled dues months. Each test
runs on SQLite and on PostgreSQL (the two passes of the suite)."""

import datetime
from collections import defaultdict

import pytest
from django.db.models import DateField, Value
from django.utils import timezone

from members import rules, selectors
from members.models import (
    ApplicationTalk,
    DuesPayment,
    Member,
    MemberLeave,
    MembershipEvent,
    Stage,
    StageChange,
    Transfer,
)
from parks.models import Organization
from tests.activities.factories import ActivityFactory, AttendanceFactory
from tests.factories import MemberFactory, OrganizationFactory

pytestmark = pytest.mark.django_db

D = datetime.date
DAY = datetime.timedelta(days=1)
NO_LATER_DATES = dict(activist_on=None, candidate_on=None, probationary_on=None, full_on=None)


def days(first, last):
    day = first
    while day <= last:
        yield day
        day += DAY


def at(day, hour=10, minute=0):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


MONTH_ENDS = [
    D(year, month, day)
    for year in (2023, 2024)
    for month in range(1, 13)
    for day in (1, 15, 28, 29, 30, 31)
    if day <= (D(year + month // 12, month % 12 + 1, 1) - DAY).day
]


@pytest.mark.parametrize("months", [-12, -6, -1, 1, 6, 11, 12, 13, 24])
def test_add_months_in_sql_is_add_months(months):
    member = MemberFactory()
    annotations = {
        f"d{i}": rules.AddMonths(Value(day, output_field=DateField()), months) for i, day in enumerate(MONTH_ENDS)
    }
    row = Member.objects.filter(pk=member.pk).values(**annotations).get()
    assert [row[f"d{i}"] for i in range(len(MONTH_ENDS))] == [rules.add_months(d, months) for d in MONTH_ENDS]
    assert D(2024, 2, 29) in MONTH_ENDS
    assert D(2023, 2, 28) in MONTH_ENDS


def test_latest_start_is_the_last_day_whose_period_has_run():
    for end in days(D(2023, 12, 25), D(2024, 9, 5)):
        for months in (1, 6, 12):
            last = rules.latest_start(end, months)
            assert rules.add_months(last, months) <= end < rules.add_months(last + DAY, months)
    assert rules.latest_start(D(2024, 8, 31), 6) == D(2024, 2, 29)
    assert rules.latest_start(D(2024, 8, 28), 6) == D(2024, 2, 28)


def test_the_pipeline_deadlines_in_sql_are_the_rule_day_by_day():
    """Every day from January to April 2024 (a leap year), the querysets of each kind list the
    members pipeline_deadlines lists, in its order, with its dates."""
    branch = OrganizationFactory(name="管道支部")
    made = []

    def member(name, **kw):
        made.append(MemberFactory(organization=branch, name=name, **{**NO_LATER_DATES, **kw}))
        return made[-1]

    # Talks: month ends clamp (31 Jan and 29-30 Jan are all due on 29 Feb), a recorded talk ends it.
    for name, applied in [("T1", D(2024, 1, 31)), ("T2", D(2024, 1, 29)), ("T3", D(2024, 1, 30)),
                          ("T0", D(2024, 2, 29)), ("T4", D(2023, 12, 31)), ("T5", D(2024, 3, 1))]:  # fmt: skip
        member(name, stage=Stage.APPLICANT, applied_on=applied)
    talked = member("T9", stage=Stage.APPLICANT, applied_on=D(2024, 1, 15))
    ApplicationTalk.objects.create(member=talked, held_on=D(2024, 2, 1), held_by="书记")
    # A year of training: 28 Feb 2023 → 28 Feb 2024; 1 Mar 2023 → 1 Mar 2024.
    for name, on in [("A1", D(2023, 2, 28)), ("A2", D(2023, 3, 1)), ("A3", D(2023, 1, 31)), ("A4", D(2023, 4, 30))]:
        member(name, stage=Stage.ACTIVIST, applied_on=D(2022, 1, 1), activist_on=on)
    # Probation: one year, or the latest extension ending after its start.
    started = dict(stage=Stage.PROBATIONARY, applied_on=D(2020, 1, 1), activist_on=D(2021, 1, 1))
    member("P1", probationary_on=D(2023, 2, 28), **started)
    extended = member("P2", probationary_on=D(2023, 2, 28), **started)
    shorter = member("P3", probationary_on=D(2023, 3, 15), **started)
    older = member("P4", probationary_on=D(2023, 3, 31), **started)
    for who, end in [(extended, D(2024, 3, 20)), (extended, D(2024, 3, 10)), (shorter, D(2024, 1, 2)),
                     (older, D(2023, 3, 1))]:  # fmt: skip
        StageChange.objects.create(
            member=who, kind=StageChange.Kind.EXTENSION, from_stage=who.stage, to_stage=who.stage, effective_on=end
        )
    member("F1", stage=Stage.FULL, applied_on=D(2020, 1, 1), probationary_on=D(2023, 2, 1))  # not in the pipeline
    ids = [branch.pk]
    seen = defaultdict(set)
    for today in days(D(2023, 12, 20), D(2024, 4, 30)):
        expected = defaultdict(list)
        for deadline in selectors.pipeline_deadlines(ids, today=today):
            expected[deadline.kind].append((deadline.member.name, deadline.due_on))
        members = selectors.pipeline_deadline_members(ids, today=today)
        got = selectors.pipeline_deadline_rows(members, today=today)
        assert {kind: [(r.member.name, r.due_on) for r in rows] for kind, rows in got.items()} == {
            kind: expected[kind] for kind in rules_kinds()
        }, today
        assert selectors.pipeline_deadline_counts(members) == {kind: len(expected[kind]) for kind in rules_kinds()}
        counted = {kind: len(expected[kind]) for kind in rules_kinds()}
        for start, stop in ((1, 3), (0, 1), (2, None), (50, 60)):
            counts, page = selectors.pipeline_deadline_page(members, start, stop, today=today)
            assert counts == counted, (today, start, stop)  # a slice beyond a kind's rows still counts it
            for kind, rows in page.items():
                assert [(r.member.name, r.due_on, r.days_left) for r in rows] == [
                    (name, due, (due - today).days) for name, due in expected[kind][start:stop]
                ]
        for kind in rules_kinds():
            seen[kind].update(name for name, _due in expected[kind])
    # Every member in the pipeline came due within the days checked (the edges were crossed).
    assert seen == {
        "talk": {"T0", "T1", "T2", "T3", "T4", "T5"},
        "candidacy": {"A1", "A2", "A3", "A4"},
        "confirmation": {"P1", "P2", "P3", "P4"},
    }


def rules_kinds():
    return ("talk", "candidacy", "confirmation")


def test_the_lapse_grounds_in_sql_are_the_rule_day_by_day(world):
    """Every day from June to October 2024, lapse_risk_findings flags the members (and since
    when) that lapse_risks (the Python rule) flags, with the leap day, month ends, registration
    late in the evening, approved leave (flowing, abroad, open-ended) and dues settled, prepaid
    or short."""
    branch = OrganizationFactory(name="失联支部", park=world.park_a1)
    long_ago = D(2022, 1, 1)
    made = {}

    def member(name, registered=long_ago, hour=10, minute=0):
        made[name] = MemberFactory(organization=branch, name=name)
        Member.objects.filter(pk=made[name].pk).update(created_at=at(registered, hour, minute))
        return made[name]

    def attended(who, day, hour=10, minute=0):
        AttendanceFactory(activity=ActivityFactory(host=branch, starts_at=at(day, hour, minute)), member=who)

    def paid(who, month, due=10, amount=10):
        DuesPayment.objects.create(member=who, month=month, amount_due=due, amount_paid=amount, paid_on=long_ago)

    def leave(who, kind, starts_on, ends_on=None):
        MemberLeave.objects.create(member=who, kind=kind, starts_on=starts_on, ends_on=ends_on, arrangement="批准")

    for who in [member("R1", D(2024, 2, 29)), member("R2", D(2024, 1, 31)), member("R3", D(2024, 3, 1), 23, 59),
                member("R4", D(2024, 2, 1), 0, 0)]:  # fmt: skip
        paid(who, D(2024, 9, 1))  # dues covered: only the organisation life count
    joined = member("J1")
    MembershipEvent.objects.create(
        member=joined, organization=branch, kind=MembershipEvent.Kind.JOINED, on=D(2024, 2, 29)
    )
    MembershipEvent.objects.create(member=joined, organization=world.branch_a2, kind="joined", on=D(2024, 5, 1))
    paid(joined, D(2024, 12, 1))
    for name, day, hour in [("L1", D(2024, 1, 15), 10), ("L2", D(2024, 2, 29), 23), ("L3", D(2024, 3, 31), 0)]:
        attended(member(name), day, hour)
        paid(made[name], D(2024, 12, 1))
    paid(member("D1"), D(2024, 1, 1))  # then nothing: uncovered from February
    prepaid = member("D2")
    for month in (D(2024, 1, 1), D(2024, 2, 1), D(2024, 3, 1)):
        paid(prepaid, month)  # paid long ago for months ahead: the months covered count
    short = member("D3")
    paid(short, D(2024, 1, 1))
    paid(short, D(2024, 4, 1), amount=5)  # not settled: does not cover April
    for name in ("D1", "D2", "D3"):
        attended(made[name], D(2024, 6, 1))
    flowing = member("V1")
    attended(flowing, D(2024, 1, 15))
    paid(flowing, D(2024, 1, 1))
    leave(flowing, MemberLeave.Kind.FLOWING, D(2024, 3, 1), D(2024, 3, 10))  # pauses organisation life only
    abroad = member("V2")
    attended(abroad, D(2024, 1, 15))
    paid(abroad, D(2024, 1, 1))
    leave(abroad, MemberLeave.Kind.ABROAD, D(2024, 2, 1), D(2024, 4, 30))  # both; whole months Feb-Apr
    away = member("V3")
    attended(away, D(2024, 1, 15))
    paid(away, D(2024, 1, 1))
    leave(away, MemberLeave.Kind.ABROAD, D(2024, 5, 20))  # still abroad: neither count reaches six months
    partial = member("V4")
    paid(partial, D(2024, 1, 1))
    attended(partial, D(2024, 1, 15))
    leave(partial, MemberLeave.Kind.ABROAD, D(2024, 3, 5), D(2024, 4, 30))  # March not wholly: April only

    ids = [branch.pk]
    flagged_on = defaultdict(dict)  # {ground: {name: first day flagged}}
    for today in days(D(2024, 6, 20), D(2024, 11, 5)):
        expected = selectors.lapse_risks(ids, today=today)
        findings = selectors.lapse_risk_findings(ids, today=today)
        assert set(findings.counts()) == {rules.LapseGround.NO_LIFE, rules.LapseGround.NO_DUES}
        for ground, count in findings.counts().items():
            rows = [(r.member.name, r.grounds[ground]) for r in expected if ground in r.grounds]
            assert [(r.member.name, r.grounds[ground]) for r in findings.risks(ground)] == rows, (today, ground)
            assert count == len(rows)
            assert [r.member.name for r in findings.risks(ground, 1, 3)] == [name for name, _since in rows[1:3]]
            for name, _since in rows:
                flagged_on[ground].setdefault(name, today)
    no_life, no_dues = flagged_on[rules.LapseGround.NO_LIFE], flagged_on[rules.LapseGround.NO_DUES]
    # The edges fell inside the days checked: each member came to be flagged on a day after the first.
    assert set(no_life) == {"R1", "R2", "R3", "R4", "J1", "L1", "L2", "L3", "V1", "V2", "V4"}
    assert set(no_dues) == {"D1", "D2", "D3", "V1", "V2", "V4"}
    assert min([*no_life.values(), *no_dues.values()]) > D(2024, 6, 20)
    assert no_life["R1"] == no_life["J1"] == no_life["L2"] == D(2024, 8, 29)
    assert no_life["L1"] == D(2024, 7, 15)
    assert no_life["V1"] == D(2024, 7, 25)
    assert no_life["V2"] == D(2024, 10, 13)
    assert no_life["V4"] == D(2024, 9, 10)
    assert no_dues["D1"] == no_dues["D3"] == no_dues["V1"] == D(2024, 8, 1)
    assert no_dues["D2"] == D(2024, 10, 1)
    assert no_dues["V4"] == D(2024, 9, 1)
    assert no_dues["V2"] == D(2024, 11, 1)


def test_overdue_transfers_in_sql_are_the_rule_day_by_day(world):
    def transfer(requested_at, status=Transfer.Status.REQUESTED, letter_valid_until=None):
        made = Transfer.objects.create(
            member=MemberFactory(organization=world.branch_a1),
            from_organization=world.branch_a1,
            to_organization=world.branch_a2,
            reason="调动",
            status=status,
            letter_valid_until=letter_valid_until,
        )
        Transfer.objects.filter(pk=made.pk).update(requested_at=requested_at)
        return made

    transfer(at(D(2024, 2, 29), 0, 0))
    transfer(at(D(2024, 2, 29), 23, 59))
    transfer(at(D(2024, 3, 1), 0, 30))
    transfer(at(D(2024, 2, 1)), Transfer.Status.APPROVED, D(2024, 3, 6))
    transfer(at(D(2024, 2, 1)), Transfer.Status.APPROVED, None)
    transfer(at(D(2024, 2, 1)), Transfer.Status.DONE, D(2024, 3, 1))
    overdue_from = {}
    for today in days(D(2024, 3, 1), D(2024, 3, 12)):
        transfers = list(Transfer.objects.order_by("pk"))
        expected = [t.pk for t in transfers if (due := selectors.transfer_due_on(t)) is not None and due < today]
        got = list(
            Transfer.objects.filter(selectors.transfer_overdue_q(today)).order_by("pk").values_list("pk", flat=True)
        )
        assert got == expected, today
        for pk in got:
            overdue_from.setdefault(pk, today)
    # A week after the day of the request (its local day, midnight or not), the day after the letter runs out.
    assert [overdue_from[pk] for pk in sorted(overdue_from)] == [
        D(2024, 3, 8),
        D(2024, 3, 8),
        D(2024, 3, 9),
        D(2024, 3, 7),
    ]


@pytest.mark.parametrize("organizations_given", [False, True])
def test_lapse_rows_sliced_across_organisations_are_the_rules_rows(world, organizations_given):
    """A page of a lapse ground reads only the organisations holding it (by their counts): every
    slice, across organisations, two organisations of one name (their members interleave by name)
    and an organisation with nobody flagged, is the slice of the Python rule's rows."""
    long_ago, today = D(2022, 1, 1), D(2024, 9, 1)
    branches = [
        OrganizationFactory(name="乙支部", park=world.park_a1),
        OrganizationFactory(name="甲支部", park=world.park_a1),
        OrganizationFactory(name="乙支部", park=world.park_a1),  # same name: one group
        OrganizationFactory(name="丙支部", park=world.park_a1),  # nobody flagged
        OrganizationFactory(name="丁支部", park=world.park_a1),
    ]
    people = {0: ["B", "D", "F"], 1: ["A", "C"], 2: ["A", "C", "E"], 3: [], 4: ["G"]}
    for index, names in people.items():
        for name in names:
            member = MemberFactory(organization=branches[index], name=name)
            Member.objects.filter(pk=member.pk).update(created_at=at(long_ago))
            if name in ("C", "G"):  # settled: flagged for organisation life only
                DuesPayment.objects.create(
                    member=member, month=D(2024, 8, 1), amount_due=10, amount_paid=10, paid_on=today
                )
    settled = MemberFactory(organization=branches[3], name="H")  # registered long ago, paid and attended
    Member.objects.filter(pk=settled.pk).update(created_at=at(long_ago))
    DuesPayment.objects.create(member=settled, month=D(2024, 8, 1), amount_due=10, amount_paid=10, paid_on=today)
    AttendanceFactory(activity=ActivityFactory(host=branches[3], starts_at=at(D(2024, 8, 1))), member=settled)

    ids = [branch.pk for branch in branches]
    expected = selectors.lapse_risks(ids, today=today)
    order = [(b.pk, b.name) for b in Organization.objects.filter(pk__in=ids).order_by("name", "pk")]
    for ground in (rules.LapseGround.NO_LIFE, rules.LapseGround.NO_DUES):
        rows = [(r.member.organization.name, r.member.name) for r in expected if ground in r.grounds]
        assert len(rows) == (9 if ground == rules.LapseGround.NO_LIFE else 6)
        for start in range(len(rows) + 2):
            for stop in [*range(start, len(rows) + 2), None]:
                findings = selectors.lapse_risk_findings(
                    ids, today=today, organizations=order if organizations_given else None
                )
                got = [(r.member.organization.name, r.member.name) for r in findings.risks(ground, start, stop)]
                assert got == rows[start:stop], (ground, start, stop)
        assert findings.counts()[ground] == len(rows)
        assert branches[3].pk not in findings.by_organization(ground)
