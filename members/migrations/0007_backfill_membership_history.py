"""Backfill the membership history of the members registered before it existed.

For each member without any event: one "joined" event at their first known organisation, on the
best date available (the day they were registered in the portal, or their earliest stage date if
earlier); the completed transfers (out of the sending organisation and into the receiving one, on
the day the transfer was completed); and, where the record's current organisation or status is not
what those events lead to, the missing move or status event, dated by the member's change history
(django-simple-history) when it shows the change, else on the latest date already known. After the
backfill, the history of today gives exactly today's roll.
"""

import datetime

from django.db import migrations
from django.utils import timezone

CHUNK = 2000
EARLIEST_DAY = datetime.date(1921, 7, 1)
ON_ROLL = ("joined", "transferred_in", "restored")
STATUS_EVENT = {
    "active": "restored",
    "transferred_out": "transferred_out",
    "flowing": "flowing",
    "deceased": "deceased",
    "removed": "removed",
}
STAGE_DATES = ("applied_on", "activist_on", "candidate_on", "probationary_on", "full_on")


def _day(moment):
    return timezone.localdate(moment) if timezone.is_aware(moment) else moment.date()


def _run_start(rows, organization_id, status):
    """The day the member's record took its current (organisation, status), from its history rows
    (oldest first), or None if the history does not show it."""
    start, previous = None, None
    for row_org, row_status, when in rows:
        if (row_org, row_status) != previous:
            start, previous = when, (row_org, row_status)
    return _day(start) if start is not None and previous == (organization_id, status) else None


def _events_for(member, transfers, history_rows):
    registered = _day(member["created_at"])
    best = min([registered, *(member[name] for name in STAGE_DATES if member[name])])
    first = transfers[0] if transfers else None
    if first is not None and first["kind"] in ("internal", "out") and first["from_organization_id"]:
        first_org = first["from_organization_id"]
    else:
        first_org = member["organization_id"]
    events = [("joined", first_org, best)]
    last_day = best
    for transfer in transfers:
        day = max(_day(transfer["closed_at"] or transfer["requested_at"]), last_day)
        if transfer["kind"] in ("internal", "out") and transfer["from_organization_id"]:
            events.append(("transferred_out", transfer["from_organization_id"], day))
        if transfer["kind"] in ("internal", "in") and transfer["to_organization_id"]:
            events.append(("transferred_in", transfer["to_organization_id"], day))
        last_day = day
    kind, org_id, _on = events[-1]
    on_roll = kind in ON_ROLL
    current_org, status = member["organization_id"], member["status"]
    fix_day = max(_run_start(history_rows, current_org, status) or last_day, last_day)
    if status == "active":
        if on_roll and org_id != current_org:
            events.append(("transferred_out", org_id, fix_day))
            events.append(("transferred_in", current_org, fix_day))
        elif not on_roll:
            events.append(("transferred_in" if kind == "transferred_out" else "restored", current_org, fix_day))
    elif on_roll or kind != STATUS_EVENT[status]:
        if on_roll and org_id != current_org:
            events.append(("transferred_out", org_id, fix_day))
            events.append(("transferred_in", current_org, fix_day))
        if not (status == "transferred_out" and kind == "transferred_out"):
            events.append((STATUS_EVENT[status], current_org, fix_day))
    return events


def backfill(apps, schema_editor):
    Member = apps.get_model("members", "Member")
    HistoricalMember = apps.get_model("members", "HistoricalMember")
    Transfer = apps.get_model("members", "Transfer")
    MembershipEvent = apps.get_model("members", "MembershipEvent")
    fields = ("pk", "organization_id", "status", "created_at", *STAGE_DATES)
    last_pk = 0
    while True:
        members = list(
            Member.objects.filter(pk__gt=last_pk)
            .exclude(pk__in=MembershipEvent.objects.values("member_id"))
            .order_by("pk")
            .values(*fields)[:CHUNK]
        )
        if not members:
            break
        ids = [member["pk"] for member in members]
        transfers = {}
        for transfer in (
            Transfer.objects.filter(member_id__in=ids, status="done")
            .order_by("closed_at", "pk")
            .values("member_id", "kind", "from_organization_id", "to_organization_id", "closed_at", "requested_at")
        ):
            transfers.setdefault(transfer["member_id"], []).append(transfer)
        history = {}
        for member_id, org_id, status, when in (
            HistoricalMember.objects.filter(id__in=ids)
            .order_by("id", "history_date", "history_id")
            .values_list("id", "organization_id", "status", "history_date")
        ):
            history.setdefault(member_id, []).append((org_id, status, when))
        rows = []
        for member in members:
            for kind, org_id, on in _events_for(member, transfers.get(member["pk"], []), history.get(member["pk"], [])):
                rows.append(
                    MembershipEvent(
                        member_id=member["pk"],
                        organization_id=org_id,
                        kind=kind,
                        on=max(on, EARLIEST_DAY),
                        note="backfilled",
                    )
                )
        MembershipEvent.objects.bulk_create(rows, batch_size=1000)
        last_pk = ids[-1]


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0006_membership_history_and_leave"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
