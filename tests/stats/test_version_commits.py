"""The versions cached figures are kept under (stats.statistics.data_version): the last history row
of each table, and the count of commits that wrote its history (core.history.history_written), so
that a transaction committing after a later one is seen by the next view."""

import threading

import pytest
from django.db import close_old_connections, connection, transaction

from activities.models import Activity
from core.history import create_with_history, history_commits
from core.periods import Period
from members.models import Member
from parks.models import Enterprise
from stats import statistics
from stats.basis import StatScope
from tests.activities.factories import ActivityFactory
from tests.factories import EnterpriseFactory, MemberFactory


@pytest.mark.django_db(transaction=True)
def test_each_commit_that_writes_history_is_counted_once_per_model(world):
    before = history_commits(Member, Activity, Enterprise)
    with transaction.atomic():
        MemberFactory(organization=world.branch_a1)
        world.member_a1.name = "改名"
        world.member_a1.save()
        ActivityFactory(host=world.branch_a1)
    assert history_commits(Member, Activity, Enterprise) == [before[0] + 1, before[1] + 1, before[2]]
    world.member_a2.save()  # outside a transaction: counted at once
    assert history_commits(Member)[0] == before[0] + 2
    # A bulk write with its history rows (the imports) is counted too.
    create_with_history([EnterpriseFactory.build(park=world.park_a1) for _i in range(3)], Enterprise)
    assert history_commits(Member, Activity, Enterprise) == [before[0] + 2, before[1] + 1, before[2] + 1]

    # A transaction rolled back is not.
    def register_then_fail():
        with transaction.atomic():
            MemberFactory(organization=world.branch_a1)
            raise RuntimeError

    with pytest.raises(RuntimeError):
        register_then_fail()
    assert history_commits(Member)[0] == before[0] + 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_member_committed_after_a_later_write_is_counted_by_the_next_view(world):
    """A transaction takes an earlier history row, another writes a later one and commits first;
    a view between the two commits caches the figure. The first one's member is counted by the
    next view, though the last history row stays the same (checked to fail without the commits'
    count)."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: two writing transactions at once")
    scope, period = StatScope.of(world.district_a), Period.current("month")

    def total():
        return statistics.member_figures(scope, period)["total"]

    before = total()
    taken, release, failed = threading.Event(), threading.Event(), []

    def slow_registration():
        try:
            with transaction.atomic():
                MemberFactory(organization=world.branch_a1)  # the earlier history row
                taken.set()
                release.wait(30)
        except Exception as exc:  # noqa: BLE001 - reported by the test below
            failed.append(exc)
            taken.set()
        finally:
            close_old_connections()
            connection.close()

    thread = threading.Thread(target=slow_registration)
    thread.start()
    assert taken.wait(30)
    renamed = Member.objects.get(pk=world.member_a2.pk)
    renamed.name = "改名"
    renamed.save()  # a later history row, committed first
    last_row = statistics.data_version(Member)[0].split(".")[0]
    assert total() == before  # cached: the slow registration is not committed yet
    release.set()
    thread.join(30)
    assert not failed
    assert statistics.data_version(Member)[0].split(".")[0] == last_row
    assert total() == before + 1
