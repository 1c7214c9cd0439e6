"""The default rules (DESIGN §3). Migration 0002 creates them; the demo makes sure they exist."""

from .models import ComplianceRule, PointRule

# (kind, period, minimum, subject): 支委会 binds a branch with a committee, 党小组会 one with party
# groups (activities/rules.py); migration 0006 sets the subjects of existing rows.
COMPLIANCE_RULES = [
    ("party_congress", "quarter", 1, "every_branch"),
    ("committee_meeting", "month", 1, "with_committee"),
    ("group_meeting", "month", 1, "with_groups"),
    ("party_lecture", "quarter", 1, "every_branch"),
    ("themed_day", "month", 1, "every_branch"),
    ("life_meeting", "year", 1, "every_branch"),
    ("democratic_review", "year", 1, "every_branch"),
]

POINT_RULES = [
    ("party_congress", 3, 0),
    ("committee_meeting", 2, 0),
    ("group_meeting", 2, 0),
    ("party_lecture", 3, 0),
    ("themed_day", 3, 0),
    ("life_meeting", 3, 0),
    ("democratic_review", 3, 0),
    ("training", 2, 0),
    ("salon", 1, 0),
    ("forum", 1, 0),
    ("volunteer", 2, 1),
    ("mass_activity", 1, 0),
    ("other", 1, 0),
]


def ensure_default_rules() -> None:
    for kind, period, minimum, subject in COMPLIANCE_RULES:
        ComplianceRule.objects.get_or_create(
            kind=kind, defaults={"period": period, "minimum_count": minimum, "applies_to": subject}
        )
    for kind, points, per_hour in POINT_RULES:
        PointRule.objects.get_or_create(kind=kind, defaults={"points": points, "points_per_volunteer_hour": per_hour})
