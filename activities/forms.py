"""Forms of the activities pages. They only parse and present input; the rules are in actions.py."""

from decimal import Decimal, InvalidOperation

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.validators import TEXT_MINUTES
from parks.models import Organization, Room

from .actions import AttendanceInput
from .models import Activity, Attendance, Kind


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"class": "form-control"}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if not data:
            return []
        items = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(item, initial) for item in items]


DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs={"class": "form-control", **(attrs or {})}, format="%Y-%m-%dT%H:%M")


class ActivityForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Kind.choices, widget=forms.Select(attrs={"class": "form-select"}))
    title = forms.CharField(label=_("Title"), max_length=200, widget=forms.TextInput(attrs={"class": "form-control"}))
    topic = forms.CharField(
        label=_("Topic"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )
    starts_at = forms.DateTimeField(label=_("Starts at"), input_formats=DATETIME_FORMATS, widget=DateTimeLocalInput())
    ends_at = forms.DateTimeField(
        label=_("Ends at"), input_formats=DATETIME_FORMATS, required=False, widget=DateTimeLocalInput()
    )
    room = forms.ModelChoiceField(
        label=_("Room of the park"),
        queryset=Room.objects.none(),
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    place = forms.CharField(
        label=_("Or another place"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )
    online = forms.BooleanField(
        label=_("Held online"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    co_hosts = forms.ModelMultipleChoiceField(
        label=_("Co-host branches"),
        queryset=Organization.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"class": "form-select", "size": 3}),
    )
    minutes = forms.CharField(
        label=_("Minutes"),
        required=False,
        max_length=TEXT_MINUTES,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 4}),
    )
    non_member_count = forms.IntegerField(
        label=_("Non-member participants"),
        min_value=0,
        max_value=10000,
        initial=0,
        required=False,
        widget=forms.NumberInput(attrs={"class": "form-control", "inputmode": "numeric"}),
    )
    photos = MultipleFileField(
        label=_("Photos"),
        widget=MultipleFileInput(
            attrs={"class": "form-control", "accept": "image/jpeg,image/png,image/webp,image/gif"}
        ),
    )
    attachments = MultipleFileField(
        label=_("Attachments"),
        widget=MultipleFileInput(
            attrs={"class": "form-control", "accept": ".pdf,.doc,.docx,.xls,.xlsx,.ppt,.pptx,.txt"}
        ),
    )
    reason = forms.CharField(
        label=_("Reason for the change"),
        max_length=300,
        required=False,
        help_text=_("Required when the activity's period has already closed."),
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )

    def __init__(self, *args, host: Organization, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.host = host
        self.fields["room"].queryset = Room.objects.filter(park_id=host.park_id, is_active=True)
        self.fields["co_hosts"].queryset = (
            Organization.objects.filter(district_id=host.district_id, kind__in=Organization.BRANCH_KINDS)
            .filter(park_id=host.park_id)
            .exclude(pk=host.pk)
            .order_by("code")
        )
        if not editing:
            del self.fields["reason"]
            self.fields["starts_at"].initial = timezone.localtime().replace(second=0, microsecond=0)

    def action_kwargs(self):
        data = dict(self.cleaned_data)
        data.pop("reason", None)
        data["non_member_count"] = data.get("non_member_count") or 0
        return data


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for cancelling"),
        max_length=300,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )


class FilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[("", _("All kinds"))] + list(Kind.choices),
        required=False,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    period = forms.RegexField(
        label=_("Period"),
        regex=r"^\d{4}(-(0[1-9]|1[0-2]|Q[1-4]))?$",
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm", "placeholder": "2026-Q2 / 2026-05"}),
        error_messages={"invalid": _("Use a year (2026), a quarter (2026-Q2) or a month (2026-05).")},
    )
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[("", _("Any status"))] + list(Activity.Status.choices),
        required=False,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )


def parse_attendance(data, member_ids) -> tuple[list[AttendanceInput], list[str]]:
    """Read the checklist fields (``att-<member id>``, ``reason-…``, ``late-…``, ``early-…``,
    ``hours-…``). Every ``att-`` key is read, not only the listed members', so that a crafted
    member id reaches the action and is refused there rather than silently dropped."""
    ids = set(member_ids)
    for key in data:
        if key.startswith("att-"):
            try:
                ids.add(int(key[4:]))
            except ValueError:
                return [], [str(_("The attendance list is malformed."))]
    entries, errors = [], []
    for member_id in sorted(ids):
        status = data.get(f"att-{member_id}", Attendance.Status.PRESENT)
        if status not in Attendance.Status.values:
            errors.append(str(_("Unknown attendance status.")))
            continue
        try:
            hours = Decimal(data.get(f"hours-{member_id}") or "0")
            if not hours.is_finite():
                raise InvalidOperation
        except InvalidOperation:
            errors.append(str(_("Volunteer hours must be a number.")))
            continue
        entries.append(
            AttendanceInput(
                member_id=member_id,
                status=status,
                reason=(data.get(f"reason-{member_id}") or "").strip(),
                late=bool(data.get(f"late-{member_id}")),
                left_early=bool(data.get(f"early-{member_id}")),
                volunteer_hours=hours,
            )
        )
    return entries, errors
