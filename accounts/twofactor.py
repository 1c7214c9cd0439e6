"""Two-factor authentication for the back office (issue #17): TOTP (django-otp) with single-use
recovery codes (django-otp's static tokens).

Who needs it: superusers and park administrators when ``HONGFAN_REQUIRE_2FA`` is on (the default in
production; off in the embedded/demo mode so that ``make run`` logins keep working). Anyone else may
turn it on on their security page; once they have a device, they verify like the others.

``TwoFactorMiddleware`` guards the back office (``/admin/``) and the portal pages that would
otherwise get round it (``GUARDED_PAGES``): the spreadsheet imports and exports (personal data in
and out in bulk) and the API token page (a token is a login without a second factor). A user who
must have a device and has none is sent to the set-up page; a user with a device whose session is
not verified is sent to the verification page. The login itself, the API with tokens (scripts have
no second factor) and the portal's other pages are not affected.
"""

import base64

import segno
from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django_otp import user_has_device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from core import crypto
from core.scope import scope_for

RECOVERY_CODES = 10
RECOVERY_DEVICE = "recovery"
TOTP_DEVICE = "authenticator"


def required_for(user) -> bool:
    """Whether ``user`` must use a second factor for the back office."""
    if not getattr(settings, "HONGFAN_REQUIRE_2FA", False) or not user.is_authenticated:
        return False
    return user.is_superuser or scope_for(user).is_park_admin


def totp_device(user, *, confirmed=True):
    return TOTPDevice.objects.filter(user=user, confirmed=confirmed).order_by("pk").first()


def pending_device(user) -> TOTPDevice:
    """The unconfirmed authenticator being set up (a new secret when there is none)."""
    device = totp_device(user, confirmed=False)
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE, confirmed=False)
    return device


def qr_svg(device: TOTPDevice) -> str:
    """The device's otpauth:// URI as an inline SVG QR code (no image file, no external service)."""
    return segno.make(device.config_url, error="m").svg_inline(scale=4, border=2)


def secret_text(device: TOTPDevice) -> str:
    """The secret in base32, four letters a group, for typing into an app by hand."""
    text = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def recovery_digest(code: str) -> str:
    """What is stored of a recovery code: its keyed digest (HMAC-SHA256 under HONGFAN_HASH_KEY,
    ``core.crypto.digest``), cut to the 16 characters of django-otp's token column (64 bits: with the
    key kept outside the database, a stolen table gives no code)."""
    return crypto.digest("recovery-code:" + code.strip().lower())[:16]


def new_recovery_codes(user) -> list[str]:
    """Replace the user's recovery codes with RECOVERY_CODES new single-use ones: shown once, stored
    only as their digest (``recovery_digest``), like a password."""
    device, _created = StaticDevice.objects.get_or_create(user=user, name=RECOVERY_DEVICE, defaults={"confirmed": True})
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=recovery_digest(code)) for code in codes])
    return codes


def match(user, code: str):
    """The device ``code`` verifies for ``user`` (a code of the app, or a recovery code, used up),
    or None. An app code (its digits) is checked by the authenticator, anything else as a recovery
    code by its digest; each device counts its own failures (django-otp's throttling)."""
    code = "".join(code.split())
    app = totp_device(user)
    if app is not None and code.isdigit() and len(code) == app.digits:
        return app if app.verify_token(code) else None
    recovery = StaticDevice.objects.filter(user=user, name=RECOVERY_DEVICE, confirmed=True).first()
    if recovery is not None and recovery.verify_token(recovery_digest(code)):
        return recovery
    return None


def remaining_recovery_codes(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__name=RECOVERY_DEVICE).count()


def disable(user) -> None:
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()


def is_verified(user) -> bool:
    return bool(getattr(user, "is_verified", None) and user.is_verified())


# The portal's pages guarded like the back office, by URL name: every page of the spreadsheet
# imports and exports (dataio.urls), and the page that makes API tokens.
GUARDED_PAGES = frozenset(
    {
        "imports",
        "import_template",
        "import_job",
        "import_job_progress",
        "import_confirm",
        "export",
        "export_job",
        "export_job_progress",
        "export_job_download",
        "api_tokens",
    }
)


class TwoFactorMiddleware:
    """Sends a visitor of the back office or of a guarded page (``GUARDED_PAGES``) to set up or
    verify their second factor (after OTPMiddleware)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        redirect_to = self.redirect_for(request)
        return redirect_to or self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if match is None or match.namespace or match.url_name not in GUARDED_PAGES:
            return None
        return self.second_factor_redirect(request)

    def redirect_for(self, request):
        admin_prefix = reverse("admin:index")
        if not request.path.startswith(admin_prefix):
            return None
        if request.path in (reverse("admin:login"), reverse("admin:logout")):
            return None
        return self.second_factor_redirect(request)

    def second_factor_redirect(self, request):
        """Where a signed-in user without a verified second factor goes first, or None."""
        user = request.user
        if not user.is_authenticated or is_verified(user):
            return None
        query = urlencode({"next": request.get_full_path()})
        if user_has_device(user):
            return redirect(f"{reverse('twofactor_verify')}?{query}")
        if required_for(user):
            return redirect(f"{reverse('twofactor_setup')}?{query}")
        return None
