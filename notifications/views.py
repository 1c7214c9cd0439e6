"""Pages of the bell: the list of a user's notifications, and marking them read."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import actions, selectors

NOTIFICATIONS_PER_PAGE = 20


@login_required
def notification_list(request):
    page = Paginator(selectors.notifications_for(request.user), NOTIFICATIONS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "portal/notifications.html", {"page": page})


def _safe_local_url(request, url: str) -> str | None:
    """Only a same-site relative path ("/…", not "//host/…"): a notification never leads off-site."""
    if not url or not url.startswith("/") or url.startswith("//") or "\\" in url:
        return None
    if not url_has_allowed_host_and_scheme(url, allowed_hosts=None, require_https=request.is_secure()):
        return None
    return url


@login_required
@require_POST
def notification_read(request, pk):
    notification = actions.notification_mark_read(notification_id=pk, user=request.user)
    return redirect(_safe_local_url(request, notification.url) or "notifications")


@login_required
@require_POST
def notification_read_all(request):
    count = actions.notifications_mark_all_read(user=request.user)
    if count:
        messages.success(request, _("All notifications are marked as read."))
    return redirect("notifications")
