"""The shell's pages: the home page (composed of the cards each app registers) and logging out."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext as _

from core import cards
from core.scope import scope_for


@login_required
def home(request):
    scope = scope_for(request.user)
    if not scope.has_any_role:
        return render(request, "portal/no_role.html", status=200)
    return render(request, "portal/home.html", {"cards": cards.cards_for(request, scope)})


class LogoutView(auth_views.LogoutView):
    """Django's logout (POST only), then a word on the login page it redirects to."""

    def post(self, request, *args, **kwargs):
        was_logged_in = request.user.is_authenticated
        response = super().post(request, *args, **kwargs)
        if was_logged_in:  # the cookie message storage outlives the flushed session
            messages.info(request, _("You have logged out."))
        return response
