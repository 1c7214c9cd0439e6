"""The portal's menu: one list, filtered by what the user's roles allow.

Each app adds its entries here (one line each). ``visible`` receives the user's Scope.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from core.scope import Scope


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    visible: Callable[[Scope], bool]
    icon: str = ""
    # A drop-down the item sits in (see GROUPS), so that the bar fits a 1280 px desktop for a
    # user who holds several roles. "mine": the user's own pages as a member, under "Me";
    # "account": the user menu beside the name.
    group: str = ""


# Drop-downs of the menu bar: label and icon. A group with one visible item shows as a plain link.
GROUPS = {
    "stats": (_("Statistics"), "bar-chart-line"),
    "work": (_("Party affairs"), "flag"),
}


def anyone(scope):
    return scope.has_any_role


def staff_of_park(scope):
    return scope.superuser or scope.is_park_admin


def service_staff_only(scope):
    return scope.is_service_staff and not (staff_of_park(scope) or scope.is_official)


ITEMS: list[NavItem] = [
    NavItem(_("Home"), "home", lambda s: True),
    NavItem(_("Back office"), "admin:index", staff_of_park),
    NavItem(_("Dashboard"), "dashboard_home", lambda s: staff_of_park(s) or s.is_official, "speedometer2", "stats"),
    NavItem(_("My transfer"), "members:transfer_mine", lambda s: s.is_member, "arrow-left-right", group="mine"),
    NavItem(_("My party dues"), "members:my_dues", lambda s: s.is_member, "wallet2", group="mine"),
    NavItem(
        _("Transfer inbox"), "members:transfer_inbox", lambda s: staff_of_park(s) or s.is_secretary, "inbox", "work"
    ),
    NavItem(
        _("Pipeline and dues"), "members:branch_home", lambda s: staff_of_park(s) or s.is_secretary, "people", "work"
    ),
    NavItem(
        _("Elections and terms"),
        "elections:index",
        # Officials, who decide a few elections, reach their inbox from the home card.
        lambda s: staff_of_park(s) or s.is_secretary,
        "people-fill",
        "work",
    ),
    NavItem(
        _("Activities"),
        "activities:list",
        lambda s: staff_of_park(s) or s.is_official or s.org_ids,
        "calendar-event",
        "work",
    ),
    NavItem(_("Compliance calendar"), "activities:calendar", lambda s: s.is_secretary, "calendar-check", "work"),
    NavItem(
        _("Compliance per branch"),
        "activities:compliance",
        lambda s: staff_of_park(s) or s.is_official,
        "grid-3x3",
        "stats",
    ),
    NavItem(_("My activities and points"), "activities:mine", lambda s: s.is_member, "star", group="mine"),
    NavItem(
        _("Statistics reports"),
        "reports:list",
        lambda s: s.superuser or s.is_official or s.is_park_admin,
        "file-earmark-bar-graph",
        "stats",
    ),
    # Service staff land on their inbox (the park's new requests, their teams' queue); others on
    # their own requests, from where administrators reach the queue.
    NavItem(_("Service centre"), "services:my_requests", lambda s: not service_staff_only(s), "life-preserver"),
    NavItem(_("Service centre"), "services:inbox", service_staff_only, "life-preserver"),
    NavItem(_("API tokens"), "api_tokens", lambda s: True, "key", group="account"),
    NavItem(_("Two-factor authentication"), "twofactor_status", lambda s: True, "shield-lock", group="account"),
    NavItem(
        _("Import and export"), "imports", lambda s: staff_of_park(s) or s.is_secretary, "file-earmark-spreadsheet"
    ),
]


def items_for(scope: Scope):
    result = []
    for item in ITEMS:
        if not item.visible(scope):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:  # an app whose pages are not installed yet
            continue
        result.append(
            {"label": item.label, "url": url, "icon": item.icon, "url_name": item.url_name, "group": item.group}
        )
    return result


def menu_entries(items: list[dict]) -> list[dict]:
    """The menu bar: links and drop-downs in the order of their first item. ``items`` are those
    of ``items_for`` (with "active") outside the "mine" and "account" groups."""
    entries, groups = [], {}
    for item in items:
        key = item["group"]
        if key not in GROUPS:
            entries.append({"kind": "link", **item})
            continue
        if key not in groups:
            label, icon = GROUPS[key]
            groups[key] = {"kind": "group", "key": key, "label": label, "icon": icon, "items": []}
            entries.append(groups[key])
        groups[key]["items"].append(item)
    result = []
    for entry in entries:
        if entry["kind"] == "group" and len(entry["items"]) == 1:
            entry = {"kind": "link", **entry["items"][0]}
        elif entry["kind"] == "group":
            entry["active"] = any(item["active"] for item in entry["items"])
        result.append(entry)
    return result
