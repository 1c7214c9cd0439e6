"""Demo data: the parks and party committees of the sources, with one login per role.

``seed_core`` builds a plan in memory from ``random.Random(SEED)`` (pure, deterministic), then
writes only what is missing, looked up by natural keys (District.code, Park (district, name),
Enterprise.credit_code, Organization.code, the member's ID number, Room (park, name), username).
Running it twice changes nothing. Identity data (names, birth dates, ID numbers, codes) never
depends on the day the command runs, so a re-run on another day finds the same rows; dates of
stages in progress and of organisation terms are placed relative to today, so that the pipeline
and the term alerts have something to show.

``run_app_hooks`` then calls ``<app>.demo.seed(rng=..., stdout=...)`` for the apps that have one.
"""

from __future__ import annotations

import datetime
import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from accounts.models import ROLE_SCOPE_FIELD, Role, RoleAssignment
from core import crypto
from core.codes import make_credit_code, make_id_number
from core.validators import USCC_CHARSET
from demo import activities as demo_activities
from demo import members as demo_members
from demo import services as demo_services
from members.models import STAGE_ORDER, Member, Stage, StageChange
from parks.models import District, Enterprise, Organization, Park, Room, add_years

SEED = 2026
DEMO_PASSWORD = "Hongfan@2026"
# The apps whose optional ``demo.seed`` runs after the core, each with its own fixed seed.
APP_HOOKS = (("members", 2027), ("activities", 2028), ("services", 2029))
APP_MODULES = {"members": demo_members, "activities": demo_activities, "services": demo_services}
# Birth dates are computed from this fixed day, never from today, so ID numbers are stable.
REFERENCE_DAY = datetime.date(2026, 1, 1)
CHANGE_REASON = "demo data (seed_demo)"
MA_PREFIX = (USCC_CHARSET.index("M") * 31 + USCC_CHARSET.index("A")) * 31**7

Kind = Organization.Kind
Formation = Organization.Formation
Industry = Enterprise.Industry

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴莫孔向汤"
)
# The commonest surnames come first; weights fall off along the list.
SURNAME_WEIGHTS = [max(1.0, 12.0 - i * 0.25) for i in range(len(SURNAMES))]
GIVEN_MALE = "伟强磊军洋勇杰涛明超斌鹏辉华飞刚建文志国海俊峰宇浩凯晨博鑫波林毅健亮宁龙正鸿翔昊然轩"
GIVEN_FEMALE = "芳娜敏静丽艳娟霞燕玲婷倩雪琳颖慧佳欣怡萍红洁梅莉丹蕾晶瑶璐悦彤琪雯婧岚菲蓉洋"
GIVEN_ANY = "晓思子雨嘉梓一家文春秋天新永伟佳宏明世立"
ETHNIC_MINORITIES = {
    "530111": ("彝族", "白族", "回族", "哈尼族", "傣族"),
    "": ("回族", "满族", "蒙古族", "土家族", "畲族"),
}
PHONE_PREFIXES = (
    "130 131 132 133 135 136 137 138 139 150 151 152 153 155 156 157 158 159 177 180 181 182 183 "
    "185 186 187 188 189 199"
).split()
EDUCATION_WEIGHTS = {
    Member.Education.JUNIOR: 5,
    Member.Education.SENIOR: 14,
    Member.Education.COLLEGE: 31,
    Member.Education.BACHELOR: 40,
    Member.Education.MASTER: 9,
    Member.Education.DOCTOR: 1,
}
INDUSTRY_WEIGHTS = {
    Industry.ONLINE_SHOP: 34,
    Industry.PLATFORM: 7,
    Industry.LOGISTICS: 9,
    Industry.TRAINING: 5,
    Industry.AGENCY: 12,
    Industry.CROSS_BORDER: 12,
    Industry.LIVE_STREAMING: 15,
    Industry.OTHER: 6,
}
INDUSTRY_SUFFIXES = {
    Industry.ONLINE_SHOP: ("电子商务有限公司", "电子商务有限公司", "贸易有限公司"),
    Industry.PLATFORM: ("网络科技有限公司", "电子商务有限公司"),
    Industry.LOGISTICS: ("供应链管理有限公司", "物流有限公司"),
    Industry.TRAINING: ("电商培训有限公司", "教育科技有限公司"),
    Industry.AGENCY: ("电商运营管理有限公司", "品牌管理有限公司"),
    Industry.CROSS_BORDER: ("跨境电子商务有限公司", "进出口有限公司"),
    Industry.LIVE_STREAMING: ("文化传媒有限公司", "直播科技有限公司"),
    Industry.OTHER: ("信息技术有限公司", "设计有限公司"),
}
TRADE_NAME_FIRST = "云星优汇鑫润恒嘉禾锦诚盛瑞华晨易融信达通创启卓博智新天海南湖红帆蓝金丰兴悦若知青"
TRADE_NAME_SECOND = "帆途品选购联邦驰腾享客拓迅航源泰优创科众和宸睿辰瀚乐尚味美家居谷织"
COMMITMENTS = (
    "带头诚信经营，守护消费者权益",
    "为园区新入驻企业提供电商运营咨询",
    "帮助困难群众直播带货销售农产品",
    "每月参加一次志愿服务",
    "做好企业与园区党组织的联络员",
    "带头遵守平台规则，拒绝刷单炒信",
    "为青年员工提供职业发展辅导",
)


@dataclass
class ParkSpec:
    name: str
    kind: str
    address: str
    area: int
    opened_on: datetime.date
    operator: str
    service_centre_area: int
    enterprise_count: int
    name_prefixes: tuple[str, ...]
    rooms: tuple[tuple[str, int, str, str], ...]  # name, capacity, location, equipment


@dataclass
class DistrictSpec:
    code: str
    city: str
    name: str
    parks: list[ParkSpec]


@dataclass
class EnterpriseSpec:
    credit_code: str
    name: str
    park: tuple[str, str]  # (district code, park name)
    industry: str
    employee_count: int
    entered_on: datetime.date
    investor_name: str
    investor_is_member: bool


@dataclass
class OrgSpec:
    code: str
    name: str
    kind: str
    formation: str
    district_code: str
    park: tuple[str, str] | None
    parent_code: str | None
    founded_on: datetime.date
    term_start: datetime.date | None
    term_end: datetime.date | None
    enterprise_codes: list[str] = field(default_factory=list)
    secretary_id_number: str | None = None


@dataclass
class MemberSpec:
    id_number: str
    name: str
    gender: str
    ethnicity: str
    birth_date: datetime.date
    phone: str
    education: str
    employer_code: str | None
    org_code: str
    stage: str
    dates: dict[str, datetime.date]  # stage → the day it was reached
    status: str = Member.Status.ACTIVE
    shows_identity: bool = False
    service_commitment: str = ""

    def stage_changes(self):
        """(from stage, to stage, effective on, kind): the development history the dates tell."""
        steps, previous = [], ""
        for stage in STAGE_ORDER:
            if stage not in self.dates:
                break
            kind = StageChange.Kind.INITIAL if not previous else StageChange.Kind.ADVANCE
            steps.append((previous, stage, self.dates[stage], kind))
            previous = stage
        return steps


@dataclass
class LoginSpec:
    username: str
    last_name: str
    first_name: str
    superuser: bool = False
    staff: bool = False
    role: str | None = None
    district_code: str | None = None
    park: tuple[str, str] | None = None
    org_code: str | None = None
    member_id_number: str | None = None


@dataclass
class Plan:
    districts: list[DistrictSpec]
    enterprises: list[EnterpriseSpec]
    organizations: list[OrgSpec]  # parents before children
    members: list[MemberSpec]
    logins: list[LoginSpec]


DISTRICTS = [
    DistrictSpec(
        "330483",
        "嘉兴市",
        "桐乡市",
        [
            ParkSpec(
                "乌镇互联网产业园",
                Park.Kind.INTERNET_TOWN,
                "桐乡市乌镇镇子夜路 1 号",
                320000,
                datetime.date(2015, 12, 1),
                "乌镇互联网产业园管理有限公司",
                860,
                36,
                ("桐乡市", "乌镇"),
                (
                    ("党员活动室", 30, "党群服务中心二楼", "投影仪、音响"),
                    ("多功能会议室", 60, "党群服务中心三楼", "LED 屏、视频会议"),
                    ("直播培训室", 20, "党群服务中心二楼", "直播设备 4 套"),
                    ("党员谈心室", 6, "党群服务中心一楼", ""),
                ),
            ),
            ParkSpec(
                "桐乡市电子商务产业园",
                Park.Kind.PARK,
                "桐乡市梧桐街道振东路 88 号",
                86000,
                datetime.date(2013, 6, 18),
                "桐乡市电商产业园运营有限公司",
                420,
                30,
                ("桐乡市",),
                (("党员活动室", 40, "综合楼一楼", "投影仪"), ("会议室", 24, "综合楼二楼", "视频会议")),
            ),
            ParkSpec(
                "濮院时尚电商园",
                Park.Kind.PARK,
                "桐乡市濮院镇毛衫城大道 126 号",
                54000,
                datetime.date(2017, 9, 1),
                "濮院时尚产业发展有限公司",
                300,
                28,
                ("桐乡市", "濮院"),
                (
                    ("党员之家", 30, "一号楼一楼", "投影仪"),
                    ("多功能厅", 80, "一号楼三楼", "舞台、音响"),
                    ("洽谈室", 8, "一号楼二楼", ""),
                ),
            ),
        ],
    ),
    DistrictSpec(
        "330402",
        "嘉兴市",
        "南湖区",
        [
            ParkSpec(
                "嘉兴电子商务产业园",
                Park.Kind.PARK,
                "嘉兴市南湖区亚太路 1052 号",
                280000,
                datetime.date(2012, 10, 8),
                "嘉兴电子商务产业园发展有限公司",
                1200,
                263,
                ("嘉兴市", "嘉兴"),
                (
                    ("党员活动室", 40, "党群服务中心一楼", "投影仪、党建资料"),
                    ("报告厅", 120, "党群服务中心二楼", "LED 屏、音响"),
                    ("第一会议室", 20, "党群服务中心三楼", "视频会议"),
                    ("第二会议室", 12, "党群服务中心三楼", "电视"),
                ),
            ),
        ],
    ),
    DistrictSpec(
        "530111",
        "昆明市",
        "官渡区",
        [
            ParkSpec(
                "官渡电子商务产业园",
                Park.Kind.PARK,
                "昆明市官渡区关上街道春城路 268 号",
                45000,
                datetime.date(2016, 4, 20),
                "昆明官渡电商产业园管理有限公司",
                260,
                24,
                ("昆明市", "云南"),
                (
                    ("党员活动室", 30, "园区服务中心一楼", "投影仪"),
                    ("培训教室", 50, "园区服务中心二楼", "电脑 40 台"),
                ),
            ),
        ],
    ),
    DistrictSpec(
        "330203",
        "宁波市",
        "海曙区",
        [
            ParkSpec(
                "新星商圈",
                Park.Kind.BUSINESS_DISTRICT,
                "宁波市海曙区新星路 99 号",
                120000,
                datetime.date(2014, 5, 1),
                "海曙区新星商圈管理委员会",
                380,
                45,
                ("宁波市", "宁波"),
                (
                    ("党群服务站会议室", 24, "商圈服务站二楼", "视频会议"),
                    ("党员活动室", 36, "商圈服务站一楼", "投影仪"),
                    ("共享直播间", 6, "商圈服务站一楼", "直播设备 2 套"),
                ),
            ),
        ],
    ),
]


class Planner:
    """Turns the seed into a plan. Every draw comes from ``rng`` over ranges that do not depend on
    today, so the same rows (names, ID numbers, codes) come out on any day."""

    def __init__(self, rng: random.Random, today: datetime.date):
        self.rng = rng
        self.today = today
        self.phones: set[str] = set()
        self.id_numbers: set[str] = set()
        self.credit_codes: set[str] = set()
        self.trade_names: set[str] = set()
        self.id_sequence: Counter = Counter()
        self.enterprises: list[EnterpriseSpec] = []
        self.by_park: dict[tuple[str, str], list[EnterpriseSpec]] = defaultdict(list)
        self.organizations: list[OrgSpec] = []
        self.members: list[MemberSpec] = []

    # -- people -----------------------------------------------------------------------------
    def person_name(self, gender: str) -> str:
        rng = self.rng
        surname = rng.choices(SURNAMES, weights=SURNAME_WEIGHTS)[0]
        pool = GIVEN_MALE if gender == "M" else GIVEN_FEMALE
        if rng.random() < 0.3:
            return surname + rng.choice(pool)
        first, second = rng.choice(GIVEN_ANY + pool), rng.choice(pool)
        return surname + first + (second if second != first else rng.choice(GIVEN_ANY.replace(first, "")))

    def phone(self) -> str:
        while True:
            number = self.rng.choice(PHONE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if number not in self.phones:
                self.phones.add(number)
                return number

    def id_number(self, division: str, birth: datetime.date, gender: str) -> str:
        while True:
            key = (division, birth)
            sequence = self.id_sequence[key] + self.rng.randrange(40)
            self.id_sequence[key] = sequence + 1
            number = make_id_number(division=division, birth_date=birth, gender=gender, sequence=sequence)
            if number not in self.id_numbers:
                self.id_numbers.add(number)
                return number

    def birth_date(self, min_age: int, max_age: int) -> datetime.date:
        year = REFERENCE_DAY.year - self.rng.randint(min_age, max_age)
        return datetime.date(year, 1, 1) + datetime.timedelta(days=self.rng.randrange(365))

    def stage_dates(self, stage: str, birth: datetime.date) -> dict[str, datetime.date]:
        """Dates that follow DESIGN §3: applicant at 18 or more, a talk and activist status within
        months, at least a year as activist before candidate, one year of probation."""
        rng, days = self.rng, datetime.timedelta
        if stage == Stage.FULL:
            age = REFERENCE_DAY.year - birth.year
            applied = birth + days(rng.randint(18 * 365 + 200, (age - 5) * 365))
            activist = applied + days(rng.randint(30, 180))
            candidate = activist + days(rng.randint(366, 540))
            probationary = candidate + days(rng.randint(60, 200))
            return {
                Stage.APPLICANT: applied,
                Stage.ACTIVIST: activist,
                Stage.CANDIDATE: candidate,
                Stage.PROBATIONARY: probationary,
                Stage.FULL: add_years(probationary, 1),
            }
        # Stages in progress: placed back from today, over fixed ranges.
        if stage == Stage.APPLICANT:
            return {Stage.APPLICANT: self.today - days(rng.randint(3, 240))}
        if stage == Stage.ACTIVIST:
            activist = self.today - days(rng.randint(20, 600))
            return {Stage.APPLICANT: activist - days(rng.randint(30, 180)), Stage.ACTIVIST: activist}
        if stage == Stage.CANDIDATE:
            candidate = self.today - days(rng.randint(10, 150))
        else:
            probationary = self.today - days(rng.randint(10, 380))
            candidate = probationary - days(rng.randint(60, 200))
        activist = candidate - days(rng.randint(366, 540))
        dates = {
            Stage.APPLICANT: activist - days(rng.randint(30, 180)),
            Stage.ACTIVIST: activist,
            Stage.CANDIDATE: candidate,
        }
        if stage == Stage.PROBATIONARY:
            dates[Stage.PROBATIONARY] = probationary
        return dates

    @staticmethod
    def stage_mix(n: int) -> list[str]:
        if n < 8:
            return [Stage.FULL] * (n - 1) + [Stage.PROBATIONARY] if n >= 4 else [Stage.FULL] * n
        shares = (
            (Stage.PROBATIONARY, 0.07),
            (Stage.CANDIDATE, 0.04),
            (Stage.ACTIVIST, 0.06),
            (Stage.APPLICANT, 0.05),
        )
        stages = []
        for stage, share in shares:
            stages += [stage] * max(1, round(n * share))
        return [Stage.FULL] * (n - len(stages)) + stages

    def add_members(self, org: OrgSpec, n: int, *, employers: list[EnterpriseSpec]) -> list[MemberSpec]:
        rng = self.rng
        stages = self.stage_mix(n)
        rng.shuffle(stages)
        minorities = ETHNIC_MINORITIES.get(org.district_code, ETHNIC_MINORITIES[""])
        weights = [e.employee_count for e in employers]
        created = []
        for stage in stages:
            gender = "M" if rng.random() < 0.56 else "F"
            if stage == Stage.FULL:
                birth = self.birth_date(25, 62)
            elif stage == Stage.APPLICANT:
                birth = self.birth_date(20, 35)
            else:
                birth = self.birth_date(23, 40)
            member = MemberSpec(
                id_number=self.id_number(org.district_code, birth, gender),
                name=self.person_name(gender),
                gender=gender,
                ethnicity="汉族" if rng.random() < 0.93 else rng.choice(minorities),
                birth_date=birth,
                phone=self.phone(),
                education=rng.choices(list(EDUCATION_WEIGHTS), weights=list(EDUCATION_WEIGHTS.values()))[0],
                employer_code=rng.choices(employers, weights=weights)[0].credit_code if employers else None,
                org_code=org.code,
                stage=stage,
                dates=self.stage_dates(stage, birth),
            )
            if stage == Stage.FULL:
                roll = rng.random()
                if roll < 0.03:
                    member.status = Member.Status.FLOWING
                elif roll < 0.045:
                    member.status = Member.Status.TRANSFERRED_OUT
                elif roll < 0.40:
                    member.shows_identity = True
                    member.service_commitment = rng.choice(COMMITMENTS)
            created.append(member)
        self.members += created
        # The secretary: an active full member of the unit itself.
        candidates = [m for m in created if m.stage == Stage.FULL and m.status == Member.Status.ACTIVE]
        if candidates:
            org.secretary_id_number = rng.choice(candidates).id_number
        return created

    # -- enterprises ---------------------------------------------------------------------------
    def trade_name(self) -> str:
        while True:
            name = self.rng.choice(TRADE_NAME_FIRST) + self.rng.choice(TRADE_NAME_SECOND)
            if name[0] != name[1] and name not in self.trade_names:
                self.trade_names.add(name)
                return name

    def add_enterprises(self, district: DistrictSpec, park: ParkSpec):
        rng = self.rng
        key = (district.code, park.name)
        for _index in range(park.enterprise_count):
            industry = rng.choices(list(INDUSTRY_WEIGHTS), weights=list(INDUSTRY_WEIGHTS.values()))[0]
            roll = rng.random()
            if roll < 0.85:
                employees = int(rng.triangular(2, 30, 6))
            elif roll < 0.97:
                employees = rng.randint(31, 120)
            else:
                employees = rng.randint(121, 400)
            while True:
                # Codes issued since 2015 begin their organisation part with "MA".
                code = make_credit_code(division=district.code, sequence=MA_PREFIX + rng.randrange(31**7))
                if code not in self.credit_codes:
                    self.credit_codes.add(code)
                    break
            opened = park.opened_on.toordinal()
            investor_gender = "M" if rng.random() < 0.6 else "F"
            enterprise = EnterpriseSpec(
                credit_code=code,
                name=rng.choice(park.name_prefixes) + self.trade_name() + rng.choice(INDUSTRY_SUFFIXES[industry]),
                park=key,
                industry=industry,
                employee_count=employees,
                entered_on=datetime.date.fromordinal(rng.randint(opened, datetime.date(2025, 12, 31).toordinal())),
                investor_name=self.person_name(investor_gender),
                investor_is_member=rng.random() < 0.15,
            )
            self.enterprises.append(enterprise)
            self.by_park[key].append(enterprise)

    # -- organisations -------------------------------------------------------------------------
    def term(self, term_ends_in: int | None):
        """Term start and end: ending ``term_ends_in`` days from today (negative: overdue), or a
        term running for a while yet."""
        if term_ends_in is None:
            start = self.today - datetime.timedelta(days=self.rng.randint(30, 900))
        else:
            start = add_years(self.today + datetime.timedelta(days=term_ends_in), -3)
        return start, add_years(start, 3)

    def add_org(
        self,
        code,
        name,
        kind,
        formation,
        district,
        park=None,
        parent=None,
        *,
        term_ends_in=None,
        enterprises=(),
        term=True,
    ) -> OrgSpec:
        start, end = self.term(term_ends_in)
        founded = datetime.date(2014, 1, 1) + datetime.timedelta(days=self.rng.randrange(8 * 365))
        org = OrgSpec(
            code=code,
            name=name,
            kind=kind,
            formation=formation,
            district_code=district.code,
            park=(district.code, park.name) if park else None,
            parent_code=parent.code if parent else None,
            founded_on=founded,
            term_start=start if term else None,
            term_end=end if term else None,
            enterprise_codes=[e.credit_code for e in enterprises],
        )
        self.organizations.append(org)
        return org

    def pick(self, park_key, n, *, exclude=()) -> list[EnterpriseSpec]:
        pool = [e for e in self.by_park[park_key] if e.credit_code not in exclude]
        return self.rng.sample(pool, n)


def _sizes(total: int, count: int, rng: random.Random, spread: int) -> list[int]:
    """``count`` sizes within ``spread`` of the mean that add up to ``total``."""
    mean, remainder = divmod(total, count)
    sizes = [mean + (1 if i < remainder else 0) for i in range(count)]
    for _step in range(count * spread):
        a, b = rng.randrange(count), rng.randrange(count)
        if a != b and sizes[a] < mean + spread and sizes[b] > mean - spread:
            sizes[a] += 1
            sizes[b] -= 1
    return sizes


def build_plan(rng: random.Random, today: datetime.date) -> Plan:
    """The whole demo world as plain data; no database access."""
    p = Planner(rng, today)
    tongxiang, nanhu, guandu, haishu = DISTRICTS
    for district in DISTRICTS:
        for park in district.parks:
            p.add_enterprises(district, park)
    wuzhen, txpark, puyuan = tongxiang.parks
    jx = nanhu.parks[0]
    gdpark = guandu.parks[0]
    xinxing = haishu.parks[0]
    key = lambda d, park: (d.code, park.name)  # noqa: E731

    # 桐乡: a joint committee over three parks, seven branches, about 320 members.
    committee = p.add_org("330483-01", "桐乡市电商联合党委", Kind.COMMITTEE, Formation.JOINT, tongxiang)
    branches = [
        ("乌镇互联网产业园支部", Kind.BRANCH, Formation.LED_BY_LEADER, wuzhen, 45),
        ("乌镇互联网产业园直播电商联合支部", Kind.JOINT_BRANCH, Formation.JOINT, wuzhen, None),
        ("桐乡市电子商务产业园联合支部", Kind.JOINT_BRANCH, Formation.JOINT, txpark, None),
        ("桐乡市电子商务产业园跨境电商支部", Kind.BRANCH, Formation.INDUSTRY, txpark, None),
        ("濮院时尚电商园联合支部", Kind.JOINT_BRANCH, Formation.JOINT, puyuan, -40),
        ("濮院时尚电商园直播基地支部", Kind.BRANCH, Formation.LED_BY_LEADER, puyuan, None),
        ("桐乡市电商物流支部", Kind.BRANCH, Formation.INDUSTRY, txpark, None),
    ]
    sizes = _sizes(320, len(branches), rng, 3)
    covered: set[str] = set()
    wuzhen_branch = None
    for index, ((name, kind, formation, park, ends_in), size) in enumerate(zip(branches, sizes, strict=True)):
        ents = p.pick(key(tongxiang, park), rng.randint(5, 9), exclude=covered)
        covered |= {e.credit_code for e in ents}
        branch = p.add_org(
            f"330483-01-{index + 1:02d}",
            name,
            kind,
            formation,
            tongxiang,
            park,
            committee,
            term_ends_in=ends_in,
            enterprises=ents,
        )
        if index == 0:
            # The Wuzhen branch has a party group below it (a sub-unit in the secretary's scope).
            wuzhen_branch = branch
            group = p.add_org(
                "330483-01-01-01",
                "乌镇互联网产业园支部直播电商党小组",
                Kind.GROUP,
                Formation.SINGLE,
                tongxiang,
                park,
                branch,
                enterprises=ents[:2],
                term=False,
            )
            p.add_members(branch, size - 8, employers=ents)
            p.add_members(group, 8, employers=ents[:2])
        else:
            p.add_members(branch, size, employers=ents)
    committee.secretary_id_number = next(
        m.id_number
        for m in p.members
        if m.org_code == "330483-01-02" and m.stage == Stage.FULL and m.status == Member.Status.ACTIVE
    )

    # 南湖: the industry alliance of 嘉兴电子商务产业园 (行业连建): single-enterprise branches for the
    # larger companies, joint branches for the small ones, a fallback branch for the rest.
    jx_key = key(nanhu, jx)
    alliance = p.add_org("330402-01", "嘉兴电子商务产业园电商行业党委", Kind.COMMITTEE, Formation.INDUSTRY, nanhu, jx)
    covered = set()
    large = sorted(p.by_park[jx_key], key=lambda e: (-e.employee_count, e.credit_code))[:4]
    for index, enterprise in enumerate(large):
        covered.add(enterprise.credit_code)
        branch = p.add_org(
            f"330402-01-{index + 1:02d}",
            f"{enterprise.name}党支部",
            Kind.BRANCH,
            Formation.SINGLE,
            nanhu,
            jx,
            alliance,
            enterprises=[enterprise],
            term_ends_in=75 if index == 2 else None,
        )
        p.add_members(branch, rng.randint(4, 14), employers=[enterprise])
    ordinals = "一二三四五"
    secretary2_branch = None
    for index, ordinal in enumerate(ordinals):
        ents = p.pick(jx_key, rng.randint(8, 18), exclude=covered)
        covered |= {e.credit_code for e in ents}
        branch = p.add_org(
            f"330402-01-{index + 5:02d}",
            f"嘉兴电子商务产业园第{ordinal}联合党支部",
            Kind.JOINT_BRANCH,
            Formation.JOINT,
            nanhu,
            jx,
            alliance,
            enterprises=ents,
            term_ends_in=20 if index == 0 else None,
        )
        p.add_members(branch, rng.randint(10, 26), employers=ents)
        secretary2_branch = secretary2_branch or branch
    fallback = p.add_org(
        "330402-01-10",
        "嘉兴电子商务产业园兜底管理党支部",
        Kind.BRANCH,
        Formation.FALLBACK,
        nanhu,
        jx,
        alliance,
    )
    uncovered = [e for e in p.by_park[jx_key] if e.credit_code not in covered]
    p.add_members(fallback, 9, employers=rng.sample(uncovered, 7))
    alliance.secretary_id_number = next(
        m.id_number for m in p.members if m.org_code == "330402-01-01" and m.stage == Stage.FULL
    )

    # 官渡: an industry committee with four enterprise branches.
    gd_key = key(guandu, gdpark)
    gd = p.add_org("530111-01", "官渡区电子商务产业党委", Kind.COMMITTEE, Formation.INDUSTRY, guandu, gdpark)
    hosts = sorted(p.by_park[gd_key], key=lambda e: (-e.employee_count, e.credit_code))[:4]
    for index, enterprise in enumerate(hosts):
        enterprise.employee_count = max(enterprise.employee_count, 30 + 10 * index)
        branch = p.add_org(
            f"530111-01-{index + 1:02d}",
            f"{enterprise.name}党支部",
            Kind.BRANCH,
            Formation.SINGLE,
            guandu,
            gdpark,
            gd,
            enterprises=[enterprise],
        )
        p.add_members(branch, rng.randint(6, 14), employers=[enterprise])
    gd.secretary_id_number = next(
        m.id_number for m in p.members if m.org_code == "530111-01-01" and m.stage == Stage.FULL
    )

    # 海曙: the 新星 business-district committee, seven branches, about 200 members.
    xx_key = key(haishu, xinxing)
    xx = p.add_org("330203-01", "新星商圈电商党委", Kind.COMMITTEE, Formation.JOINT, haishu, xinxing)
    xx_branches = [
        ("新星商圈第一联合党支部", Kind.JOINT_BRANCH, Formation.JOINT, None),
        ("新星商圈第二联合党支部", Kind.JOINT_BRANCH, Formation.JOINT, None),
        ("新星商圈直播电商党支部", Kind.BRANCH, Formation.INDUSTRY, 70),
        ("新星商圈跨境电商党支部", Kind.BRANCH, Formation.INDUSTRY, None),
        ("新星商圈物流快递党支部", Kind.BRANCH, Formation.INDUSTRY, None),
        ("新星商圈电商运营党支部", Kind.BRANCH, Formation.LED_BY_LEADER, None),
        ("新星商圈青年创业党支部", Kind.JOINT_BRANCH, Formation.JOINT, None),
    ]
    covered = set()
    for index, ((name, kind, formation, ends_in), size) in enumerate(
        zip(xx_branches, _sizes(200, len(xx_branches), rng, 4), strict=True)
    ):
        ents = p.pick(xx_key, rng.randint(4, 7), exclude=covered)
        covered |= {e.credit_code for e in ents}
        branch = p.add_org(
            f"330203-01-{index + 1:02d}",
            name,
            kind,
            formation,
            haishu,
            xinxing,
            xx,
            term_ends_in=ends_in,
            enterprises=ents,
        )
        p.add_members(branch, size, employers=ents)
    xx.secretary_id_number = next(
        m.id_number
        for m in p.members
        if m.org_code == "330203-01-01" and m.stage == Stage.FULL and m.status == Member.Status.ACTIVE
    )

    # No enterprise has fewer employees than party members on its payroll.
    on_payroll = Counter(m.employer_code for m in p.members if m.employer_code)
    for enterprise in p.enterprises:
        if on_payroll[enterprise.credit_code] >= enterprise.employee_count:
            enterprise.employee_count = on_payroll[enterprise.credit_code] + rng.randint(1, 6)

    def member_for_login(org: OrgSpec, *, not_secretary=True) -> MemberSpec:
        return next(
            m
            for m in p.members
            if m.org_code == org.code
            and m.stage == Stage.FULL
            and m.status == Member.Status.ACTIVE
            and not (not_secretary and m.id_number == org.secretary_id_number)
        )

    by_id = {m.id_number: m for m in p.members}
    secretary = by_id[wuzhen_branch.secretary_id_number]
    member = member_for_login(wuzhen_branch)
    secretary2 = by_id[secretary2_branch.secretary_id_number]
    member2 = member_for_login(secretary2_branch)
    wuzhen_key = key(tongxiang, wuzhen)
    logins = [
        LoginSpec("admin", "陈", "志远", superuser=True, staff=True),
        LoginSpec(
            "official",
            "沈",
            "国华",
            role=Role.DISTRICT_OFFICIAL,
            district_code=tongxiang.code,
        ),
        LoginSpec("parkadmin", "朱", "晓燕", staff=True, role=Role.PARK_ADMIN, park=wuzhen_key),
        LoginSpec(
            "secretary",
            secretary.name[0],
            secretary.name[1:],
            role=Role.BRANCH_SECRETARY,
            org_code=wuzhen_branch.code,
            member_id_number=secretary.id_number,
        ),
        LoginSpec("service", "钱", "丽萍", role=Role.SERVICE_STAFF, park=wuzhen_key),
        LoginSpec("member", member.name[0], member.name[1:], member_id_number=member.id_number),
        LoginSpec(
            "official2",
            "徐",
            "振宇",
            role=Role.DISTRICT_OFFICIAL,
            district_code=nanhu.code,
        ),
        LoginSpec("parkadmin2", "顾", "海峰", staff=True, role=Role.PARK_ADMIN, park=jx_key),
        LoginSpec(
            "secretary2",
            secretary2.name[0],
            secretary2.name[1:],
            role=Role.BRANCH_SECRETARY,
            org_code=secretary2_branch.code,
            member_id_number=secretary2.id_number,
        ),
        LoginSpec("member2", member2.name[0], member2.name[1:], member_id_number=member2.id_number),
    ]
    return Plan(DISTRICTS, p.enterprises, p.organizations, p.members, logins)


# -- writing -------------------------------------------------------------------------------------


def _create(model, objects):
    if objects:
        bulk_create_with_history(objects, model, batch_size=500, default_change_reason=CHANGE_REASON)
    return len(objects)


@dataclass
class Result:
    created: Counter = field(default_factory=Counter)
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # username, role, scope


def seed_core(*, today: datetime.date | None = None) -> Result:
    """Create whatever of the demo world is missing; return what was created and the logins."""
    plan = build_plan(random.Random(SEED), today or timezone.localdate())
    result = Result()
    with transaction.atomic():
        districts = _ensure_districts(plan, result)
        parks = _ensure_parks(plan, districts, result)
        enterprises = _ensure_enterprises(plan, parks, result)
        orgs = _ensure_organizations(plan, districts, parks, enterprises, result)
        members = _ensure_members(plan, orgs, enterprises, result)
        _ensure_secretaries(plan, orgs, members)
        _ensure_rooms(parks, result)
        _ensure_logins(plan, districts, parks, orgs, members, result)
    return result


def _ensure_districts(plan, result):
    existing = {d.code: d for d in District.objects.filter(code__in=[d.code for d in plan.districts])}
    result.created["districts"] += _create(
        District,
        [District(code=d.code, city=d.city, name=d.name) for d in plan.districts if d.code not in existing],
    )
    return {d.code: d for d in District.objects.filter(code__in=[d.code for d in plan.districts])}


def _ensure_parks(plan, districts, result):
    def load():
        return {
            (p.district.code, p.name): p
            for p in Park.objects.filter(district__in=districts.values()).select_related("district")
        }

    existing = load()
    missing = [
        Park(
            district=districts[d.code],
            name=spec.name,
            kind=spec.kind,
            address=spec.address,
            area=Decimal(spec.area),
            opened_on=spec.opened_on,
            operator=spec.operator,
            service_centre_area=Decimal(spec.service_centre_area),
        )
        for d in plan.districts
        for spec in d.parks
        if (d.code, spec.name) not in existing
    ]
    result.created["parks"] += _create(Park, missing)
    return load()


def _ensure_enterprises(plan, parks, result):
    codes = [e.credit_code for e in plan.enterprises]
    existing = set(Enterprise.objects.filter(credit_code__in=codes).values_list("credit_code", flat=True))
    result.created["enterprises"] += _create(
        Enterprise,
        [
            Enterprise(
                credit_code=e.credit_code,
                name=e.name,
                park=parks[e.park],
                industry=e.industry,
                employee_count=e.employee_count,
                entered_on=e.entered_on,
                investor_name=e.investor_name,
                investor_is_member=e.investor_is_member,
            )
            for e in plan.enterprises
            if e.credit_code not in existing
        ],
    )
    return dict(Enterprise.objects.filter(credit_code__in=codes).values_list("credit_code", "pk"))


def _ensure_organizations(plan, districts, parks, enterprises, result):
    codes = [o.code for o in plan.organizations]
    orgs = {o.code: o for o in Organization.objects.filter(code__in=codes)}
    new_codes = []
    # One bulk insert per level of the tree, so that every parent has its key.
    pending = [spec for spec in plan.organizations if spec.code not in orgs]
    while pending:
        level = [spec for spec in pending if spec.parent_code is None or spec.parent_code in orgs]
        _create(
            Organization,
            [
                Organization(
                    code=spec.code,
                    name=spec.name,
                    kind=spec.kind,
                    formation=spec.formation,
                    district=districts[spec.district_code],
                    park=parks[spec.park] if spec.park else None,
                    parent=orgs[spec.parent_code] if spec.parent_code else None,
                    founded_on=spec.founded_on,
                    term_start=spec.term_start,
                    term_end=spec.term_end,
                )
                for spec in level
            ],
        )
        orgs.update({o.code: o for o in Organization.objects.filter(code__in=[spec.code for spec in level])})
        new_codes += [spec.code for spec in level]
        pending = [spec for spec in pending if spec.code not in orgs]
    result.created["organizations"] += len(new_codes)
    # Enterprises covered, for the organisations created now (an edited one is left as it is).
    through = Organization.enterprises.through
    specs = {spec.code: spec for spec in plan.organizations}
    through.objects.bulk_create(
        [
            through(organization_id=orgs[code].pk, enterprise_id=enterprises[credit_code])
            for code in new_codes
            for credit_code in specs[code].enterprise_codes
        ]
    )
    return orgs


def _ensure_members(plan, orgs, enterprises, result):
    digests = {crypto.digest(m.id_number): m for m in plan.members}
    existing = set(Member.objects.filter(id_number_digest__in=list(digests)).values_list("id_number_digest", flat=True))
    missing = [spec for d, spec in digests.items() if d not in existing]
    new_members = [
        Member(
            name=spec.name,
            gender=spec.gender,
            ethnicity=spec.ethnicity,
            birth_date=spec.birth_date,
            id_number=spec.id_number,
            phone=spec.phone,
            education=spec.education,
            employer_id=enterprises.get(spec.employer_code),
            organization=orgs[spec.org_code],
            stage=spec.stage,
            applied_on=spec.dates.get(Stage.APPLICANT),
            activist_on=spec.dates.get(Stage.ACTIVIST),
            candidate_on=spec.dates.get(Stage.CANDIDATE),
            probationary_on=spec.dates.get(Stage.PROBATIONARY),
            full_on=spec.dates.get(Stage.FULL),
            status=spec.status,
            shows_identity=spec.shows_identity,
            service_commitment=spec.service_commitment,
        )
        for spec in missing
    ]
    result.created["members"] += _create(Member, new_members)
    # The development history is itself a log: no history of it is kept.
    result.created["stage changes"] += len(
        StageChange.objects.bulk_create(
            [
                StageChange(member=member, from_stage=from_stage, to_stage=to_stage, effective_on=day, kind=kind)
                for member, spec in zip(new_members, missing, strict=True)
                for from_stage, to_stage, day, kind in spec.stage_changes()
            ],
            batch_size=500,
        )
    )
    return dict(Member.objects.filter(id_number_digest__in=list(digests)).values_list("id_number_digest", "pk"))


def _ensure_secretaries(plan, orgs, members):
    """Give each organisation without a secretary the one of the plan (its members exist now)."""
    changed = []
    for spec in plan.organizations:
        org = orgs[spec.code]
        if org.secretary_id is None and spec.secretary_id_number:
            org.secretary_id = members[crypto.digest(spec.secretary_id_number)]
            changed.append(org)
    if changed:
        bulk_update_with_history(changed, Organization, ["secretary"], default_change_reason=CHANGE_REASON)


def _ensure_rooms(parks, result):
    existing = set(Room.objects.filter(park__in=parks.values()).values_list("park_id", "name"))
    result.created["rooms"] += _create(
        Room,
        [
            Room(
                park=parks[(d.code, spec.name)],
                name=name,
                capacity=capacity,
                location=location,
                equipment=equipment,
            )
            for d in DISTRICTS
            for spec in d.parks
            for name, capacity, location, equipment in spec.rooms
            if (parks[(d.code, spec.name)].pk, name) not in existing
        ],
    )


def _ensure_logins(plan, districts, parks, orgs, members, result):
    User = get_user_model()
    users = {u.username: u for u in User.objects.filter(username__in=[s.username for s in plan.logins])}
    hashed = None
    for spec in plan.logins:
        user = users.get(spec.username)
        if user is None:
            user = User(
                username=spec.username,
                first_name=spec.first_name,
                last_name=spec.last_name,
                email=f"{spec.username}@example.com",
            )
            if hashed is None:
                # One hash for all: the password hasher is slow on purpose, and these are demo logins.
                user.set_password(DEMO_PASSWORD)
                hashed = user.password
            user.password = hashed
            result.created["logins"] += 1
        changed = user.pk is None
        for flag, wanted in (("is_superuser", spec.superuser), ("is_staff", spec.staff), ("is_active", True)):
            if wanted and not getattr(user, flag):
                setattr(user, flag, True)
                changed = True
        if changed:
            user.save()
        scope = _("everything") if spec.superuser else ""
        if spec.role:
            target = (
                districts[spec.district_code]
                if spec.district_code
                else parks[spec.park]
                if spec.park
                else orgs[spec.org_code]
            )
            RoleAssignment.objects.get_or_create(user=user, role=spec.role, **{ROLE_SCOPE_FIELD[spec.role]: target})
            scope = str(target)
        if spec.member_id_number:
            member = Member.objects.select_related("organization").get(pk=members[crypto.digest(spec.member_id_number)])
            # Link the login to its member record, unless either is already linked elsewhere.
            if member.user_id is None and not Member.objects.filter(user=user).exists():
                member.user = user
                member._change_reason = CHANGE_REASON
                member.save(update_fields=["user"])
            scope = scope or str(member.organization)
        if spec.role:
            role = str(Role(spec.role).label)
        else:
            role = _("superuser") if spec.superuser else _("full member")
        result.logins.append((spec.username, role, scope))


# -- the apps' hooks and the summary ------------------------------------------------------------


def run_app_hooks(*, stdout, logins: list | None = None) -> list[str]:
    """Seed each domain app's demo part (demo/members.py, activities.py, services.py) in order;
    return the apps that ran.

    A hook may return the demo logins it creates, as (username, role, scope) rows; they are
    appended to ``logins`` for the summary table.
    """
    ran = []
    for app, seed in APP_HOOKS:
        module = APP_MODULES[app]
        with transaction.atomic():
            added = module.seed(rng=random.Random(seed), stdout=stdout)
        if logins is not None and added:
            logins.extend(added)
        ran.append(app)
    return ran


def district_counts() -> list[dict]:
    """Per demo district: parks, enterprises, organisations, branches, members (by stage), rooms."""
    rows = []
    for district in District.objects.filter(code__in=[d.code for d in DISTRICTS]).order_by("code"):
        stages = Counter(Member.objects.filter(organization__district=district).values_list("stage", flat=True))
        orgs = Organization.objects.filter(district=district)
        rows.append(
            {
                "district": str(district),
                "parks": Park.objects.filter(district=district).count(),
                "enterprises": Enterprise.objects.filter(park__district=district).count(),
                "organizations": orgs.count(),
                "branches": orgs.filter(kind__in=Organization.BRANCH_KINDS).count(),
                "members": sum(stages.values()),
                "stages": stages,
                "rooms": Room.objects.filter(park__district=district).count(),
            }
        )
    return rows


def seed_statistics(*, stdout, today: datetime.date | None = None) -> int:
    """Fill the statistics summary from the demo activities (the app hooks write them in bulk)
    and build the reports of the last month, quarter and year for every district and park, so
    the dashboards and the reports list show something at once. Idempotent, as the reports are."""
    from parks.models import District, Park
    from reports import building as report_building
    from stats import statistics

    statistics.refresh_summaries()
    built = 0
    for kind in ("month", "quarter", "year"):
        period = statistics.StatPeriod.current(kind, today=today).previous()
        for obj in [*District.objects.order_by("pk"), *Park.objects.order_by("pk")]:
            report_building.build_report(scope=statistics.StatScope.of(obj), period=period)
            built += 1
    stdout.write(_("Statistics: summary refreshed, %(n)d reports built.") % {"n": built})
    return built


def print_summary(*, stdout, result: Result, hooks: list[str], seconds: float) -> None:
    labels = {
        "districts": _("districts"), "parks": _("parks"), "enterprises": _("enterprises"),
        "organizations": _("organisations"), "members": _("members"), "stage changes": _("stage changes"),
        "rooms": _("rooms"), "logins": _("logins"),
    }  # fmt: skip
    created = ", ".join(f"{labels[name]} {count}" for name, count in result.created.items() if count)
    created = created or _("nothing")
    stdout.write(
        _("Demo data ready in %(seconds).1f s. Created: %(created)s.")
        % {
            "seconds": seconds,
            "created": created,
        }
    )
    if hooks:
        stdout.write(_("App demo data: %(apps)s.") % {"apps": ", ".join(hooks)})
    headers = (
        _("District"),
        _("Parks"),
        _("Enterprises"),
        _("Organisations"),
        _("Branches"),
        _("Members"),
        _("Rooms"),
    )
    rows = [
        (
            r["district"],
            r["parks"],
            r["enterprises"],
            r["organizations"],
            r["branches"],
            r["members"],
            r["rooms"],
        )
        for r in district_counts()
    ]
    _table(stdout, headers, rows)
    stdout.write("")
    stdout.write(_("Demo logins (password for all: %(password)s)") % {"password": DEMO_PASSWORD})
    _table(stdout, (_("Username"), _("Role"), _("Scope")), result.logins)


def _width(text) -> int:
    # East Asian characters take two columns in a terminal.
    return sum(2 if ord(c) > 0x2E80 else 1 for c in str(text))


def _table(stdout, headers, rows):
    widths = [max(_width(v) for v in column) for column in zip(headers, *rows, strict=True)]

    def line(values):
        return "  ".join(str(v) + " " * (w - _width(v)) for v, w in zip(values, widths, strict=True)).rstrip()

    stdout.write(line(headers))
    stdout.write("  ".join("-" * w for w in widths))
    for row in rows:
        stdout.write(line(row))
