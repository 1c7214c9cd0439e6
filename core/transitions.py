"""The one way a workflow changes state: a table of steps and one locked, checked, recorded write.

Each workflow (a transfer, a member's stage, a service request, a micro-wish, a room booking)
declares its states' steps as ONE table next to its states, for example::

    TRANSFER_STEPS = {
        "approve": Step(from_={REQUESTED}, to=APPROVED, refused=_("… cannot be approved: it is %(status)s.")),
        "reject": Step(from_={REQUESTED, APPROVED}, to=REJECTED, refused=...),
    }

and every action takes its step through :func:`transition`, which, in one transaction:

1. re-reads the row under a row lock (``select_for_update`` inside ``transaction.atomic``), so the
   state checked is the committed one and two people clicking at once make exactly one transition;
2. runs the action's ``guard`` (who may act), then refuses a step whose current state is not one
   of the step's from-states with a ``ValidationError`` fit to show, then runs the action's
   ``check`` (the step's own rules: a reason given, a letter still valid, ...);
3. sets the new state and the step's other fields and saves only the fields it changed;
4. writes the timeline entry through the action's ``record`` callable (each workflow has its own
   event model: ``TransferEvent``, ``StageChange``, ``ServiceRequestEvent``, ...);
5. calls the action's ``notify`` callable last. It sends through ``notifications.actions.notify``,
   which writes and sends nothing before the transaction commits (``transaction.on_commit``): a
   refusal or a rollback notifies nobody. (core imports no app, so the helper takes a callable.)

Why not django-fsm-2 (on PyPI)? Its ``@transition`` decorators describe the table, but they would
not give the row lock, the timeline entry and the on-commit notifications in one place: each
decorated method would still wrap them by hand, the state would be set by methods on the model
(writes belong in actions here) and it would add a dependency. A table of :class:`Step` values and
this one locked, checked, recorded write are all the workflows need.
"""

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Step:
    """One step of a workflow: the states it may start from and the state it leads to.

    ``to`` is a state, a callable ``to(obj) -> state`` (e.g. the next stage), or ``None`` when the
    action names the target (a correction). ``refused`` is the message of a step from another
    state; it may use ``%(status)s`` (the current state's label). ``refused_from`` overrides it for
    particular current states.
    """

    from_: Collection[str]
    to: str | Callable[[Any], str] | None = None
    refused: Any = _("This step is not possible now: it is %(status)s.")
    refused_from: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        object.__setattr__(self, "from_", frozenset(self.from_))

    def allows(self, state) -> bool:
        return state in self.from_

    def refusal(self, obj, state_field: str = "status") -> ValidationError:
        state = getattr(obj, state_field)
        message = self.refused_from.get(state, self.refused)
        if "%(status)s" in str(message):
            display = getattr(obj, f"get_{state_field}_display", lambda: state)()
            message = message % {"status": display}
        return ValidationError(message)


@dataclass
class Done:
    """What a transition did: the locked, saved row, the state it left and the timeline entry."""

    obj: models.Model
    from_state: str
    event: Any = None


def transition(
    obj: models.Model,
    step: Step | Callable[[Any], Step],
    *,
    queryset: models.QuerySet | None = None,
    state_field: str = "status",
    to: str | None = None,
    guard: Callable[[Any], None] | None = None,
    check: Callable[[Any], None] | None = None,
    changes: Mapping[str, Any] | Callable[[Any], Mapping[str, Any]] | None = None,
    clean_exclude: Iterable[str] | None = None,
    conflict: Any = None,
    record: Callable[[Any, str], Any] | None = None,
    notify: Callable[[Any, str], None] | None = None,
) -> Done:
    """Take ``step`` on ``obj``: lock, check, set, save, record, notify (see the module docstring).

    ``step`` is a row of the workflow's table, or a callable choosing it from the locked row.
    ``queryset`` re-reads the row (add ``select_related`` for what the checks and messages use;
    only the row itself is locked). ``guard(obj)`` and ``check(obj)`` raise to refuse; ``changes``
    are the step's other fields (or a callable returning them, run after the checks). With
    ``clean_exclude`` the row is ``full_clean``-ed (excluding those fields) before saving; with
    ``conflict`` a constraint violation on saving is refused with that message. ``record(obj,
    from_state)`` writes the timeline entry, ``notify(obj, from_state)`` the notifications.
    A refusal raises ``ValidationError`` (or whatever ``guard``/``check`` raise) and writes nothing.
    """
    with transaction.atomic():
        queryset = queryset if queryset is not None else type(obj)._default_manager.all()
        obj = queryset.select_for_update(of=("self",)).get(pk=obj.pk)
        if guard is not None:
            guard(obj)
        if not isinstance(step, Step):
            step = step(obj)  # chosen from the locked row (a transfer in from outside skips the approval)
        from_state = getattr(obj, state_field)
        if not step.allows(from_state):
            raise step.refusal(obj, state_field)
        if check is not None:
            check(obj)
        target = to if to is not None else step.to(obj) if callable(step.to) else step.to
        if target is None:
            raise ValueError("this step needs its target state")
        values = dict(changes(obj) if callable(changes) else changes or {})
        setattr(obj, state_field, target)
        for name, value in values.items():
            setattr(obj, name, value)
        if clean_exclude is not None:
            obj.full_clean(exclude=list(clean_exclude))
        update_fields = [name for name in values if name != state_field]
        if target != from_state:
            update_fields.insert(0, state_field)
        if not update_fields:
            pass  # a step that only records (an extension of probation): the row stays as it is
        elif conflict is None:
            obj.save(update_fields=update_fields)
        else:
            try:
                with transaction.atomic():
                    obj.save(update_fields=update_fields)
            except IntegrityError as exc:
                raise ValidationError(conflict) from exc
        event = record(obj, from_state) if record is not None else None
        if notify is not None:
            notify(obj, from_state)
    return Done(obj=obj, from_state=from_state, event=event)


def begin(
    step: Step,
    *,
    create: Callable[[str], models.Model],
    record: Callable[[Any, str], Any] | None = None,
    notify: Callable[[Any, str], None] | None = None,
) -> Done:
    """The first step of a workflow, which creates its row: ``create(state)`` makes it in the
    step's state (the action locks and checks what the creation depends on), then the timeline
    entry is written and the notifications queued, as in :func:`transition`."""
    with transaction.atomic():
        obj = create(step.to)
        event = record(obj, "") if record is not None else None
        if notify is not None:
            notify(obj, "")
    return Done(obj=obj, from_state="", event=event)
