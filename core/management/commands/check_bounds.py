"""List the rows whose dates lie outside their ranges (core/validators.py, DateRange) and whose
texts are longer than their maximum (``max_length``).

Run it before ``migrate`` on a database that was written before the ranges existed: the migrations
that add the CHECK constraints fail on such a row. Each row found is printed as
``app.model  pk  field  value`` (for a text: ``N characters (at most M)``); the exit status is 1
when any is found, 0 otherwise. Repair the rows (correct the date or shorten the text in the admin
or by SQL, or delete a row that is plainly junk), run the command again,
then migrate (docs/security.md, "Bounded values and hostile input").

The query compares in the database and reads the value back as text, so a value Python cannot
hold (a year before 1, after 9999) is listed too. A text's length is counted in the database, in
characters, as the CHECK constraint counts it; char fields are listed too (SQLite does not enforce a
varchar's length, so an old SQLite database may hold longer values).
"""

import datetime

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import models
from django.db.models import Q
from django.db.models.functions import Cast, Length

from core.fields import EncryptedCharField
from core.validators import NotAfter, NotBefore


def absolute_range(field):
    """(earliest, latest) of a field's bound validators, or None when it has none."""
    earliest = next((v.limit for v in field.validators if isinstance(v, NotBefore)), None)
    latest = next((v.limit for v in field.validators if isinstance(v, NotAfter)), None)
    if earliest is None and latest is None:
        return None
    return earliest, latest


def outside(field, earliest, latest) -> Q:
    """Q of the rows whose ``field`` lies outside earliest..latest (as the CHECK constraint puts it)."""
    condition = Q()
    if isinstance(field, models.DateTimeField):
        if earliest:
            condition |= Q(
                **{f"{field.name}__lt": datetime.datetime.combine(earliest, datetime.time.min, datetime.UTC)}
            )
        if latest:
            end = datetime.datetime.combine(latest + datetime.timedelta(days=1), datetime.time.min, datetime.UTC)
            condition |= Q(**{f"{field.name}__gte": end})
    else:
        if earliest:
            condition |= Q(**{f"{field.name}__lt": earliest})
        if latest:
            condition |= Q(**{f"{field.name}__gt": latest})
    return condition


def rows_out_of_bounds():
    """Yield (model label, pk, field name, value as text) for every row outside a field's range."""
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        for field in model._meta.concrete_fields:
            if not isinstance(field, models.DateField):
                continue
            limits = absolute_range(field)
            if limits is None:
                continue
            rows = (
                model._base_manager.filter(outside(field, *limits))
                .annotate(_bound_text=Cast(field.name, output_field=models.CharField()))
                .order_by("pk")
                .values_list("pk", "_bound_text")
            )
            for pk, text in rows:
                yield model._meta.label_lower, pk, field.name, text


def texts_too_long():
    """Yield (model label, pk, field name, length, max_length) for every text longer than its
    field's maximum."""
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        for field in model._meta.concrete_fields:
            if not isinstance(field, models.CharField | models.TextField) or not field.max_length:
                continue
            if isinstance(field, EncryptedCharField):  # the column holds ciphertext, longer
                continue
            rows = (
                model._base_manager.annotate(_bound_length=Length(field.name))
                .filter(_bound_length__gt=field.max_length)
                .order_by("pk")
                .values_list("pk", "_bound_length")
            )
            for pk, length in rows:
                yield model._meta.label_lower, pk, field.name, length, field.max_length


class Command(BaseCommand):
    help = "List rows whose dates lie outside their ranges or texts exceed their maximum; exit 1 if any."

    def handle(self, *args, **options):
        found = 0
        for label, pk, field, text in rows_out_of_bounds():
            found += 1
            self.stdout.write(f"{label}\t{pk}\t{field}\t{text}")
        for label, pk, field, length, limit in texts_too_long():
            found += 1
            self.stdout.write(f"{label}\t{pk}\t{field}\t{length} characters (at most {limit})")
        if found:
            self.stderr.write(f"{found} value(s) outside their ranges: correct or delete these rows, then migrate.")
            raise SystemExit(1)
        self.stdout.write("Every date is within its range.")
        self.stdout.write("Every text is within its maximum length.")
