"""The base of every API endpoint: scope, write permissions, model validation and errors.

Every viewset of every app subclasses ``ScopedModelViewSet`` (or ``ScopedReadOnlyModelViewSet``):

* the rows are ``Model.objects.visible_to(request.user)`` — the one scope rule of the model, the
  same as the pages, the admin and the exports — so a row outside the scope is a 404 on get,
  update, delete and every workflow step, and absent from the list;
* writes ask the viewset: ``may_create(user)`` before the body is read (a read-only role gets 403),
  ``may_write(user, obj)`` for the stored row (403) and again for the row as it would be saved
  (400: a park chosen by a crafted body is refused like a bad choice);
* serializers derive from ``ModelCleanSerializer``: foreign keys choose among the related model's
  ``visible_to(user)`` rows, and the model's own validation (``full_clean``: field validators,
  ``clean()``, unique constraints) runs before anything is written, so bad input is a 400 with
  field errors;
* workflow steps are ``@action(detail=True, methods=["post"])`` methods that call the app's
  ``actions.py`` through ``run_action``; a Django ``ValidationError`` becomes a 400 (see
  ``exception_handler``), never a free edit of a status field (``status`` is read-only in every
  serializer).
"""

import copy

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import ProtectedError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import exceptions, mixins, permissions, serializers, status, viewsets
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from core import people
from core.fields import EncryptedCharField
from core.idempotency import HEADER as IDEMPOTENCY_HEADER
from core.idempotency import IdempotentPostMixin
from core.representation import PlannedRepresentationMixin
from core.scope import scope_for

SAFE = permissions.SAFE_METHODS


# --- errors ---------------------------------------------------------------------------------


def django_errors(exc: DjangoValidationError):
    """A Django ValidationError as DRF's error structure: {field: [messages]} or {non_field_errors: [...]}."""
    if hasattr(exc, "error_dict"):
        result = {}
        for field, errors in exc.message_dict.items():
            key = api_settings.NON_FIELD_ERRORS_KEY if field == "__all__" else field
            result.setdefault(key, []).extend(errors)
        return result
    return {api_settings.NON_FIELD_ERRORS_KEY: list(exc.messages)}


def exception_handler(exc, context):
    """DRF's handler, plus: Django's ValidationError (from a model or an action) → 400 with field
    errors; IntegrityError/ProtectedError (a constraint the validation could not foresee, a row
    still referenced) → 400; Django's PermissionDenied → 403."""
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(django_errors(exc))
    elif isinstance(exc, ProtectedError):
        exc = exceptions.ValidationError(
            {api_settings.NON_FIELD_ERRORS_KEY: [_("This record is still referenced by other records.")]}
        )
    elif isinstance(exc, IntegrityError):
        exc = exceptions.ValidationError(
            {api_settings.NON_FIELD_ERRORS_KEY: [_("This change conflicts with existing records.")]}
        )
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    if isinstance(exc, exceptions.ValidationError) and not isinstance(exc.detail, dict):
        # A 400 is always an object (the documented shape): a bare list of messages concerns the
        # whole input.
        exc = exceptions.ValidationError({api_settings.NON_FIELD_ERRORS_KEY: exc.detail})
    return drf_exception_handler(exc, context)


class ErrorSerializer(serializers.Serializer):
    """An error without field detail (401, 403, 404, 405, 429)."""

    detail = serializers.CharField()


class ValidationErrorSerializer(serializers.Serializer):
    """A 400: each field name maps to its messages; errors of the whole record are under
    ``non_field_errors``."""

    non_field_errors = serializers.ListField(child=serializers.CharField(), required=False)


IDEMPOTENCY_PARAMETER = OpenApiParameter(
    name=IDEMPOTENCY_HEADER,
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "Optional, at most 255 printable characters (a UUID is a good choice). A POST repeated with the "
        "same key by the same user and the same request (method, path, body) within 24 hours is not "
        "run again: it gets the first answer again (status and body, header Idempotent-Replayed: true). "
        "The same key with another request is refused with 422. Only successful answers are kept."
    ),
)


class PortalAutoSchema(AutoSchema):
    """Every operation documents its error responses with the two error shapes above, and every
    POST of an idempotent view its ``Idempotency-Key`` header and 422."""

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if self._is_idempotent_post():
            parameters.append(IDEMPOTENCY_PARAMETER)
        return parameters

    def _is_idempotent_post(self):
        return self.method.upper() == "POST" and isinstance(self.view, IdempotentPostMixin)

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        method = self.method.upper()
        errors = {}
        if self.view.get_authenticators() and self._requires_login():
            errors["401"] = (ErrorSerializer, _("Not authenticated."))
            errors["403"] = (ErrorSerializer, _("Authenticated, but not allowed to do this."))
        if method in ("POST", "PUT", "PATCH") or self._has_query_input():
            errors["400"] = (ValidationErrorSerializer, _("Invalid input: messages per field."))
        if self._is_detail():
            errors["404"] = (ErrorSerializer, _("No such record in your scope."))
        if self._is_idempotent_post():
            errors["422"] = (ErrorSerializer, _("This Idempotency-Key was already used for another request."))
        for code, (serializer, description) in errors.items():
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    OpenApiResponse(response=serializer, description=str(description)), code
                )
        return responses

    def _requires_login(self):
        return not any(isinstance(p, permissions.AllowAny) for p in self.view.get_permissions())

    def _has_query_input(self):
        return (
            self.method.upper() == "GET"
            and bool(getattr(self.view, "filterset_class", None) or getattr(self.view, "filterset_fields", None))
            or bool(getattr(self.view, "ordering_fields", None))
        )

    def _is_detail(self):
        return "{" in self.path


# --- serializers ----------------------------------------------------------------------------


def _request_user(field_or_serializer):
    request = field_or_serializer.context.get("request") if hasattr(field_or_serializer, "context") else None
    return getattr(request, "user", None)


class ScopedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A foreign key that may name only rows of the related model visible to the user, plus the
    value the edited object already holds (editing a branch whose parent committee lies outside
    a park administrator's rows must not fail on it; no other hidden row can be chosen)."""

    def get_queryset(self):
        queryset = super().get_queryset()
        user = _request_user(self)
        manager = queryset.model._default_manager
        if user is None or not hasattr(manager, "visible_to"):
            return queryset
        visible = manager.visible_to(user)
        if scope_for(user).superuser:
            return visible
        current = self._current_values()
        if current:
            from django.db.models import Q

            return manager.filter(Q(pk__in=visible.values("pk")) | Q(pk__in=current))
        return visible

    def _current_values(self):
        serializer = self.parent
        many = False
        if isinstance(serializer, serializers.ManyRelatedField):
            many, serializer = True, serializer.parent
        instance = getattr(serializer, "instance", None)
        if instance is None or isinstance(instance, list | tuple) or not getattr(instance, "pk", None):
            return []
        name = self.parent.field_name if many else self.field_name
        source = (self.parent.source if many else self.source) or name
        if many:
            return list(getattr(instance, source).values_list("pk", flat=True))
        value = getattr(instance, f"{source}_id", None)
        return [value] if value is not None else []


class DateTimeField(serializers.DateTimeField):
    """DRF's date-time field, answering 400 where making the value aware overflows.

    DRF converts a naive value to the portal's time zone and checks it by a round trip through UTC
    (``valid_datetime``), which raises OverflowError on the first hours of year 1 and the last of
    year 9999 before any validator runs. Such a value is out of range: a field error, never a 500.
    The model's range (core/validators.py, DateRange) then refuses anything outside its years."""

    def enforce_timezone(self, value):
        try:
            return super().enforce_timezone(value)
        except (OverflowError, ValueError):
            self.fail("overflow")


class PersonNameField(serializers.CharField):
    """A login shown as the person it is (``core.people.display_name``), read-only: give the
    user relation as ``source`` (``PersonNameField(source="created_by")``); null when there is none."""

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return people.display_name(value) or None


class ModelSerializer(PlannedRepresentationMixin, serializers.ModelSerializer):
    """DRF's ModelSerializer, serialising a page of rows by a plan made once per serializer instead
    of asking every field of every row how to read it (core/representation.py); same output."""


class ModelCleanSerializer(ModelSerializer):
    """A ModelSerializer that validates with the model (``full_clean``) and scopes its foreign keys.

    ``validate`` builds the object as it would be saved (``self.candidate``), runs the model's
    field validators, ``clean()`` and unique checks, and writes back what ``clean()`` normalised
    (credit codes, ID numbers in upper case). The view checks the candidate's scope before saving.
    """

    serializer_related_field = ScopedPrimaryKeyRelatedField
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: DateTimeField,
    }

    def validate(self, attrs):
        attrs = super().validate(attrs)
        model = self.Meta.model
        m2m_names = {f.name for f in model._meta.many_to_many}
        candidate = copy.copy(self.instance) if self.instance is not None else model()
        plain = {k: v for k, v in attrs.items() if k not in m2m_names}
        for name, value in plain.items():
            setattr(candidate, name, value)
        writable = {f.source for f in self._writable_fields}
        exclude = [f.name for f in model._meta.concrete_fields if f.name not in writable and f.attname not in writable]
        try:
            candidate.full_clean(exclude=exclude)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(django_errors(exc)) from exc
        for name in plain:
            attrs[name] = getattr(candidate, name)
        self.candidate = candidate
        return attrs


class ActionSerializer(serializers.Serializer):
    """The body of a workflow step; subclasses list the step's arguments."""


# --- permissions ----------------------------------------------------------------------------


class ScopedWritePermission(permissions.BasePermission):
    """Reads for any authenticated user (the queryset does the scoping); writes as the viewset says."""

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return False
        if request.method in SAFE:
            return True
        if getattr(view, "action", None) == "create":
            return view.may_create(request.user)
        return True

    def has_object_permission(self, request, view, obj):
        if request.method in SAFE:
            return True
        action = getattr(view, "action", None)
        if action in ("update", "partial_update"):
            return view.may_write(request.user, obj)
        if action == "destroy":
            return view.may_delete(request.user, obj)
        return view.may_act(request.user, obj, action)


def is_superuser(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.is_superuser)


# --- viewsets -------------------------------------------------------------------------------


def call_action(action_function, /, **kwargs):
    """Call one of an app's actions (a write or a workflow step) in a transaction and return its
    result. Its Django ValidationError becomes a 400 with field errors (``exception_handler``),
    its PermissionDenied a 403, its Http404 a 404."""
    try:
        with transaction.atomic():
            return action_function(**kwargs)
    except DjangoValidationError as exc:
        raise exceptions.ValidationError(django_errors(exc)) from exc


def encrypted_columns(model, paths):
    """The encrypted columns (an ID number) of the rows ``paths`` join to ``model``'s rows.

    A list shows a related member by name; it never shows a related row's ID number, which is
    decrypted (Fernet, about 10 µs a value) only where the member itself is shown and masked.
    Deferring them saves the decryption of every row of a page (issue #16); a serializer that did
    read one would cost a query per row, which the query-count tests would catch."""
    deferred = []
    for path in paths:
        related = model
        for part in path.split("__"):
            related = related._meta.get_field(part).related_model
        deferred += [f"{path}__{f.name}" for f in related._meta.concrete_fields if isinstance(f, EncryptedCharField)]
    return deferred


class ScopedViewSetMixin(IdempotentPostMixin):
    """Scoped rows, write checks and transactional saves, shared by the viewsets below; every POST
    honours an ``Idempotency-Key`` header (``core.idempotency``)."""

    #: related rows loaded with the list so that its query count does not grow with its rows
    select_related: tuple = ()
    prefetch_related: tuple = ()
    permission_classes = [permissions.IsAuthenticated, ScopedWritePermission]

    def base_queryset(self):
        """``self.queryset`` (keeping its select_related/annotations) narrowed by ``visible_to``; a
        model without a scope rule is for superusers only."""
        queryset = self.queryset.all()
        if hasattr(queryset, "visible_to"):
            return queryset.visible_to(self.request.user)
        return queryset if is_superuser(self.request.user) else queryset.none()

    def get_queryset(self):
        queryset = self.base_queryset()
        if self.select_related:
            queryset = queryset.select_related(*self.select_related)
            if deferred := encrypted_columns(queryset.model, self.select_related):
                queryset = queryset.defer(*deferred)
        if self.prefetch_related:
            queryset = queryset.prefetch_related(*self.prefetch_related)
        if not queryset.query.order_by and not queryset.model._meta.ordering:
            queryset = queryset.order_by("pk")
        return queryset

    #: True when every write of the endpoint goes through an action (or a perform_* override) that
    #: checks the actor itself (raising ValidationError or PermissionDenied): the permission class
    #: then lets writes through to it. False (the default): superusers only, unless the viewset
    #: overrides ``may_create``/``may_write``.
    writes_checked_by_actions = False

    # -- who may write: superusers only unless a viewset says more --------------------------------
    def may_create(self, user) -> bool:
        """May ``user`` create rows of this endpoint at all (before the body is read)?"""
        return self.writes_checked_by_actions or is_superuser(user)

    def may_write(self, user, obj) -> bool:
        """May ``user`` change ``obj`` — checked on the stored row and on the row to be saved."""
        return self.writes_checked_by_actions or is_superuser(user)

    def may_delete(self, user, obj) -> bool:
        return self.may_write(user, obj)

    def may_act(self, user, obj, action) -> bool:
        """Workflow steps decide in their action (a refusal is a 400 with the reason); True here."""
        return True

    # -- saving -----------------------------------------------------------------------------------
    def check_candidate(self, serializer):
        candidate = getattr(serializer, "candidate", None)
        if candidate is not None and not self.may_write(self.request.user, candidate):
            raise exceptions.ValidationError(
                {api_settings.NON_FIELD_ERRORS_KEY: [_("You may only save records within your own scope.")]}
            )

    def perform_create(self, serializer):
        self.check_candidate(serializer)
        with transaction.atomic():
            self.create_object(serializer)

    def perform_update(self, serializer):
        self.check_candidate(serializer)
        with transaction.atomic():
            self.update_object(serializer)

    def perform_destroy(self, instance):
        with transaction.atomic():
            self.destroy_object(instance)

    # Override these to call an app's actions instead of saving the serializer.
    def create_object(self, serializer):
        serializer.save()

    def update_object(self, serializer):
        serializer.save()

    def destroy_object(self, instance):
        instance.delete()

    # -- workflow steps ---------------------------------------------------------------------------
    def run_action(self, action_function, *, input_serializer=None, output_serializer=None, **kwargs):
        """Validate the body with ``input_serializer`` (a class), call ``action_function(**kwargs,
        **validated data)`` in a transaction, and answer 200 with the result serialized by
        ``output_serializer`` (default: the viewset's serializer). A Django ValidationError raised by
        the action becomes a 400 (``exception_handler``)."""
        data = {}
        if input_serializer is not None:
            body = input_serializer(data=self.request.data, context=self.get_serializer_context())
            body.is_valid(raise_exception=True)
            data = dict(body.validated_data)
        result = call_action(action_function, **kwargs, **data)
        if output_serializer is None:
            output_serializer = self.get_serializer_class()
        if result is None or isinstance(result, bool | int):
            return Response(status=status.HTTP_204_NO_CONTENT)
        if hasattr(result, "pk") and hasattr(self, "queryset") and isinstance(result, self.queryset.model):
            result = self.reload(result)
        return Response(output_serializer(result, context=self.get_serializer_context()).data)

    def reload(self, obj):
        """The row re-read through the viewset's queryset (select_related, annotations), or as is
        when the change took it out of the user's scope."""
        return self.get_queryset().filter(pk=obj.pk).first() or obj


class ScopedModelViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]


class ScopedReadOnlyModelViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    pass


class ScopedCreateReadViewSet(
    ScopedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """List, retrieve and create (``create_object`` calls the app's action), never update or
    delete: ledgers and records that only actions write."""


# --- OpenAPI links (the stateful phase of .ci/schemathesis.sh) ----------------------------------


def add_links(result, generator, request, public):
    """drf-spectacular post-processing hook: OpenAPI links from each collection to its rows.

    A create (``POST /things/``, 201) links to every operation on ``/things/{id}/…`` with the new
    row's ``id``; a list (``GET /things/``, 200, paginated) links to them with its first row's id.
    Schemathesis' stateful phase follows these links, so that it reads, changes and steps the rows
    it has just made or listed instead of guessing ids."""
    paths = result.get("paths", {})
    for collection, operations in paths.items():
        if "{" in collection:
            continue
        targets = [
            (operation["operationId"], path)
            for path, item in paths.items()
            if path.startswith(collection + "{id}/") and path.count("{") == 1
            for method, operation in item.items()
            if method in ("get", "put", "patch", "delete", "post") and "operationId" in operation
        ]
        if not targets:
            continue
        sources = [("post", "201", "$response.body#/id"), ("get", "200", "$response.body#/results/0/id")]
        for method, code, expression in sources:
            response = operations.get(method, {}).get("responses", {}).get(code)
            if response is None:
                continue
            response["links"] = {
                operation_id: {
                    "operationId": operation_id,
                    "parameters": {"id": expression},
                    "description": f"The row's id, for {path}",
                }
                for operation_id, path in targets
            }
    return result
