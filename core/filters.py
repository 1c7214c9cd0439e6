"""Filters shared by the API's FilterSets (django-filter)."""

import datetime

import django_filters
import django_filters.fields
from django import forms
from django.utils.translation import gettext_lazy as _

from core.validators import LAST_DATE

# The largest id a database column holds (a signed 64-bit integer).
MAX_ID = 2**63 - 1
# The earliest date a list may be filtered from (a birth date is the earliest kind of date kept).
EARLIEST_FILTER_DATE = datetime.date(1900, 1, 1)


class IdFilter(django_filters.NumberFilter):
    """An id: a whole number within the database's integer range, so that a huge or fractional value
    is a 400 (invalid filter), never an overflow in the database driver."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class _InRange:
    """A date or date-time form field that refuses values outside the portal's dates
    (core.validators: 1900-01-01 to LAST_DATE), so a year 1 or 9999 is a 400, never an overflow in
    the time-zone conversion or the database driver."""

    def clean(self, value):
        value = super().clean(value)
        if value is not None:
            day = value.date() if isinstance(value, datetime.datetime) else value
            if not EARLIEST_FILTER_DATE <= day <= LAST_DATE:
                raise forms.ValidationError(
                    _("Enter a date between %(first)s and %(last)s."),
                    code="out_of_range",
                    params={"first": EARLIEST_FILTER_DATE.isoformat(), "last": LAST_DATE.isoformat()},
                )
        return value

    def to_python(self, value):
        try:
            return super().to_python(value)
        except (OverflowError, ValueError) as error:
            raise forms.ValidationError(_("Enter a valid date."), code="invalid") from error


class BoundedIsoDateTimeField(_InRange, django_filters.fields.IsoDateTimeField):
    pass


class BoundedDateField(_InRange, forms.DateField):
    pass


class IsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    """``django_filters.IsoDateTimeFilter`` within the portal's dates."""

    field_class = BoundedIsoDateTimeField


class DateFilter(django_filters.DateFilter):
    """``django_filters.DateFilter`` within the portal's dates."""

    field_class = BoundedDateField
