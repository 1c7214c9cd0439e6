"""Roles: who holds which role over which district, park or organisation."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.people import display_name
from core.querysets import CHANGE, NOTHING, VIEW, ScopedQuerySet
from core.validators import SYSTEM_TIME


class Role(models.TextChoices):
    DISTRICT_OFFICIAL = "district_official", _("district official")
    PARK_ADMIN = "park_admin", _("park administrator")
    BRANCH_SECRETARY = "branch_secretary", _("branch secretary")
    SERVICE_STAFF = "service_staff", _("service staff")


# Which scope object each role is bound to.
ROLE_SCOPE_FIELD = {
    Role.DISTRICT_OFFICIAL: "district",
    Role.PARK_ADMIN: "park",
    Role.BRANCH_SECRETARY: "organization",
    Role.SERVICE_STAFF: "park",
}


class RoleAssignmentQuerySet(ScopedQuerySet):
    def scope_filter(self, scope, action=VIEW):
        if action == CHANGE:
            # A park administrator removes the secretaries and service staff of their park (what
            # they may grant, ``accounts.selectors.PARK_ADMIN_GRANTABLE``); nobody else.
            if not scope.park_ids:
                return NOTHING
            return Q(role=Role.SERVICE_STAFF, park__in=scope.park_ids) | Q(
                role=Role.BRANCH_SECRETARY, organization__park__in=scope.park_ids
            )
        # Park administrators see who holds roles in their park; everyone sees their own.
        conditions = Q(pk__in=[])
        if scope.park_ids:
            conditions |= Q(park__in=scope.park_ids) | Q(organization__park__in=scope.park_ids)
        if scope.district_ids:
            conditions |= (
                Q(district__in=scope.district_ids)
                | Q(park__district__in=scope.district_ids)
                | Q(organization__district__in=scope.district_ids)
            )
        return conditions

    def condition_for(self, user, action=VIEW):
        condition = super().condition_for(user, action)
        if condition is None or action == CHANGE or not user.is_authenticated:
            return condition
        return condition | Q(user=user)  # everyone sees their own roles


class RoleAssignment(models.Model):
    """A user holds a role over one scope object: a district, a park or an organisation.

    A member's own access needs no assignment: it follows from the link between the login and
    the member record.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="role_assignments", verbose_name=_("user")
    )
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    district = models.ForeignKey(
        "parks.District", models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("district")
    )
    park = models.ForeignKey(
        "parks.Park", models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("park")
    )
    organization = models.ForeignKey(
        "parks.Organization",
        models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("organisation"),
    )
    created_at = models.DateTimeField(_("assigned at"), auto_now_add=True, validators=SYSTEM_TIME.validators())
    history = HistoricalRecords(table_name="portal_historicalroleassignment")
    objects = RoleAssignmentQuerySet.as_manager()

    class Meta:
        db_table = "portal_roleassignment"  # the table of the app it was first defined in
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        ordering = ["user", "role"]
        constraints = [
            models.CheckConstraint(
                name="role_assignment_scope_matches_role",
                condition=(
                    Q(role=Role.DISTRICT_OFFICIAL, district__isnull=False, park__isnull=True, organization__isnull=True)
                    | Q(
                        role__in=[Role.PARK_ADMIN, Role.SERVICE_STAFF],
                        district__isnull=True,
                        park__isnull=False,
                        organization__isnull=True,
                    )
                    | Q(
                        role=Role.BRANCH_SECRETARY, district__isnull=True, park__isnull=True, organization__isnull=False
                    )
                ),
            ),
            models.UniqueConstraint(
                fields=["user", "role", "district"],
                condition=Q(district__isnull=False),
                name="role_assignment_unique_district",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "park"],
                condition=Q(park__isnull=False),
                name="role_assignment_unique_park",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "organization"],
                condition=Q(organization__isnull=False),
                name="role_assignment_unique_organization",
            ),
            SYSTEM_TIME.constraint("created_at", datetime_field=True),
        ]

    def __str__(self):
        return f"{display_name(self.user)} · {self.get_role_display()} · {self.scope_object}"

    @property
    def scope_object(self):
        return getattr(self, ROLE_SCOPE_FIELD[self.role]) if self.role else None

    def clean(self):
        if not self.role:
            return
        wanted = ROLE_SCOPE_FIELD[self.role]
        errors = {}
        for name in ("district", "park", "organization"):
            value = getattr(self, f"{name}_id")
            if name == wanted and value is None:
                errors[name] = _("This role needs a %(scope)s.") % {"scope": self._meta.get_field(name).verbose_name}
            elif name != wanted and value is not None:
                errors[name] = _("Leave this empty for this role.")
        if errors:
            raise ValidationError(errors)


class ApiToken(models.Model):
    """A user's API token, stored as a keyed digest (``accounts.tokens.token_digest``), never in clear.

    The key is shown once, when it is made (the token page, ``manage.py api_token``); the portal
    keeps its HMAC-SHA256 under ``HONGFAN_HASH_KEY`` and its first characters for display. A login
    has at most one token; making a new one replaces it.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="api_token", verbose_name=_("user")
    )
    digest = models.CharField(_("digest"), max_length=64, unique=True, editable=False)
    prefix = models.CharField(_("key starts with"), max_length=8, editable=False)
    created = models.DateTimeField(_("created"), auto_now_add=True, validators=SYSTEM_TIME.validators())

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["user"]
        constraints = [SYSTEM_TIME.constraint("created", datetime_field=True)]

    def __str__(self):
        return f"{self.user} · {self.prefix}…"
