"""Serialising a page of rows without DRF's per-value introspection.

DRF's ``Serializer.to_representation`` asks every field of every row how to read its value:
``Field.get_attribute`` walks the source with ``fields.get_attribute``, which runs
``inspect.signature`` on each callable it meets (``get_kind_display`` is one), a related key
goes through ``serializable_value`` and a ``PKOnlyObject``, and each many-to-many field builds
a related manager to reach its prefetched rows. On a 50-row page of 28 fields that was about
half of an API list's time (docs/benchmarks.md, issue #16).

``PlannedRepresentationMixin`` reads the same values the same way, but decides how once per
serializer instance (a *plan*: one reader and one writer per readable field) instead of once per
value:

* a field that reads its source the ordinary way (``Field.get_attribute``) gets a reader that
  follows the source with ``getattr`` and calls a method only if DRF would (the answer of
  ``is_simple_callable`` is remembered per class, attribute and kind of callable);
* a primary-key related field (``PrimaryKeyRelatedField`` and subclasses, no ``pk_field``) on one
  of the model's own foreign keys reads the key's column (``host_id``), as DRF's pk-only
  optimisation does;
* a many-to-many field of primary keys, and a nested list serializer, read the rows a
  ``prefetch_related`` left on the instance, when there are any;
* every other field, and any value a reader cannot take the ordinary way (a dictionary on the
  path, a missing attribute, a related row that does not exist, a relation not prefetched), is
  read by DRF's own code, so defaults, ``SkipField`` and error messages stay DRF's.

Each value is then written by the field's own ``to_representation`` (dates, decimals, choices,
nested serializers), ``None`` staying ``None`` as in DRF. The output is equal to DRF's: the
parity test (tests/api/test_representation.py) compares both on every list and detail the API
routes. ``ENABLED`` turns the plan off (the test compares with it off).
"""

import functools
import inspect

from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.db import models
from django.db.models.fields.related_descriptors import ManyToManyDescriptor, ReverseManyToOneDescriptor
from django.utils import translation
from django.utils.encoding import force_str
from django.utils.hashable import make_hashable
from rest_framework import fields as drf_fields
from rest_framework import relations, serializers
from rest_framework.fields import SkipField

ENABLED = True

# (class of the object, attribute, class of the callable found) -> does DRF call it?
_SIMPLE_CALLABLES: dict[tuple[type, str, type], bool] = {}

_READ_ERRORS = (AttributeError, KeyError, ObjectDoesNotExist, TypeError, ValueError)


class _Fallback(Exception):
    """A reader met something it does not take the ordinary way: DRF reads the value instead."""


def _is_simple_callable(holder, attr, value) -> bool:
    """``rest_framework.fields.is_simple_callable(value)``, remembered for methods and partials
    (Django's ``get_FOO_display``) per class of the object holding them and attribute."""
    if inspect.isbuiltin(value):
        raise _Fallback  # DRF refuses to inspect it, with its own message
    if not (inspect.ismethod(value) or isinstance(value, functools.partial)):
        # A plain function (stored on an instance: may differ per object) or not a function at
        # all (a related manager is callable; DRF leaves it as it is).
        return inspect.isfunction(value) and drf_fields.is_simple_callable(value)
    key = (type(holder), attr, type(value))
    simple = _SIMPLE_CALLABLES.get(key)
    if simple is None:
        simple = _SIMPLE_CALLABLES[key] = drf_fields.is_simple_callable(value)
    return simple


def _follow(instance, attrs):
    """The value at ``attrs`` from ``instance``, as ``rest_framework.fields.get_attribute`` finds
    it, or ``_Fallback`` where that function would take another way or fail."""
    value = instance
    for attr in attrs:
        if isinstance(value, dict) or value is None:
            raise _Fallback
        holder, value = value, getattr(value, attr)
        if callable(value) and not isinstance(value, type) and _is_simple_callable(holder, attr, value):
            value = value()
    return value


def _drf(field):
    """DRF's own reading and writing of one field (``Serializer.to_representation``'s loop)."""

    def read(instance):
        attribute = field.get_attribute(instance)  # may raise SkipField, as in DRF
        if isinstance(attribute, relations.PKOnlyObject) and attribute.pk is None:
            return None
        return attribute

    return read, field.to_representation


def _by_source(field):
    attrs = tuple(field.source_attrs)
    slow, write = _drf(field)

    def read(instance):
        try:
            return _follow(instance, attrs)
        except (_Fallback, *_READ_ERRORS):
            return slow(instance)

    return read, write


def _is_pk_field(field):
    return (
        isinstance(field, relations.PrimaryKeyRelatedField)
        and field.pk_field is None
        and type(field).get_attribute is relations.RelatedField.get_attribute
        and type(field).to_representation is relations.PrimaryKeyRelatedField.to_representation
    )


def _by_foreign_key(field, model):
    """A PrimaryKeyRelatedField on one of the model's own foreign keys: the key's column, as DRF's
    pk-only optimisation reads it (``serializable_value``)."""
    attrs = tuple(field.source_attrs)
    if model is None or len(attrs) != 1:
        return None
    try:
        model_field = model._meta.get_field(attrs[0])
    except FieldDoesNotExist:  # a property or a method: DRF's way
        return None
    if not (model_field.concrete and model_field.many_to_one):
        return None
    attname = model_field.attname
    slow, write = _drf(field)

    def read(instance):
        try:
            return instance.__dict__[attname]
        except KeyError:  # a deferred column: DRF's way (loads it)
            attribute = slow(instance)
            return None if attribute is None else write(attribute)

    return read, lambda key: key


_DISPLAY_LABELS: dict[tuple[object, str | None], dict] = {}


def _labels(model_field):
    """{stored value: its label in the active language} of a field with choices, built once per
    language (Django's ``get_FOO_display`` rebuilds and translates every choice on each call)."""
    key = (model_field, translation.get_language())
    labels = _DISPLAY_LABELS.get(key)
    if labels is None:
        labels = _DISPLAY_LABELS[key] = {
            make_hashable(value): force_str(label, strings_only=True) for value, label in model_field.flatchoices
        }
    return labels


def _by_display(field, model):
    """``source="get_kind_display"`` on a model that keeps Django's method: the label read from
    ``_labels`` (the same choice, the same translation, the value itself when it is no choice)."""
    attrs = tuple(field.source_attrs)
    if model is None or len(attrs) != 1 or not (attrs[0].startswith("get_") and attrs[0].endswith("_display")):
        return None
    method = inspect.getattr_static(model, attrs[0], None)
    model_field = method.keywords.get("field") if isinstance(method, functools.partialmethod) else None
    if model_field is None or model_field.model is not model and not issubclass(model, model_field.model):
        return None
    attname = model_field.attname
    slow, write = _drf(field)

    def read(instance):
        try:
            value = instance.__dict__[attname]
            return _labels(model_field).get(value, value)
        except (KeyError, TypeError):  # a deferred column, an unhashable value: Django's way
            return slow(instance)

    return read, write


def _prefetch_cache_name(model, attr):
    """The key under which ``prefetch_related(attr)`` leaves the rows of a to-many relation."""
    descriptor = getattr(model, attr, None) if model is not None else None
    if isinstance(descriptor, ManyToManyDescriptor):
        field = descriptor.rel.field
        return field.related_query_name() if descriptor.reverse else field.name
    if isinstance(descriptor, ReverseManyToOneDescriptor):
        return descriptor.field.remote_field.cache_name
    return None


def _by_prefetch(field, model):
    """A to-many field: the rows ``prefetch_related`` left on the instance, else DRF's way."""
    attrs = tuple(field.source_attrs)
    if len(attrs) != 1 or type(field).get_attribute not in (
        relations.ManyRelatedField.get_attribute,
        drf_fields.Field.get_attribute,
    ):
        return None
    cache_name = _prefetch_cache_name(model, attrs[0])
    if cache_name is None:
        return None
    slow, write = _drf(field)
    if (
        isinstance(field, relations.ManyRelatedField)
        and type(field).to_representation is relations.ManyRelatedField.to_representation
        and _is_pk_field(field.child_relation)
    ):

        def write(rows):
            return [row.pk for row in rows]

    def read(instance):
        try:
            rows = instance._prefetched_objects_cache[cache_name]
        except (AttributeError, KeyError):
            rows = None
        if rows is None or instance.pk is None:
            rows = slow(instance)  # DRF's way: a manager, or [] for an unsaved row
            return None if rows is None else list(rows.all() if hasattr(rows, "all") else rows)
        return rows

    return read, write


def _read_write(field, model):
    if isinstance(field, relations.ManyRelatedField | serializers.ListSerializer):
        return _by_prefetch(field, model) or _drf(field)
    if _is_pk_field(field):
        return _by_foreign_key(field, model) or _drf(field)
    if not isinstance(field, relations.RelatedField) and type(field).get_attribute is drf_fields.Field.get_attribute:
        return _by_display(field, model) or _by_source(field)
    return _drf(field)


def _plan(serializer):
    model = getattr(getattr(serializer, "Meta", None), "model", None)
    return [(field.field_name, *_read_write(field, model)) for field in serializer._readable_fields]


class PlannedRepresentationMixin:
    """``to_representation`` by a plan made once per serializer instance (see the module)."""

    def to_representation(self, instance):
        if not ENABLED or not isinstance(instance, models.Model):
            return super().to_representation(instance)
        plan = self.__dict__.get("_representation_plan")
        if plan is None:
            plan = self._representation_plan = _plan(self)
        result = {}
        for name, read, write in plan:
            try:
                value = read(instance)
            except SkipField:
                continue
            result[name] = None if value is None else write(value)
        return result
