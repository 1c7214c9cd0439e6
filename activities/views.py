"""Pages of organisation life. Views parse input, call a selector or an action, and render."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.idempotency import idempotent_form
from core.pagination import EstimatedCountPaginator
from core.scope import scope_for
from members.models import Member
from parks.models import Organization

from . import actions, selectors
from .forms import ActivityForm, CancelForm, FilterForm, parse_attendance
from .models import Activity, Attendance, PeriodKind

#: Branches per page of the compliance table.
COMPLIANCE_ROWS_PER_PAGE = 50


def _add_errors(form, exc: ValidationError, extra: list):
    """Put an action's refusal on the form (field errors where the field exists)."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            messages_ = [m for e in errors for m in e.messages]
            if name in form.fields:
                for message in messages_:
                    form.add_error(name, message)
            else:
                extra.extend(messages_)
    else:
        extra.extend(exc.messages)


def _pick_organization(request, queryset):
    """The organisation chosen with ?org= among ``queryset``, or the first one."""
    org_id = request.GET.get("org") or request.POST.get("org")
    if org_id:
        try:
            return queryset.get(pk=int(org_id))
        except (ValueError, Organization.DoesNotExist):
            raise Http404(_("No such organisation.")) from None
    return queryset.first()


def _checklist(members, attendance_by_member=None, posted=None):
    """Rows of the attendance checklist: everyone present unless recorded or posted otherwise."""
    rows = []
    for member in members:
        att = (attendance_by_member or {}).get(member.pk)
        if posted is not None:
            status = posted.get(f"att-{member.pk}", Attendance.Status.PRESENT)
            reason = posted.get(f"reason-{member.pk}", "")
            late, early = bool(posted.get(f"late-{member.pk}")), bool(posted.get(f"early-{member.pk}"))
            hours = posted.get(f"hours-{member.pk}", "")
        elif att is not None:
            status, reason, late, early = att.status, att.reason, att.late, att.left_early
            hours = att.volunteer_hours or ""
        else:
            status, reason, late, early, hours = Attendance.Status.PRESENT, "", False, False, ""
        rows.append(
            {
                "member": member,
                "status": status,
                "reason": reason,
                "late": late,
                "early": early,
                "hours": hours,
            }
        )
    return rows


def _summary(rows):
    return {
        "present": sum(1 for r in rows if r["status"] == Attendance.Status.PRESENT),
        "absent": sum(1 for r in rows if r["status"] == Attendance.Status.ABSENT),
        "leave": sum(1 for r in rows if r["status"] == Attendance.Status.LEAVE),
    }


@login_required
@require_GET
def activity_list(request):
    scope = scope_for(request.user)
    if not scope.has_any_role:
        raise PermissionDenied
    organizations = selectors.manageable_organizations(request.user)
    organization = None
    if request.GET.get("org"):
        organization = _pick_organization(request, Organization.objects.visible_to(request.user))
    elif scope.org_ids:
        organization = organizations.filter(pk__in=scope.org_ids).first()
    filters = FilterForm(request.GET or None)
    criteria = filters.cleaned_data if filters.is_valid() else {}
    queryset = selectors.activity_list(
        request.user,
        organization=organization,
        kind=criteria.get("kind", ""),
        period=criteria.get("period", ""),
        status=criteria.get("status", ""),
    )
    page = EstimatedCountPaginator(queryset, 25).get_page(request.GET.get("page"))
    page.object_list = selectors.attach_attendance_counts(page.object_list)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "activities/activity_list.html",
        {
            "page": page,
            "filters": filters,
            "organization": organization,
            "organizations": organizations,
            "may_log": organizations.exists(),
            "query": query.urlencode(),
        },
        status=200 if filters.is_bound is False or filters.is_valid() else 400,
    )


@login_required
@idempotent_form
def activity_create(request):
    organizations = selectors.manageable_organizations(request.user)
    if not organizations.exists():
        raise PermissionDenied
    host = _pick_organization(request, organizations)
    form = ActivityForm(request.POST or None, request.FILES or None, host=host)
    members = _listed(host, request.POST if request.method == "POST" else request.GET)
    extra_errors = []
    if request.method == "POST":
        if form.is_valid():  # the checklist of the kind and day chosen (a 支委会 lists the committee)
            day = timezone.localdate(form.cleaned_data["starts_at"])
            members = list(selectors.attendance_checklist(host, form.cleaned_data["kind"], day))
        entries, parse_errors = parse_attendance(request.POST, [m.pk for m in members])
        extra_errors.extend(parse_errors)
        if form.is_valid() and not parse_errors:
            kwargs = form.action_kwargs()
            started = kwargs["starts_at"] <= timezone.now()
            try:
                activity = actions.activity_log(
                    by=request.user, host=host, attendance=entries if started else None, **kwargs
                )
            except ValidationError as exc:
                _add_errors(form, exc, extra_errors)
            else:
                messages.success(request, _("The activity has been logged."))
                return redirect(activity.get_absolute_url())
    rows = _checklist(members, posted=request.POST if request.method == "POST" else None)
    return render(
        request,
        "activities/activity_form.html",
        {
            "form": form,
            "host": host,
            "organizations": organizations,
            "rows": rows,
            "summary": _summary(rows),
            "extra_errors": extra_errors,
            "editing": False,
            "show_checklist": True,
            "live_checklist": True,
            "kind": form["kind"].value() or "",
        },
        status=400 if request.method == "POST" else 200,
    )


def _listed(host, data):
    """The checklist for the kind (and today) in ``data``, before the form is validated."""
    kind = data.get("kind") or ""
    return list(selectors.attendance_checklist(host, kind if kind in Activity.Kind.values else ""))


@login_required
@require_GET
def checklist(request):
    """htmx: the create form's attendance checklist for the chosen host, kind and start."""
    host = _pick_organization(request, selectors.manageable_organizations(request.user))
    if host is None:
        raise PermissionDenied
    day = None
    if request.GET.get("starts_at"):
        try:
            day = timezone.localdate(ActivityForm.base_fields["starts_at"].clean(request.GET["starts_at"]))
        except ValidationError:
            day = None
    kind = request.GET.get("kind") or ""
    members = selectors.attendance_checklist(host, kind if kind in Activity.Kind.values else "", day)
    rows = _checklist(list(members))
    return render(
        request,
        "activities/partials/checklist.html",
        {"rows": rows, "summary": _summary(rows), "kind": kind, "host": host, "live_checklist": True},
    )


def _get_visible(request, pk):
    try:
        return selectors.activity_detail(request.user, pk)
    except Activity.DoesNotExist:
        raise Http404(_("No such activity.")) from None


def _get_managed(request, pk):
    activity = _get_visible(request, pk)
    if not selectors.may_manage(request.user, activity.host):
        raise PermissionDenied
    return activity


@login_required
@require_GET
def activity_detail(request, pk):
    activity = _get_visible(request, pk)
    attendances = list(activity.attendances.all())
    files = list(activity.files.all())
    return render(
        request,
        "activities/activity_detail.html",
        {
            "activity": activity,
            "attendances": attendances,
            "summary": _summary([{"status": a.status} for a in attendances]),
            "photos": [f for f in files if f.kind == "photo"],
            "attachments": [f for f in files if f.kind == "attachment"],
            "may_manage": selectors.may_manage(request.user, activity.host),
            "cancel_form": CancelForm(),
            "history": activity.history.select_related("history_user").order_by("-history_date")[:20],
        },
    )


@login_required
def activity_edit(request, pk):
    activity = _get_managed(request, pk)
    if activity.status == Activity.Status.CANCELLED:
        raise PermissionDenied
    initial = {
        "kind": activity.kind,
        "title": activity.title,
        "topic": activity.topic,
        "starts_at": timezone.localtime(activity.starts_at),
        "ends_at": timezone.localtime(activity.ends_at) if activity.ends_at else None,
        "room": activity.room_id,
        "place": activity.place,
        "online": activity.online,
        "co_hosts": list(activity.co_hosts.all()),
        "minutes": activity.minutes,
        "non_member_count": activity.non_member_count,
    }
    form = ActivityForm(request.POST or None, request.FILES or None, host=activity.host, editing=True, initial=initial)
    extra_errors = []
    if request.method == "POST" and form.is_valid():
        kwargs = form.action_kwargs()
        photos, attachments = kwargs.pop("photos"), kwargs.pop("attachments")
        try:
            actions.activity_update(
                activity=activity,
                by=request.user,
                reason=form.cleaned_data.get("reason", ""),
                photos=photos,
                attachments=attachments,
                **kwargs,
            )
        except ValidationError as exc:
            _add_errors(form, exc, extra_errors)
        else:
            messages.success(request, _("The activity has been updated."))
            return redirect(activity.get_absolute_url())
    closed = actions.activity_period(activity.kind, activity.starts_at).is_closed(timezone.localdate())
    return render(
        request,
        "activities/activity_form.html",
        {
            "form": form,
            "host": activity.host,
            "activity": activity,
            "extra_errors": extra_errors,
            "editing": True,
            "show_checklist": False,
            "period_closed": closed and activity.status == "held",
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
def activity_attendance(request, pk):
    activity = _get_managed(request, pk)
    if activity.status == Activity.Status.CANCELLED:
        raise PermissionDenied
    members = list(selectors.activity_checklist(activity))
    recorded = {a.member_id: a for a in activity.attendances.all()}
    # Someone who left the branch after the activity stays on its list.
    listed = {m.pk for m in members}
    members += [a.member for a in recorded.values() if a.member_id not in listed]
    extra_errors = []
    closed = activity.status == Activity.Status.HELD and actions.activity_period(
        activity.kind, activity.starts_at
    ).is_closed(timezone.localdate())
    if request.method == "POST":
        entries, parse_errors = parse_attendance(request.POST, [m.pk for m in members])
        extra_errors.extend(parse_errors)
        if not parse_errors:
            try:
                actions.attendance_record(
                    activity=activity, by=request.user, entries=entries, reason=request.POST.get("reason", "")
                )
            except ValidationError as exc:
                extra_errors.extend(exc.messages)
            else:
                messages.success(request, _("Attendance has been recorded."))
                return redirect(activity.get_absolute_url())
    rows = _checklist(members, recorded, posted=request.POST if request.method == "POST" else None)
    return render(
        request,
        "activities/attendance_form.html",
        {
            "activity": activity,
            "rows": rows,
            "summary": _summary(rows),
            "extra_errors": extra_errors,
            "period_closed": closed,
            "reason": request.POST.get("reason", ""),
            "kind": activity.kind,
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def activity_cancel(request, pk):
    activity = _get_managed(request, pk)
    form = CancelForm(request.POST)
    if form.is_valid():
        try:
            actions.activity_cancel(activity=activity, by=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect(activity.get_absolute_url())
        messages.success(request, _("The activity has been cancelled; its points were reversed."))
        return redirect(activity.get_absolute_url())
    messages.error(request, _("Give the reason for cancelling."))
    return redirect(activity.get_absolute_url())


@login_required
@require_GET
def checklist_row(request, member_pk):
    """htmx: one checklist row re-rendered with its new status (a reason box unless present)."""
    member = get_object_or_404(Member.objects.visible_to(request.user), pk=member_pk)
    status = request.GET.get(f"att-{member.pk}", Attendance.Status.PRESENT)
    if status not in Attendance.Status.values:
        status = Attendance.Status.PRESENT
    row = {
        "member": member,
        "status": status,
        "reason": request.GET.get(f"reason-{member.pk}", ""),
        "late": bool(request.GET.get(f"late-{member.pk}")),
        "early": bool(request.GET.get(f"early-{member.pk}")),
        "hours": request.GET.get(f"hours-{member.pk}", ""),
    }
    return render(request, "activities/partials/checklist_row.html", {"row": row})


def _year(request):
    try:
        year = int(request.GET.get("year") or timezone.localdate().year)
    except ValueError:
        year = timezone.localdate().year
    return min(max(year, 2000), 2100)


@login_required
@require_GET
def compliance_calendar(request):
    organizations = selectors.compliance_organizations(request.user).select_related("park")
    organization = _pick_organization(request, organizations)
    if organization is None:
        raise PermissionDenied
    year = _year(request)
    branch = selectors.compliance(organizations.filter(pk=organization.pk), year=year)[0]
    months = [str(m) for m in range(1, 13)]
    return render(
        request,
        "activities/calendar.html",
        {
            "branch": branch,
            "organization": organization,
            "year": year,
            "months": months,
            "organizations": organizations if organizations.count() > 1 else None,
            "today": timezone.localdate(),
            "PeriodKind": PeriodKind,
            "may_log": selectors.may_manage(request.user, organization),
        },
    )


@login_required
@require_GET
def compliance_table(request):
    scope = scope_for(request.user)
    if not (scope.superuser or scope.district_ids or scope.park_ids):
        raise PermissionDenied
    year = _year(request)
    rows, sort = selectors.compliance_table(request.user, year=year, sort=request.GET.get("sort", "rate"))
    # A district's 2 000 branches, sorted over all of them, shown a page at a time.
    page = Paginator(rows, COMPLIANCE_ROWS_PER_PAGE).get_page(request.GET.get("page"))
    columns = [
        ("name", _("Branch")),
        ("park", _("Park")),
        ("members", _("Full members")),
        ("rate", _("Compliance")),
        ("missing", _("Missing periods")),
        ("below_quorum", _("Below quorum")),
    ]
    return render(
        request,
        "activities/compliance_table.html",
        {
            "rows": page.object_list,
            "page": page,
            "query": urlencode({"year": year, "sort": sort}),
            "sort": sort,
            "year": year,
            "columns": columns,
        },
    )


@login_required
@require_GET
def my_activities(request):
    if scope_for(request.user).member_id is None:
        raise PermissionDenied
    page = Paginator(selectors.my_attendances(request.user), 25).get_page(request.GET.get("page"))
    return render(request, "activities/my_activities.html", {"page": page})


@login_required
@require_GET
def my_points(request):
    scope = scope_for(request.user)
    if scope.member_id is None:
        raise PermissionDenied
    member = selectors.own_member_points(request.user)
    page = Paginator(selectors.my_point_entries(request.user), 50).get_page(request.GET.get("page"))
    return render(request, "activities/my_points.html", {"member": member, "page": page})
