"""Pages of two-factor authentication: status, set up, verify, recovery codes, disable
(``accounts.twofactor``)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp import user_has_device

from . import twofactor


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )

    def clean_code(self):
        return "".join(self.cleaned_data["code"].split())


def _next(request, default="home"):
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return default


@login_required
@never_cache
def status(request):
    user = request.user
    return render(
        request,
        "accounts/twofactor_status.html",
        {
            "device": twofactor.totp_device(user),
            "required": twofactor.required_for(user),
            "verified": twofactor.is_verified(user),
            "recovery_left": twofactor.remaining_recovery_codes(user),
        },
    )


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def setup(request):
    """Show a new secret as a QR code; a correct code from the app confirms it and shows the
    recovery codes once."""
    user = request.user
    if twofactor.totp_device(user) is not None:
        return redirect("twofactor_status")
    device = twofactor.pending_device(user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["code"]):
            device.confirmed = True
            device.save()
            otp_login(request, device)
            codes = twofactor.new_recovery_codes(user)
            messages.success(request, gettext("Two-factor authentication is on."))
            return render(request, "accounts/twofactor_codes.html", {"codes": codes, "next": _next(request, "")})
        form.add_error("code", gettext("This code is not right. Check the time of your phone and try again."))
    return render(
        request,
        "accounts/twofactor_setup.html",
        {
            "form": form,
            "qr": twofactor.qr_svg(device),
            "secret": twofactor.secret_text(device),
            "next": _next(request, ""),
        },
    )


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def verify(request):
    """The step after the login before the back office: a code of the app or a recovery code."""
    user = request.user
    if not user_has_device(user):
        return redirect("twofactor_setup")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = twofactor.match(user, form.cleaned_data["code"])
        if device is not None:
            otp_login(request, device)
            if device.name == twofactor.RECOVERY_DEVICE:
                messages.warning(
                    request,
                    gettext("You used a recovery code; %(left)d are left.")
                    % {"left": twofactor.remaining_recovery_codes(user)},
                )
            return redirect(_next(request, "admin:index"))
        form.add_error("code", gettext("This code is not right, or was used already."))
    return render(request, "accounts/twofactor_verify.html", {"form": form, "next": _next(request, "")})


@login_required
@never_cache
@require_http_methods(["POST"])
def recovery_codes(request):
    """New recovery codes (the old ones stop working), shown once; only in a verified session."""
    user = request.user
    if not twofactor.is_verified(user):
        return redirect(f"{_reverse('twofactor_verify')}?next={_reverse('twofactor_status')}")
    codes = twofactor.new_recovery_codes(user)
    return render(request, "accounts/twofactor_codes.html", {"codes": codes, "next": ""})


@login_required
@never_cache
@require_http_methods(["POST"])
def disable(request):
    """Turn two-factor authentication off: for those who need not have it, in a verified session."""
    user = request.user
    if twofactor.required_for(user):
        messages.error(request, gettext("Your role requires two-factor authentication; it cannot be turned off."))
    elif not twofactor.is_verified(user):
        return redirect(f"{_reverse('twofactor_verify')}?next={_reverse('twofactor_status')}")
    else:
        twofactor.disable(user)
        messages.success(request, gettext("Two-factor authentication is off."))
    return redirect("twofactor_status")


def _reverse(name):
    from django.urls import reverse

    return reverse(name)
