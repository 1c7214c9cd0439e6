"""Pages of the members lifecycle: transfers, the pipeline board, dues. No business rule here: the
views call selectors and actions and show the refusals the actions raise."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.idempotency import idempotent_form
from core.scope import scope_for
from core.security import throttled
from parks.models import Organization

from . import actions, letters, selectors
from .forms import (
    AdvanceForm,
    ApproveForm,
    CorrectForm,
    DuesForm,
    ExtendForm,
    LetterVerifyForm,
    ReasonForm,
    StatusForm,
    TalkForm,
    TransferInForm,
    TransferRequestForm,
)
from .models import Member, Stage, Transfer


def _errors(exc: ValidationError):
    return exc.messages


def _add_errors(form, exc: ValidationError):
    """Put an action's refusal on the form: on the field it names, else above the form."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


# --- member's side --------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
@idempotent_form
def transfer_new(request):
    """The member's 'transfer my organisation relation' form; with ``?member=<pk>``, the same form
    for a secretary or park administrator entering the request for a member of their branch (a
    member who does not use the portal, for instance)."""
    on_behalf = request.GET.get("member")
    if on_behalf:
        if not on_behalf.isdigit():
            raise Http404
        member = get_object_or_404(
            Member.objects.visible_to(request.user).select_related("organization", "organization__park"),
            pk=on_behalf,
        )
        if not actions.may_act_for(request.user, member.organization):
            raise PermissionDenied
    else:
        member = selectors.own_member(request.user)
        if member is None:
            raise PermissionDenied
    open_transfer = Transfer.objects.filter(member=member).open().first()
    if open_transfer is not None:
        messages.info(
            request,
            _("This member already has a transfer in progress.")
            if on_behalf
            else _("You already have a transfer in progress."),
        )
        return redirect("members:transfer_detail", open_transfer.pk)
    form = TransferRequestForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                transfer = actions.transfer_request(
                    member=member,
                    by=request.user,
                    reason=data["reason"],
                    kind=data["kind"],
                    to_organization=data["to_organization"] if data["kind"] == Transfer.Kind.INTERNAL else None,
                    outside_organization=data["outside_organization"] if data["kind"] == Transfer.Kind.OUT else "",
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("The request was entered; approve it in the transfer inbox.")
                    if on_behalf
                    else _("Your request was sent to your branch."),
                )
                return redirect("members:transfer_detail", transfer.pk)
        status = 400
    chosen = form.data.get("to_organization") if form.is_bound else None
    chosen_org = (
        Organization.objects.filter(pk=chosen).select_related("park").first()
        if (chosen and str(chosen).isdigit())
        else None
    )
    return render(
        request,
        "members/transfer_new.html",
        {"form": form, "member": member, "chosen_org": chosen_org, "on_behalf": bool(on_behalf)},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
@idempotent_form
def transfer_in_new(request, member_pk):
    """The receiving branch registers the transfer of a member arriving from outside the portal
    (the member's record is entered first, not yet active); accepting it makes the member active."""
    member = get_object_or_404(Member.objects.visible_to(request.user).select_related("organization"), pk=member_pk)
    if not actions.may_act_for(request.user, member.organization):
        raise PermissionDenied
    form = TransferInForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                transfer = actions.transfer_request(
                    member=member, by=request.user, kind=Transfer.Kind.IN, **form.cleaned_data
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("The arrival was registered; accept it once the letter is checked."))
                return redirect("members:transfer_detail", transfer.pk)
        status = 400
    return render(request, "members/transfer_in_new.html", {"form": form, "member": member}, status=status)


@login_required
@require_GET
def destinations(request):
    """htmx: branches matching the search, to choose the destination."""
    member = selectors.own_member(request.user)
    branches = selectors.destination_branches(
        query=request.GET.get("q", ""), exclude_org_id=member.organization_id if member else None
    )
    return render(
        request,
        "members/partials/destinations.html",
        {"branches": branches, "query": request.GET.get("q", "")},
    )


@login_required
def transfer_mine(request):
    """The member's transfers: the current one with its timeline and what happens next."""
    member = selectors.own_member(request.user)
    if member is None:
        raise PermissionDenied
    transfers = selectors.member_transfers(member)
    return render(request, "members/transfer_mine.html", {"member": member, "transfers": transfers})


# --- a transfer -----------------------------------------------------------------------------


def _visible_transfer(user, pk):
    try:
        return selectors.transfers_visible_to(user).get(pk=pk)
    except Transfer.DoesNotExist:
        raise Http404 from None


def _detail_context(request, transfer, **extra):
    user = request.user
    S, K = Transfer.Status, Transfer.Kind
    from_side = actions.may_act_for(user, transfer.from_organization)
    to_side = actions.may_act_for(user, transfer.to_organization)
    accept_side = from_side if transfer.kind == K.OUT else to_side
    context = {
        "transfer": transfer,
        "timeline": selectors.transfer_timeline(transfer),
        "next_step": selectors.transfer_next_step(transfer),
        "can_approve": from_side and transfer.status == S.REQUESTED and transfer.kind != K.IN,
        "can_accept": accept_side and transfer.status == (S.REQUESTED if transfer.kind == K.IN else S.APPROVED),
        "can_reject": transfer.is_open and actions.may_act_for(user, actions._deciding_side(transfer)),
        "can_cancel": transfer.is_open
        and (
            actions.is_member_themself(user, transfer.member)
            or actions.may_act_for(
                user, transfer.to_organization if transfer.kind == K.IN else transfer.from_organization
            )
        ),
        "has_letter": bool(transfer.letter_number),
        "reason_form": ReasonForm(),
    }
    if context["can_approve"]:
        # What the letter will state and what is owed, by the ledger (the action recomputes it).
        context["dues"] = dues = selectors.dues_standing(transfer.member)
        context["approve_form"] = ApproveForm(in_arrears=dues.in_arrears)
    context.update(extra)
    return context


@login_required
@require_GET
def transfer_detail(request, pk):
    transfer = _visible_transfer(request.user, pk)
    return render(request, "members/transfer_detail.html", _detail_context(request, transfer))


@login_required
@require_POST
def transfer_act(request, pk, step):
    """approve / accept / reject / cancel: each an action; a refusal re-shows the page with the
    reason (400) and changes nothing."""
    transfer = _visible_transfer(request.user, pk)
    extra = {}
    try:
        if step == "approve":
            form = ApproveForm(request.POST, in_arrears=selectors.dues_standing(transfer.member).in_arrears)
            extra["approve_form"] = form
            if not form.is_valid():
                raise ValidationError(_("Check the letter's validity and, with dues owed, give the reason."))
            try:
                actions.transfer_approve(transfer=transfer, by=request.user, **form.cleaned_data)
            except ValidationError as exc:
                _add_errors(form, exc)  # a field's refusal (the reason) shows at the field
                raise
            done = _("Approved: introduction letter issued.")
        elif step == "accept":
            actions.transfer_accept(transfer=transfer, by=request.user)
            done = _("Accepted: the member now belongs to the receiving organisation.")
        elif step == "reject":
            form = ReasonForm(request.POST)
            extra["reason_form"] = form
            if not form.is_valid():
                raise ValidationError(_("Please give the reason for the rejection."))
            actions.transfer_reject(transfer=transfer, by=request.user, reason=form.cleaned_data["reason"])
            done = _("Rejected.")
        elif step == "cancel":
            actions.transfer_cancel(transfer=transfer, by=request.user)
            done = _("Cancelled.")
        else:
            raise Http404
    except ValidationError as exc:
        transfer = _visible_transfer(request.user, pk)  # unchanged: re-read what is stored
        context = _detail_context(request, transfer, **extra)
        context["errors"] = _errors(exc)
        return render(request, "members/transfer_detail.html", context, status=400)
    messages.success(request, done)
    return redirect("members:transfer_detail", pk)


@login_required
@require_GET
def transfer_letter(request, pk):
    """The introduction letter, printable; for the member and both sides only."""
    transfer = _visible_transfer(request.user, pk)
    if not transfer.letter_number:
        raise Http404
    verify_url = letters.verification_url(request, transfer)
    return render(
        request,
        "members/letter.html",
        {
            "transfer": transfer,
            "p": selectors.letter_particulars(request.user, transfer),
            "verify_url": verify_url,
            "qr": letters.qr_svg(verify_url, title=_("Check this letter")),
        },
    )


@login_required
@require_GET
def transfer_inbox(request):
    scope = scope_for(request.user)
    if not (scope.superuser or scope.is_secretary or scope.is_park_admin):
        raise PermissionDenied
    inbox = selectors.transfer_inbox(request.user)
    return render(request, "members/transfer_inbox.html", inbox)


@require_http_methods(["GET", "POST"])
def letter_verify(request):
    """Public: is this letter genuine and valid, and between whom (the member's name masked)? The
    letter's QR code opens it with ?number=…&code=… and the check runs at once."""
    from_qr = request.method == "GET" and "number" in request.GET and "code" in request.GET
    form = LetterVerifyForm(request.POST if request.method == "POST" else (request.GET if from_qr else None))
    result, status = None, 200
    if request.method == "POST" or from_qr:
        # One counter per client address for this page and the API (core.security).
        if throttled(request, "letter_verify"):
            form.add_error(None, _("Too many checks from here; please try again in a few minutes."))
            status = 429
        elif form.is_valid():
            result = selectors.letter_check(number=form.cleaned_data["number"], code=form.cleaned_data["code"])
        else:
            status = 400
    return render(request, "members/letter_verify.html", {"form": form, "result": result}, status=status)


# --- branch: pipeline board, dues -----------------------------------------------------------


@login_required
def branch_home(request):
    org = selectors.acting_organizations(request.user).order_by("pk").first()
    if org is None:
        raise PermissionDenied
    return redirect("members:branch", org.pk)


BRANCH_ROWS_PER_PAGE = 50


def _paged(request, name, rows):
    """``<name>_page`` (the page asked by ``?<name>_page=``) and ``<name>_query`` (the other
    parameters, for the pager's links)."""
    param = f"{name}_page"
    query = request.GET.copy()
    query.pop(param, None)
    return {
        param: Paginator(rows, BRANCH_ROWS_PER_PAGE).get_page(request.GET.get(param)),
        f"{name}_query": query.urlencode(),
    }


@login_required
@require_GET
def branch(request, org_pk):
    """The branch's pipeline board and dues arrears."""
    org = get_object_or_404(selectors.acting_organizations(request.user), pk=org_pk)
    ids = Organization.objects.with_descendants({org.pk})
    return render(
        request,
        "members/branch.html",
        {
            "org": org,
            **_paged(request, "pipeline", selectors.pipeline_board(ids)),
            **_paged(request, "dues", selectors.branch_dues(ids)),
            **_paged(request, "off_roll", selectors.off_the_roll(ids)),
            "other_orgs": selectors.acting_organizations(request.user).exclude(pk=org.pk).order_by("name")[:50],
        },
    )


MEMBER_FORMS = {
    "talk": TalkForm,
    "advance": AdvanceForm,
    "extend": ExtendForm,
    "correct": CorrectForm,
    "dues": DuesForm,
    "status": StatusForm,
}


@login_required
@require_http_methods(["GET", "POST"])
@idempotent_form
def member_lifecycle(request, pk, step=None):
    """One member's stage history, the pipeline steps and the dues ledger, for their branch."""
    member = selectors.managed_member(request.user, pk)
    forms = {name: cls(prefix=name) for name, cls in MEMBER_FORMS.items()}
    forms["status"].offer_for(member)
    status, errors = 200, []
    if request.method == "POST":
        if step not in MEMBER_FORMS:
            raise Http404
        form = forms[step] = MEMBER_FORMS[step](request.POST, prefix=step)
        if step == "status":
            form.offer_for(member)
        if form.is_valid():
            data = form.cleaned_data
            call = {
                "talk": lambda: actions.record_application_talk(member=member, by=request.user, **data),
                "advance": lambda: actions.stage_advance(member=member, by=request.user, **data),
                "extend": lambda: actions.probation_extend(member=member, by=request.user, **data),
                "correct": lambda: actions.stage_correct(member=member, by=request.user, **data),
                "dues": lambda: actions.dues_record_payment(member=member, by=request.user, **data),
                "status": lambda: actions.member_status_change(member=member, by=request.user, **data),
            }[step]
            try:
                call()
            except ValidationError as exc:
                errors = _errors(exc)
            else:
                messages.success(request, _("Saved."))
                return redirect("members:member_lifecycle", member.pk)
        status = 400
        member.refresh_from_db()
    return render(
        request,
        "members/member_lifecycle.html",
        {
            "member": member,
            "changes": member.stage_changes.select_related("changed_by").order_by("-created_at", "-pk"),
            "dues": selectors.member_dues(member),
            "history": selectors.membership_history(member),
            "probation_ends": actions.probation_ends_on(member),
            "forms": forms,
            "errors": errors,
            "failed_step": step if errors or status == 400 else None,
            "is_full": member.stage == Stage.FULL,
        },
        status=status,
    )


@login_required
@require_GET
def my_dues(request):
    member = selectors.own_member(request.user)
    if member is None:
        raise PermissionDenied
    dues = selectors.member_dues(member)
    summary = selectors.dues_summary(member, dues)
    return render(request, "members/my_dues.html", {"member": member, "dues": dues, "summary": summary})
