"""The party-mass service centre (党群服务中心): service requests, micro-wishes and room bookings.

Scope rules: each model's ``visible_to(user)``. Besides the roles of ``core.scope`` they know two
relations of a user that only this app defines: an enterprise contact (EnterpriseContact) and
membership of a service team (ServiceTeam.members).
"""

import datetime

from django.conf import settings
from django.core.validators import FileExtensionValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Case, Q, Value, When
from django.utils import timezone
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.people import display_name
from core.querysets import CHANGE, VIEW, ScopedQuerySet, check_action
from core.scope import scope_for
from core.validators import SERVICE_DATE, SYSTEM_TIME, TEXT_DESCRIPTION, TEXT_NOTE, text_constraint

ATTACHMENT_EXTENSIONS = ["pdf", "jpg", "jpeg", "png", "webp", "doc", "docx", "xls", "xlsx", "txt"]
PHOTO_EXTENSIONS = ["jpg", "jpeg", "png", "webp"]


def contact_enterprise_ids(user):
    """A subquery of the enterprises for which ``user`` is a contact."""
    return EnterpriseContact.objects.filter(user=user).values("enterprise_id")


def member_team_ids(user):
    return ServiceTeam.members.through.objects.filter(user=user).values("serviceteam_id")


class UserScopedQuerySet(ScopedQuerySet):
    """``visible_to`` = the role conditions of ``scope_filter`` OR the user's own relations ("view";
    "change" is the role conditions only).

    An enterprise contact or a team member may hold no portal role at all, so the base class's
    "no role, no rows" shortcut does not apply here.
    """

    def condition_for(self, user, action=VIEW):
        check_action(action)
        if user is None or not user.is_authenticated or not user.is_active:
            return Q(pk__in=[])
        scope = scope_for(user)
        if scope.superuser:
            return None
        if action == CHANGE:
            # The park's administrators; the requester, a contact, a team member or a booker take
            # only the workflow steps that name them (``services.rules``, ``services.actions``).
            return self.scope_filter(scope, action)
        return self.scope_filter(scope, action) | self.user_filter(user)

    def user_filter(self, user):
        return Q(pk__in=[])


class ServiceCategoryQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)


class ServiceCategory(models.Model):
    """An entry of the service centre's catalogue; the same catalogue for every park."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    # The catalogue is data: its names are stored in both languages of the portal (Chinese, the
    # default, in ``name``); pages show ``display_name`` in the active language.
    name_en = models.CharField(_("name in English"), max_length=100, blank=True)
    description = models.TextField(_("description"), max_length=TEXT_DESCRIPTION, blank=True)
    position = models.PositiveIntegerField(pgettext_lazy("sort order", "position"), default=0)
    is_active = models.BooleanField(_("offered"), default=True)
    history = HistoricalRecords()
    objects = ServiceCategoryQuerySet.as_manager()

    class Meta:
        constraints = [text_constraint("description", TEXT_DESCRIPTION)]
        verbose_name = _("service category")
        verbose_name_plural = _("service categories")
        ordering = ["position", "name"]

    def __str__(self):
        return self.display_name

    @property
    def display_name(self):
        """The English name when the page is in English and one is stored, else the Chinese."""
        if self.name_en and (get_language() or "").startswith("en"):
            return self.name_en
        return self.name


class EnterpriseContactQuerySet(UserScopedQuerySet):
    def scope_filter(self, scope, action=VIEW):
        if action == CHANGE:
            return scope.q(park="enterprise__park")
        return scope.q(district="enterprise__park__district", park="enterprise__park")

    def user_filter(self, user):
        return Q(user=user)


class EnterpriseContact(models.Model):
    """A login that may submit and follow service requests and book rooms for an enterprise."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="enterprise_contacts", verbose_name=_("login")
    )
    enterprise = models.ForeignKey(
        "parks.Enterprise", models.CASCADE, related_name="contacts", verbose_name=_("enterprise")
    )
    position = models.CharField(pgettext_lazy("job title", "position"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, validators=SYSTEM_TIME.validators())
    history = HistoricalRecords()
    objects = EnterpriseContactQuerySet.as_manager()

    class Meta:
        verbose_name = _("enterprise contact")
        verbose_name_plural = _("enterprise contacts")
        ordering = ["enterprise", "user"]
        constraints = [
            models.UniqueConstraint(fields=["user", "enterprise"], name="enterprise_contact_unique"),
            SYSTEM_TIME.constraint("created_at", datetime_field=True),
        ]

    def __str__(self):
        return f"{display_name(self.user)} · {self.enterprise}"


class ServiceTeamQuerySet(UserScopedQuerySet):
    def scope_filter(self, scope, action=VIEW):
        if action == CHANGE:
            return scope.q(park="park")
        return scope.q(district="park__district", park="park", service_park="park")

    def user_filter(self, user):
        return Q(pk__in=member_team_ids(user))


class ServiceTeam(models.Model):
    """A team of the park's service centre (legal, finance, tax, market regulation, …)."""

    class Kind(models.TextChoices):
        LEGAL = "legal", _("legal")
        FINANCE = "finance", _("finance")
        TAX = "tax", _("tax")
        MARKET_REGULATION = "market_regulation", _("market regulation")
        OTHER = "other", _("other")

    park = models.ForeignKey("parks.Park", models.CASCADE, related_name="service_teams", verbose_name=_("park"))
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices, default=Kind.OTHER)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="service_teams", verbose_name=_("members")
    )
    is_active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords(m2m_fields=[members])
    objects = ServiceTeamQuerySet.as_manager()

    class Meta:
        verbose_name = _("service team")
        verbose_name_plural = _("service teams")
        ordering = ["park", "name"]
        constraints = [models.UniqueConstraint(fields=["park", "name"], name="service_team_unique_name_in_park")]

    def __str__(self):
        return f"{self.park} · {self.name}"


class Urgency(models.TextChoices):
    LOW = "low", _("low")
    NORMAL = "normal", _("normal")
    HIGH = "high", _("high")
    CRITICAL = "critical", _("critical")


# Calendar days from submission to the due date, per urgency. Override any of them with the
# HONGFAN_SERVICE_DUE_DAYS setting (a dict); see docs/services.md.
DEFAULT_DUE_DAYS = {Urgency.LOW: 15, Urgency.NORMAL: 7, Urgency.HIGH: 3, Urgency.CRITICAL: 1}


def due_days(urgency: str) -> int:
    configured = getattr(settings, "HONGFAN_SERVICE_DUE_DAYS", None) or {}
    return int(configured.get(str(urgency), DEFAULT_DUE_DAYS[urgency]))


def due_date(urgency: str, start: datetime.datetime | None = None) -> datetime.date:
    start = start or timezone.now()
    return timezone.localtime(start).date() + datetime.timedelta(days=due_days(urgency))


class RequestStatus(models.TextChoices):
    SUBMITTED = "submitted", _("submitted")
    ACCEPTED = "accepted", pgettext_lazy("service request", "accepted")
    ASSIGNED = "assigned", _("assigned")
    IN_PROGRESS = "in_progress", _("in progress")
    RESOLVED = "resolved", _("resolved")
    CLOSED = "closed", _("closed")
    REJECTED = "rejected", _("rejected")


OPEN_STATUSES = (
    RequestStatus.SUBMITTED,
    RequestStatus.ACCEPTED,
    RequestStatus.ASSIGNED,
    RequestStatus.IN_PROGRESS,
)


def overdue_q(today=None) -> Q:
    """The one definition of *overdue*: still open (submitted, accepted, assigned or in progress)
    and due before today. Every list, count and badge uses it."""
    return Q(status__in=OPEN_STATUSES, due_on__lt=today or timezone.localdate())


# *New* for the park's triage (the service staff's inbox): submitted, or accepted but not yet
# passed to a team.
AWAITING_TRIAGE = Q(status=RequestStatus.SUBMITTED) | Q(status=RequestStatus.ACCEPTED, team__isnull=True)


class ServiceRequestQuerySet(UserScopedQuerySet):
    def scope_filter(self, scope, action=VIEW):
        if action == CHANGE:
            return scope.q(park="park")
        # Service staff see every request of their park: they triage the new ones (accept, assign,
        # reject: ``services.rules.triages``) and follow what their colleagues' teams do.
        return scope.q(district="park__district", park="park", service_park="park")

    def user_filter(self, user):
        return Q(requester=user) | Q(enterprise__in=contact_enterprise_ids(user)) | Q(team__in=member_team_ids(user))

    def open(self):
        return self.filter(status__in=OPEN_STATUSES)

    def overdue(self, today=None):
        return self.filter(overdue_q(today))

    def awaiting_triage(self):
        return self.filter(AWAITING_TRIAGE)

    def with_overdue(self, today=None):
        """Annotate ``is_overdue``: still open and past its due date."""
        return self.annotate(
            is_overdue=Case(
                When(overdue_q(today), then=Value(True)), default=Value(False), output_field=models.BooleanField()
            )
        )


class ServiceRequest(models.Model):
    """A request (诉求) to the service centre from an enterprise and/or a person."""

    Status = RequestStatus
    Urgency = Urgency

    park = models.ForeignKey("parks.Park", models.PROTECT, related_name="service_requests", verbose_name=_("park"))
    enterprise = models.ForeignKey(
        "parks.Enterprise",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="service_requests",
        verbose_name=_("enterprise"),
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="service_requests", verbose_name=_("requester")
    )
    category = models.ForeignKey(ServiceCategory, models.PROTECT, related_name="requests", verbose_name=_("category"))
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), max_length=TEXT_DESCRIPTION)
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.NORMAL)
    due_on = models.DateField(_("due on"), validators=SERVICE_DATE.validators())
    status = models.CharField(
        _("status"), max_length=20, choices=RequestStatus.choices, default=RequestStatus.SUBMITTED
    )
    team = models.ForeignKey(
        ServiceTeam, models.PROTECT, null=True, blank=True, related_name="requests", verbose_name=_("team")
    )
    rating = models.PositiveSmallIntegerField(
        _("satisfaction"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    rating_comment = models.TextField(_("closing comment"), max_length=TEXT_NOTE, blank=True)
    reject_reason = models.TextField(_("reason for rejection"), max_length=TEXT_NOTE, blank=True)
    created_at = models.DateTimeField(_("submitted at"), auto_now_add=True, validators=SYSTEM_TIME.validators())
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True, validators=SYSTEM_TIME.validators())
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True, validators=SYSTEM_TIME.validators())
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, validators=SYSTEM_TIME.validators())
    history = HistoricalRecords()
    objects = ServiceRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("service request")
        verbose_name_plural = _("service requests")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["park", "status", "due_on"]),
            models.Index(fields=["team", "status"]),
            models.Index(fields=["requester", "status"]),
            # The lists' order (newest first): a page is read from the index, not sorted from all.
            models.Index(fields=["-created_at", "-id"], name="servicerequest_newest"),
            # The overdue requests (overdue_q) oldest due first, as the dashboard's alert lists
            # them: the first rows and the count are read from the open requests' index.
            models.Index(
                fields=["due_on", "id"], condition=Q(status__in=OPEN_STATUSES), name="servicerequest_open_due"
            ),
        ]
        constraints = [
            text_constraint("reject_reason", TEXT_NOTE),
            text_constraint("rating_comment", TEXT_NOTE),
            text_constraint("description", TEXT_DESCRIPTION),
            models.CheckConstraint(
                name="service_request_rating_1_to_5",
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
            ),
            SERVICE_DATE.constraint("due_on"),
            SYSTEM_TIME.constraint("created_at", datetime_field=True),
            SYSTEM_TIME.constraint("accepted_at", datetime_field=True),
            SYSTEM_TIME.constraint("resolved_at", datetime_field=True),
            SYSTEM_TIME.constraint("closed_at", datetime_field=True),
        ]

    def __str__(self):
        return f"#{self.pk} {self.title}"

    @property
    def is_open(self):
        return self.status in OPEN_STATUSES

    @property
    def overdue(self):
        if hasattr(self, "is_overdue"):
            return self.is_overdue
        return self.is_open and self.due_on < timezone.localdate()


class ServiceRequestEventQuerySet(UserScopedQuerySet):
    def scope_filter(self, scope, action=VIEW):
        if action == CHANGE:
            return scope.q(park="request__park")
        return scope.q(district="request__park__district", park="request__park", service_park="request__park")

    def user_filter(self, user):
        return (
            Q(request__requester=user)
            | Q(request__enterprise__in=contact_enterprise_ids(user))
            | Q(request__team__in=member_team_ids(user))
        )


class ServiceRequestEvent(models.Model):
    """One entry of a request's timeline: a workflow step or a comment, with its actor and time."""

    class Kind(models.TextChoices):
        SUBMITTED = "submitted", _("submitted")
        ACCEPTED = "accepted", pgettext_lazy("service request", "accepted")
        ASSIGNED = "assigned", _("assigned to a team")
        STARTED = "started", _("work started")
        RESOLVED = "resolved", _("resolved")
        CLOSED = "closed", _("closed")
        REJECTED = "rejected", _("rejected")
        REOPENED = "reopened", _("reopened")
        COMMENT = "comment", _("comment")

    request = models.ForeignKey(ServiceRequest, models.CASCADE, related_name="events", verbose_name=_("request"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+", verbose_name=_("by")
    )
    text = models.TextField(_("text"), max_length=TEXT_DESCRIPTION, blank=True)
    attachment = models.FileField(
        _("attachment"),
        upload_to="services/requests/%Y/%m/",
        blank=True,
        validators=[FileExtensionValidator(ATTACHMENT_EXTENSIONS)],
    )
    status_after = models.CharField(_("status after"), max_length=20, choices=RequestStatus.choices)
    created_at = models.DateTimeField(_("at"), default=timezone.now, validators=SYSTEM_TIME.validators())
    history = HistoricalRecords()
    objects = ServiceRequestEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")
        ordering = ["request", "created_at", "pk"]
        constraints = [
            text_constraint("text", TEXT_DESCRIPTION),
            SYSTEM_TIME.constraint("created_at", datetime_field=True),
        ]

    def __str__(self):
        return f"{self.request_id} · {self.get_kind_display()}"


class WishQuerySet(UserScopedQuerySet):
    def scope_filter(self, scope, action=VIEW):
        if action == CHANGE:
            return scope.q(park="park")  # the claimant's steps check the claimant themself
        return scope.q(district="park__district", park="park", member_park="park", member="claimed_by")

    def open(self):
        return self.filter(status=Wish.Status.OPEN)


class Wish(models.Model):
    """A micro-wish (微心愿) of someone in need, posted by the park; a member claims and fulfils it.

    Only a first name and the need are recorded: no other personal data of the beneficiary.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        CLAIMED = "claimed", _("claimed")
        FULFILLED = "fulfilled", _("fulfilled")
        CANCELLED = "cancelled", _("cancelled")

    park = models.ForeignKey("parks.Park", models.CASCADE, related_name="wishes", verbose_name=_("park"))
    beneficiary = models.CharField(
        _("beneficiary's first name"),
        max_length=20,
        help_text=_("A first name or a nickname only; no other personal data."),
    )
    need = models.CharField(_("the wish"), max_length=300)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+", verbose_name=_("posted by")
    )
    posted_at = models.DateTimeField(_("posted at"), auto_now_add=True, validators=SYSTEM_TIME.validators())
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.OPEN)
    claimed_by = models.ForeignKey(
        "members.Member",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="claimed_wishes",
        verbose_name=_("claimed by"),
    )
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True, validators=SYSTEM_TIME.validators())
    fulfilled_at = models.DateTimeField(_("fulfilled at"), null=True, blank=True, validators=SYSTEM_TIME.validators())
    fulfilment_note = models.TextField(_("fulfilment note"), max_length=TEXT_NOTE, blank=True)
    photo = models.FileField(
        _("photo"),
        upload_to="services/wishes/%Y/%m/",
        blank=True,
        validators=[FileExtensionValidator(PHOTO_EXTENSIONS)],
    )
    history = HistoricalRecords()
    objects = WishQuerySet.as_manager()

    class Meta:
        verbose_name = _("micro-wish")
        verbose_name_plural = _("micro-wishes")
        ordering = ["-posted_at", "-pk"]
        indexes = [models.Index(fields=["park", "status"])]
        constraints = [
            text_constraint("fulfilment_note", TEXT_NOTE),
            models.CheckConstraint(
                name="wish_claimed_has_member",
                condition=Q(status="open", claimed_by__isnull=True) | ~Q(status="open"),
            ),
            SYSTEM_TIME.constraint("posted_at", datetime_field=True),
            SYSTEM_TIME.constraint("claimed_at", datetime_field=True),
            SYSTEM_TIME.constraint("fulfilled_at", datetime_field=True),
        ]

    def __str__(self):
        return f"{self.beneficiary}: {self.need}"


class RoomBookingQuerySet(UserScopedQuerySet):
    def scope_filter(self, scope, action=VIEW):
        if action == CHANGE:
            return scope.q(park="room__park")
        return scope.q(district="room__park__district", park="room__park", member_park="room__park")

    def user_filter(self, user):
        return Q(booked_by=user) | Q(
            room__park__in=EnterpriseContact.objects.filter(user=user).values("enterprise__park")
        )

    def confirmed(self):
        return self.filter(status=RoomBooking.Status.CONFIRMED)

    def overlapping(self, *, room, starts_at, ends_at):
        """Bookings of ``room`` whose half-open interval [starts_at, ends_at) meets the given one."""
        return self.filter(room=room, starts_at__lt=ends_at, ends_at__gt=starts_at)


class RoomBooking(models.Model):
    """A booking of a service-centre room; confirmed ones never overlap (a database constraint on
    PostgreSQL, added by migration 0003, and the same check in ``actions.booking_confirm``)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        CONFIRMED = "confirmed", _("confirmed")
        DECLINED = "declined", _("declined")
        CANCELLED = "cancelled", _("cancelled")

    room = models.ForeignKey("parks.Room", models.CASCADE, related_name="bookings", verbose_name=_("room"))
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="room_bookings", verbose_name=_("booked by")
    )
    enterprise = models.ForeignKey(
        "parks.Enterprise",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="room_bookings",
        verbose_name=_("for enterprise"),
    )
    purpose = models.CharField(_("purpose"), max_length=200)
    attendees = models.PositiveIntegerField(_("attendees"), default=1)
    starts_at = models.DateTimeField(_("starts at"), validators=SERVICE_DATE.validators())
    ends_at = models.DateTimeField(_("ends at"), validators=SERVICE_DATE.validators())
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True, validators=SYSTEM_TIME.validators())
    decline_reason = models.CharField(_("reason"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True, validators=SYSTEM_TIME.validators())
    history = HistoricalRecords()
    objects = RoomBookingQuerySet.as_manager()

    class Meta:
        verbose_name = _("room booking")
        verbose_name_plural = _("room bookings")
        ordering = ["room", "starts_at"]
        indexes = [models.Index(fields=["room", "starts_at"])]
        constraints = [
            models.CheckConstraint(
                name="room_booking_ends_after_start", condition=Q(ends_at__gt=models.F("starts_at"))
            ),
            SERVICE_DATE.constraint("starts_at", datetime_field=True),
            SERVICE_DATE.constraint("ends_at", datetime_field=True),
            SYSTEM_TIME.constraint("decided_at", datetime_field=True),
            SYSTEM_TIME.constraint("created_at", datetime_field=True),
        ]

    def __str__(self):
        return f"{self.room} · {timezone.localtime(self.starts_at):%Y-%m-%d %H:%M}"
