"""Validators for the codes of Chinese public administration.

* resident ID number (GB 11643-1999): 17 digits and an ISO 7064 MOD 11-2 check character;
* unified social credit code (GB 32100-2015): 18 characters with a MOD 31 check character;
* administrative division code (GB/T 2260): 6 digits;
* mobile phone numbers of the mainland;
* the range of every kind of date (``DateRange``: validators plus a database constraint);
* the maximum length of every kind of text (``text_constraint`` and the pre-save check).
"""

import datetime
import re
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from django.utils import timezone
from django.utils.deconstruct import deconstructible
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


# The day pinned by ``same_day()`` and the ID numbers parsed within its block.
_PINNED: ContextVar[tuple[datetime.date, dict] | None] = ContextVar("pinned_day", default=None)


def today() -> datetime.date:
    """``timezone.localdate()``, or the day pinned by ``same_day()`` around the current block."""
    pinned = _PINNED.get()
    return pinned[0] if pinned is not None else timezone.localdate()


@contextmanager
def same_day():
    """Within the block, the date-relative checks (``parse_id_number``, ``WithinYearsAhead``) use
    the day the block began instead of asking for the local date at every value, and an ID number
    is parsed once (the answer depends only on the number and the day): an import checks a chunk
    of rows in one go (``core.importing``), where the local date was some 10 % of its time and each
    number was parsed four times (the check, ``apply``, ``clean_fields``, the agreement with birth
    date and gender). The parsed numbers are dropped at the end of the block."""
    token = _PINNED.set((timezone.localdate(), {}))
    try:
        yield
    finally:
        _PINNED.reset(token)


def parse_id_number(value: str) -> tuple[datetime.date, str]:
    """Return (birth date, gender 'M'/'F') of a valid ID number, or raise ValidationError."""
    value = normalize_id_number(value)
    pinned = _PINNED.get()
    if pinned is None:
        return _parse_id_number(value, timezone.localdate())
    day, parsed = pinned
    found = parsed.get(value)
    if found is None:
        found = parsed[value] = _parse_id_number(value, day)  # an invalid number raises, not kept
    return found


def _parse_id_number(value: str, day: datetime.date) -> tuple[datetime.date, str]:
    if not re.fullmatch(r"\d{17}[\dX]", value):
        raise ValidationError(_("An ID number has 17 digits followed by a digit or X."), code="format")
    if value[:2] not in PROVINCES:
        raise ValidationError(_("The ID number does not begin with a valid region code."), code="region")
    try:
        birth = datetime.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise ValidationError(_("The ID number does not contain a valid birth date."), code="birth") from None
    if birth.year < 1900 or birth > day:
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


def mask_name(value: str) -> str:
    """张伟 → 张*, 欧阳娜娜 → 欧***: the first character kept, one star for each other one. The one
    way a person's name is shown where the person need not be identified (a public check)."""
    value = (value or "").strip()
    return value[:1] + "*" * (len(value) - 1) if value else ""


def mask_phone(value: str) -> str:
    """13812345678 → 138****5678."""
    return value[:3] + "****" + value[-4:] if value and len(value) == 11 else value


def validate_division_code(value: str) -> None:
    if not DIVISION_RE.fullmatch(value or "") or value[:2] not in PROVINCES:
        raise ValidationError(_("An administrative division code has 6 digits (GB/T 2260)."), code="division")


# --- bounded dates --------------------------------------------------------------------------------
#
# Every date and date-time field of every model has a range that makes sense for what it records
# (docs/security.md, "Bounded values and hostile input"). One ``DateRange`` per kind of date gives
# both halves of the bound, so they cannot drift apart:
#
# * ``validators()``: the field's validators — the absolute range plus a relative upper limit (not in
#   the future, at most N years ahead). Forms built from the model, the admin, the API's model
#   serializers, imports (``clean_fields``) and every ``save()`` (``core.apps`` checks them before
#   writing) run them;
# * ``constraint(field)``: a database CHECK with the absolute range only (a relative limit cannot be
#   a constraint: it moves with the calendar), so that no door — ``update()``, ``bulk_create``, raw
#   SQL — stores a value that a page then cannot render.

PARTY_FOUNDED = datetime.date(1921, 7, 1)  # the First National Congress: no party date is earlier
LAST_DATE = datetime.date(2100, 12, 31)  # far enough for any plan, near enough to render anywhere


def wall_date(value) -> datetime.date:
    """The calendar date of a date or date-time, read in the date-time's own offset.

    No time-zone conversion: year 1 or 9999 cannot be moved to UTC (OverflowError) and a bound is
    a matter of days, not of hours."""
    return value.date() if isinstance(value, datetime.datetime) else value


class BoundValidator:
    """Base of the date bound validators (``core.apps`` finds the bounded fields by it)."""

    code = "date_range"

    def __eq__(self, other):
        return type(self) is type(other) and self.deconstruct() == other.deconstruct()

    def __hash__(self):
        return hash(repr(self.deconstruct()))


@deconstructible
class NotBefore(BoundValidator):
    def __init__(self, limit: datetime.date):
        self.limit = limit

    def __call__(self, value):
        if value is not None and wall_date(value) < self.limit:
            raise ValidationError(
                _("Enter a date on or after %(limit)s."), code=self.code, params={"limit": self.limit.isoformat()}
            )


@deconstructible
class NotAfter(BoundValidator):
    def __init__(self, limit: datetime.date):
        self.limit = limit

    def __call__(self, value):
        if value is not None and wall_date(value) > self.limit:
            raise ValidationError(
                _("Enter a date on or before %(limit)s."), code=self.code, params={"limit": self.limit.isoformat()}
            )


@deconstructible
class WithinYearsAhead(BoundValidator):
    """Not later than today plus ``years`` years (0: not in the future)."""

    def __init__(self, years: int):
        self.years = years

    def __call__(self, value):
        if value is None:
            return
        today_ = today()
        try:
            latest = today_.replace(year=today_.year + self.years)
        except ValueError:  # 29 February
            latest = today_.replace(year=today_.year + self.years, day=28)
        if wall_date(value) > latest:
            if self.years == 0:
                message = _("The date cannot be in the future.")
            else:
                message = _("Enter a date at most %(years)d year(s) ahead (on or before %(limit)s).")
            raise ValidationError(message, code="date_ahead", params={"years": self.years, "limit": latest.isoformat()})


def not_before(limit: datetime.date) -> NotBefore:
    return NotBefore(limit)


def not_after(limit: datetime.date) -> NotAfter:
    return NotAfter(limit)


def within_years_ahead(years: int) -> WithinYearsAhead:
    return WithinYearsAhead(years)


def not_in_future() -> WithinYearsAhead:
    return WithinYearsAhead(0)


@dataclass(frozen=True)
class DateRange:
    """The range of one kind of date: ``earliest``..``latest`` always (validator and CHECK), and,
    when ``years_ahead`` is set, not later than that many years from today (validator only)."""

    earliest: datetime.date
    latest: datetime.date = LAST_DATE
    years_ahead: int | None = None

    def validators(self) -> list:
        found = [not_before(self.earliest), not_after(self.latest)]
        if self.years_ahead is not None:
            found.append(within_years_ahead(self.years_ahead))
        return found

    def contains(self, value) -> bool:
        """Within the absolute range (what the database constraint holds)."""
        return value is None or self.earliest <= wall_date(value) <= self.latest

    def constraint(self, field: str, *, datetime_field: bool = False) -> models.CheckConstraint:
        """CHECK (field IS NULL OR earliest <= field <= latest). For a date-time the limits are
        instants in UTC, midnight of ``earliest`` and the end of ``latest``."""
        if datetime_field:
            low = datetime.datetime.combine(self.earliest, datetime.time.min, tzinfo=datetime.UTC)
            high = datetime.datetime.combine(
                self.latest + datetime.timedelta(days=1), datetime.time.min, tzinfo=datetime.UTC
            )
            in_range = Q(**{f"{field}__gte": low, f"{field}__lt": high})
        else:
            in_range = Q(**{f"{field}__gte": self.earliest, f"{field}__lte": self.latest})
        return models.CheckConstraint(
            name=f"%(app_label)s_%(class)s_{field}_in_range",
            condition=Q(**{f"{field}__isnull": True}) | in_range,
        )


# The kinds of date (docs/security.md has the table of which field has which).
PARTY_DATE = DateRange(PARTY_FOUNDED, years_ahead=0)  # a past event of party life: founding, stage, talk
PARTY_PLAN = DateRange(PARTY_FOUNDED, years_ahead=1)  # party life, planned at most a year ahead
BIRTH_DATE = DateRange(datetime.date(1900, 1, 1), years_ahead=0)
PARK_DATE = DateRange(datetime.date(1949, 10, 1), years_ahead=1)  # parks opening, enterprises entering
TERM_END = DateRange(PARTY_FOUNDED, years_ahead=6)  # a 5-year term from an election not in the future
SERVICE_DATE = DateRange(datetime.date(2000, 1, 1), years_ahead=1)  # service-centre work, bookings, letters
SYSTEM_TIME = DateRange(datetime.date(2000, 1, 1))  # set by the portal itself (created, decided, sent at)


def _bounded_fields(model) -> list:
    """[(field, its bound validators)] of a model, computed once per model."""
    cached = model.__dict__.get("_bounded_fields_cache")
    if cached is None:
        cached = []
        for field in model._meta.concrete_fields:
            if isinstance(field, models.DateField):
                found = [v for v in field.validators if isinstance(v, BoundValidator)]
                if found:
                    cached.append((field, found))
        model._bounded_fields_cache = cached
    return cached


def _bounded_texts(model) -> list:
    """[(field, max_length)] of a model's text and char fields, computed once per model."""
    cached = model.__dict__.get("_bounded_texts_cache")
    if cached is None:
        cached = [
            (field, field.max_length)
            for field in model._meta.concrete_fields
            if isinstance(field, models.CharField | models.TextField) and field.max_length
        ]
        model._bounded_texts_cache = cached
    return cached


def text_errors(instance) -> dict:
    """{field: [ValidationError]} for each text or char field of ``instance`` longer than its
    ``max_length``, with the message Django's forms give."""
    errors = {}
    for field, limit in _bounded_texts(type(instance)):
        value = getattr(instance, field.attname)
        if isinstance(value, str) and len(value) > limit:
            try:
                MaxLengthValidator(limit)(value)
            except ValidationError as exc:
                errors[field.name] = exc.error_list
    return errors


def check_bounds(instance) -> None:
    """Refuse (ValidationError per field) a row with a text longer than its maximum or a date
    outside its range. Run before every save (``core.apps``)."""
    errors = text_errors(instance)
    if errors:
        raise ValidationError(errors)
    check_date_bounds(instance)


def check_date_bounds(instance) -> None:
    """Refuse (ValidationError per field) a row whose dates are outside their ranges: each bounded
    field's validators, then the model's own cross-field date checks (``clean_dates()``, e.g. an
    activity not before its host was founded). Run before every save (``core.apps``), so that an
    action that writes with ``objects.create`` refuses with a message as a form would."""
    errors = {}
    for field, validators in _bounded_fields(type(instance)):
        value = getattr(instance, field.attname)
        for validator in validators:
            try:
                validator(value)
            except ValidationError as exc:
                errors.setdefault(field.name, []).extend(exc.error_list)
                break
    if errors:
        raise ValidationError(errors)
    clean_dates = getattr(instance, "clean_dates", None)
    if clean_dates is not None:
        clean_dates()


REPORT_PERIOD = DateRange(datetime.date(2000, 1, 1), years_ahead=1)  # the statistics periods


def bound_errors(model, **values) -> dict:
    """{field: [messages]} for the given values of ``model``'s bounded date fields that are out of
    range: for an action that must refuse a date before it computes anything from it (a period, a
    local day) — year 9999 cannot be moved to another time zone."""
    bounded = {field.name: validators for field, validators in _bounded_fields(model)}
    errors = {}
    for name, value in values.items():
        for validator in bounded.get(name, ()):
            try:
                validator(value)
            except ValidationError as exc:
                errors[name] = exc.messages
                break
    return errors


# --- bounded texts --------------------------------------------------------------------------------
#
# Every text of every model has a maximum that fits what it records (docs/security.md, "Every text
# has a maximum"). A ``TextField`` takes ``max_length=`` (model forms, the admin and the API's model
# serializers enforce it) and its model a CHECK constraint on the length (``text_constraint``), so
# that no door — ``update()``, ``bulk_create``, SQL — stores a longer text. Every ``save()`` checks
# the maximum of every text and char field first (``check_bounds``), on SQLite too, which does not
# enforce the length of a varchar. Inputs that are not model fields (a reason given to a workflow
# step) take the maximum of the field they end up in.

TEXT_MINUTES = 20_000  # the minutes of a meeting
TEXT_DESCRIPTION = 5_000  # a description, a conversation's notes, a message, a comment
TEXT_NOTE = 2_000  # a reason, a note, a remark, an arrangement
TEXT_LOG = 10_000  # an error the portal records (cut to fit by the portal itself)


def text_constraint(field: str, max_length: int) -> models.CheckConstraint:
    """CHECK (LENGTH(field) <= max_length), in characters on SQLite and PostgreSQL (a NULL passes)."""
    return models.CheckConstraint(
        name=f"%(app_label)s_%(class)s_{field}_length",
        condition=LessThanOrEqual(Length(field), max_length),
    )


def fit_text(value: str, max_length: int) -> str:
    """A text the portal writes itself (an error, a message composed from others), cut to fit."""
    value = value or ""
    return value if len(value) <= max_length else value[: max_length - 1] + "…"
