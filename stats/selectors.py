"""Reads for the home page's role cards: figures per district, park and organisation.

Every figure goes through ``visible_to(user)`` and is computed by grouped aggregate queries, so
the number of queries is fixed whatever the number of districts, parks or members.
"""

from django.contrib.auth import get_user_model
from django.db.models import Count, Q

from members.models import STAGE_ORDER, Member, Stage
from parks.models import District, Enterprise, Organization, Park, Room

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


def district_summaries(user, district_ids) -> list[dict]:
    """Each of the official's districts: parks, enterprises, organisations and members by stage."""
    ids = list(district_ids)
    districts = list(District.objects.visible_to(user).filter(pk__in=ids).order_by("code"))
    parks = list(Park.objects.visible_to(user).filter(district__in=ids).order_by("district", "name"))
    enterprises = _grouped(Enterprise.objects.visible_to(user).filter(park__district__in=ids), "park")
    organizations = _grouped(Organization.objects.visible_to(user).filter(district__in=ids), "district")
    members = _grouped(
        Member.objects.visible_to(user).filter(status=ACTIVE, organization__district__in=ids),
        "organization__district",
        "stage",
    )
    members_by_park = _grouped(
        Member.objects.visible_to(user).filter(status=ACTIVE, organization__park__district__in=ids),
        "organization__park",
    )
    result = []
    for district in districts:
        own_parks = [
            {"park": p, "enterprises": enterprises.get(p.pk, 0), "members": members_by_park.get(p.pk, 0)}
            for p in parks
            if p.district_id == district.pk
        ]
        stages = _stages(members, district.pk)
        result.append(
            {
                "district": district,
                "parks": own_parks,
                "park_count": len(own_parks),
                "enterprises": sum(row["enterprises"] for row in own_parks),
                "organizations": organizations.get(district.pk, 0),
                "members": sum(row["count"] for row in stages),
                "stages": stages,
            }
        )
    return result


def park_summaries(user, park_ids) -> list[dict]:
    """Each park: enterprises, organisations, active members (by stage) and rooms."""
    ids = list(park_ids)
    parks = list(Park.objects.visible_to(user).filter(pk__in=ids).select_related("district").order_by("name"))
    enterprises = _grouped(Enterprise.objects.visible_to(user).filter(park__in=ids), "park")
    organizations = _grouped(Organization.objects.visible_to(user).filter(park__in=ids), "park")
    members = _grouped(
        Member.objects.visible_to(user).filter(status=ACTIVE, organization__park__in=ids),
        "organization__park",
        "stage",
    )
    rooms = _grouped(Room.objects.visible_to(user).filter(park__in=ids, is_active=True), "park")
    result = []
    for park in parks:
        stages = _stages(members, park.pk)
        result.append(
            {
                "park": park,
                "enterprises": enterprises.get(park.pk, 0),
                "organizations": organizations.get(park.pk, 0),
                "members": sum(row["count"] for row in stages),
                "stages": stages,
                "rooms": rooms.get(park.pk, 0),
            }
        )
    return result


def organization_summaries(user, org_ids, today=None) -> list[dict]:
    """The secretary's organisations (with sub-units): members by stage and the term status."""
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
            }
        )
    return result
