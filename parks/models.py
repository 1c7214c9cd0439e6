from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from core.querysets import CHANGE, NOTHING, STATISTICS, VIEW, ScopedQuerySet
from core.validators import (
    PARK_DATE,
    PARTY_DATE,
    TERM_END,
    normalize_credit_code,
    validate_credit_code,
    validate_division_code,
)

from . import rules
from .rules import TERM_WARNING_DAYS, add_years  # noqa: F401  (imported from here by other apps)

# The term of a branch, the commonest kind (parks.rules.DEFAULT_TERM_YEARS has every kind).
TERM_YEARS = rules.DEFAULT_TERM_YEARS["branch"]


class DistrictQuerySet(ScopedQuerySet):
    actions = (VIEW, CHANGE, STATISTICS)

    def scope_filter(self, scope, action=VIEW):
        if action == STATISTICS:
            return scope.q(district="pk")
        if action == CHANGE:
            return NOTHING  # districts are written by superusers only
        return scope.q(
            district="pk",
            park="parks",
            org="organizations",
            service_park="parks",
            member_org="organizations",
        )

    def visible_to(self, user, action=VIEW):
        # The reverse joins can repeat a district.
        return super().visible_to(user, action).distinct()


class District(models.Model):
    name = models.CharField(_("name"), max_length=100)
    city = models.CharField(_("city"), max_length=100)
    code = models.CharField(
        _("division code"),
        max_length=6,
        unique=True,
        validators=[validate_division_code],
        help_text=_("6-digit administrative division code (GB/T 2260)."),
    )
    history = HistoricalRecords()
    objects = DistrictQuerySet.as_manager()

    class Meta:
        verbose_name = _("district")
        verbose_name_plural = _("districts")
        ordering = ["code"]

    def __str__(self):
        return f"{self.city}{self.name}" if self.city and not self.name.startswith(self.city) else self.name


class ParkQuerySet(ScopedQuerySet):
    actions = (VIEW, CHANGE, STATISTICS)

    def scope_filter(self, scope, action=VIEW):
        if action == STATISTICS:
            return scope.q(district="district", park="pk")
        if action == CHANGE:
            return scope.q(park="pk")  # their own park (never added or deleted but by superusers)
        return scope.q(
            district="district",
            park="pk",
            service_park="pk",
            member_park="pk",
        ) | (Q(pk__in=Organization.objects.filter(pk__in=scope.org_ids).values("park")) if scope.org_ids else Q())


class Park(models.Model):
    class Kind(models.TextChoices):
        PARK = "park", _("industrial park")
        BUSINESS_DISTRICT = "business_district", _("business district")
        INTERNET_TOWN = "internet_town", _("internet town")
        MAKER_SPACE = "maker_space", _("maker space")

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.PARK)
    district = models.ForeignKey(District, models.PROTECT, related_name="parks", verbose_name=_("district"))
    address = models.CharField(_("address"), max_length=200, blank=True)
    area = models.DecimalField(_("area (m²)"), max_digits=12, decimal_places=1, null=True, blank=True)
    opened_on = models.DateField(_("opened on"), null=True, blank=True, validators=PARK_DATE.validators())
    operator = models.CharField(_("operator"), max_length=100, blank=True)
    service_centre_area = models.DecimalField(
        _("service centre area (m²)"), max_digits=8, decimal_places=1, null=True, blank=True
    )
    history = HistoricalRecords()
    objects = ParkQuerySet.as_manager()

    class Meta:
        verbose_name = _("park")
        verbose_name_plural = _("parks")
        ordering = ["district__code", "name"]
        constraints = [
            models.UniqueConstraint(fields=["district", "name"], name="park_unique_name_in_district"),
            PARK_DATE.constraint("opened_on"),
        ]

    def __str__(self):
        return self.name


class EnterpriseQuerySet(ScopedQuerySet):
    def scope_filter(self, scope, action=VIEW):
        if action == CHANGE:
            return scope.q(park="park")
        conditions = scope.q(district="park__district", park="park", service_park="park")
        if scope.org_ids:
            conditions |= Q(
                pk__in=Organization.enterprises.through.objects.filter(organization_id__in=scope.org_ids).values(
                    "enterprise_id"
                )
            )
        if scope.member_employer_id is not None:
            conditions |= Q(pk=scope.member_employer_id)
        return conditions


class Enterprise(models.Model):
    class Industry(models.TextChoices):
        PLATFORM = "platform", _("e-commerce platform")
        ONLINE_SHOP = "online_shop", _("online shop")
        LOGISTICS = "logistics", _("logistics")
        TRAINING = "training", _("training")
        AGENCY = "agency", _("agency operation")
        CROSS_BORDER = "cross_border", _("cross-border e-commerce")
        LIVE_STREAMING = "live_streaming", _("live streaming")
        OTHER = "other", _("other")

    name = models.CharField(_("name"), max_length=200)
    credit_code = models.CharField(
        _("unified social credit code"), max_length=18, unique=True, validators=[validate_credit_code]
    )
    park = models.ForeignKey(Park, models.PROTECT, related_name="enterprises", verbose_name=_("park"))
    industry = models.CharField(_("industry"), max_length=20, choices=Industry.choices, default=Industry.ONLINE_SHOP)
    employee_count = models.PositiveIntegerField(_("employees"), default=0)
    entered_on = models.DateField(_("entered park on"), null=True, blank=True, validators=PARK_DATE.validators())
    investor_name = models.CharField(_("investor"), max_length=100, blank=True)
    investor_is_member = models.BooleanField(_("investor is a party member"), default=False)
    history = HistoricalRecords()
    objects = EnterpriseQuerySet.as_manager()

    class Meta:
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")
        ordering = ["park", "name"]
        indexes = [models.Index(fields=["park", "name"])]
        constraints = [
            PARK_DATE.constraint("entered_on"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        self.credit_code = normalize_credit_code(self.credit_code)


class OrganizationQuerySet(ScopedQuerySet):
    actions = (VIEW, CHANGE, STATISTICS)

    def scope_filter(self, scope, action=VIEW):
        if action == STATISTICS:
            return scope.q(district="district", park="park", org="pk")
        if action == CHANGE:
            # The organisation's row (name, parent, term); its members and activities are changed
            # by its secretaries too (Member and Activity "change").
            return scope.q(park="park")
        return scope.q(district="district", park="park", org="pk", service_park="park", member_org="pk")

    def with_descendants(self, root_ids) -> set[int]:
        """The ids of the given organisations and everything below them, one query per level."""
        found = set(root_ids)
        frontier = set(root_ids)
        while frontier:
            frontier = set(self.filter(parent_id__in=frontier).values_list("pk", flat=True)) - found
            found |= frontier
        return found


class Organization(models.Model):
    """A party organisation (党组织): a committee, general branch, branch or party group."""

    class Kind(models.TextChoices):
        COMMITTEE = "committee", _("party committee")
        GENERAL_BRANCH = "general_branch", _("general branch")
        BRANCH = "branch", _("branch")
        JOINT_BRANCH = "joint_branch", _("joint branch")
        GROUP = "group", _("party group")

    class Formation(models.TextChoices):
        SINGLE = "single", _("single enterprise")
        JOINT = "joint", _("joint")
        LED_BY_LEADER = "led_by_leader", _("led by a leading enterprise")
        INDUSTRY = "industry", pgettext_lazy("formation of an organisation", "industry")
        FALLBACK = "fallback", _("fallback management")

    BRANCH_KINDS = (Kind.BRANCH, Kind.JOINT_BRANCH)

    name = models.CharField(_("name"), max_length=200)
    code = models.CharField(
        _("organisation code"),
        max_length=32,
        unique=True,
        help_text=_("The organisation's code in the district's register; used to match rows on import."),
    )
    parent = models.ForeignKey(
        "self", models.PROTECT, null=True, blank=True, related_name="children", verbose_name=_("parent organisation")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.BRANCH)
    formation = models.CharField(_("formation"), max_length=20, choices=Formation.choices, default=Formation.SINGLE)
    district = models.ForeignKey(District, models.PROTECT, related_name="organizations", verbose_name=_("district"))
    park = models.ForeignKey(
        Park,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="organizations",
        verbose_name=_("park"),
        help_text=_("Empty for a committee that spans several parks."),
    )
    enterprises = models.ManyToManyField(
        Enterprise, blank=True, related_name="organizations", verbose_name=_("enterprises covered")
    )
    secretary = models.ForeignKey(
        "members.Member", models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("secretary")
    )
    founded_on = models.DateField(_("founded on"), null=True, blank=True, validators=PARTY_DATE.validators())
    term_start = models.DateField(_("current term starts"), null=True, blank=True, validators=PARTY_DATE.validators())
    term_end = models.DateField(_("current term ends"), null=True, blank=True, validators=TERM_END.validators())
    history = HistoricalRecords(m2m_fields=[enterprises])
    objects = OrganizationQuerySet.as_manager()

    class Meta:
        verbose_name = _("party organisation")
        verbose_name_plural = _("party organisations")
        ordering = ["district__code", "code"]
        indexes = [models.Index(fields=["park", "kind"])]
        constraints = [
            PARTY_DATE.constraint("founded_on"),
            PARTY_DATE.constraint("term_start"),
            TERM_END.constraint("term_end"),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.derive_term_end()
        super().save(*args, **kwargs)

    def derive_term_end(self, table: dict[str, int] | None = None):
        """Set ``term_end`` from ``term_start`` and the term length of the organisation's kind
        (parks.rules): the end is never entered on its own, so editing the start moves it."""
        if self.term_start is None:
            self.term_end = None
        else:
            self.term_end = rules.term_end(self.term_start, rules.term_years(self.kind, table))

    @property
    def is_branch(self):
        return self.kind in self.BRANCH_KINDS

    def clean(self):
        errors = {}
        if self.parent_id:
            # Walk up from the parent: meeting this organisation again means a cycle.
            seen, node = set(), self.parent
            while node is not None:
                if node.pk == self.pk and self.pk is not None or node.pk in seen:
                    errors["parent"] = _("An organisation cannot be placed below itself or its own sub-units.")
                    break
                seen.add(node.pk)
                node = node.parent
            if self.parent.kind == self.Kind.GROUP:
                errors["parent"] = _("A party group cannot have sub-units.")
            if self.parent.district_id != self.district_id and self.district_id:
                errors["district"] = _("A sub-unit belongs to the district of its parent.")
        if self.park_id and self.district_id and self.park.district_id != self.district_id:
            errors["park"] = _("The park is not in the organisation's district.")
        if self.term_start:
            years = rules.term_years(self.kind)
            if not rules.term_years_allowed(years):
                errors["term_start"] = _("A term of office lasts %(min)d to %(max)d years, not %(years)d.") % {
                    "min": rules.TERM_YEARS_MIN,
                    "max": rules.TERM_YEARS_MAX,
                    "years": years,
                }
            else:
                self.derive_term_end()
        else:
            self.term_end = None
        if errors:
            raise ValidationError(errors)

    def term_status(self, today=None):
        """'ok', 'ending' (within 90 days), 'expired' or 'unknown' (parks.rules.term_stage; the
        six-month notice counts as 'ok' here, the alerts show it)."""
        stage = rules.term_stage(self.term_end, today or timezone.localdate())
        return rules.OK if stage == rules.NOTICE else stage


class RoomQuerySet(ScopedQuerySet):
    def scope_filter(self, scope, action=VIEW):
        if action == CHANGE:
            return scope.q(park="park")
        conditions = scope.q(district="park__district", park="park", service_park="park", member_park="park")
        if scope.org_ids:
            conditions |= Q(park__in=Organization.objects.filter(pk__in=scope.org_ids).values("park"))
        return conditions


class Room(models.Model):
    """A room of a park's party-mass service centre."""

    park = models.ForeignKey(Park, models.CASCADE, related_name="rooms", verbose_name=_("park"))
    name = models.CharField(_("name"), max_length=100)
    capacity = models.PositiveIntegerField(_("capacity"), default=10)
    location = models.CharField(_("location"), max_length=100, blank=True)
    equipment = models.CharField(_("equipment"), max_length=200, blank=True)
    is_active = models.BooleanField(_("available for booking"), default=True)
    history = HistoricalRecords()
    objects = RoomQuerySet.as_manager()

    class Meta:
        verbose_name = _("room")
        verbose_name_plural = _("rooms")
        ordering = ["park", "name"]
        constraints = [models.UniqueConstraint(fields=["park", "name"], name="room_unique_name_in_park")]

    def __str__(self):
        return f"{self.park} · {self.name}"


def organization_scope(user, fields: dict) -> dict:
    """Scope builder (``core.scope``): a secretary's organisations include all their sub-units."""
    roots = fields.get("org_ids") or set()
    return {"org_ids": Organization.objects.with_descendants(roots) if roots else set()}
