"""Property-based tests of the code validators over generated valid codes and their mutations."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from core.codes import make_credit_code, make_id_number
from core.validators import (
    PROVINCES,
    USCC_CHARSET,
    mask_id_number,
    mask_phone,
    normalize_phone,
    parse_id_number,
    validate_credit_code,
    validate_division_code,
    validate_id_number,
    validate_id_number_matches,
    validate_phone,
)

divisions = st.builds(lambda p, rest: p + f"{rest:04d}", st.sampled_from(sorted(PROVINCES)), st.integers(0, 9999))
births = st.dates(min_value=datetime.date(1920, 1, 1), max_value=datetime.date(2008, 12, 31))
genders = st.sampled_from(["M", "F"])


@st.composite
def id_numbers(draw):
    birth, gender = draw(births), draw(genders)
    number = make_id_number(
        division=draw(divisions), birth_date=birth, gender=gender, sequence=draw(st.integers(0, 499))
    )
    return number, birth, gender


@st.composite
def credit_codes(draw):
    return make_credit_code(
        division=draw(divisions),
        sequence=draw(st.integers(0, 31**9 - 1)),
        authority=draw(st.sampled_from("159Y")),
        kind=draw(st.sampled_from("123")),
    )


@given(id_numbers())
def test_generated_id_numbers_are_valid_and_carry_birth_date_and_gender(case):
    number, birth, gender = case
    validate_id_number(number)
    assert parse_id_number(number) == (birth, gender)
    validate_id_number_matches(number, birth, gender)


@given(id_numbers(), st.integers(0, 17), st.sampled_from("0123456789X"))
def test_any_single_character_change_of_an_id_number_is_rejected(case, position, char):
    number = case[0]
    mutated = number[:position] + char + number[position + 1 :]
    if mutated == number:
        return
    with pytest.raises(ValidationError):
        validate_id_number(mutated)


@given(id_numbers(), st.integers(0, 16))
def test_swapping_two_adjacent_different_characters_of_an_id_number_is_rejected(case, position):
    number = case[0]
    a, b = number[position], number[position + 1]
    if a == b:
        return
    with pytest.raises(ValidationError):
        validate_id_number(number[:position] + b + a + number[position + 2 :])


@given(id_numbers(), st.integers(1, 400))
def test_a_birth_date_that_disagrees_with_the_id_number_is_rejected(case, days):
    number, birth, gender = case
    with pytest.raises(ValidationError) as info:
        validate_id_number_matches(number, birth - datetime.timedelta(days=days), gender)
    assert "birth_date" in info.value.error_dict


@given(id_numbers())
def test_a_gender_that_disagrees_with_the_id_number_is_rejected(case):
    number, birth, gender = case
    with pytest.raises(ValidationError) as info:
        validate_id_number_matches(number, birth, "F" if gender == "M" else "M")
    assert "gender" in info.value.error_dict


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "33040219900101123",
        "3304021990010112345",
        "33040219901301123X",
        "990402199001011234",
        "33040219900230123X",
        "abcdefghijklmnopqr",
    ],
)
def test_malformed_id_numbers_are_rejected(bad):
    with pytest.raises(ValidationError):
        validate_id_number(bad)


def test_lower_case_x_is_accepted_as_the_check_character():
    # 11010519491231002X is the example of GB 11643-1999.
    validate_id_number("11010519491231002x")
    assert parse_id_number("11010519491231002X") == (datetime.date(1949, 12, 31), "F")


@given(credit_codes())
def test_generated_credit_codes_are_valid(code):
    validate_credit_code(code)


@given(credit_codes(), st.integers(0, 17), st.sampled_from(USCC_CHARSET))
def test_any_single_character_change_of_a_credit_code_is_rejected(code, position, char):
    mutated = code[:position] + char + code[position + 1 :]
    if mutated == code:
        return
    with pytest.raises(ValidationError):
        validate_credit_code(mutated)


@given(credit_codes(), st.integers(0, 16))
def test_swapping_two_adjacent_characters_of_a_credit_code_is_rejected(code, position):
    a, b = code[position], code[position + 1]
    if a == b:
        return
    with pytest.raises(ValidationError):
        validate_credit_code(code[:position] + b + a + code[position + 2 :])


@given(credit_codes(), st.sampled_from("IOSVZ"), st.integers(0, 17))
def test_letters_outside_the_credit_code_alphabet_are_rejected(code, letter, position):
    with pytest.raises(ValidationError):
        validate_credit_code(code[:position] + letter + code[position + 1 :])


@pytest.mark.parametrize("code", ["914403001922038216", "9144030071526726XG"])
def test_published_credit_codes_of_large_companies_are_valid(code):
    # Codes printed on public business licences, so the check is not only self-consistent.
    validate_credit_code(code)


phones = st.builds(lambda second, rest: f"1{second}{rest:09d}", st.sampled_from("3456789"), st.integers(0, 10**9 - 1))


@given(phones)
def test_generated_mobile_numbers_are_valid_with_or_without_country_code(phone):
    validate_phone(phone)
    validate_phone("+86 " + phone)
    assert normalize_phone("+86-" + phone) == phone


@given(phones, st.integers(0, 10))
def test_mobile_numbers_of_the_wrong_length_or_prefix_are_rejected(phone, cut):
    with pytest.raises(ValidationError):
        validate_phone(phone[:cut])
    with pytest.raises(ValidationError):
        validate_phone("2" + phone[1:])
    with pytest.raises(ValidationError):
        validate_phone(phone + "1")


def test_masks():
    assert mask_id_number("330402199001011234") == "330402********1234"
    assert mask_phone("13812345678") == "138****5678"


@pytest.mark.parametrize(("code", "ok"), [("330402", True), ("530111", True), ("990000", False), ("33040", False)])
def test_division_codes(code, ok):
    if ok:
        validate_division_code(code)
    else:
        with pytest.raises(ValidationError):
            validate_division_code(code)


def test_an_id_number_born_after_today_is_refused_and_same_day_keeps_the_day_the_block_began(monkeypatch):
    from django.utils import timezone

    from core.validators import same_day

    today = datetime.date(2026, 11, 30)
    tomorrow = make_id_number(division="330411", birth_date=today + datetime.timedelta(days=1), gender="M", sequence=1)
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: today)
    with pytest.raises(ValidationError):
        parse_id_number(tomorrow)
    with same_day():
        # Midnight passes during the block: its checks still use the day it began.
        monkeypatch.setattr(timezone, "localdate", lambda *a, **k: today + datetime.timedelta(days=1))
        with pytest.raises(ValidationError):
            parse_id_number(tomorrow)
    # Outside the block, the day is asked again: the number's birth date is today now.
    assert parse_id_number(tomorrow) == (today + datetime.timedelta(days=1), "M")
