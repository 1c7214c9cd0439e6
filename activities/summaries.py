"""The per-organisation, per-month summary of held activities (``OrganizationMonth``).

One function, ``aggregate``, computes the summary rows from the raw Activity and Attendance tables;
``refresh`` stores them, and ``portal.statistics`` with ``live=True`` uses the same function on
the fly, so the summary and the live figures cannot drift apart.

Rows are per (organisation, month, kind): sums of counts only. Counts of distinct members are
never stored here, since they do not add up across months or organisations.
"""

import datetime
import logging
from collections import defaultdict
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from core.periods import day_start, local_day
from parks.models import Organization

from .models import Activity, Attendance, Kind, OrganizationMonth, OrganizationYear

logger = logging.getLogger(__name__)

FIELDS = ("held", "compliance_held", "present", "absent", "leave", "volunteer_hours")


def month_of(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def next_month(month: datetime.date) -> datetime.date:
    return datetime.date(month.year + month.month // 12, month.month % 12 + 1, 1)


def _empty():
    return {"held": 0, "compliance_held": 0, "present": 0, "absent": 0, "leave": 0, "volunteer_hours": Decimal(0)}


def _month_key(value) -> datetime.date:
    # TruncMonth gives an aware datetime in the current time zone (or a date on some backends).
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


def aggregate(
    *,
    organization_ids=None,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
    with_compliance: bool = True,
) -> dict:
    """{(organization_id, month, kind): {held, compliance_held, present, absent, leave, volunteer_hours}}
    for held activities starting in [start, end) (months, local time) hosted by ``organization_ids``
    (all when None). ``compliance_held`` is counted for the organisations in ``organization_ids``.

    Three queries: activities per host/month/kind, attendance per host/month/kind, and the
    compliance counts (host, the branch above a hosting party group, co-hosts).
    """
    held = Activity.objects.held()
    if start is not None:
        held = held.filter(starts_at__gte=day_start(start))
    if end is not None:
        held = held.filter(starts_at__lt=day_start(end))
    rows = defaultdict(_empty)
    hosted = held if organization_ids is None else held.filter(host_id__in=organization_ids)
    for host_id, month, kind, n in (
        hosted.annotate(m=TruncMonth("starts_at"))
        .values_list("host_id", "m", "kind")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        rows[host_id, _month_key(month), kind]["held"] += n
    attendance = Attendance.objects.filter(activity__status=Activity.Status.HELD)
    if start is not None:
        attendance = attendance.filter(activity__starts_at__gte=day_start(start))
    if end is not None:
        attendance = attendance.filter(activity__starts_at__lt=day_start(end))
    if organization_ids is not None:
        attendance = attendance.filter(activity__host_id__in=organization_ids)
    for host_id, month, kind, present, absent, leave, hours in (
        attendance.annotate(m=TruncMonth("activity__starts_at"))
        .values_list("activity__host_id", "m", "activity__kind")
        .annotate(
            present=Count("pk", filter=Q(status=Attendance.Status.PRESENT)),
            absent=Count("pk", filter=Q(status=Attendance.Status.ABSENT)),
            leave=Count("pk", filter=Q(status=Attendance.Status.LEAVE)),
            hours=Sum("volunteer_hours"),
        )
        .order_by()
    ):
        row = rows[host_id, _month_key(month), kind]
        row["present"] += present
        row["absent"] += absent
        row["leave"] += leave
        row["volunteer_hours"] += hours or Decimal(0)
    if with_compliance:
        for key, n in compliance_counts(held, organization_ids).items():
            rows[key]["compliance_held"] += n
    return dict(rows)


def compliance_counts(held, organization_ids=None) -> dict:
    """{(organization_id, month, kind): n} of held activities as activities.selectors.compliance()
    counts them: for the host, for the branch above a party group that hosts, for each co-host;
    each activity once per organisation; a party congress below quorum not at all."""
    held = held.exclude(kind=Kind.PARTY_CONGRESS, quorum_met=False)
    if organization_ids is not None:
        held = held.filter(
            Q(host_id__in=organization_ids)
            | Q(host__parent_id__in=organization_ids, host__kind=Organization.Kind.GROUP)
            | Q(co_hosts__in=organization_ids)
        ).distinct()
    # Two narrow queries rather than one join, so an activity with many co-hosts is read once.
    activities = {
        pk: (host_id, parent_id if host_kind == Organization.Kind.GROUP else None, kind, local_day(starts_at))
        for pk, host_id, host_kind, parent_id, kind, starts_at in held.values_list(
            "pk", "host_id", "host__kind", "host__parent_id", "kind", "starts_at"
        ).order_by()
    }
    co_hosts = defaultdict(set)
    for activity_id, org_id in Activity.co_hosts.through.objects.filter(activity_id__in=held.values("pk")).values_list(
        "activity_id", "organization_id"
    ):
        co_hosts[activity_id].add(org_id)
    wanted = None if organization_ids is None else set(organization_ids)
    counts = defaultdict(int)
    for pk, (host_id, parent_id, kind, day) in activities.items():
        # A group's activity counts for the branch above it, not for the group (as in compliance()).
        counted = ({parent_id} if parent_id else {host_id}) | co_hosts.get(pk, set())
        for org_id in counted:
            if wanted is None or org_id in wanted:
                counts[org_id, month_of(day), kind] += 1
    return counts


def refresh(*, organization_ids=None, months=None) -> int:
    """Rebuild the summary rows of ``organization_ids`` (all when None) for ``months`` (first days;
    all when None). Returns the number of rows written. Idempotent, and safe to run concurrently.

    Rows are written as an upsert on (organisation, month, kind), so two refreshes of one
    organisation-month never collide on ``organization_month_unique``; the rows that no longer
    have activities are deleted by key afterwards. A refresh of given organisations and months
    first takes a lock per organisation-month (``_lock_organization_months``) and reads the raw
    tables only then, so of two refreshes at once the later one sees at least what the earlier
    one saw and an older snapshot never overwrites a newer one.
    """
    months = sorted({month_of(m) for m in months}) if months else None
    organization_ids = set(organization_ids) if organization_ids is not None else None
    if organization_ids is not None and not organization_ids:
        return 0
    start = months[0] if months else None
    end = next_month(months[-1]) if months else None
    with transaction.atomic():
        if organization_ids is not None and months:
            _lock_organization_months(organization_ids, months)
        rows = aggregate(organization_ids=organization_ids, start=start, end=end)
        if months:
            wanted = set(months)
            rows = {key: value for key, value in rows.items() if key[1] in wanted}
        OrganizationMonth.objects.bulk_create(
            [
                OrganizationMonth(organization_id=org_id, month=month, kind=kind, **values)
                for (org_id, month, kind), values in sorted(rows.items())
            ],
            batch_size=2000,
            update_conflicts=True,
            unique_fields=["organization", "month", "kind"],
            update_fields=[*FIELDS, "refreshed_at"],
        )
        existing = OrganizationMonth.objects.all()
        if organization_ids is not None:
            existing = existing.filter(organization_id__in=organization_ids)
        if months:
            existing = existing.filter(month__in=months)
        gone = [
            pk
            for pk, org_id, month, kind in existing.values_list("pk", "organization_id", "month", "kind").order_by("pk")
            if (org_id, month, kind) not in rows
        ]
        for index in range(0, len(gone), 2000):
            OrganizationMonth.objects.filter(pk__in=gone[index : index + 2000]).delete()
        refresh_years(organization_ids=organization_ids, years={m.year for m in months} if months else None)
    return len(rows)


def refresh_years(*, organization_ids=None, years=None) -> int:
    """Rebuild the ``OrganizationYear`` rows of ``organization_ids`` (all when None) for ``years``
    (all when None) from the monthly rows: sums of each organisation's year and kind. Called by
    ``refresh`` in its transaction (after the months it rebuilt). Returns the rows written."""
    months = OrganizationMonth.objects.all()
    years_kept = OrganizationYear.objects.all()
    if organization_ids is not None:
        months = months.filter(organization_id__in=organization_ids)
        years_kept = years_kept.filter(organization_id__in=organization_ids)
    if years:
        months = months.filter(month__year__in=sorted(years))
        years_kept = years_kept.filter(year__year__in=sorted(years))
    rows = defaultdict(_empty)
    for org_id, month, kind, *values in months.values_list("organization_id", "month", "kind", *FIELDS).order_by():
        row = rows[org_id, datetime.date(month.year, 1, 1), kind]
        for name, value in zip(FIELDS, values, strict=True):
            row[name] += value
    OrganizationYear.objects.bulk_create(
        [
            OrganizationYear(organization_id=org_id, year=year, kind=kind, **values)
            for (org_id, year, kind), values in sorted(rows.items())
        ],
        batch_size=2000,
        update_conflicts=True,
        unique_fields=["organization", "year", "kind"],
        update_fields=[*FIELDS, "refreshed_at"],
    )
    gone = [
        pk
        for pk, org_id, year, kind in years_kept.values_list("pk", "organization_id", "year", "kind").order_by("pk")
        if (org_id, year, kind) not in rows
    ]
    for index in range(0, len(gone), 2000):
        OrganizationYear.objects.filter(pk__in=gone[index : index + 2000]).delete()
    return len(rows)


def _lock_organization_months(organization_ids, months) -> None:
    """Serialise refreshes of the same organisation-months until the transaction ends: a
    PostgreSQL transaction-level advisory lock per (organisation, month), taken in one order so
    that two refreshes of overlapping keys wait instead of deadlocking. (SQLite lets one writer
    at a time anyway.)"""
    if connection.vendor != "postgresql":
        return
    keys = sorted(
        {(int(org_id) % 2**31, month.year * 100 + month.month) for org_id in organization_ids for month in months}
    )
    with connection.cursor() as cursor:
        for org_key, month_key in keys:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [org_key, -month_key])


def touched(activity) -> set[tuple[int, datetime.date]]:
    """The (organisation, month) summary rows an activity contributes to, as it stands now."""
    month = month_of(local_day(activity.starts_at))
    orgs = {activity.host_id}
    host = Organization.objects.filter(pk=activity.host_id).values_list("parent_id", "kind").first()
    if host and host[0] and host[1] == Organization.Kind.GROUP:
        orgs.add(host[0])
    if activity.pk:
        orgs |= set(activity.co_hosts.values_list("pk", flat=True))
    return {(org_id, month) for org_id in orgs}


def refresh_on_commit(keys) -> None:
    """Refresh the given (organisation, month) rows once the current transaction commits.

    The save it follows has committed by then: a failure here (a lost connection, a lock
    timeout) is logged and left to the nightly full refresh
    (``activities.tasks.refresh_statistics_summaries``, or ``manage.py refresh_statistics``), never
    raised into the request that saved."""
    keys = set(keys)
    if not keys:
        return

    def run():
        by_month = defaultdict(set)
        for org_id, month in keys:
            by_month[month].add(org_id)
        for month, org_ids in sorted(by_month.items()):
            try:
                refresh(organization_ids=org_ids, months=[month])
            except Exception:
                logger.exception(
                    "Statistics summary refresh failed for organisations %s, month %s; "
                    "the nightly refresh will rebuild it.",
                    sorted(org_ids),
                    month.isoformat(),
                )

    transaction.on_commit(run)
