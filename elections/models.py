"""Elections (换届) of party organisations and the committees they elect."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.querysets import CHANGE, VIEW, ScopedQuerySet
from core.validators import PARTY_DATE, SYSTEM_TIME, TERM_END, TEXT_NOTE, text_constraint
from parks.models import Organization

from . import rules


class TermRuleQuerySet(ScopedQuerySet):
    def scope_filter(self, scope, action=VIEW):
        # Everyone signed in may read the term lengths; only superusers change them.
        return Q() if action == VIEW else Q(pk__in=[])


class TermRule(models.Model):
    """How long a term lasts for one kind of organisation (editable data, bounded by the rules)."""

    kind = models.CharField(_("kind of organisation"), max_length=20, choices=Organization.Kind.choices, unique=True)
    years = models.PositiveSmallIntegerField(
        _("term (years)"),
        validators=[MinValueValidator(rules.TERM_YEARS_MIN), MaxValueValidator(rules.TERM_YEARS_MAX)],
    )
    history = HistoricalRecords()
    objects = TermRuleQuerySet.as_manager()

    class Meta:
        verbose_name = _("term of office rule")
        verbose_name_plural = _("term of office rules")
        ordering = ["kind"]
        constraints = [
            models.CheckConstraint(
                condition=Q(years__gte=rules.TERM_YEARS_MIN) & Q(years__lte=rules.TERM_YEARS_MAX),
                name="termrule_years_bounded",
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.years}"


class ElectionQuerySet(ScopedQuerySet):
    def scope_filter(self, scope, action=VIEW):
        if action == CHANGE:
            return scope.q(park="organization__park", org="organization")
        # A member sees the elections of their own organisation (who is on its committee).
        return scope.q(
            district="organization__district", park="organization__park", org="organization", member_org="organization"
        )

    def approved(self):
        return self.filter(status=Election.Status.APPROVED)


class Election(models.Model):
    """One election (换届选举) of an organisation's committee or secretary, approved by the level above."""

    class Method(models.TextChoices):
        MEMBERS_CONGRESS = "members_congress", _("general meeting of members")
        DELEGATES_CONGRESS = "delegates_congress", _("congress of delegates")

    class Status(models.TextChoices):  # the states of rules.ELECTION_STEPS
        SUBMITTED = rules.SUBMITTED, _("awaiting approval")
        APPROVED = rules.APPROVED, _("approved")
        REJECTED = rules.REJECTED, _("rejected")

    organization = models.ForeignKey(
        Organization, models.PROTECT, related_name="elections", verbose_name=_("organisation")
    )
    held_on = models.DateField(_("held on"), validators=PARTY_DATE.validators())
    method = models.CharField(_("method"), max_length=20, choices=Method.choices, default=Method.MEMBERS_CONGRESS)
    competitive = models.BooleanField(_("more candidates than seats (差额选举)"), default=True)
    eligible_voters = models.PositiveIntegerField(
        _("members entitled to vote"), validators=[MinValueValidator(1), MaxValueValidator(rules.VOTERS_MAX)]
    )
    votes_cast = models.PositiveIntegerField(
        _("members who voted"), validators=[MinValueValidator(1), MaxValueValidator(rules.VOTERS_MAX)]
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.SUBMITTED)
    term_end = models.DateField(_("term ends"), null=True, blank=True, editable=False, validators=TERM_END.validators())
    notes = models.TextField(_("notes"), max_length=TEXT_NOTE, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True, validators=SYSTEM_TIME.validators())
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True, validators=SYSTEM_TIME.validators())
    decision_note = models.TextField(_("reason or remark"), max_length=TEXT_NOTE, blank=True)
    history = HistoricalRecords()
    objects = ElectionQuerySet.as_manager()

    class Meta:
        verbose_name = _("election")
        verbose_name_plural = _("elections")
        ordering = ["-held_on", "-pk"]
        indexes = [models.Index(fields=["organization", "status", "held_on"])]
        constraints = [
            text_constraint("decision_note", TEXT_NOTE),
            text_constraint("notes", TEXT_NOTE),
            models.CheckConstraint(
                condition=Q(votes_cast__lte=models.F("eligible_voters")), name="election_votes_le_voters"
            ),
            PARTY_DATE.constraint("held_on"),
            TERM_END.constraint("term_end"),
            SYSTEM_TIME.constraint("recorded_at", datetime_field=True),
            SYSTEM_TIME.constraint("decided_at", datetime_field=True),
            models.CheckConstraint(
                condition=Q(votes_cast__gte=1) & Q(eligible_voters__lte=rules.VOTERS_MAX),
                name="election_voters_bounded",
            ),
            models.CheckConstraint(condition=Q(held_on__gte=rules.EARLIEST_ELECTION), name="election_held_after_1921"),
        ]

    def __str__(self):
        return f"{self.organization} · {self.held_on}"

    @property
    def is_committee(self):
        """Whether it elected a committee (needs ``seat_count``, annotated by the selectors)."""
        return rules.is_committee(self.seat_count)


class CommitteeSeatQuerySet(ScopedQuerySet):
    def scope_filter(self, scope, action=VIEW):
        if action == CHANGE:
            return scope.q(park="election__organization__park", org="election__organization")
        return scope.q(
            district="election__organization__district",
            park="election__organization__park",
            org="election__organization",
            member_org="election__organization",
        )


class CommitteeSeat(models.Model):
    """A member elected by an election, with the post they hold (书记, 副书记, 委员 …)."""

    class Post(models.TextChoices):
        SECRETARY = "secretary", _("secretary")
        DEPUTY_SECRETARY = "deputy_secretary", _("deputy secretary")
        ORGANIZATION = "organization", _("organisation member (组织委员)")
        PROPAGANDA = "propaganda", _("publicity member (宣传委员)")
        DISCIPLINE = "discipline", _("discipline inspection member (纪检委员)")
        YOUTH = "youth", _("youth member (青年委员)")
        WOMEN = "women", _("women's member (妇女委员)")
        MEMBER = "member", _("committee member (委员)")

    election = models.ForeignKey(Election, models.CASCADE, related_name="seats", verbose_name=_("election"))
    member = models.ForeignKey(
        "members.Member", models.PROTECT, related_name="committee_seats", verbose_name=_("member")
    )
    post = models.CharField(_("post"), max_length=20, choices=Post.choices, default=Post.MEMBER)
    votes = models.PositiveIntegerField(
        _("votes received"), null=True, blank=True, validators=[MaxValueValidator(rules.VOTERS_MAX)]
    )
    objects = CommitteeSeatQuerySet.as_manager()

    class Meta:
        verbose_name = _("committee seat")
        verbose_name_plural = _("committee seats")
        ordering = ["election", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["election", "member"], name="committeeseat_one_per_member"),
            models.UniqueConstraint(
                fields=["election"], condition=Q(post="secretary"), name="committeeseat_one_secretary"
            ),
            models.CheckConstraint(
                condition=Q(votes__isnull=True) | Q(votes__lte=rules.VOTERS_MAX), name="committeeseat_votes_bounded"
            ),
        ]

    def __str__(self):
        return f"{self.member} · {self.get_post_display()}"
