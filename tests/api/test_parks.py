from core.codes import make_credit_code
from parks.models import District, Enterprise, Organization, Park, Room
from tests.factories import DistrictFactory, EnterpriseFactory, OrganizationFactory, ParkFactory, RoomFactory

from .base import APIViewTestCases


class TestDistricts(APIViewTestCases.Full):
    basename = "district"
    model = District

    def writer(self, w):
        return w.superuser

    def reader(self, w):
        return w.park_admin

    def list_user(self, w):
        return w.official

    def visible(self, w):
        return w.district_a

    def hidden(self, w):
        return w.district_b

    def deletable(self, w):
        return DistrictFactory(code="330421")

    def create_data(self, w):
        return {"name": "秀洲区", "city": "嘉兴市", "code": "330411"}

    def update_data(self, w):
        return {"name": "南湖新区"}

    def make_rows(self, w, n):
        # An official of several districts sees them all.
        from accounts.models import Role
        from tests.factories import assign

        for i in range(n):
            assign(w.official, Role.DISTRICT_OFFICIAL, DistrictFactory(code=f"3304{30 + i}"))

    def test_bad_division_code_is_400(self, world, api):
        response = api(world.superuser).post(self.list_url(), {"name": "x", "city": "y", "code": "999999"})
        assert response.status_code == 400
        assert "code" in response.json()


class TestParks(APIViewTestCases.Full):
    basename = "park"
    model = Park

    def writer(self, w):
        return w.superuser

    def reader(self, w):
        return w.official

    def list_user(self, w):
        return w.park_admin

    def visible(self, w):
        return w.park_a1

    def hidden(self, w):
        return w.park_b

    def deletable(self, w):
        return ParkFactory(district=w.district_a, name="空园区")

    def create_data(self, w):
        return {"name": "新园区", "district": w.district_a.pk, "kind": "maker_space"}

    def update_data(self, w):
        return {"address": "嘉兴市南湖区 1 号"}

    def make_rows(self, w, n):
        from accounts.models import Role
        from tests.factories import assign

        for _ in range(n):
            assign(w.park_admin, Role.PARK_ADMIN, ParkFactory(district=w.district_a))

    def test_park_admin_edits_own_park_only(self, world, api):
        client = api(world.park_admin)
        assert client.patch(self.detail_url(world.park_a1), {"operator": "园区公司"}).status_code == 200
        assert client.patch(self.detail_url(world.park_a2), {"operator": "x"}).status_code == 404
        assert client.post(self.list_url(), self.create_data(world)).status_code == 403
        assert client.delete(self.detail_url(world.park_a1)).status_code == 403


class TestEnterprises(APIViewTestCases.Full):
    basename = "enterprise"
    model = Enterprise

    def writer(self, w):
        return w.park_admin

    def reader(self, w):
        return w.official

    def visible(self, w):
        return w.enterprise_a1

    def hidden(self, w):
        return w.enterprise_b

    def deletable(self, w):
        return EnterpriseFactory(park=w.park_a1)

    def create_data(self, w):
        return {
            "name": "嘉兴新店电子商务有限公司",
            "credit_code": make_credit_code(division="330402", sequence=9001).lower(),
            "park": w.park_a1.pk,
            "industry": "live_streaming",
        }

    def update_data(self, w):
        return {"employee_count": 12}

    def make_rows(self, w, n):
        EnterpriseFactory.create_batch(n, park=w.park_a1)

    def test_credit_code_normalised_and_checked(self, world, api):
        client = api(world.park_admin)
        response = client.post(self.list_url(), self.create_data(world), format="json")
        assert response.status_code == 201
        assert response.json()["credit_code"] == self.create_data(world)["credit_code"].upper()
        good = make_credit_code(division="330402", sequence=9002)
        wrong_check = good[:-1] + ("1" if good[-1] != "1" else "2")
        bad = dict(self.create_data(world), credit_code=wrong_check)
        response = client.post(self.list_url(), bad, format="json")
        assert response.status_code == 400
        assert "credit_code" in response.json()

    def test_duplicate_credit_code_is_400(self, world, api):
        data = dict(self.create_data(world), credit_code=world.enterprise_a1.credit_code)
        response = api(world.park_admin).post(self.list_url(), data, format="json")
        assert response.status_code == 400
        assert "credit_code" in response.json()

    def test_park_outside_scope_is_refused(self, world, api):
        data = dict(self.create_data(world), park=world.park_b.pk)
        response = api(world.park_admin).post(self.list_url(), data, format="json")
        assert response.status_code == 400
        assert "park" in response.json()
        assert not Enterprise.objects.filter(park=world.park_b).exclude(pk=world.enterprise_b.pk).exists()

    def test_cannot_move_enterprise_out_of_scope(self, world, api):
        response = api(world.park_admin).patch(self.detail_url(world.enterprise_a1), {"park": world.park_a2.pk})
        assert response.status_code == 400
        world.enterprise_a1.refresh_from_db()
        assert world.enterprise_a1.park_id == world.park_a1.pk

    def test_secretary_reads_covered_enterprise_only(self, world, api):
        response = api(world.secretary).get(self.list_url())
        assert self.ids(response) == {world.enterprise_a1.pk}
        assert api(world.secretary).patch(self.detail_url(world.enterprise_a1), {"name": "x"}).status_code == 403

    def test_filter_search_ordering(self, world, api):
        EnterpriseFactory(park=world.park_a1, name="乙公司", employee_count=50)
        client = api(world.official)
        response = client.get(self.list_url(park=world.park_a2.pk))
        assert self.ids(response) == {world.enterprise_a2.pk}
        response = client.get(self.list_url(search="乙公司"))
        assert len(self.ids(response)) == 1
        response = client.get(self.list_url(ordering="-employee_count"))
        assert response.json()["results"][0]["employee_count"] == 50
        assert client.get(self.list_url(park="abc")).status_code == 400


class TestOrganizations(APIViewTestCases.Full):
    basename = "organization"
    model = Organization

    def writer(self, w):
        return w.park_admin

    def reader(self, w):
        return w.secretary

    def visible(self, w):
        return w.branch_a1

    def hidden(self, w):
        return w.branch_b

    def deletable(self, w):
        return OrganizationFactory(park=w.park_a1)

    def create_data(self, w):
        return {
            "name": "新支部",
            "code": "NEW0001",
            "kind": "joint_branch",
            "formation": "joint",
            "district": w.district_a.pk,
            "park": w.park_a1.pk,
            "enterprises": [w.enterprise_a1.pk],
        }

    def update_data(self, w):
        return {"formation": "industry"}

    def make_rows(self, w, n):
        for org in OrganizationFactory.create_batch(n, park=w.park_a1):
            org.enterprises.add(w.enterprise_a1)

    def test_keeps_parent_outside_writer_rows(self, world, api):
        # Branch A1's parent is the district committee, which the park administrator does not see.
        response = api(world.park_admin).patch(
            self.detail_url(world.branch_a1), {"parent": world.committee.pk, "name": "支部A1改"}, format="json"
        )
        assert response.status_code == 200, response.content

    def test_model_rules_are_400(self, world, api):
        response = api(world.park_admin).patch(
            self.detail_url(world.branch_a1), {"parent": world.group_a1.pk}, format="json"
        )
        assert response.status_code == 400
        assert "parent" in response.json()

    def test_the_term_end_follows_the_start(self, world, api):
        # The end is derived from the start and the kind's term (a branch: 3 years); a given end is ignored.
        response = api(world.park_admin).patch(
            self.detail_url(world.branch_a1), {"term_start": "2025-01-01", "term_end": "2024-01-01"}, format="json"
        )
        assert response.status_code == 200, response.content
        assert response.json()["term_end"] == "2028-01-01"

    def test_delete_referenced_is_400(self, world, api):
        response = api(world.park_admin).delete(self.detail_url(world.branch_a1))
        assert response.status_code == 400


class TestRooms(APIViewTestCases.Full):
    basename = "room"
    model = Room

    def writer(self, w):
        return w.park_admin

    def reader(self, w):
        return w.secretary

    def visible(self, w):
        return w.room_a1

    def hidden(self, w):
        return w.room_b

    def create_data(self, w):
        return {"park": w.park_a1.pk, "name": "多功能厅", "capacity": 40}

    def update_data(self, w):
        return {"capacity": 25}

    def make_rows(self, w, n):
        RoomFactory.create_batch(n, park=w.park_a1)

    def test_duplicate_name_in_park_is_400(self, world, api):
        response = api(world.park_admin).post(self.list_url(), {"park": world.park_a1.pk, "name": "会议室A1"})
        assert response.status_code == 400
