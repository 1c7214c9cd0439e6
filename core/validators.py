"""Validators for the codes of Chinese public administration.

* resident ID number (GB 11643-1999): 17 digits and an ISO 7064 MOD 11-2 check character;
* unified social credit code (GB 32100-2015): 18 characters with a MOD 31 check character;
* administrative division code (GB/T 2260): 6 digits;
* mobile phone numbers of the mainland.
"""

import datetime
import re

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

ID_WEIGHTS = [2 ** (17 - i) % 11 for i in range(17)]
ID_CHECK = "10X98765432"
# Province-level codes of GB/T 2260 (the first two digits of a division code).
PROVINCES = {
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
    "65", "71", "81", "82",
}  # fmt: skip

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]

PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
DIVISION_RE = re.compile(r"^\d{6}$")


def id_number_check_char(first17: str) -> str:
    return ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def normalize_id_number(value: str) -> str:
    return (value or "").strip().upper()


def parse_id_number(value: str) -> tuple[datetime.date, str]:
    """Return (birth date, gender 'M'/'F') of a valid ID number, or raise ValidationError."""
    value = normalize_id_number(value)
    if not re.fullmatch(r"\d{17}[\dX]", value):
        raise ValidationError(_("An ID number has 17 digits followed by a digit or X."), code="format")
    if value[:2] not in PROVINCES:
        raise ValidationError(_("The ID number does not begin with a valid region code."), code="region")
    try:
        birth = datetime.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise ValidationError(_("The ID number does not contain a valid birth date."), code="birth") from None
    if birth.year < 1900 or birth > timezone.localdate():
        raise ValidationError(_("The ID number does not contain a valid birth date."), code="birth")
    if id_number_check_char(value[:17]) != value[17]:
        raise ValidationError(_("The check digit of the ID number is wrong."), code="check")
    return birth, ("M" if int(value[16]) % 2 else "F")


def validate_id_number(value: str) -> None:
    parse_id_number(value)


def validate_id_number_matches(value: str, birth_date=None, gender=None) -> None:
    """The birth date and gender recorded must agree with the ID number."""
    birth, sex = parse_id_number(value)
    errors = {}
    if birth_date is not None and birth_date != birth:
        errors["birth_date"] = ValidationError(
            _("The birth date does not agree with the ID number (%(date)s)."),
            code="birth_mismatch",
            params={"date": birth.isoformat()},
        )
    if gender and gender != sex:
        errors["gender"] = ValidationError(_("The gender does not agree with the ID number."), code="gender_mismatch")
    if errors:
        raise ValidationError(errors)


def mask_id_number(value: str) -> str:
    """330402199001011234 → 330402********1234."""
    if not value:
        return ""
    return value[:6] + "*" * (len(value) - 10) + value[-4:] if len(value) > 10 else "*" * len(value)


def uscc_check_char(first17: str) -> str:
    total = sum(USCC_CHARSET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


def normalize_credit_code(value: str) -> str:
    return (value or "").strip().upper()


def validate_credit_code(value: str) -> None:
    value = normalize_credit_code(value)
    if len(value) != 18 or any(c not in USCC_CHARSET for c in value):
        raise ValidationError(
            _("A unified social credit code has 18 characters: digits and capital letters other than I, O, S, V, Z."),
            code="format",
        )
    if not value[2:8].isdigit():
        raise ValidationError(_("Characters 3 to 8 of the credit code must be a division code."), code="division")
    if uscc_check_char(value[:17]) != value[17]:
        raise ValidationError(_("The check character of the credit code is wrong."), code="check")


def normalize_phone(value: str) -> str:
    value = re.sub(r"[\s-]", "", value or "")
    if value.startswith("+86"):
        value = value[3:]
    elif value.startswith("0086"):
        value = value[4:]
    return value


def validate_phone(value: str) -> None:
    if not PHONE_RE.fullmatch(normalize_phone(value)):
        raise ValidationError(_("Enter a mainland mobile number of 11 digits beginning with 1."), code="phone")


def mask_phone(value: str) -> str:
    """13812345678 → 138****5678."""
    return value[:3] + "****" + value[-4:] if value and len(value) == 11 else value


def validate_division_code(value: str) -> None:
    if not DIVISION_RE.fullmatch(value or "") or value[:2] not in PROVINCES:
        raise ValidationError(_("An administrative division code has 6 digits (GB/T 2260)."), code="division")
