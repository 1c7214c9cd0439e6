"""Reads for the home page's role cards: figures per district, park and organisation.

The district and park cards show named metrics (``stats.metrics``) of the current month, with
their captions, so that a card and the dashboard of the same scope agree.

Every figure goes through ``visible_to(user)`` and is computed by grouped aggregate queries, so
the number of queries is fixed whatever the number of districts, parks or members.
"""

from django.contrib.auth import get_user_model
from django.db.models import Count, Q
from django.utils import timezone

from members.models import STAGE_ORDER, Member, Stage
from parks.models import District, Enterprise, Organization, Park, Room
from stats import metrics, statistics
from stats.basis import StatScope

ACTIVE = Member.Status.ACTIVE


def _grouped(queryset, *keys) -> dict:
    """``{key or (keys…): count}`` from one GROUP BY query."""
    rows = queryset.order_by().values_list(*keys).annotate(n=Count("pk"))
    if len(keys) == 1:
        return {row[0]: row[1] for row in rows}
    return {tuple(row[:-1]): row[-1] for row in rows}


def _stages(counts: dict, key) -> list[dict]:
    """The members of one scope object by stage, in the order of the development pipeline."""
    return [
        {"stage": stage, "label": Stage(stage).label, "count": counts.get((key, stage), 0)} for stage in STAGE_ORDER
    ]


def overall_counts(user) -> dict:
    """The whole portal in figures (superusers)."""
    members = (
        Member.objects.visible_to(user)
        .filter(status=ACTIVE)
        .aggregate(total=Count("pk"), full=Count("pk", filter=Q(stage=Stage.FULL)))
    )
    return {
        "districts": District.objects.visible_to(user).count(),
        "parks": Park.objects.visible_to(user).count(),
        "enterprises": Enterprise.objects.visible_to(user).count(),
        "organizations": Organization.objects.visible_to(user).count(),
        "members": members["total"],
        "full_members": members["full"],
        "users": get_user_model().objects.filter(is_active=True).count(),
    }


def _metric_stages(by_stage: dict) -> list[dict]:
    return [{"stage": stage, "label": Stage(stage).label, "count": by_stage.get(stage, 0)} for stage in STAGE_ORDER]


def district_summaries(user, district_ids, *, today=None) -> list[dict]:
    """Each of the official's districts: its parks, and the metrics enterprises, party
    organisations and members (by stage) of the current month (``stats.metrics.current``), the
    figures its dashboard shows today; each park's enterprises and members are the same metrics
    counted per park (``stats.metrics.per_park``), the figures of the park's dashboard."""
    today = today or timezone.localdate()
    districts = list(District.objects.visible_to(user).filter(pk__in=list(district_ids)).order_by("code"))
    parks = list(Park.objects.visible_to(user).filter(district__in=districts).order_by("district", "name"))
    result = []
    for district in districts:
        scope = StatScope.of(district)
        figures = metrics.current(user, scope, today=today)
        counted = metrics.per_park(user, scope, figures["period"], ["enterprises", "members"], today=today)
        own_parks = [
            {
                "park": p,
                "enterprises": counted.get(p.pk, {}).get("enterprises", 0),
                "members": counted.get(p.pk, {}).get("members", 0),
            }
            for p in parks
            if p.district_id == district.pk
        ]
        result.append(
            {
                "district": district,
                "parks": own_parks,
                "park_count": len(own_parks),
                "enterprises": figures["enterprises"],
                "organizations": figures["organizations"],
                "members": figures["members"],
                "stages": _metric_stages(figures["by_stage"]),
                "captions": _captions(figures["period"], today),
            }
        )
    return result


def _captions(period, today) -> dict:
    return {
        key: metrics.caption(metrics.get(key), period, today) for key in ("enterprises", "organizations", "members")
    }


def park_summaries(user, park_ids, *, today=None) -> list[dict]:
    """Each park: the metrics enterprises, party organisations and members (by stage) of the
    current month, as its dashboard shows them today (``stats.metrics.current``), and its rooms."""
    today = today or timezone.localdate()
    ids = list(park_ids)
    parks = list(Park.objects.visible_to(user).filter(pk__in=ids).select_related("district").order_by("name"))
    rooms = _grouped(Room.objects.visible_to(user).filter(park__in=ids, is_active=True), "park")
    result = []
    for park in parks:
        figures = metrics.current(user, StatScope.of(park), today=today)
        result.append(
            {
                "park": park,
                "enterprises": figures["enterprises"],
                "organizations": figures["organizations"],
                "members": figures["members"],
                "stages": _metric_stages(figures["by_stage"]),
                "rooms": rooms.get(park.pk, 0),
                "captions": _captions(figures["period"], today),
            }
        )
    return result


def organization_summaries(user, org_ids, today=None) -> list[dict]:
    """The secretary's organisations (with sub-units): members by stage and the term status. The
    count is the metric ``members_now`` (active members today, of the organisation itself)."""
    stage_counts = {
        stage: Count("members", filter=Q(members__status=ACTIVE, members__stage=stage)) for stage in STAGE_ORDER
    }
    organizations = (
        Organization.objects.visible_to(user)
        .filter(pk__in=list(org_ids))
        .select_related("parent", "park", "secretary")
        .annotate(**{f"n_{stage}": count for stage, count in stage_counts.items()})
        .order_by("code")
    )
    today = today or timezone.localdate()
    counted = metrics.get("members_now")  # what the card counts: its period and basis, its definition
    caption = metrics.caption(counted, statistics.Period.current("month", today), today)
    result = []
    for org in organizations:
        stages = [
            {"stage": stage, "label": Stage(stage).label, "count": getattr(org, f"n_{stage}")} for stage in STAGE_ORDER
        ]
        result.append(
            {
                "organization": org,
                "stages": stages,
                "members": sum(row["count"] for row in stages),
                "term_status": org.term_status(today),
                "caption": caption,
                "definition": counted.definition,
            }
        )
    return result
