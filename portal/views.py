"""The shell's pages: the home page (composed of the cards each app registers), logging out and
switching the language."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.i18n import set_language as django_set_language

from core import cards
from core.scope import scope_for
from members.models import LOGIN_CLOSED_STATUSES, Member
from notifications.actions import language_preference_set


@login_required
def home(request):
    scope = scope_for(request.user)
    if not scope.has_any_role:
        # A login whose member record is off the roll (deceased, removed) keeps no member's scope:
        # say so, rather than "no role yet".
        closed = Member.objects.filter(user=request.user, status__in=LOGIN_CLOSED_STATUSES).first()
        return render(request, "portal/no_role.html", {"closed_member": closed}, status=200)
    return render(request, "portal/home.html", {"cards": cards.cards_for(request, scope)})


class LogoutView(auth_views.LogoutView):
    """Django's logout (POST only), then a word on the login page it redirects to."""

    def post(self, request, *args, **kwargs):
        was_logged_in = request.user.is_authenticated
        response = super().post(request, *args, **kwargs)
        if was_logged_in:  # the cookie message storage outlives the flushed session
            messages.info(request, _("You have logged out."))
        return response


def set_language(request):
    """Django's language switch; a logged-in user's choice is also kept as their preference, the
    language of what reaches them without a request (e-mails of notifications)."""
    response = django_set_language(request)
    language = request.POST.get("language") if request.method == "POST" else None
    if language and request.user.is_authenticated:
        language_preference_set(user=request.user, language=language)
    return response
