"""ID numbers are encrypted at rest, unique through a keyed digest, and shown masked."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection

from members.models import Member
from tests.factories import MemberFactory


def raw_rows(table, columns):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(columns)} FROM {table}")
        return cursor.fetchall()


@pytest.mark.django_db
def test_the_database_holds_no_plaintext_id_number_in_the_table_or_its_history():
    member = MemberFactory()
    number = member.id_number
    member.name = "改名"
    member.save()
    stored = raw_rows("members_member", ["id_number", "id_number_digest"])
    history = raw_rows("members_historicalmember", ["id_number"])
    assert len(history) == 2
    for row in stored + history:
        for value in row:
            assert number not in str(value)
            assert number[-8:] not in str(value)
    # …and yet the model reads it back.
    assert Member.objects.get(pk=member.pk).id_number == number


@pytest.mark.django_db
def test_id_numbers_are_unique_and_searchable_through_the_digest():
    member = MemberFactory()
    assert list(Member.objects.by_id_number(member.id_number.lower())) == [member]
    duplicate = MemberFactory.build(
        id_number=member.id_number, organization=member.organization, birth_date=member.birth_date, gender=member.gender
    )
    with pytest.raises(ValidationError) as info:
        duplicate.full_clean()
    assert "id_number" in info.value.error_dict
    with pytest.raises(IntegrityError):
        duplicate.save()


@pytest.mark.django_db
def test_model_validation_checks_birth_date_and_gender_against_the_number():
    member = MemberFactory()
    member.gender = "F"
    with pytest.raises(ValidationError) as info:
        member.full_clean()
    assert "gender" in info.value.error_dict


@pytest.mark.django_db
def test_masked_forms():
    member = MemberFactory(phone="13912345678")
    assert member.id_number_masked == member.id_number[:6] + "********" + member.id_number[-4:]
    assert member.phone_masked == "139****5678"


@pytest.mark.django_db
def test_a_wrong_key_cannot_read_the_column(settings):
    from cryptography.fernet import Fernet

    from core import crypto

    member = MemberFactory()
    crypto._fernet.cache_clear()
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    try:
        with pytest.raises(ValueError, match="cannot decrypt"):
            Member.objects.get(pk=member.pk)
    finally:
        crypto._fernet.cache_clear()


@pytest.mark.django_db
def test_keys_rotate_old_ciphertext_stays_readable(settings):
    from cryptography.fernet import Fernet

    from core import crypto

    member = MemberFactory()
    old = list(settings.FIELD_ENCRYPTION_KEYS)
    crypto._fernet.cache_clear()
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), *old]
    try:
        assert Member.objects.get(pk=member.pk).id_number == member.id_number
    finally:
        crypto._fernet.cache_clear()
