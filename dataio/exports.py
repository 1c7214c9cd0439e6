"""Downloads of enterprises, organisations, members, attendance and dues as xlsx or csv.

GET /imports/export/<kind>/?format=xlsx|csv[&org=<id>][&activity=<id>][&period=2026-04]: the
rows of ``visible_to(user)``, narrowed by the parameters (an organisation or activity outside the
scope is an invalid choice: 400), through ``core.importing.export_dataset`` (masked ID numbers
unless the user may see them, formula-safe cells).
"""

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from activities.models import Activity
from activities.selectors import parse_period
from dataio import jobs as imports
from dataio.views import download
from parks.models import Organization


class ExportForm(forms.Form):
    format = forms.ChoiceField(choices=[("xlsx", "xlsx"), ("csv", "csv")], required=False)
    org = forms.ModelChoiceField(queryset=None, required=False, label=_("organisation"))
    activity = forms.ModelChoiceField(queryset=None, required=False, label=_("activity"))
    period = forms.CharField(required=False, max_length=7, label=_("period"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = Organization.objects.visible_to(user)
        self.fields["activity"].queryset = Activity.objects.visible_to(user)

    def clean_period(self):
        value = self.cleaned_data["period"].strip()
        if value and parse_period(value) is None:
            raise ValidationError(_("Give a year (2026), a quarter (2026-Q2) or a month (2026-04)."))
        return value


@login_required
@require_GET
def export(request, kind):
    if kind not in imports.exportable_kinds(request.user):
        raise Http404
    form = ExportForm(request.GET, user=request.user)
    if not form.is_valid():
        return HttpResponse(form.errors.as_json(), status=400, content_type="application/json; charset=utf-8")
    file_format = form.cleaned_data["format"] or "xlsx"
    queryset = imports.export_queryset(
        kind=kind,
        user=request.user,
        organization=form.cleaned_data["org"],
        activity=form.cleaned_data["activity"],
        period=form.cleaned_data["period"],
    )
    try:
        content = imports.export_file(kind=kind, user=request.user, file_format=file_format, queryset=queryset)
    except ValidationError as error:
        return HttpResponse(" ".join(error.messages), status=400, content_type="text/plain; charset=utf-8")
    stamp = timezone.localdate().isoformat()
    return download(content, kind=kind, suffix=stamp, file_format=file_format)
