"""Demo data of the service centre: teams in every park, an enterprise contact login, requests in
every status (a few overdue), micro-wishes and room bookings.

Idempotent (teams and the contact are get-or-create; a park that already has requests, wishes or
bookings gets none added) and deterministic (``rng``). Rows are written directly, not through the
actions, so that they can carry dates in the past; their timelines are written alongside.
"""

import datetime
import random

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from members.models import Member
from parks.models import Enterprise, Park, Room
from services.models import (
    EnterpriseContact,
    RequestStatus,
    RoomBooking,
    ServiceCategory,
    ServiceRequest,
    ServiceRequestEvent,
    ServiceTeam,
    Wish,
    due_days,
)

DEMO_PASSWORD = "Hongfan@2026"
WUZHEN = "乌镇互联网产业园"
TEAMS = [
    ("法律服务队", ServiceTeam.Kind.LEGAL),
    ("金融服务队", ServiceTeam.Kind.FINANCE),
    ("税务服务队", ServiceTeam.Kind.TAX),
    ("市场监管服务队", ServiceTeam.Kind.MARKET_REGULATION),
]
# (category code, team kind or None, title, description)
TOPICS = [
    (
        "financing",
        ServiceTeam.Kind.FINANCE,
        "申请电商企业流动资金贷款贴息",
        "想了解园区电商企业贷款贴息政策和申请材料。",
    ),
    ("tax", ServiceTeam.Kind.TAX, "跨境电商出口退税咨询", "第一次做跨境出口，不清楚退税流程。"),
    (
        "market-regulation",
        ServiceTeam.Kind.MARKET_REGULATION,
        "直播带货广告用语合规",
        "直播间的宣传用语是否违反广告法？",
    ),
    ("party-policy", None, "新成立企业如何建立党组织", "公司有 3 名正式党员，想单独建立支部。"),
    ("education-training", None, "申请参加电商直播技能培训", "希望园区组织一期直播运营培训。"),
    ("care-assistance", None, "困难员工帮扶", "一名员工家中遭遇变故，希望得到帮扶。"),
    ("legal", ServiceTeam.Kind.LEGAL, "网店商标被抢注", "我们的网店品牌被他人抢注商标，如何维权？"),
    ("public-opinion", None, "园区快递驿站营业时间建议", "建议快递驿站延长晚间营业时间。"),
    ("experience-sharing", None, "希望组织跨境电商经验交流会", "想和园区其他跨境企业交流选品经验。"),
    ("financing", ServiceTeam.Kind.FINANCE, "供应链金融产品对接", "希望对接银行的订单融资产品。"),
]
# status, days since submission, urgency
PLAN = [
    (RequestStatus.SUBMITTED, 1, "normal"),
    (RequestStatus.SUBMITTED, 9, "normal"),  # overdue, not even accepted
    (RequestStatus.ACCEPTED, 4, "high"),  # overdue
    (RequestStatus.ASSIGNED, 2, "normal"),
    (RequestStatus.IN_PROGRESS, 20, "low"),  # overdue
    (RequestStatus.IN_PROGRESS, 3, "normal"),
    (RequestStatus.RESOLVED, 5, "normal"),
    (RequestStatus.CLOSED, 30, "normal"),
    (RequestStatus.CLOSED, 15, "high"),
    (RequestStatus.REJECTED, 6, "low"),
]
WISHES = [
    ("小雨", "一套初中数学辅导书"),
    ("阿婆", "一台收音机"),
    ("小杰", "一双运动鞋（38 码）"),
    ("乐乐", "一个新书包"),
    ("王奶奶", "冬天用的电热毯"),
]


@transaction.atomic
def seed(*, rng: random.Random, stdout) -> list[tuple[str, str, str]]:
    """Seed the service centre; return the demo logins it adds, for the command's table."""
    User = get_user_model()
    parks = list(Park.objects.order_by("district__code", "name"))
    teams = {park.pk: _ensure_teams(park) for park in parks}
    wuzhen = next((p for p in parks if p.name == WUZHEN), None)
    service = User.objects.filter(username="service").first()
    if wuzhen and service:
        teams[wuzhen.pk][ServiceTeam.Kind.FINANCE].members.add(service)
    contact = _ensure_contact(wuzhen) if wuzhen else None

    created = {"requests": 0, "wishes": 0, "bookings": 0}
    for park in parks:
        created["requests"] += _seed_requests(park, teams[park.pk], rng, contact if park == wuzhen else None)
        created["wishes"] += _seed_wishes(park, rng)
        created["bookings"] += _seed_bookings(park, rng)
    stdout.write(
        f"services: {created['requests']} requests, {created['wishes']} wishes, {created['bookings']} bookings"
    )
    if contact is None:
        return []
    enterprise = EnterpriseContact.objects.filter(user=contact).select_related("enterprise").first()
    return [("contact", str(_("enterprise contact")), enterprise.enterprise.name if enterprise else "")]


def _ensure_teams(park):
    result = {}
    for name, kind in TEAMS:
        team, _ = ServiceTeam.objects.get_or_create(park=park, name=name, defaults={"kind": kind})
        result[kind] = team
    return result


def _ensure_contact(park):
    User = get_user_model()
    enterprise = Enterprise.objects.filter(park=park).order_by("credit_code").first()
    if enterprise is None:
        return None
    user, created = User.objects.get_or_create(
        username="contact", defaults={"last_name": "周", "first_name": "立新", "email": "contact@example.com"}
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    EnterpriseContact.objects.get_or_create(user=user, enterprise=enterprise, defaults={"position": "行政主管"})
    return user


def _park_admin(park):
    return get_user_model().objects.filter(role_assignments__role="park_admin", role_assignments__park=park).first()


def _seed_requests(park, teams, rng, contact):
    if ServiceRequest.objects.filter(park=park).exists():
        return 0
    members = list(
        Member.objects.filter(organization__park=park, user__isnull=False).select_related("user", "employer")
    )
    admin = _park_admin(park)
    categories = {c.code: c for c in ServiceCategory.objects.all()}
    if not categories:
        return 0
    now = timezone.now()
    count = 0
    for index, (status, age, urgency) in enumerate(PLAN):
        code, team_kind, title, description = TOPICS[index % len(TOPICS)]
        if contact is not None and index % 2 == 0:
            requester = contact
            enterprise = EnterpriseContact.objects.filter(user=contact).first().enterprise
        elif members:
            member = members[index % len(members)]
            requester = member.user
            enterprise = member.employer if member.employer and member.employer.park_id == park.pk else None
        else:
            continue
        submitted = now - datetime.timedelta(days=age, hours=rng.randint(1, 8))
        team = teams[team_kind or rng.choice(list(teams))]
        request = ServiceRequest.objects.create(
            park=park,
            enterprise=enterprise,
            requester=requester,
            category=categories.get(code) or categories.get("ecommerce-policy") or next(iter(categories.values())),
            title=title,
            description=description,
            urgency=urgency,
            due_on=timezone.localtime(submitted).date() + datetime.timedelta(days=due_days(urgency)),
            status=status,
        )
        steps = _steps(status)
        moment = submitted
        events = []
        worker = team.members.first() or admin
        for kind in steps:
            actor = {"submitted": requester, "closed": requester, "started": worker, "resolved": worker}.get(
                kind, admin
            )
            moment = moment + datetime.timedelta(hours=rng.randint(2, 30))
            moment = min(moment, now)
            text = {
                "assigned": team.name,
                "resolved": "已电话沟通并提供政策文件和办理指引。",
                "closed": "5/5 感谢园区的及时帮助",
                "rejected": "该事项不属于服务中心受理范围，请联系属地街道。",
            }.get(kind, "")
            events.append(
                ServiceRequestEvent(
                    request=request,
                    kind=kind,
                    actor=actor,
                    text=text,
                    status_after=_status_after(kind),
                    created_at=moment,
                )
            )
        ServiceRequestEvent.objects.bulk_create(events)
        fields = {"created_at": submitted}
        if "assigned" in steps:
            fields["team"] = team
        if "accepted" in steps:
            fields["accepted_at"] = submitted + datetime.timedelta(hours=3)
        if "resolved" in steps:
            fields["resolved_at"] = now - datetime.timedelta(days=max(age - 5, 1))
        if status == RequestStatus.CLOSED:
            fields.update(
                closed_at=now - datetime.timedelta(days=max(age - 6, 0)),
                rating=rng.choice([4, 5, 5]),
                rating_comment="感谢园区的及时帮助",
            )
        if status == RequestStatus.REJECTED:
            fields["reject_reason"] = "该事项不属于服务中心受理范围，请联系属地街道。"
        ServiceRequest.objects.filter(pk=request.pk).update(**fields)
        count += 1
    return count


def _steps(status):
    order = ["submitted", "accepted", "assigned", "started", "resolved", "closed"]
    if status == RequestStatus.REJECTED:
        return ["submitted", "rejected"]
    last = {
        RequestStatus.SUBMITTED: "submitted",
        RequestStatus.ACCEPTED: "accepted",
        RequestStatus.ASSIGNED: "assigned",
        RequestStatus.IN_PROGRESS: "started",
        RequestStatus.RESOLVED: "resolved",
        RequestStatus.CLOSED: "closed",
    }[status]
    return order[: order.index(last) + 1]


def _status_after(kind):
    return {
        "submitted": RequestStatus.SUBMITTED,
        "accepted": RequestStatus.ACCEPTED,
        "assigned": RequestStatus.ASSIGNED,
        "started": RequestStatus.IN_PROGRESS,
        "resolved": RequestStatus.RESOLVED,
        "closed": RequestStatus.CLOSED,
        "rejected": RequestStatus.REJECTED,
    }[kind]


def _seed_wishes(park, rng):
    if Wish.objects.filter(park=park).exists():
        return 0
    admin = _park_admin(park)
    members = list(Member.objects.filter(organization__park=park, status=Member.Status.ACTIVE).order_by("pk")[:10])
    now = timezone.now()
    count = 0
    for index, (name, need) in enumerate(WISHES):
        wish = Wish.objects.create(park=park, beneficiary=name, need=need, posted_by=admin)
        if members and index == 0:
            Wish.objects.filter(pk=wish.pk).update(
                status=Wish.Status.FULFILLED,
                claimed_by=members[0],
                claimed_at=now - datetime.timedelta(days=10),
                fulfilled_at=now - datetime.timedelta(days=3),
                fulfilment_note="已送到小雨家中，孩子很高兴。",
            )
        elif members and index == 1:
            claimer = rng.choice(members)
            Wish.objects.filter(pk=wish.pk).update(
                status=Wish.Status.CLAIMED, claimed_by=claimer, claimed_at=now - datetime.timedelta(days=1)
            )
        count += 1
    return count


def _seed_bookings(park, rng):
    rooms = list(Room.objects.filter(park=park, is_active=True).order_by("name"))
    if not rooms or RoomBooking.objects.filter(room__in=rooms).exists():
        return 0
    users = [m.user for m in Member.objects.filter(organization__park=park, user__isnull=False).select_related("user")]
    users += list(get_user_model().objects.filter(enterprise_contacts__enterprise__park=park))
    admin = _park_admin(park)
    if not users:
        return 0
    tz = timezone.get_current_timezone()
    today = timezone.localdate()
    count = 0
    purposes = ["支部主题党日", "企业员工培训", "党小组学习", "客户洽谈", "直播选品会"]
    for room in rooms:
        for offset in range(1, 8):
            if rng.random() < 0.45:
                continue
            hour = rng.choice([9, 14])
            start = datetime.datetime.combine(today + datetime.timedelta(days=offset), datetime.time(hour), tzinfo=tz)
            status = RoomBooking.Status.CONFIRMED if offset % 3 else RoomBooking.Status.PENDING
            RoomBooking.objects.create(
                room=room,
                booked_by=rng.choice(users),
                purpose=rng.choice(purposes),
                attendees=min(room.capacity, rng.randint(3, 15)),
                starts_at=start,
                ends_at=start + datetime.timedelta(hours=2),
                status=status,
                decided_by=admin if status == RoomBooking.Status.CONFIRMED else None,
                decided_at=timezone.now() if status == RoomBooking.Status.CONFIRMED else None,
            )
            count += 1
    return count
