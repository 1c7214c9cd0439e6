"""Elections (换届): recorded by the organisation, approved or rejected by the level above; the
steps of ``rules.ELECTION_STEPS`` through core.transitions (row lock, state check, notifications
after commit). Approval sets the organisation's term and secretary."""

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, RoleAssignment
from core.texts import Text
from core.transitions import begin, transition
from members.models import Member
from notifications.actions import notify
from parks import rules as park_rules
from parks.models import Organization

from . import rules
from .models import CommitteeSeat, Election
from .selectors import electable_members, may_decide, may_record

_S = Election.Status
REASON_MAX_LENGTH = 2000


@dataclass(frozen=True)
class Seat:
    """One elected member as the page (or a caller) gives it: the member, the post, the votes."""

    member: Member
    post: str = CommitteeSeat.Post.MEMBER
    votes: int | None = None


# --- who is told --------------------------------------------------------------------------------


def _ancestors(organization) -> list[int]:
    ids, node = [], organization.parent
    while node is not None and len(ids) < 10:
        ids.append(node.pk)
        node = node.parent
    return ids


def deciders_of(organization) -> list:
    """The users told of a recorded election: the secretaries of the units above it and the
    administrators of its park; the district's officials when there are neither."""
    above = RoleAssignment.objects.filter(user__is_active=True).select_related("user")
    users = [
        ra.user
        for ra in above.filter(role=Role.BRANCH_SECRETARY, organization_id__in=_ancestors(organization))
        | above.filter(role=Role.PARK_ADMIN, park_id=organization.park_id)
    ]
    if not users:
        users = [ra.user for ra in above.filter(role=Role.DISTRICT_OFFICIAL, district_id=organization.district_id)]
    return users


def _secretaries_of(organization) -> list:
    return [
        ra.user
        for ra in RoleAssignment.objects.filter(
            role=Role.BRANCH_SECRETARY, organization=organization, user__is_active=True
        ).select_related("user")
    ]


def _url(election):
    return reverse("elections:detail", args=[election.pk])


def _body(election):
    return Text(
        _("%(organization)s: election held on %(date)s"),
        organization=election.organization.name,
        date=election.held_on.isoformat(),
    )


# --- recording ----------------------------------------------------------------------------------


def _check_election(*, organization, held_on, eligible_voters, votes_cast, today) -> dict:
    errors = {}
    if held_on > today:
        errors["held_on"] = _("An election cannot be recorded before it is held.")
    elif held_on < rules.EARLIEST_ELECTION:
        errors["held_on"] = _("No party organisation held an election before 1 July 1921.")
    elif organization.founded_on and held_on < organization.founded_on:
        errors["held_on"] = _("The organisation was founded on %(date)s, after this day.") % {
            "date": organization.founded_on.isoformat()
        }
    if not 1 <= eligible_voters <= rules.VOTERS_MAX:
        errors["eligible_voters"] = _("Give the number of members entitled to vote (1 to %(max)d).") % {
            "max": rules.VOTERS_MAX
        }
    elif not 1 <= votes_cast <= eligible_voters:
        errors["votes_cast"] = _("The members who voted are between 1 and the members entitled to vote.")
    elif not rules.quorum_reached(votes_cast=votes_cast, eligible_voters=eligible_voters):
        errors["votes_cast"] = _(
            "An election is valid only when more than four fifths of the members entitled to vote take part."
        )
    return errors


def _check_seats(*, organization, seats: list[Seat], votes_cast: int) -> list:
    problems = []
    if not rules.SEATS_MIN <= len(seats) <= rules.SEATS_MAX:
        problems.append(
            _("Record %(min)d to %(max)d elected members.") % {"min": rules.SEATS_MIN, "max": rules.SEATS_MAX}
        )
    secretaries = [seat for seat in seats if seat.post == CommitteeSeat.Post.SECRETARY]
    if len(secretaries) != 1:
        problems.append(_("Exactly one elected member is the secretary."))
    if not rules.is_committee(len(seats)) and any(seat.post not in rules.POSTS_WITHOUT_COMMITTEE for seat in seats):
        problems.append(_("Without a committee (3 or more members) only a secretary and a deputy are elected."))
    member_ids = [seat.member.pk for seat in seats]
    if len(set(member_ids)) != len(member_ids):
        problems.append(_("A member is elected to one seat only."))
    if set(member_ids) - set(electable_members(organization).filter(pk__in=member_ids).values_list("pk", flat=True)):
        problems.append(_("Only active full members of the organisation or its sub-units can be elected."))
    if any(seat.post not in CommitteeSeat.Post.values for seat in seats):
        problems.append(_("Unknown post."))
    for seat in seats:
        if seat.votes is None:
            continue
        if not 0 <= seat.votes <= votes_cast:
            problems.append(_("A member cannot receive more votes than there were voters."))
        elif not rules.elected_by_majority(votes=seat.votes, votes_cast=votes_cast):
            problems.append(
                _("%(name)s received %(votes)d of %(cast)d votes: more than half are needed to be elected.")
                % {"name": seat.member.name, "votes": seat.votes, "cast": votes_cast}
            )
    return problems


@transaction.atomic
def election_record(
    *,
    organization: Organization,
    by,
    held_on: datetime.date,
    eligible_voters: int,
    votes_cast: int,
    seats: list[Seat],
    method: str = Election.Method.MEMBERS_CONGRESS,
    competitive: bool = True,
    notes: str = "",
) -> Election:
    """Record an election of ``organization``'s committee (or secretary), to be approved above.

    Rules: by the organisation's secretary (or of a unit above), its park's administrator or a
    superuser; not for a party group; held on a day not in the future, not before 1921 nor before
    the organisation was founded; more than 4/5 of the members entitled to vote took part; 1 to 7
    elected members (``rules.SEATS_MAX``), exactly one secretary, each an active full member of the
    organisation or its sub-units, each elected by more than half the votes cast; one election of
    an organisation awaits approval at a time.
    """
    organization = (
        Organization.objects.select_for_update(of=("self",)).select_related("parent", "park").get(pk=organization.pk)
    )
    if not may_record(by, organization):
        raise ValidationError(_("You may not record an election of this organisation."))
    if organization.kind == Organization.Kind.GROUP:
        raise ValidationError(_("A party group elects no committee; record the election of its branch."))
    if method not in Election.Method.values:
        raise ValidationError({"method": _("Unknown method of election.")})
    seats = list(seats)
    errors = _check_election(
        organization=organization,
        held_on=held_on,
        eligible_voters=eligible_voters,
        votes_cast=votes_cast,
        today=timezone.localdate(),
    )
    problems = _check_seats(organization=organization, seats=seats, votes_cast=votes_cast)
    if problems:
        errors["seats"] = problems
    if errors:
        raise ValidationError(errors)
    if organization.elections.filter(status=_S.SUBMITTED).exists():
        raise ValidationError(
            _("An election of this organisation is already awaiting approval; wait for the decision first.")
        )

    def create(status):
        election = Election(
            organization=organization,
            held_on=held_on,
            method=method,
            competitive=competitive,
            eligible_voters=eligible_voters,
            votes_cast=votes_cast,
            status=status,
            notes=(notes or "").strip(),
            recorded_by=by,
        )
        election.full_clean(exclude=["recorded_by", "decided_by"])
        try:
            with transaction.atomic():
                election.save()
                CommitteeSeat.objects.bulk_create(
                    [
                        CommitteeSeat(election=election, member=seat.member, post=seat.post, votes=seat.votes)
                        for seat in seats
                    ]
                )
        except IntegrityError as exc:
            raise ValidationError({"seats": _("Check the elected members and their posts.")}) from exc
        return election

    def tell(election, _from):
        notify(
            recipients=[u for u in deciders_of(organization) if u != by],
            title=_("Election waiting for your approval"),
            body=_body(election),
            url=_url(election),
        )

    return begin(rules.ELECTION_STEPS["record"], create=create, notify=tell).obj


# --- the level above's decision -----------------------------------------------------------------


def _queryset():
    return Election.objects.select_related("organization", "organization__parent", "recorded_by")


def _guard(by):
    def guard(election):
        if not may_decide(by, election.organization):
            raise ValidationError(
                _("Only the level above (the parent organisation, the park or the district) decides this election.")
            )

    return guard


def _tell_organization(title):
    def tell(election, _from):
        notify(
            recipients=[election.recorded_by, *_secretaries_of(election.organization)],
            title=title,
            body=_body(election),
            url=_url(election),
        )

    return tell


@transaction.atomic
def election_approve(*, election: Election, by, note: str = "") -> Election:
    """The level above approves an election: a secretary of the parent organisation (or of a unit
    above it), the park's administrator or the district's official — not the organisation's own
    secretary unless they also act for the level above.

    The term of office runs from the election: ``Election.term_end`` = held on + the kind's term
    (parks.rules), and when it is the organisation's latest approved election its term start (the
    end follows) and its secretary (the elected secretary) are set.
    """
    years = park_rules.term_years(election.organization.kind)
    if not park_rules.term_years_allowed(years):
        raise ValidationError(_("The term of office of this kind of organisation is not between 1 and 5 years."))

    def changes(locked):
        return {
            "term_end": park_rules.term_end(locked.held_on, years),
            "decided_by": by,
            "decided_at": timezone.now(),
            "decision_note": (note or "").strip()[:REASON_MAX_LENGTH],
        }

    done = transition(
        election,
        rules.ELECTION_STEPS["approve"],
        queryset=_queryset(),
        guard=_guard(by),
        changes=changes,
        notify=_tell_organization(_("Election approved: the new term has begun")),
    )
    _start_term(done.obj)
    return done.obj


def _start_term(election):
    """The organisation's term and secretary from its approved election, unless a later approved
    election exists (an older election recorded afterwards leaves the current term alone)."""
    organization = Organization.objects.select_for_update(of=("self",)).get(pk=election.organization_id)
    later = (
        Election.objects.approved()
        .filter(organization=organization, held_on__gt=election.held_on)
        .exclude(pk=election.pk)
        .exists()
    )
    if later:
        return
    secretary = election.seats.filter(post=CommitteeSeat.Post.SECRETARY).values_list("member_id", flat=True).first()
    organization.term_start = election.held_on
    organization.secretary_id = secretary
    organization.save(update_fields=["term_start", "term_end", "secretary"])  # save() derives the end


@transaction.atomic
def election_reject(*, election: Election, by, reason: str) -> Election:
    """The level above rejects an election, with a reason (the organisation records it again)."""
    reason = (reason or "").strip()

    def check(_locked):
        if not reason:
            raise ValidationError({"reason": _("Please give the reason for the rejection.")})
        if len(reason) > REASON_MAX_LENGTH:
            raise ValidationError({"reason": _("The reason is too long.")})

    done = transition(
        election,
        rules.ELECTION_STEPS["reject"],
        queryset=_queryset(),
        guard=_guard(by),
        check=check,
        changes=lambda _locked: {"decided_by": by, "decided_at": timezone.now(), "decision_note": reason},
        notify=_tell_organization(_("Election rejected")),
    )
    return done.obj
