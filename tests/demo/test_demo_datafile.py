"""demo/data/parks.toml: the demo's fixed facts, read and checked by ``demo.datafile.load``."""

import datetime
import random
import re

import pytest

from accounts.models import Role
from demo.datafile import DATA_FILE, LARGEST, DemoDataError, load
from demo.plan import build_plan
from parks.models import Organization, Park

SMALL = """
[[districts]]
code = "330106"
city = "杭州市"
name = "西湖区"

[[districts.parks]]
name = "西湖电商园"
kind = "park"
address = "杭州市西湖区文三路 1 号"
area = 10000
opened_on = 2019-03-01
operator = "西湖电商园管理有限公司"
service_centre_area = 200
enterprises = 12
name_prefixes = ["杭州"]
rooms = [{ name = "党员活动室", capacity = 20, location = "一楼", equipment = "" }]

[[committees]]
code = "330106-01"
name = "西湖电商园党委"
formation = "joint"
district = "330106"
park = "西湖电商园"
secretary_from = "330106-01-01"
members = { total = 30, spread = 2 }

[[committees.branches]]
name = "西湖电商园第一联合党支部"
kind = "joint_branch"
formation = "joint"
covers = [3, 4]

[[committees.branches]]
name = "{enterprise}党支部"
kind = "branch"
formation = "single"
covers = "largest"
members = [5, 8]

[[logins]]
username = "official"
last_name = "林"
first_name = "晓"
role = "district_official"
district = "330106"

[[logins]]
username = "secretary"
role = "branch_secretary"
organization = "330106-01-01"
member = { of = "330106-01-01", is = "secretary" }
"""


def read(tmp_path, text):
    path = tmp_path / "parks.toml"
    path.write_text(text, encoding="utf-8")
    return load(path)


def test_the_shipped_file():
    data = load()
    assert DATA_FILE.name == "parks.toml"
    assert [d.code for d in data.districts] == ["330483", "330402", "530111", "330203"]
    assert [p.name for p in data.district("330483").parks] == [
        "乌镇互联网产业园",
        "桐乡市电子商务产业园",
        "濮院时尚电商园",
    ]
    wuzhen = data.district("330483").park("乌镇互联网产业园")
    assert wuzhen.kind == Park.Kind.INTERNET_TOWN
    assert wuzhen.opened_on == datetime.date(2015, 12, 1)
    assert wuzhen.rooms[0].name == "党员活动室"
    assert wuzhen.rooms[0].capacity == 30
    assert [c.code for c in data.committees] == ["330483-01", "330402-01", "530111-01", "330203-01"]
    assert [len(c.branches) for c in data.committees] == [7, 10, 4, 7]
    assert data.committees[1].branches[0].covers == LARGEST
    assert [login.username for login in data.logins][:3] == ["admin", "official", "parkadmin"]
    assert data.logins[1].role == Role.DISTRICT_OFFICIAL


def test_a_new_park_gets_its_enterprises_committee_members_and_logins(tmp_path):
    data = read(tmp_path, SMALL)
    plan = build_plan(random.Random(1), datetime.date(2026, 6, 1), data)
    assert len(plan.enterprises) == 12
    assert all(e.credit_code[2:8] == "330106" for e in plan.enterprises)
    codes = [o.code for o in plan.organizations]
    assert codes == ["330106-01", "330106-01-01", "330106-01-02"]
    single = plan.organizations[2]
    assert single.kind == Organization.Kind.BRANCH
    assert len(single.enterprise_codes) == 1
    assert single.name.endswith("党支部")
    assert "{enterprise}" not in single.name
    first = [m for m in plan.members if m.org_code == "330106-01-01"]
    assert len(first) == 30  # the committee's total, shared by the one branch without its own number
    secretary = next(login for login in plan.logins if login.username == "secretary")
    assert secretary.member_id_number == plan.organizations[1].secretary_id_number
    assert secretary.last_name + secretary.first_name == next(
        m.name for m in first if m.id_number == secretary.member_id_number
    )
    assert plan.logins[0].district_code == "330106"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('kind = "park"', 'kind = "factory"', "'kind': 'factory' is none of"),
        ("area = 10000", "area = 10000\ncolour = 1", "unknown key(s) colour"),
        ("area = 10000", 'area = "large"', "'area' has the wrong type"),
        ('covers = [3, 4]', 'covers = [3, 4]\npark = "东湖电商园"', "no park '东湖电商园' in district 330106"),
        ('secretary_from = "330106-01-01"', 'secretary_from = "330106-01-09"', "no branch '330106-01-09'"),
        ('district = "330106"\n\n[[logins]]', '\n[[logins]]', "names exactly one scope"),
        ('is = "secretary"', 'is = "chair"', "expected 'secretary' or 'other'"),
        ('name = "{enterprise}党支部"\nkind = "branch"\nformation = "single"\ncovers = "largest"\n',
         'name = "{enterprise}党支部"\nkind = "branch"\nformation = "single"\n', "covers no enterprise"),
    ],
)  # fmt: skip
def test_a_mistake_in_the_file_is_named(tmp_path, old, new, message):
    assert old in SMALL
    with pytest.raises(DemoDataError, match=re.escape(message)):
        read(tmp_path, SMALL.replace(old, new, 1))
