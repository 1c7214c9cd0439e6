"""Pages of elections (换届): the organisations' terms and committees, recording an election, the
level above's inbox with approve / reject. No business rule here: the views call selectors and
actions and show the refusals the actions raise."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.scope import scope_for
from parks.models import Organization

from . import actions, selectors
from .forms import ElectionForm, NoteForm, ReasonForm, SeatFormSet
from .models import Election


def _add_errors(form, exc: ValidationError, extra: list):
    """An action's refusal: on the form field it names, else in ``extra`` (shown above the form)."""
    if not hasattr(exc, "error_dict"):
        extra.extend(exc.messages)
        return
    for field, errors in exc.message_dict.items():
        if field in form.fields:
            form.add_error(field, errors)
        else:
            extra.extend(errors)


@login_required
@require_GET
def index(request):
    """The organisations whose elections the user records, with their term and committee, and the
    number of elections awaiting the user's decision."""
    scope = scope_for(request.user)
    if not (scope.superuser or scope.is_official or scope.is_park_admin or scope.is_secretary):
        raise PermissionDenied
    organizations = list(selectors.recordable_organizations(request.user)[:200])
    pending = selectors.pending_elections(request.user).count()
    current = selectors.current_elections([org.pk for org in organizations])
    rows = [{"organization": org, "election": current.get(org.pk)} for org in organizations]
    return render(request, "elections/index.html", {"rows": rows, "pending": pending})


@login_required
@require_GET
def organization(request, org_pk):
    """One organisation: its current term and committee, and its elections."""
    org = get_object_or_404(Organization.objects.visible_to(request.user).select_related("park", "parent"), pk=org_pk)
    elections = list(selectors.elections_of(org))
    current = next((e for e in elections if e.status == Election.Status.APPROVED), None)
    return render(
        request,
        "elections/organization.html",
        {
            "org": org,
            "elections": elections,
            "current": current,
            "may_record": selectors.may_record(request.user, org) and org.kind != Organization.Kind.GROUP,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def record(request, org_pk):
    """Record an election: its day, method and votes, and the elected members with their posts."""
    org = get_object_or_404(Organization.objects.visible_to(request.user).select_related("park", "parent"), pk=org_pk)
    if not selectors.may_record(request.user, org) or org.kind == Organization.Kind.GROUP:
        raise PermissionDenied
    members = selectors.electable_members(org)
    form = ElectionForm(request.POST or None)
    seats = SeatFormSet(request.POST or None, prefix="seats", form_kwargs={"members": members})
    errors: list = []
    status = 200
    if request.method == "POST":
        if form.is_valid() and seats.is_valid():
            data = form.cleaned_data
            try:
                election = actions.election_record(
                    organization=org,
                    by=request.user,
                    seats=[actions.Seat(member=m, post=p, votes=v) for m, p, v in seats.seats()],
                    **data,
                )
            except ValidationError as exc:
                _add_errors(form, exc, errors)
            else:
                messages.success(request, _("The election was recorded and sent to the level above for approval."))
                return redirect("elections:detail", election.pk)
        errors.extend(seats.non_form_errors())
        status = 400
    return render(
        request,
        "elections/record.html",
        {"org": org, "form": form, "seats": seats, "errors": errors, "member_count": members.count()},
        status=status,
    )


def _detail_context(request, election, **extra):
    submitted = election.status == Election.Status.SUBMITTED
    context = {
        "election": election,
        "org": election.organization,
        "may_decide": submitted and selectors.may_decide(request.user, election.organization),
        "note_form": NoteForm(),
        "reason_form": ReasonForm(),
        "errors": [],
    }
    context.update(extra)
    return context


def _visible(request, pk):
    try:
        return selectors.visible_election(request.user, pk)
    except Election.DoesNotExist:
        raise Http404 from None


@login_required
@require_GET
def detail(request, pk):
    election = _visible(request, pk)
    return render(request, "elections/detail.html", _detail_context(request, election))


@login_required
@require_POST
def act(request, pk, step):
    """approve / reject: each an action; a refusal re-shows the page with the reason (400)."""
    election = _visible(request, pk)
    extra: dict = {}
    try:
        if step == "approve":
            form = extra["note_form"] = NoteForm(request.POST)
            if not form.is_valid():
                raise ValidationError(_("The remark is too long."))
            actions.election_approve(election=election, by=request.user, note=form.cleaned_data["note"])
            done = _("Approved: the organisation's new term has begun.")
        elif step == "reject":
            form = extra["reason_form"] = ReasonForm(request.POST)
            if not form.is_valid():
                raise ValidationError(_("Please give the reason for the rejection."))
            actions.election_reject(election=election, by=request.user, reason=form.cleaned_data["reason"])
            done = _("Rejected: the organisation is told why.")
        else:
            raise Http404
    except ValidationError as exc:
        election = _visible(request, pk)
        context = _detail_context(request, election, **extra)
        context["errors"] = exc.messages
        return render(request, "elections/detail.html", context, status=400)
    messages.success(request, done)
    return redirect("elections:detail", pk)


@login_required
@require_GET
def inbox(request):
    """The level above: elections awaiting the user's approval."""
    elections = list(selectors.pending_elections(request.user)[:200])
    return render(request, "elections/inbox.html", {"elections": elections})
