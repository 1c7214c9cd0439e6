"""core.history.create_with_history writes the history rows django-simple-history writes."""

import datetime

import pytest
from django.forms.models import model_to_dict
from simple_history.utils import bulk_create_with_history

from core import crypto
from core.history import create_with_history
from members.models import Member
from parks.models import Enterprise
from tests.factories import EnterpriseFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db

IGNORED = {"id", "history_id", "history_date", "id_number_digest"}


def members(organization, tag, count=3):
    return [
        Member(
            name=f"{tag}{i}",
            gender="F" if i % 2 else "M",
            birth_date=datetime.date(1992, 2, 28 + i % 2),  # 29 February included
            id_number=f"110105199{'01' if tag == 'A' else '02'}{i + 1:02d}123X"[:18] if i else "",
            phone=f"1380000{i:04d}",
            education="bachelor",
            organization=organization,
            stage="full",
            full_on=datetime.date(2024, 1, 1) if i else None,
        )
        for i in range(count)
    ]


def history(rows, model=Member):
    """Each row's history rows as dicts, keyed by the row's name."""
    records = model.history.model.objects.filter(id__in=[row.pk for row in rows]).order_by("history_id")
    result = {}
    for record in records:
        values = {
            field.attname: getattr(record, field.attname)
            for field in record._meta.concrete_fields
            if field.name not in IGNORED
        }
        result.setdefault(values["name"].lstrip("AB"), []).append(values)
    return result


def test_the_history_rows_are_those_simple_history_writes():
    organization = OrganizationFactory()
    user = UserFactory()
    with crypto.one_token_per_value():
        theirs = bulk_create_with_history(
            members(organization, "A"), Member, default_user=user, default_change_reason="import"
        )
        ours = create_with_history(members(organization, "B"), Member, user=user, reason="import")
    assert all(row.pk for row in ours)
    unique = {"name": "", "id_number": "", "created_at": None}  # a row's own
    assert [model_to_dict(row, exclude=["id"]) | unique for row in ours] == [
        model_to_dict(row, exclude=["id"]) | unique for row in theirs
    ]
    expected, got = history(theirs), history(ours)
    for rows in (*expected.values(), *got.values()):
        for values in rows:
            values.update(unique)
    assert got == expected
    assert len(got) == 3
    record = Member.history.model.objects.get(id=ours[1].pk)
    assert (record.history_type, record.history_user, record.history_change_reason) == ("+", user, "import")
    assert record.id_number == ours[1].id_number
    assert record.id_number  # decrypts to the same number
    assert Member.history.model.objects.filter(id__in=[row.pk for row in ours]).count() == 3


def test_without_a_user_or_reason_and_in_batches():
    from core import history as module

    enterprises = [EnterpriseFactory.build(park=EnterpriseFactory().park) for _ in range(5)]
    module_batch, module.ID_BATCH = module.ID_BATCH, 2
    try:
        created = create_with_history(enterprises, Enterprise, batch_size=2)
    finally:
        module.ID_BATCH = module_batch
    records = Enterprise.history.model.objects.filter(id__in=[row.pk for row in created]).order_by("history_id")
    assert [record.id for record in records] == [row.pk for row in created]  # one each, in order
    assert {(record.history_type, record.history_user_id, record.history_change_reason) for record in records} == {
        ("+", None, None)
    }
    assert [record.name for record in records] == [row.name for row in created]
