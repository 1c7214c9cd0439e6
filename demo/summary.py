"""What ``seed_demo`` prints at the end: what it created, per district counts, the demo logins."""

from collections import Counter

from django.utils.translation import gettext as _

from demo.datafile import load
from demo.seed import DEMO_PASSWORD, Result
from members.models import Member
from parks.models import District, Enterprise, Organization, Park, Room


def district_counts() -> list[dict]:
    """Per demo district: parks, enterprises, organisations, branches, members (by stage), rooms."""
    rows = []
    for district in District.objects.filter(code__in=[d.code for d in load().districts]).order_by("code"):
        stages = Counter(Member.objects.filter(organization__district=district).values_list("stage", flat=True))
        orgs = Organization.objects.filter(district=district)
        rows.append(
            {
                "district": str(district),
                "parks": Park.objects.filter(district=district).count(),
                "enterprises": Enterprise.objects.filter(park__district=district).count(),
                "organizations": orgs.count(),
                "branches": orgs.filter(kind__in=Organization.BRANCH_KINDS).count(),
                "members": sum(stages.values()),
                "stages": stages,
                "rooms": Room.objects.filter(park__district=district).count(),
            }
        )
    return rows


def print_summary(*, stdout, result: Result, hooks: list[str], seconds: float) -> None:
    labels = {
        "districts": _("districts"), "parks": _("parks"), "enterprises": _("enterprises"),
        "organizations": _("organisations"), "members": _("members"), "stage changes": _("stage changes"),
        "rooms": _("rooms"), "logins": _("logins"),
    }  # fmt: skip
    created = ", ".join(f"{labels[name]} {count}" for name, count in result.created.items() if count)
    created = created or _("nothing")
    stdout.write(
        _("Demo data ready in %(seconds).1f s. Created: %(created)s.")
        % {
            "seconds": seconds,
            "created": created,
        }
    )
    if hooks:
        stdout.write(_("App demo data: %(apps)s.") % {"apps": ", ".join(hooks)})
    headers = (
        _("District"),
        _("Parks"),
        _("Enterprises"),
        _("Organisations"),
        _("Branches"),
        _("Members"),
        _("Rooms"),
    )
    rows = [
        (
            r["district"],
            r["parks"],
            r["enterprises"],
            r["organizations"],
            r["branches"],
            r["members"],
            r["rooms"],
        )
        for r in district_counts()
    ]
    _table(stdout, headers, rows)
    stdout.write("")
    stdout.write(_("Demo logins (password for all: %(password)s)") % {"password": DEMO_PASSWORD})
    _table(stdout, (_("Username"), _("Role"), _("Scope")), result.logins)


def _width(text) -> int:
    # East Asian characters take two columns in a terminal.
    return sum(2 if ord(c) > 0x2E80 else 1 for c in str(text))


def _table(stdout, headers, rows):
    widths = [max(_width(v) for v in column) for column in zip(headers, *rows, strict=True)]

    def line(values):
        return "  ".join(str(v) + " " * (w - _width(v)) for v, w in zip(values, widths, strict=True)).rstrip()

    stdout.write(line(headers))
    stdout.write("  ".join("-" * w for w in widths))
    for row in rows:
        stdout.write(line(row))
