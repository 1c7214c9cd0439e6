"""How a user's role assignments become the ids of their scope (registered with ``core.scope``).

A branch secretary's organisations are the roots assigned here; the parks app widens them to the
sub-units, and the members app adds the user's own member record (their own builders).
"""

from .models import Role, RoleAssignment

ROLE_FIELD = {
    Role.DISTRICT_OFFICIAL: ("district_ids", "district_id"),
    Role.PARK_ADMIN: ("park_ids", "park_id"),
    Role.BRANCH_SECRETARY: ("org_ids", "organization_id"),
    Role.SERVICE_STAFF: ("service_park_ids", "park_id"),
}


def role_scope(user, fields: dict) -> dict:
    """``{"district_ids": {...}, "park_ids": {...}, "org_ids": {roots}, "service_park_ids": {...}}``."""
    ids = {name: set() for name, _column in ROLE_FIELD.values()}
    rows = RoleAssignment.objects.filter(user=user).values("role", "district_id", "park_id", "organization_id")
    for row in rows:
        name, column = ROLE_FIELD[row["role"]]
        ids[name].add(row[column])
    return ids
