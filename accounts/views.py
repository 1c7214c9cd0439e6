"""Pages of accounts: the page where a user creates (the key shown once) and revokes their API token."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from .actions import token_create, token_revoke
from .models import ApiToken


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def tokens(request):
    new_key = None
    if request.method == "POST":
        if request.POST.get("action") == "revoke":
            if token_revoke(user=request.user):
                messages.success(
                    request, gettext("Your API token is revoked; scripts using it are refused from now on.")
                )
            return redirect("api_tokens")
        new_key = token_create(user=request.user)
    token = ApiToken.objects.filter(user=request.user).first()
    # Only the digest is stored: the page can name the token by its first characters, never show it.
    return render(
        request,
        "portal/tokens.html",
        {"token": token, "new_key": new_key, "hint": token.prefix if token and not new_key else ""},
    )
