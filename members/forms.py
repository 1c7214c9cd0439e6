"""Forms of the members app's lifecycle pages. They validate input; the rules live in actions."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.validators import TEXT_DESCRIPTION
from parks.models import Organization

from . import actions
from .actions import LETTER_DEFAULT_MONTHS, LETTER_MAX_MONTHS
from .models import STAGE_ORDER, DuesPayment, Member, MembershipEvent, Transfer

DATE = forms.DateInput(attrs={"type": "date", "class": "form-control"})
MONTH = forms.DateInput(attrs={"type": "month", "class": "form-control"}, format="%Y-%m")


class MonthField(forms.DateField):
    """A month as YYYY-MM (the browser's month input), stored as the first day of the month."""

    widget = MONTH
    input_formats = ["%Y-%m", "%Y-%m-%d"]

    def to_python(self, value):
        day = super().to_python(value)
        return day.replace(day=1) if day else day


class TransferRequestForm(forms.Form):
    """The member's 'transfer my organisation relation' form."""

    DESTINATION_CHOICES = [
        (Transfer.Kind.INTERNAL, _("a branch in this portal")),
        (Transfer.Kind.OUT, _("an organisation outside the portal")),
    ]
    kind = forms.ChoiceField(
        label=_("Moving to"),
        choices=DESTINATION_CHOICES,
        initial=Transfer.Kind.INTERNAL,
        widget=forms.RadioSelect,
    )
    to_organization = forms.ModelChoiceField(
        label=_("Destination branch"),
        required=False,
        queryset=Organization.objects.filter(kind__in=Organization.BRANCH_KINDS),
        widget=forms.HiddenInput,
    )
    outside_organization = forms.CharField(
        label=_("Outside organisation"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("kind") == Transfer.Kind.INTERNAL and not data.get("to_organization"):
            self.add_error("to_organization", _("Find and choose the branch you are moving to."))
        if data.get("kind") == Transfer.Kind.OUT and not (data.get("outside_organization") or "").strip():
            self.add_error("outside_organization", _("Name the organisation outside the portal."))
        return data


class TransferInForm(forms.Form):
    """The receiving side registers a member arriving with a letter from outside the portal."""

    outside_organization = forms.CharField(
        label=_("Coming from"), max_length=200, widget=forms.TextInput(attrs={"class": "form-control"})
    )
    outside_letter_number = forms.CharField(
        label=_("Number of their introduction letter"),
        max_length=50,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )
    reason = forms.CharField(
        label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"})
    )


class ApproveForm(forms.Form):
    """The sending side's approval. The month to which dues are paid is not a field: the action takes
    it from the dues ledger. With dues owed (``in_arrears``, what the page shows), the reason for
    approving anyway is required; the action checks it again under its lock."""

    valid_months = forms.TypedChoiceField(
        label=_("Letter valid for"),
        coerce=int,
        initial=LETTER_DEFAULT_MONTHS,
        choices=[(n, _("%(n)d month(s)") % {"n": n}) for n in range(1, LETTER_MAX_MONTHS + 1)],
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    arrears_reason = forms.CharField(
        label=_("Reason for approving with dues owed"),
        required=False,
        max_length=2000,
        help_text=_("Recorded on the transfer's timeline; not printed on the letter."),
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
    )

    def __init__(self, *args, in_arrears: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.in_arrears = in_arrears
        self.fields["arrears_reason"].required = in_arrears


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"})
    )


class LetterVerifyForm(forms.Form):
    number = forms.CharField(
        label=_("Letter number"),
        max_length=20,
        widget=forms.TextInput(attrs={"class": "form-control", "placeholder": "2026-000123", "autocomplete": "off"}),
    )
    code = forms.CharField(
        label=_("Verification code"),
        max_length=32,
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "off"}),
    )


class TalkForm(forms.Form):
    held_on = forms.DateField(label=_("Held on"), widget=DATE)
    held_by = forms.CharField(
        label=_("Talked with by"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        max_length=TEXT_DESCRIPTION,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
    )


class AdvanceForm(forms.Form):
    effective_on = forms.DateField(label=_("Effective on"), widget=DATE)
    reason = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=2000,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )


class ExtendForm(forms.Form):
    until = forms.DateField(label=_("Probation extended to"), widget=DATE)
    reason = forms.CharField(
        label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"})
    )


class CorrectForm(forms.Form):
    to_stage = forms.ChoiceField(
        label=_("Correct stage to"),
        choices=[(s.value, s.label) for s in STAGE_ORDER],
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    effective_on = forms.DateField(label=_("Effective on"), widget=DATE)
    reason = forms.CharField(
        label=_("Reason for the correction"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
    )


class DuesForm(forms.Form):
    month = MonthField(label=_("Month"))
    category = forms.ChoiceField(
        label=_("Category"),
        choices=DuesPayment.Category.choices,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    monthly_pay = forms.DecimalField(
        label=_("Monthly pay after tax (yuan)"),
        required=False,
        min_value=0,
        max_digits=10,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"class": "form-control", "step": "0.01"}),
    )
    amount_paid = forms.DecimalField(
        label=_("Amount paid (yuan)"),
        min_value=0,
        max_digits=8,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"class": "form-control", "step": "0.01"}),
    )
    paid_on = forms.DateField(label=_("Paid on"), widget=DATE, initial=timezone.localdate)

    def clean(self):
        data = super().clean()
        if data.get("category") != DuesPayment.Category.REDUCED and data.get("monthly_pay") is None:
            self.add_error("monthly_pay", _("Give the monthly pay after tax."))
        return data


class StatusForm(forms.Form):
    """A change of the member's status, on the day it happened (``actions.member_status_change``)."""

    status = forms.ChoiceField(
        label=_("New status"),
        choices=[(status.value, status.label) for status in actions.STATUS_STEPS],
        help_text=_("Deceased or removed: the member's own login no longer opens a member's pages."),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    on = forms.DateField(label=_("Effective on"), widget=DATE, initial=timezone.localdate)
    note = forms.CharField(
        label=_("Grounds"),
        required=False,
        max_length=MembershipEvent._meta.get_field("note").max_length,
        help_text=_("Required to remove a member or bring one back on the roll: the decision, its date and number."),
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )

    def offer_for(self, member: Member) -> "StatusForm":
        """Offer only the statuses the member can move to (not the one they have)."""
        field = self.fields["status"]
        field.choices = [(value, label) for value, label in field.choices if value != member.status]
        return self
