"""Forms only parse and validate input; the rules live in services.actions."""

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.validators import TEXT_DESCRIPTION, TEXT_NOTE

from .models import ATTACHMENT_EXTENSIONS, PHOTO_EXTENSIONS, RequestStatus, ServiceCategory, Urgency

ATTACH_ACCEPT = ",".join(f".{ext}" for ext in ATTACHMENT_EXTENSIONS)


class BootstrapForm(forms.Form):
    """Adds Bootstrap 5 classes to the widgets, so templates can render fields plainly."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.RadioSelect | forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()


def _ext_validator(allowed):
    from django.core.validators import FileExtensionValidator

    return [FileExtensionValidator(allowed)]


class RequestSubmitForm(BootstrapForm):
    category = forms.ModelChoiceField(ServiceCategory.objects.none(), label=_("Service"))
    enterprise = forms.ModelChoiceField(None, label=_("For enterprise"), required=False, empty_label=_("— myself —"))
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("What do you need?"), max_length=TEXT_DESCRIPTION, widget=forms.Textarea(attrs={"rows": 5})
    )
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices, initial=Urgency.NORMAL)
    attachment = forms.FileField(
        label=_("Attachment"),
        required=False,
        validators=_ext_validator(ATTACHMENT_EXTENSIONS),
        widget=forms.ClearableFileInput(attrs={"accept": ATTACH_ACCEPT}),
    )

    def __init__(self, *args, categories, enterprises, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = categories
        self.fields["enterprise"].queryset = enterprises
        if len(enterprises) == 1:
            self.fields["enterprise"].initial = enterprises[0].pk


class AssignForm(BootstrapForm):
    team = forms.ModelChoiceField(None, label=_("Team"))
    note = forms.CharField(label=_("Note"), required=False, max_length=500)

    def __init__(self, *args, teams, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams
        self.fields["team"].label_from_instance = lambda team: team.name


class NoteForm(BootstrapForm):
    note = forms.CharField(
        label=_("How was it resolved?"), max_length=TEXT_NOTE, widget=forms.Textarea(attrs={"rows": 3})
    )
    attachment = forms.FileField(
        label=_("Attachment"), required=False, validators=_ext_validator(ATTACHMENT_EXTENSIONS)
    )


class ReasonForm(BootstrapForm):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class DeclineForm(BootstrapForm):
    """The reason for declining a room booking: as long as the booking keeps it."""

    reason = forms.CharField(label=_("Reason"), max_length=300)


class CloseForm(BootstrapForm):
    rating = forms.TypedChoiceField(
        label=_("Satisfaction"),
        coerce=int,
        widget=forms.RadioSelect,
        choices=[(i, str(i)) for i in range(5, 0, -1)],
    )
    comment = forms.CharField(
        label=_("Comment"), required=False, max_length=TEXT_NOTE, widget=forms.Textarea(attrs={"rows": 2})
    )


class CommentForm(BootstrapForm):
    text = forms.CharField(
        label=_("Comment"), required=False, max_length=TEXT_DESCRIPTION, widget=forms.Textarea(attrs={"rows": 2})
    )
    attachment = forms.FileField(
        label=_("Attachment"), required=False, validators=_ext_validator(ATTACHMENT_EXTENSIONS)
    )


class QueueFilterForm(BootstrapForm):
    park = forms.ModelChoiceField(None, label=_("Park"), required=False, empty_label=_("All parks"))
    status = forms.ChoiceField(label=_("Status"), required=False)
    category = forms.ModelChoiceField(None, label=_("Category"), required=False, empty_label=_("All"))
    team = forms.ModelChoiceField(None, label=_("Team"), required=False, empty_label=_("All"))
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)

    def __init__(self, *args, parks, categories, teams, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["park"].queryset = parks
        self.fields["category"].queryset = categories
        self.fields["team"].queryset = teams
        self.fields["status"].choices = [
            ("", _("All")),
            ("open", pgettext_lazy("requests not yet closed", "Open")),
            *RequestStatus.choices,
        ]


class WishForm(BootstrapForm):
    park = forms.ModelChoiceField(None, label=_("Park"))
    beneficiary = forms.CharField(
        label=_("First name"),
        max_length=20,
        help_text=_("A first name or a nickname only; no other personal data."),
    )
    need = forms.CharField(label=_("The wish"), max_length=300)

    def __init__(self, *args, parks, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["park"].queryset = parks
        if len(parks) == 1:
            self.fields["park"].initial = parks[0].pk


class FulfilForm(BootstrapForm):
    note = forms.CharField(
        label=_("How was the wish fulfilled?"), max_length=TEXT_NOTE, widget=forms.Textarea(attrs={"rows": 2})
    )
    photo = forms.FileField(
        label=_("Photo"),
        required=False,
        validators=_ext_validator(PHOTO_EXTENSIONS),
        widget=forms.ClearableFileInput(attrs={"accept": "image/*"}),
    )


class BookingForm(BootstrapForm):
    # <input type=date> and <input type=time> take only ISO values (yyyy-mm-dd, HH:MM), whatever
    # the language's own date format: without ``format`` a prefilled value is not shown.
    day = forms.DateField(label=_("Day"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    start = forms.TimeField(label=_("From"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    end = forms.TimeField(label=_("To"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    purpose = forms.CharField(label=_("Purpose"), max_length=200)
    attendees = forms.IntegerField(label=_("Attendees"), min_value=1, max_value=10000, initial=1)
    enterprise = forms.ModelChoiceField(None, label=_("For enterprise"), required=False, empty_label=_("— myself —"))
    # Shown (as a checkbox) only once the slot was found to overlap other pending requests.
    accept_overlap = forms.BooleanField(
        label=_("Ask anyway: the park administrator will confirm one of the overlapping requests"),
        required=False,
        widget=forms.HiddenInput,
    )

    def __init__(self, *args, enterprises, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["enterprise"].queryset = enterprises

    def warn_overlap(self, message):
        """Ask the user to confirm a request that overlaps pending ones: the box becomes visible."""
        self.fields["accept_overlap"].widget = forms.CheckboxInput(attrs={"class": "form-check-input"})
        self.add_error("accept_overlap", message)

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        tz = timezone.get_current_timezone()
        data["starts_at"] = datetime.datetime.combine(data["day"], data["start"], tzinfo=tz)
        data["ends_at"] = datetime.datetime.combine(data["day"], data["end"], tzinfo=tz)
        return data
