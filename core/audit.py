"""The audit of sensitive reads: every display or export of a member's full ID (or mobile) number to
someone other than the member leaves one append-only row (``core.models.SensitiveRead``).

Where a full number is shown, the code says so:

* in a request (back-office pages, API responses): ``note(request, member)`` for each member whose
  full number the response shows; ``SensitiveReadMiddleware`` writes ONE row per request once the
  response is rendered (the member's id, or the number of members for a list), with the URL name
  and the ``reason`` the reader gave (``?reason=`` or the reveal prompt's field), if any;
* in an export (``core.resources.id_number_cell``): the resource collects the members and
  ``record(...)`` writes one row with their number once the file is written.

A member reading their own record writes nothing; masked displays write nothing. Rows are never
changed; ``purge()`` (``manage.py purge_sensitive_reads``, the beat task
``core.tasks.purge_sensitive_reads``) deletes those older than ``HONGFAN_AUDIT_RETENTION_DAYS``.
"""

import datetime

from django.conf import settings
from django.utils import timezone

from .scope import scope_for

REASON_MAX = 500
REQUEST_ATTRIBUTE = "_hongfan_sensitive_reads"


UNKNOWN = object()  # the member's park, when its organisation was not loaded
CHUNK = 2000


def member_park_id(member):
    """The member's park id from the loaded organisation (no query), else UNKNOWN."""
    if member.organization_id is None:
        return None
    organization = member._state.fields_cache.get("organization")
    return organization.park_id if organization is not None else UNKNOWN


class Reveals:
    """The members whose full numbers one reader saw: {member pk: park id}."""

    def __init__(self, user):
        self.user = user
        self.members: dict[int, int | None] = {}
        self.model = None

    def add(self, member) -> None:
        if member is None or member.pk is None or member.pk in self.members:
            return
        scope = scope_for(self.user)
        if scope.member_id is not None and scope.member_id == member.pk:
            return  # the member's own record
        self.members[member.pk] = member_park_id(member)
        self.model = type(member)

    def parks(self) -> set:
        """The parks of the members, with one query per CHUNK members whose park was not loaded."""
        unknown = [pk for pk, park in self.members.items() if park is UNKNOWN]
        for start in range(0, len(unknown), CHUNK):
            found = self.model._base_manager.filter(pk__in=unknown[start : start + CHUNK]).values_list(
                "pk", "organization__park_id"
            )
            self.members.update(dict(found))
        return {None if park is UNKNOWN else park for park in self.members.values()}


def note(request, member) -> None:
    """The response to ``request`` shows ``member``'s full ID or mobile number."""
    http_request = getattr(request, "_request", request)  # DRF's Request wraps Django's
    reveals = getattr(http_request, REQUEST_ATTRIBUTE, None)
    if reveals is None:
        reveals = Reveals(request.user)
        setattr(http_request, REQUEST_ATTRIBUTE, reveals)
    reveals.add(member)


def record(reveals: Reveals | None, *, kind: str, where: str, reason: str = ""):
    """Write the one row of ``reveals`` (nothing when no other member's number was shown)."""
    from .models import SensitiveRead

    if reveals is None or not reveals.members:
        return None
    user = reveals.user
    parks = reveals.parks()
    only_member = next(iter(reveals.members)) if len(reveals.members) == 1 else None
    return SensitiveRead.objects.create(
        reader=user if user is not None and user.is_authenticated else None,
        reader_name=(user.get_username() if user is not None and user.is_authenticated else "")[:150],
        kind=kind,
        where=where[:200],
        member_id=only_member,
        member_count=len(reveals.members),
        # One park: its administrators see the row. Several: superusers only.
        park_id=parks.pop() if len(parks) == 1 else None,
        reason=(reason or "").strip()[:REASON_MAX],
    )


def request_reason(request) -> str:
    return (request.POST.get("reveal_reason") or request.GET.get("reason") or "").strip()


class SensitiveReadMiddleware:
    """Writes the row of a request that showed full numbers (``note``), after the response is rendered."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        reveals = getattr(request, REQUEST_ATTRIBUTE, None)
        if reveals is not None and reveals.members and response.status_code < 400:
            match = request.resolver_match
            where = (match.view_name if match else "") or request.path
            from .models import SensitiveRead

            kind = SensitiveRead.Kind.API if where.startswith("api:") else SensitiveRead.Kind.DISPLAY
            record(reveals, kind=kind, where=where, reason=request_reason(request))
        return response


def retention_days() -> int:
    return int(getattr(settings, "HONGFAN_AUDIT_RETENTION_DAYS", 3 * 365))


def purge(now=None) -> int:
    """Delete the rows older than the retention; the number deleted."""
    from .models import SensitiveRead

    cutoff = (now or timezone.now()) - datetime.timedelta(days=retention_days())
    return SensitiveRead.objects.purge_before(cutoff)


def home_card(request, scope):
    """The superuser's home card: full-number reads today and in the last 7 days, the top readers
    of the week (two queries)."""
    if not scope.superuser:
        return None
    from django.db.models import Count, Q
    from django.utils.translation import gettext

    from .cards import admin_changelist
    from .models import SensitiveRead

    now = timezone.now()
    today = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    week = now - datetime.timedelta(days=7)
    counts = SensitiveRead.objects.filter(at__gte=week).aggregate(
        week=Count("pk"), today=Count("pk", filter=Q(at__gte=today))
    )
    top = list(
        SensitiveRead.objects.filter(at__gte=week)
        .values("reader_name")
        .annotate(reads=Count("pk"))
        .order_by("-reads", "reader_name")[:5]
    )
    return {
        "title": gettext("Reads of full ID numbers"),
        "today": counts["today"],
        "week": counts["week"],
        "top": top,
        "admin_url": admin_changelist(request.user, "core", "sensitiveread"),
    }
