"""The base of every import/export resource (parks, members, activities ``resources.py``).

A resource maps spreadsheet columns (Chinese headers, English accepted) to a model, resolves
foreign keys by code or name inside the importing user's scope, finds existing rows by their natural
key, validates each instance with the model's own validators and writes in bulk. The engine that
drives it is ``portal.dataio.run_import``; the admin reaches the same code through ``import_data``.

Why not the library's row loop: it queries per row (instance look-up, every foreign key, the
uniqueness checks of ``full_clean``) and saves one row at a time. Here every look-up table is
loaded once per file (``prepare``), rows are parsed and validated in memory, and writes are
``bulk_create`` / ``bulk_update`` in batches, so the query count does not grow with the rows.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import translation
from django.utils.encoding import force_str
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from import_export import resources

from core.scope import scope_for

from . import audit, crypto
from .history import create_with_history, history_written
from .tabular import ImportRefused
from .validators import mask_id_number, mask_phone, normalize_id_number

BATCH_SIZE = 1000
LOOKUP_CHUNK = 2000  # ids per IN (...) when loading existing rows by natural key
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
HEADER_LANGUAGE = "zh-hans"
# The shape of a real organisation code (district - committee - branch), for a template's example
# when the user's scope gives none.
EXAMPLE_ORGANIZATION_CODE = "330483-01-01"


def in_language(text, language: str) -> str:
    with translation.override(language):
        return force_str(text)


def escape_formula(value):
    """OWASP ASVS 1.2.10: a text cell that a spreadsheet would run as a formula gets a leading quote.

    Numbers are left alone (a negative number is a number, not a formula)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


# --- cell parsers: raw spreadsheet value -> Python value, or ValidationError ----------------------


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse_text(value) -> str:
    if _blank(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a code typed into a number cell
    text = str(value).strip()
    # A leading quote is how our own exports neutralise formulas: drop it on the way back in.
    if text.startswith("'") and text[1:2] in FORMULA_PREFIXES:
        text = text[1:]
    return text


def parse_code(value) -> str:
    return parse_text(value).upper()


DATE_PATTERNS = [
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
]


def parse_date(value) -> datetime.date | None:
    if _blank(value):
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = str(value).strip()
    if " " in text:
        text = text.split(" ", 1)[0]
    for pattern in DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            try:
                return datetime.date(*(int(part) for part in match.groups()))
            except ValueError:
                break
    raise ValidationError(_("Enter a date as YYYY-MM-DD."), code="date")


def parse_month(value) -> datetime.date | None:
    if isinstance(value, str):
        match = re.match(r"^\s*(\d{4})[-/.年](\d{1,2})月?\s*$", value)
        if match:
            try:
                return datetime.date(int(match[1]), int(match[2]), 1)
            except ValueError:
                pass
    day = parse_date(value)
    return day.replace(day=1) if day else None


def parse_datetime(value) -> datetime.datetime | None:
    from django.utils import timezone

    if _blank(value):
        return None
    if isinstance(value, datetime.datetime):
        result = value
    elif isinstance(value, datetime.date):
        result = datetime.datetime.combine(value, datetime.time())
    else:
        text = str(value).strip().replace("T", " ").replace("/", "-")
        try:
            result = datetime.datetime.fromisoformat(text)
        except ValueError:
            raise ValidationError(_("Enter a date and time as YYYY-MM-DD HH:MM."), code="datetime") from None
    if timezone.is_naive(result):
        result = timezone.make_aware(result)
    return result


def parse_int(value) -> int | None:
    if _blank(value):
        return None
    if isinstance(value, bool):
        raise ValidationError(_("Enter a whole number."), code="int")
    if isinstance(value, int):
        return value
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        raise ValidationError(_("Enter a whole number."), code="int") from None
    if number != number.to_integral_value():
        raise ValidationError(_("Enter a whole number."), code="int")
    return int(number)


def parse_decimal(value) -> Decimal | None:
    if _blank(value):
        return None
    if isinstance(value, float):
        value = repr(value)
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        raise ValidationError(_("Enter a number."), code="decimal") from None
    if not number.is_finite():
        raise ValidationError(_("Enter a number."), code="decimal")
    return number


TRUE_WORDS = {"1", "true", "yes", "y", "是", "对", "√", "✓"}
FALSE_WORDS = {"0", "false", "no", "n", "否", "不是", "×", ""}


def parse_bool(value) -> bool:
    if isinstance(value, bool):
        return value
    if _blank(value):
        return False
    text = str(value).strip().lower()
    if isinstance(value, (int, float)):
        text = str(int(value))
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise ValidationError(_("Enter 是 or 否 (yes or no)."), code="bool")


def render_bool(value) -> str:
    # The values of the sheet, as Chinese spreadsheets write them (parse_bool reads both back).
    return "是" if value else "否"


class ChoiceParser:
    """Accepts a choice by its code, its Chinese label or its English label."""

    def __init__(self, choices):
        self.choices = choices
        self._map = None

    def lookup(self) -> dict:
        if self._map is None:
            mapping = {}
            for code, label in self.choices:
                mapping[str(code).lower()] = code
                for language in (HEADER_LANGUAGE, "en"):
                    mapping[in_language(label, language).strip().lower()] = code
            self._map = mapping
        return self._map

    def __call__(self, value):
        if _blank(value):
            return ""
        code = self.lookup().get(str(value).strip().lower())
        if code is None:
            labels = "、".join(in_language(label, HEADER_LANGUAGE) for _code, label in self.choices)
            raise ValidationError(
                _("Unknown value; choose one of: %(labels)s."), params={"labels": labels}, code="choice"
            )
        return code

    def render(self, code) -> str:
        # Rendered once per code (exports call this for every row; a language switch per cell costs).
        rendered = self.__dict__.setdefault("_rendered", {})
        if code not in rendered:
            rendered[code] = next(
                (in_language(label, HEADER_LANGUAGE) for value, label in self.choices if value == code), code or ""
            )
        return rendered[code]


# --- columns -------------------------------------------------------------------------------------


@dataclass
class Column:
    """One spreadsheet column.

    ``attribute`` is the model attribute it sets (None for a column the resource handles itself);
    ``parse`` turns a cell into a Python value; ``export`` reads the cell value off an instance.
    """

    name: str  # the resource's own key for the column
    header: Any  # lazy verbose name; the Chinese translation is the spreadsheet header
    parse: Callable = parse_text
    attribute: str | None = None
    required: bool = False
    export: Callable | None = None  # (resource, obj) -> value; default getattr(obj, attribute)
    example: Any = ""
    key: bool = False  # part of the natural key: must be present in every row
    aliases: tuple = ()
    # An organisation code of the importer's scope: the template's example is the first of theirs.
    scope_code: bool = False

    def headers(self) -> set[str]:
        names = {in_language(self.header, HEADER_LANGUAGE), in_language(self.header, "en"), self.name}
        names.update(self.aliases)
        return {normalize_header(name) for name in names}


def normalize_header(value) -> str:
    text = force_str(value if value is not None else "").strip().lower()
    text = re.sub(r"[\s*＊]+", "", text)  # "姓名 *" marks a required column in the template
    return text.replace("（", "(").replace("）", ")")


@dataclass
class ParsedRow:
    line: int
    values: dict = field(default_factory=dict)  # column name -> Python value
    present: set = field(default_factory=set)  # column names the file has
    errors: list = field(default_factory=list)  # (column header, message)
    display: dict = field(default_factory=dict)


def error_pairs(exc: ValidationError, headers: dict) -> list[tuple[str, str]]:
    """(header, message) pairs of a ValidationError; field names become their column headers."""
    pairs = []
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            label = headers.get(name, name if name != "__all__" else "")
            for error in errors:
                pairs.extend((label, message) for message in error.messages)
    else:
        pairs.extend(("", message) for message in exc.messages)
    return pairs


class ImportResource(resources.ModelResource):
    """Base of the portal's resources; see the module docstring."""

    kind: str = ""  # its key in core.importing (registered by its app)
    secretary_may_import: bool = False  # branch secretaries import it for their organisations (else park admins)
    columns: list[Column] = []
    # Model fields validated with clean_fields() (others are set by the resource itself).
    natural_key: str = ""  # column name of the natural key
    bulk_update_fields: list[str] = []
    # Fields whose comparison decides "unchanged" (defaults to the attributes of the columns).

    class Meta:
        abstract = True

    def __init__(self, *, user=None, **kwargs):
        super().__init__(**kwargs)
        self.user = user
        self.lookups_loaded = False

    # --- headers --------------------------------------------------------------------------------

    @classmethod
    def header_of(cls, column: Column) -> str:
        return in_language(column.header, HEADER_LANGUAGE)

    def header_labels(self) -> dict:
        """Column name and model attribute → the header shown in the current language."""
        labels = {}
        for column in self.columns:
            labels[column.name] = force_str(column.header)
            if column.attribute:
                labels[column.attribute] = force_str(column.header)
        return labels

    def match_headers(self, headers) -> dict[int, Column]:
        """Position → column for the file's header row. Raises ValueError(list of problems)."""
        by_header = {}
        for column in self.columns:
            for name in column.headers():
                by_header[name] = column
        matched, unknown, seen = {}, [], set()
        for position, header in enumerate(headers or []):
            normalized = normalize_header(header)
            if not normalized:
                continue
            column = by_header.get(normalized)
            if column is None:
                unknown.append(force_str(header))
                continue
            if column.name in seen:
                raise ImportRefused(_("The column “%(column)s” appears twice.") % {"column": force_str(column.header)})
            seen.add(column.name)
            matched[position] = column
        missing = [force_str(column.header) for column in self.columns if column.required and column.name not in seen]
        if missing or unknown:
            parts = []
            if missing:
                parts.append(gettext("Missing columns: %(columns)s.") % {"columns": "、".join(missing)})
            if unknown:
                parts.append(gettext("Unknown columns: %(columns)s.") % {"columns": "、".join(unknown)})
            parts.append(gettext("Download the template for the expected columns."))
            raise ImportRefused(" ".join(parts))
        return matched

    # --- parsing --------------------------------------------------------------------------------

    def _header_texts(self) -> dict[str, str]:
        """Column name → its header in the active language, rendered once per language (a lazy
        header rendered at every cell was some 8 % of an import's time)."""
        cache = self.__dict__.setdefault("_header_text_cache", {})
        language = translation.get_language()
        texts = cache.get(language)
        if texts is None:
            texts = cache[language] = {column.name: force_str(column.header) for column in self.columns}
        return texts

    def parse_row(self, line: int, cells, matched: dict[int, Column]) -> ParsedRow:
        row = ParsedRow(line=line)
        headers = self._header_texts()
        for position, column in matched.items():
            raw = cells[position] if position < len(cells) else None
            row.present.add(column.name)
            header = headers[column.name]
            try:
                value = column.parse(raw)
            except ValidationError as exc:
                row.errors.extend((header, message) for message in exc.messages)
                value = None
                row.values[column.name] = None
                row.display[header] = "" if raw is None else str(raw)
                continue
            row.values[column.name] = value
            row.display[header] = self.display_value(column, value, raw)
            if column.required and (value is None or value == ""):
                row.errors.append((header, gettext("This field is required.")))
        return row

    def display_value(self, column: Column, value, raw):
        if value is None:
            return ""
        if isinstance(value, (datetime.date, Decimal, int)) and not isinstance(value, bool):
            return str(value)
        if isinstance(value, bool):
            return render_bool(value)
        return str(raw if isinstance(raw, str) else value)

    # --- hooks for subclasses -------------------------------------------------------------------

    def prepare(self, rows: list[ParsedRow]) -> None:
        """Load, once per file, the scoped look-up tables and the existing instances."""
        raise NotImplementedError

    def key_of(self, row: ParsedRow):
        return row.values.get(self.natural_key) or None

    def existing_instance(self, key):
        raise NotImplementedError

    def new_instance(self):
        return self._meta.model()

    def apply(self, instance, row: ParsedRow) -> None:
        """Copy the row's values (and resolved foreign keys) onto the instance; add row errors."""
        for column in self.columns:
            if column.attribute and column.name in row.present:
                setattr(instance, column.attribute, row.values.get(column.name))

    def compared_fields(self) -> list[str]:
        return [column.attribute for column in self.columns if column.attribute]

    def snapshot(self, instance) -> tuple:
        return tuple(getattr(instance, name) for name in self.compared_fields())

    def validate(self, instance, row: ParsedRow) -> None:
        """clean_fields() and clean() of the model, without the per-row uniqueness queries: the natural
        key is checked against the table loaded in prepare()."""
        exclude = [f.name for f in instance._meta.fields if isinstance(f, models.ForeignKey)]
        # Fields the row could not fill because another cell failed (``apply`` names them).
        exclude += list(getattr(instance, "_not_checked", ()))
        errors = {}
        try:
            instance.clean_fields(exclude=exclude)
        except ValidationError as exc:
            errors.update(exc.error_dict)
        try:
            self.clean_instance(instance)
        except ValidationError as exc:
            for name, messages in exc.update_error_dict({}).items():
                errors.setdefault(name, []).extend(messages)
        if errors:
            row.errors.extend(error_pairs(ValidationError(errors), self.header_labels()))

    def clean_instance(self, instance) -> None:
        instance.clean()

    def build(self, row: ParsedRow):
        """(instance, "new" | "update" | "unchanged") for a row, from the instance loaded by key."""
        existing = self.existing_instance(self.key_of(row))
        if existing is None:
            instance = self.new_instance()
            self.apply(instance, row)
            return instance, "new"
        before = self.snapshot(existing)
        self.apply(existing, row)
        return existing, ("unchanged" if self.snapshot(existing) == before else "update")

    def write(self, new: list, changed: list) -> None:
        """Bulk writes, with their history rows (django-simple-history) attributed to the importer."""
        from simple_history.utils import bulk_update_with_history

        model = self._meta.model
        user = self.user if getattr(self.user, "pk", None) else None
        reason = "import"
        # A row and its history row share their encrypted values' tokens (encrypted once).
        with crypto.one_token_per_value():
            if new:
                create_with_history(new, model, batch_size=BATCH_SIZE, user=user, reason=reason)
            if changed:
                bulk_update_with_history(
                    changed,
                    model,
                    self.bulk_update_fields or self.compared_fields(),
                    batch_size=BATCH_SIZE,
                    default_user=user,
                    default_change_reason=reason,
                )
                history_written(model)

    def after_chunk(self, rows, new, changed) -> None:
        """Drop the chunk's instances so memory stays flat as the file grows."""

    def finish(self) -> dict | None:
        """Runs once after the last chunk, inside the transaction, when the file is written. Returns
        errors found at write time as {line: [(column, message)]}; any rolls the file back."""
        return None

    # --- scope helpers --------------------------------------------------------------------------

    def scope(self):
        return scope_for(self.user)

    # --- export ---------------------------------------------------------------------------------

    def export_queryset(self, queryset=None):
        model = self._meta.model
        visible = model.objects.visible_to(self.user)
        if queryset is not None and queryset.query.distinct:
            visible = visible.filter(pk__in=queryset.values("pk"))
        elif queryset is not None:
            # The narrowing's own conditions ANDed in (a page's filters follow single-valued
            # relations: no row twice), not ``pk IN (subquery)``: inside a server-side cursor
            # PostgreSQL planned that subquery as a nested loop over every row it names (a quarter
            # of a million attendance rows took three minutes to stream instead of seconds).
            visible = visible & queryset
        return self.optimize_export(visible)

    def optimize_export(self, queryset):
        return queryset

    def export_headers(self) -> list[str]:
        return [self.header_of(column) for column in self.columns]

    def export_cell(self, column: Column, obj):
        value = column.export(self, obj) if column.export is not None else getattr(obj, column.attribute)
        if isinstance(column.parse, ChoiceParser):
            value = column.parse.render(value)
        elif isinstance(value, bool):
            value = render_bool(value)
        elif isinstance(value, datetime.datetime):
            from django.utils import timezone

            value = timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
        elif value is None:
            value = ""
        elif isinstance(value, models.Model):
            value = str(value)
        return escape_formula(value)

    def export_rows(self, queryset=None):
        """The rows of the export; once all are written, one audit row when full ID or mobile numbers
        of other members were in it (``core.audit``)."""
        self._reveals = audit.Reveals(self.user)
        for obj in self.export_queryset(queryset).iterator(chunk_size=BATCH_SIZE):
            yield [self.export_cell(column, obj) for column in self.columns]
        audit.record(self._reveals, kind="export", where=f"export:{self.kind or self._meta.model._meta.model_name}")

    def note_reveal(self, member) -> None:
        reveals = getattr(self, "_reveals", None)
        if reveals is None:  # a cell rendered outside export_rows
            reveals = self._reveals = audit.Reveals(self.user)
        reveals.add(member)

    def scope_organizations(self):
        """The organisations whose codes the kind's columns accept from this user (a queryset), or
        None for a kind without organisation codes. Listed in the template's second sheet."""
        return None

    def scope_organization_codes(self) -> list[tuple[str, str]]:
        """(code, name) of ``scope_organizations``, by code; none without a user."""
        organizations = self.scope_organizations() if self.user is not None else None
        if organizations is None:
            return []
        return list(organizations.order_by("code").values_list("code", "name"))

    def example_row(self, codes=None) -> list:
        """The template's example row; an organisation code column shows the first code of
        ``codes`` (the user's scope), else a code of the real shape."""
        example_code = codes[0][0] if codes else EXAMPLE_ORGANIZATION_CODE
        return [example_code if column.scope_code else column.example for column in self.columns]

    def reference_sheet(self, codes=None) -> tuple[list[str], list[list]]:
        """(headers, rows) of the template's second sheet: the organisation codes and names of the
        user's scope (``codes``), and the values each choice column accepts, one column each."""
        lists = []
        if codes is not None and self.scope_organizations() is not None:
            lists.append((in_language(_("organisation code"), HEADER_LANGUAGE), [code for code, _name in codes]))
            lists.append((in_language(_("organisation name"), HEADER_LANGUAGE), [name for _code, name in codes]))
        for column in self.columns:
            if isinstance(column.parse, ChoiceParser):
                labels = [in_language(label, HEADER_LANGUAGE) for _code, label in column.parse.choices]
                lists.append((self.header_of(column), labels))
        height = max((len(values) for _header, values in lists), default=0)
        rows = [
            [escape_formula(values[index]) if index < len(values) else "" for _header, values in lists]
            for index in range(height)
        ]
        return [header for header, _values in lists], rows

    # --- the library's entry points (admin) -----------------------------------------------------

    def export(self, queryset=None, **kwargs):
        """The admin's export: the same scoped, masked, formula-safe rows as the pages."""
        import tablib

        if self.user is None and kwargs.get("request") is not None:
            self.user = kwargs["request"].user
        dataset = tablib.Dataset(headers=self.export_headers())
        for row in self.export_rows(queryset):
            dataset.append(row)
        return dataset


# --- a member's personal data in a cell ----------------------------------------------------------


def id_number_cell(resource, member) -> str:
    """The member's ID number as exported: in full only where ``resource.may_see_full_id`` allows
    (and then audited: ``core.audit``, one row per export)."""
    if resource.may_see_full_id(member):
        resource.note_reveal(member)
        return member.id_number
    return mask_id_number(member.id_number)


def phone_cell(resource, member) -> str:
    if resource.may_see_full_id(member):
        resource.note_reveal(member)
        return member.phone
    return mask_phone(member.phone)


def parse_id_cell(value) -> str:
    return normalize_id_number(parse_text(value))
