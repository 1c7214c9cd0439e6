"""The workflows of the members app, each as one table: from which states a step may be taken and
to which state it leads. Every step is an action of members.actions taken through
core.transitions.transition (lock, check, save, timeline entry, notifications after commit).
"""

from django.utils.translation import gettext_lazy as _

from core.transitions import Step

from .models import STAGE_ORDER, Stage, Transfer

_T = Transfer.Status

# An organisation-relation transfer (DESIGN §3). A transfer within the portal or out of it is
# approved by the sending side, then accepted by the receiving side (out of the portal: the sending
# side confirms the receipt); a transfer in from outside is accepted straight from its request.
TRANSFER_STEPS = {
    "request": Step(from_=(), to=_T.REQUESTED),
    "approve": Step(
        from_={_T.REQUESTED},
        to=_T.APPROVED,
        refused=_("This transfer cannot be approved: it is %(status)s."),
    ),
    "accept": Step(
        from_={_T.APPROVED},
        to=_T.DONE,
        refused=_("This transfer cannot be accepted: it is %(status)s."),
        refused_from={_T.REQUESTED: _("This transfer has not been approved by the sending organisation yet.")},
    ),
    "accept_in": Step(
        from_={_T.REQUESTED},
        to=_T.DONE,
        refused=_("This transfer cannot be accepted: it is %(status)s."),
    ),
    "reject": Step(
        from_=Transfer.OPEN_STATUSES,
        to=_T.REJECTED,
        refused=_("This transfer cannot be rejected: it is %(status)s."),
    ),
    "cancel": Step(
        from_=Transfer.OPEN_STATUSES,
        to=_T.CANCELLED,
        refused=_("This transfer cannot be cancelled: it is %(status)s."),
    ),
    "expire": Step(from_={_T.APPROVED}, to=_T.EXPIRED),  # the daily job; skipped, never refused
}


def next_stage(member) -> str:
    """The stage after the member's: the pipeline never skips one."""
    return STAGE_ORDER[STAGE_ORDER.index(member.stage) + 1]


# A member's development (DESIGN §3): one stage at a time, an extension of probation that keeps the
# stage, and a correction (back, or past a stage) to a stage the action names.
STAGE_STEPS = {
    "advance": Step(from_=STAGE_ORDER[:-1], to=next_stage, refused=_("A full member has no further stage.")),
    "extend": Step(
        from_={Stage.PROBATIONARY},
        to=Stage.PROBATIONARY,
        refused=_("Only a probationary member's probation can be extended."),
    ),
    "correct": Step(from_=STAGE_ORDER, to=None),
}
