"""Pages of the service centre. Views parse input, call an action or a selector and render."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.idempotency import idempotent_form
from core.querysets import CHANGE
from core.scope import scope_for
from parks.models import Park

from . import actions, rules, selectors
from .forms import (
    AssignForm,
    BookingForm,
    CloseForm,
    CommentForm,
    DeclineForm,
    FulfilForm,
    NoteForm,
    QueueFilterForm,
    ReasonForm,
    RequestSubmitForm,
    WishForm,
)
from .models import RoomBooking, ServiceRequest, Wish


def _apply_errors(form, exc: ValidationError):
    """Put an action's ValidationError onto the form: field errors where the field exists."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            target = field if field in form.fields else None
            for error in errors:
                form.add_error(target, error)
    else:
        for message in exc.messages:
            form.add_error(None, message)


# ---------------------------------------------------------------------------------------------
# requests


@login_required
def my_requests(request):
    rows = selectors.my_requests(request.user)
    can_submit = selectors.submit_enterprises(request.user).exists() or scope_for(request.user).is_member
    return render(request, "services/my_requests.html", {"rows": rows, "can_submit": can_submit})


@login_required
@idempotent_form
def request_new(request):
    enterprises = list(selectors.submit_enterprises(request.user))
    if not enterprises and not scope_for(request.user).is_member:
        raise PermissionDenied(_("Only party members and enterprise contacts may submit service requests."))
    form_kwargs = {
        "categories": selectors.categories(),
        "enterprises": selectors.submit_enterprises(request.user),
    }
    if request.method == "POST":
        form = RequestSubmitForm(request.POST, request.FILES, **form_kwargs)
        if form.is_valid():
            data = form.cleaned_data
            try:
                created = actions.request_submit(
                    by=request.user,
                    category=data["category"],
                    title=data["title"],
                    description=data["description"],
                    urgency=data["urgency"],
                    enterprise=data["enterprise"],
                    attachment=data["attachment"],
                )
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                messages.success(
                    request, _("Your request was submitted. It is due by %(due)s.") % {"due": created.due_on}
                )
                return redirect("services:request_detail", pk=created.pk)
        status = 400
    else:
        form = RequestSubmitForm(**form_kwargs)
        if len(enterprises) == 1:
            form.initial["enterprise"] = enterprises[0].pk
        status = 200
    return render(request, "services/request_form.html", {"form": form}, status=status)


STEP_FORMS = {
    "assign": None,  # built with the park's teams
    "resolve": NoteForm,
    "reject": ReasonForm,
    "reopen": ReasonForm,
    "close": CloseForm,
    "comment": CommentForm,
}


def _detail_context(request, obj, bound=None):
    perms = rules.request_permissions(request.user, obj)
    forms = {
        "assign": AssignForm(teams=selectors.teams_of_park(obj.park_id), initial={"team": obj.team_id}),
        "resolve": NoteForm(),
        "reject": ReasonForm(),
        "reopen": ReasonForm(),
        "close": CloseForm(),
        "comment": CommentForm(),
    }
    if bound:
        forms.update(bound)
    return {"obj": obj, "can": perms, "forms": forms, "events": obj.events.all()}


@login_required
def request_detail(request, pk):
    try:
        obj = selectors.request_detail(request.user, pk)
    except ServiceRequest.DoesNotExist:
        raise Http404 from None
    return render(request, "services/request_detail.html", _detail_context(request, obj))


@login_required
@require_POST
@idempotent_form
def request_step(request, pk, step):
    try:
        obj = selectors.request_detail(request.user, pk)
    except ServiceRequest.DoesNotExist:
        raise Http404 from None
    if step not in {"accept", "assign", "start", "resolve", "close", "reject", "reopen", "comment"}:
        raise Http404
    form = None
    if step == "assign":
        form = AssignForm(request.POST, teams=selectors.teams_of_park(obj.park_id))
    elif step in STEP_FORMS:
        form = STEP_FORMS[step](request.POST, request.FILES)
    if form is not None and not form.is_valid():
        context = _detail_context(request, obj, {step: form})
        return render(request, "services/request_detail.html", context, status=400)
    data = form.cleaned_data if form is not None else {}
    by = request.user
    try:
        if step == "accept":
            actions.request_accept(request=obj, by=by)
        elif step == "assign":
            actions.request_assign(request=obj, by=by, team=data["team"], note=data["note"])
        elif step == "start":
            actions.request_start(request=obj, by=by)
        elif step == "resolve":
            actions.request_resolve(request=obj, by=by, note=data["note"], attachment=data["attachment"])
        elif step == "close":
            actions.request_close(request=obj, by=by, rating=data["rating"], comment=data["comment"])
        elif step == "reject":
            actions.request_reject(request=obj, by=by, reason=data["reason"])
        elif step == "reopen":
            actions.request_reopen(request=obj, by=by, reason=data["reason"])
        elif step == "comment":
            actions.request_comment(request=obj, by=by, text=data["text"], attachment=data["attachment"])
    except ValidationError as exc:
        if form is None:
            form = CommentForm()  # any form to carry the message
            form.is_valid()
            context = _detail_context(request, obj)
            context["step_errors"] = exc.messages
        else:
            _apply_errors(form, exc)
            context = _detail_context(request, obj, {step: form})
            context["step_errors"] = form.non_field_errors()
        return render(request, "services/request_detail.html", context, status=400)
    messages.success(request, _("Done."))
    return redirect("services:request_detail", pk=obj.pk)


def _queue_form(request, parks):
    teams = selectors.teams_of_parks([p.pk for p in parks])
    return QueueFilterForm(request.GET or None, parks=parks, categories=selectors.categories(), teams=teams)


@login_required
def queue(request):
    parks = list(selectors.queue_parks(request.user))
    if not parks:
        raise PermissionDenied(_("The request queue is for park administrators and district officials."))
    form = _queue_form(request, selectors.queue_parks(request.user))
    filters = selectors.QueueFilters()
    if form.is_bound:
        if not form.is_valid():
            return render(request, "services/queue.html", {"form": form, "rows": [], "parks": parks}, status=400)
        data = form.cleaned_data
        filters = selectors.QueueFilters(
            status=data["status"],
            category=data["category"].pk if data["category"] else None,
            team=data["team"].pk if data["team"] else None,
            overdue=data["overdue"],
            park=data["park"].pk if data["park"] else None,
        )
    rows = selectors.park_queue(request.user, filters)[:200]
    template = "services/partials/request_rows.html" if request.htmx else "services/queue.html"
    return render(request, template, {"form": form, "rows": rows, "parks": parks, "show_park": len(parks) > 1})


INBOX_LABELS = {
    "new": gettext_lazy("New in the park"),
    "team": gettext_lazy("My teams' queue"),
    "overdue": gettext_lazy("Overdue"),
}


@login_required
def inbox(request):
    """The service staff's inbox: the park's new requests to triage, their teams' queue, overdue."""
    if not selectors.may_use_inbox(request.user):
        raise PermissionDenied(_("The inbox is for the park's service staff and the members of its service teams."))
    tab = request.GET.get("tab") or ("new" if scope_for(request.user).service_park_ids else "team")
    if tab not in selectors.INBOX_TABS:
        tab = "new"
    counts = selectors.inbox_counts(request.user)
    tabs = [{"key": key, "label": INBOX_LABELS[key], "count": counts[key]} for key in selectors.INBOX_TABS]
    rows = selectors.inbox(request.user, tab)[:200]
    return render(
        request,
        "services/inbox.html",
        {"tabs": tabs, "tab": tab, "rows": rows, "show_park": len(scope_for(request.user).service_park_ids) > 1},
    )


@login_required
def team_list(request):
    teams = selectors.visible_teams(request.user)
    return render(
        request,
        "services/team_list.html",
        {"teams": teams, "mine": set(selectors.my_teams(request.user).values_list("pk", flat=True))},
    )


@login_required
def team_queue(request, pk):
    team = get_object_or_404(selectors.visible_teams(request.user), pk=pk)
    rows = selectors.team_queue(request.user, team)[:200]
    return render(request, "services/team_queue.html", {"team": team, "rows": rows})


# ---------------------------------------------------------------------------------------------
# micro-wishes


def _admin_parks(user):
    """The parks whose micro-wishes the user posts: the parks they may change."""
    return Park.objects.visible_to(user, CHANGE)


@login_required
@idempotent_form
def wish_list(request):
    admin_parks = _admin_parks(request.user)
    form = WishForm(parks=admin_parks) if admin_parks.exists() else None
    status = 200
    if request.method == "POST":
        if form is None:
            raise PermissionDenied(_("Only the park's administrators post micro-wishes."))
        form = WishForm(request.POST, parks=admin_parks)
        if form.is_valid():
            try:
                actions.wish_post(
                    by=request.user,
                    park=form.cleaned_data["park"],
                    beneficiary=form.cleaned_data["beneficiary"],
                    need=form.cleaned_data["need"],
                )
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                messages.success(request, _("The micro-wish was posted."))
                return redirect("services:wish_list")
        status = 400
    member = getattr(request.user, "member", None) if hasattr(request.user, "member") else None
    context = {
        "wishes": selectors.wishes(request.user),
        "form": form,
        "fulfil_form": FulfilForm(),
        "member_id": member.pk if member else None,
        "admin_park_ids": set(admin_parks.values_list("pk", flat=True)),
    }
    return render(request, "services/wish_list.html", context, status=status)


@login_required
@require_POST
def wish_step(request, pk, step):
    wish = get_object_or_404(Wish.objects.visible_to(request.user), pk=pk)
    try:
        if step == "claim":
            actions.wish_claim(wish=wish, by=request.user)
            messages.success(request, _("You claimed this micro-wish. Thank you!"))
        elif step == "fulfil":
            form = FulfilForm(request.POST, request.FILES)
            if not form.is_valid():
                for error in form.errors.values():
                    messages.error(request, " ".join(error))
                return redirect("services:wish_list")
            actions.wish_fulfil(
                wish=wish, by=request.user, note=form.cleaned_data["note"], photo=form.cleaned_data["photo"]
            )
            messages.success(request, _("The micro-wish is recorded as fulfilled."))
        elif step == "cancel":
            actions.wish_cancel(wish=wish, by=request.user)
            messages.success(request, _("The micro-wish was withdrawn."))
        else:
            raise Http404
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    return redirect("services:wish_list")


# ---------------------------------------------------------------------------------------------
# rooms and bookings


@login_required
def room_list(request):
    return render(request, "services/room_list.html", {"rooms": selectors.rooms(request.user)})


def _parse_week(value):
    try:
        day = datetime.date.fromisoformat(value) if value else timezone.localdate()
    except ValueError:
        day = timezone.localdate()
    return selectors.week_start(day)


def _booking_initial(request, monday):
    """The form's first values: ``?date=`` and ``?start=`` (a tapped free slot of the week view),
    else the first day of the shown week that is not past, from the next full hour."""
    today = timezone.localdate()
    try:
        day = datetime.date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        day = None
    if day is None or day < today:
        day = max(monday, today)
    try:
        start = datetime.time.fromisoformat(request.GET.get("start", ""))
    except ValueError:
        start = None
    if start is None:
        now = timezone.localtime()
        start = datetime.time(min(max(now.hour + 1, selectors.GRID_FIRST_HOUR), selectors.GRID_LAST_HOUR - 1))
        if day > today:
            start = datetime.time(9)
    end = (datetime.datetime.combine(day, start) + datetime.timedelta(hours=1)).time()
    return {"day": day, "start": start.replace(second=0, microsecond=0), "end": end.replace(second=0, microsecond=0)}


def _overlap_message(clashes):
    slots = ", ".join(
        f"#{b.pk} {timezone.localtime(b.starts_at):%m-%d %H:%M}–{timezone.localtime(b.ends_at):%H:%M}" for b in clashes
    )
    return _(
        "This time overlaps other requests for the room that are not confirmed yet: %(slots)s. "
        "Tick the box to ask anyway; the park administrator confirms at most one of them."
    ) % {"slots": slots}


@login_required
@idempotent_form
def room_week(request, pk):
    room = get_object_or_404(selectors.rooms(request.user), pk=pk)
    week = request.GET.get("week") or request.GET.get("date")
    monday = _parse_week(week)
    enterprises = selectors.submit_enterprises(request.user).filter(park=room.park_id)
    form = BookingForm(enterprises=enterprises, initial=_booking_initial(request, monday))
    status = 200
    if request.method == "POST":
        form = BookingForm(request.POST, enterprises=enterprises)
        if form.is_valid():
            data = form.cleaned_data
            pending = [
                b
                for b in selectors.overlapping_bookings(room, data["starts_at"], data["ends_at"])
                if b.status == RoomBooking.Status.PENDING
            ]
            if pending and not data["accept_overlap"]:
                form.warn_overlap(_overlap_message(pending))
            else:
                try:
                    actions.booking_request(
                        by=request.user,
                        room=room,
                        starts_at=data["starts_at"],
                        ends_at=data["ends_at"],
                        purpose=data["purpose"],
                        attendees=data["attendees"],
                        enterprise=data["enterprise"],
                    )
                except ValidationError as exc:
                    _apply_errors(form, exc)
                else:
                    messages.success(request, _("Your booking request was sent to the park administrator."))
                    return redirect(f"{request.path}?week={selectors.week_start(data['day']).isoformat()}")
        status = 400
    days = selectors.room_week(request.user, room, monday)
    context = {
        "room": room,
        "days": days,
        "grid": selectors.week_grid(days, now=timezone.localtime()),
        "monday": monday,
        "previous": monday - datetime.timedelta(days=7),
        "next": monday + datetime.timedelta(days=7),
        "form": form,
        "today": timezone.localdate(),
    }
    return render(request, "services/room_week.html", context, status=status)


@login_required
def booking_list(request):
    scope = scope_for(request.user)
    if not (scope.superuser or scope.park_ids):
        raise PermissionDenied(_("Bookings are confirmed by the park's administrators."))
    bookings = selectors.with_overlaps(list(selectors.pending_bookings(request.user)[:300]))
    return render(request, "services/booking_list.html", {"bookings": bookings, "reason_form": ReasonForm()})


@login_required
def my_bookings(request):
    return render(request, "services/my_bookings.html", {"bookings": selectors.my_bookings(request.user)[:200]})


@login_required
@require_POST
def booking_step(request, pk, step):
    booking = get_object_or_404(RoomBooking.objects.visible_to(request.user), pk=pk)
    try:
        if step == "confirm":
            actions.booking_confirm(booking=booking, by=request.user)
            messages.success(request, _("The booking is confirmed."))
        elif step == "decline":
            form = DeclineForm(request.POST)
            if not form.is_valid():
                raise ValidationError([error for errors in form.errors.values() for error in errors])
            actions.booking_decline(booking=booking, by=request.user, reason=form.cleaned_data["reason"])
            messages.success(request, _("The booking was declined."))
        elif step == "cancel":
            actions.booking_cancel(booking=booking, by=request.user)
            messages.success(request, _("The booking was cancelled."))
        else:
            raise Http404
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    target = request.POST.get("next", "")
    if target.startswith("/services/"):
        return redirect(target)
    return redirect("services:booking_list" if step != "cancel" else "services:my_bookings")
