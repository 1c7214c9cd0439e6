"""The forms of the election pages: parse and bound the input; the rules are the actions'."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from . import rules
from .models import CommitteeSeat, Election

_number = {"class": "form-control", "inputmode": "numeric", "min": 1, "max": rules.VOTERS_MAX}


class ElectionForm(forms.Form):
    held_on = forms.DateField(
        label=pgettext_lazy("election", "Held on"),
        widget=forms.DateInput(attrs={"class": "form-control", "type": "date"}, format="%Y-%m-%d"),
    )
    method = forms.ChoiceField(
        label=_("Method"),
        choices=Election.Method.choices,
        initial=Election.Method.MEMBERS_CONGRESS,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    eligible_voters = forms.IntegerField(
        label=_("Members entitled to vote"),
        min_value=1,
        max_value=rules.VOTERS_MAX,
        widget=forms.NumberInput(attrs=_number),
    )
    votes_cast = forms.IntegerField(
        label=_("Members who voted"),
        min_value=1,
        max_value=rules.VOTERS_MAX,
        widget=forms.NumberInput(attrs=_number),
        help_text=_("More than four fifths of the members entitled to vote must take part."),
    )
    competitive = forms.BooleanField(
        label=_("More candidates than seats (差额选举)"),
        required=False,
        initial=True,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 2}),
    )


class SeatForm(forms.Form):
    member = forms.ModelChoiceField(
        label=_("Member"), queryset=None, required=False, widget=forms.Select(attrs={"class": "form-select"})
    )
    post = forms.ChoiceField(
        label=pgettext_lazy("committee post", "Post"),
        choices=CommitteeSeat.Post.choices,
        initial=CommitteeSeat.Post.MEMBER,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    votes = forms.IntegerField(
        label=_("Votes received"),
        required=False,
        min_value=0,
        max_value=rules.VOTERS_MAX,
        widget=forms.NumberInput(attrs={**_number, "min": 0}),
    )

    def __init__(self, *args, members=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = members
        self.fields["member"].empty_label = _("— none —")


class BaseSeatFormSet(forms.BaseFormSet):
    """The elected members; build it with ``form_kwargs={"members": <the electable members>}``."""

    def seats(self):
        """The filled rows as (member, post, votes); the empty ones are left out."""
        return [
            (form.cleaned_data["member"], form.cleaned_data["post"], form.cleaned_data.get("votes"))
            for form in self.forms
            if form.cleaned_data.get("member") is not None
        ]


SeatFormSet = forms.formset_factory(
    SeatForm,
    formset=BaseSeatFormSet,
    extra=rules.SEATS_MAX,
    max_num=rules.SEATS_MAX,
    absolute_max=rules.SEATS_MAX,
    validate_max=True,
)


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"class": "form-control", "rows": 2})
    )


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("Remark"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 2}),
    )
