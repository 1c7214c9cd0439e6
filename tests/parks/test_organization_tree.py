import datetime

import pytest
from django.core.exceptions import ValidationError

from parks.models import Organization
from tests.factories import OrganizationFactory, ParkFactory


@pytest.mark.django_db
def test_an_organisation_cannot_be_moved_below_itself_or_its_descendants():
    root = OrganizationFactory(kind=Organization.Kind.COMMITTEE)
    child = OrganizationFactory(parent=root, park=root.park, district=root.district)
    grandchild = OrganizationFactory(parent=child, kind=Organization.Kind.GROUP, park=root.park, district=root.district)
    for new_parent in (root, child, grandchild):
        root.parent = new_parent
        with pytest.raises(ValidationError) as info:
            root.full_clean()
        assert "parent" in info.value.error_dict
    root.refresh_from_db()
    assert root.parent is None


@pytest.mark.django_db
def test_descendants_are_found_at_every_depth():
    root = OrganizationFactory(kind=Organization.Kind.COMMITTEE)
    a = OrganizationFactory(parent=root, park=root.park, district=root.district)
    b = OrganizationFactory(parent=a, park=root.park, district=root.district)
    OrganizationFactory()  # elsewhere
    assert Organization.objects.with_descendants({root.pk}) == {root.pk, a.pk, b.pk}
    assert Organization.objects.with_descendants({a.pk}) == {a.pk, b.pk}


@pytest.mark.django_db
def test_a_party_group_has_no_sub_units_and_a_park_must_be_in_the_district():
    group = OrganizationFactory(kind=Organization.Kind.GROUP)
    below = OrganizationFactory.build(parent=group, park=group.park, district=group.district, code="X1")
    with pytest.raises(ValidationError) as info:
        below.full_clean()
    assert "parent" in info.value.error_dict
    elsewhere = OrganizationFactory.build(park=ParkFactory(), district=group.district, code="X2")
    with pytest.raises(ValidationError) as info:
        elsewhere.full_clean()
    assert "park" in info.value.error_dict


@pytest.mark.django_db
def test_a_term_lasts_three_years_and_warns_ninety_days_ahead():
    branch = OrganizationFactory(term_start=datetime.date(2024, 2, 29))
    assert branch.term_end == datetime.date(2027, 2, 28)
    assert branch.term_status(datetime.date(2026, 11, 1)) == "ok"
    assert branch.term_status(datetime.date(2026, 12, 1)) == "ending"
    assert branch.term_status(datetime.date(2027, 3, 1)) == "expired"
    assert OrganizationFactory().term_status() == "unknown"
