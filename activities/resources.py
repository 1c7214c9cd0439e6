"""Import/export of attendance (portal/dataio.py drives it).

A row is one member at one activity. The activity is named by its number (the ``activity`` column
of an export), or by its host organisation's code and its start time (and its title when two start
together); the member by ID number. Rows are checked here against the rules of
``activities.actions.check_attendance`` (members of the host, a reason for a leave, 0-24 volunteer
hours) so that the dry run shows them; the write goes through ``activities.actions.attendance_record``
once per activity, so points, quorum, the activity's status and the statistics summaries follow
exactly as when attendance is recorded on the page.
"""

from collections import defaultdict
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core import crypto
from core.personal import may_see_full_id_number
from core.resources import (
    LOOKUP_CHUNK,
    ChoiceParser,
    Column,
    ImportResource,
    error_pairs,
    id_number_cell,
    parse_bool,
    parse_code,
    parse_datetime,
    parse_decimal,
    parse_id_cell,
    parse_int,
    parse_text,
)
from core.validators import parse_id_number
from members.models import Member
from members.resources import writable_organizations

from .actions import AttendanceInput, attendance_record
from .models import Activity, Attendance
from .selectors import checklist_members

MAX_VOLUNTEER_HOURS = Decimal("24")


def _starts_at(resource, attendance):
    return timezone.localtime(attendance.activity.starts_at).replace(tzinfo=None)


class AttendanceResource(ImportResource):
    secretary_may_import = True
    kind = "attendance"
    columns = [
        Column(
            "activity",
            _("activity number"),
            parse_int,
            None,
            export=lambda r, a: a.activity_id,
            example="",
            aliases=("活动编号", "activity id"),
        ),
        Column(
            "host",
            _("host organisation"),
            parse_code,
            None,
            export=lambda r, a: a.activity.host.code,
            example="330483-01-01",
            scope_code=True,
            aliases=("主办党组织编码", "主办党组织"),
        ),
        Column("starts_at", _("starts at"), parse_datetime, None, export=_starts_at, example="2026-01-10 09:00"),
        Column(
            "title",
            _("title"),
            parse_text,
            None,
            export=lambda r, a: a.activity.title,
            example="1月主题党日",
            aliases=("活动标题", "活动名称"),
        ),
        Column(
            "id_number",
            _("ID number"),
            parse_id_cell,
            None,
            required=True,
            export=lambda r, a: id_number_cell(r, a.member),
            example="330402199001010035",
            aliases=("身份证号码", "公民身份号码"),
        ),
        Column("name", _("name"), parse_text, None, export=lambda r, a: a.member.name, example="张三"),
        Column(
            "status",
            _("attendance"),
            ChoiceParser(Attendance.Status.choices),
            "status",
            example="出席",
            aliases=("出勤情况", "status"),
        ),
        Column("reason", _("reason"), parse_text, "reason", example=""),
        Column("late", _("arrived late"), parse_bool, "late", example="否"),
        Column("left_early", _("left early"), parse_bool, "left_early", example="否"),
        Column(
            "volunteer_hours",
            _("volunteer hours"),
            parse_decimal,
            "volunteer_hours",
            example=Decimal("0"),
            aliases=("志愿时长", "志愿服务小时"),
        ),
    ]

    class Meta:
        model = Attendance
        fields = ()

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.entries = defaultdict(list)  # activity id -> [(line, AttendanceInput)]
        self.activities = {}
        self.lines = defaultdict(list)  # activity id -> spreadsheet lines

    # --- look-ups -------------------------------------------------------------------------------

    def scope_organizations(self):
        return writable_organizations(self.user)

    def prepare(self, rows):
        if not self.lookups_loaded:
            self.organization_ids = set(writable_organizations(self.user).values_list("pk", flat=True))
            self.eligible = {}  # host id -> set of member ids
            self.lookups_loaded = True
        ids, hosts, starts = set(), set(), set()
        digests = []
        for row in rows:
            if row.values.get("activity"):
                ids.add(row.values["activity"])
            elif row.values.get("host") and row.values.get("starts_at"):
                hosts.add(row.values["host"])
                starts.add(row.values["starts_at"])
            else:
                row.errors.append(
                    (
                        str(_("activity number")),
                        gettext("Name the activity by its number, or by its host organisation and start time."),
                    )
                )
            number = row.values.get("id_number")
            if number:
                try:
                    parse_id_number(number)
                except ValidationError as exc:
                    row.errors.extend((str(_("ID number")), message) for message in exc.messages)
                    continue
                digests.append(crypto.digest(number))
        condition = Q(pk__in=ids) | Q(host__code__in=hosts, starts_at__in=starts)
        found = Activity.objects.visible_to(self.user).filter(condition).select_related("host") if ids or hosts else []
        self.by_id, self.by_host_start = {}, defaultdict(list)
        for activity in found:
            self.by_id[activity.pk] = activity
            self.by_host_start[(activity.host.code.upper(), activity.starts_at)].append(activity)
        self.members = {}
        for start in range(0, len(digests), LOOKUP_CHUNK):
            for member in Member.objects.filter(id_number_digest__in=digests[start : start + LOOKUP_CHUNK]).only(
                "pk", "name", "organization_id", "id_number_digest"
            ):
                self.members[member.id_number_digest] = member
        self._load_eligible({activity.host for activity in self.by_id.values()})
        self.existing = {}
        if self.by_id and self.members:
            for attendance in Attendance.objects.filter(
                activity_id__in=list(self.by_id), member_id__in=[m.pk for m in self.members.values()]
            ):
                self.existing[(attendance.activity_id, attendance.member_id)] = attendance

    def _load_eligible(self, hosts):
        """The members on each host's checklist (activities.selectors.checklist_members): one query
        per host organisation in the file, not per row."""

        for host in hosts:
            if host.pk not in self.eligible:
                self.eligible[host.pk] = set(checklist_members(host).values_list("pk", flat=True))

    def resolve_activity(self, row):
        header = str(_("activity number"))
        if row.values.get("activity"):
            activity = self.by_id.get(row.values["activity"])
            if activity is None:
                row.errors.append(
                    (
                        header,
                        gettext("No activity numbered %(number)s in your scope.") % {"number": row.values["activity"]},
                    )
                )
            return activity
        candidates = self.by_host_start.get((row.values["host"].upper(), row.values["starts_at"]), [])
        title = row.values.get("title")
        if title and len(candidates) > 1:
            candidates = [activity for activity in candidates if activity.title == title]
        if len(candidates) == 1:
            return candidates[0]
        if not candidates:
            row.errors.append(
                (
                    str(_("host organisation")),
                    gettext("No activity of this organisation starts at that time in your scope."),
                )
            )
        else:
            row.errors.append(
                (
                    str(_("title")),
                    gettext("Several activities start at that time; give the title or the activity number."),
                )
            )
        return None

    def key_of(self, row):
        return None  # checked in build(), once the activity and member are known

    # --- rows -----------------------------------------------------------------------------------

    def build(self, row):
        activity = self.resolve_activity(row)
        if activity is None:
            return None, "error"
        # Resolve the activity and then look for the pair in seen rows (duplicates within the file).
        # A row with an error already goes on, so that all its problems are reported at once.
        number = row.values.get("id_number")
        member = self.members.get(crypto.digest(number)) if number else None
        header = str(_("ID number"))
        if activity.host_id not in self.organization_ids:
            row.errors.append(
                (
                    str(_("activity number")),
                    gettext("You may not manage the activities of %(org)s.") % {"org": activity.host.name},
                )
            )
        if activity.status == Activity.Status.CANCELLED:
            row.errors.append((str(_("activity number")), gettext("A cancelled activity cannot be changed.")))
        elif activity.starts_at > timezone.now():
            row.errors.append(
                (str(_("starts at")), gettext("Attendance can be recorded once the activity has started."))
            )
        if member is None:
            row.errors.append((header, gettext("No member with this ID number in your scope.")))
            return None, "error"
        existing = self.existing.get((activity.pk, member.pk))
        if member.pk not in self.eligible.get(activity.host_id, set()) and existing is None:
            row.errors.append(
                (header, gettext("Only the host's party members can be recorded on its attendance list."))
            )
        name = row.values.get("name")
        if name and name != member.name:
            row.errors.append(
                (
                    str(_("name")),
                    gettext("The name does not match the member with this ID number (%(name)s).")
                    % {"name": member.name},
                )
            )
        pair = (activity.pk, member.pk)
        seen = self.__dict__.setdefault("seen_pairs", {})
        if pair in seen:
            row.errors.append(("", gettext("Duplicate of line %(line)s in this file.") % {"line": seen[pair]}))
        else:
            seen[pair] = row.line
        if row.errors:
            return None, "error"
        instance = Attendance(activity=activity, member_id=member.pk)
        instance._import_line = row.line
        self.apply(instance, row)
        if instance.status == Attendance.Status.LEAVE and not instance.reason.strip():
            row.errors.append((str(_("reason")), gettext("Give the reason for a member's leave.")))
        if not (Decimal("0") <= Decimal(instance.volunteer_hours or 0) <= MAX_VOLUNTEER_HOURS):
            row.errors.append((str(_("volunteer hours")), gettext("Volunteer hours must be between 0 and 24.")))
        if existing is None:
            return instance, "new"
        same = all(getattr(existing, name) == getattr(instance, name) for name in self.compared_fields())
        return instance, ("unchanged" if same else "update")

    def apply(self, instance, row):
        super().apply(instance, row)
        if not instance.status:
            instance.status = Attendance.Status.PRESENT
        instance.reason = (instance.reason or "")[:200]
        if instance.volunteer_hours is None:
            instance.volunteer_hours = Decimal("0")
        # As activities.actions._write_attendance stores them: only a present member is late etc.
        if instance.status != Attendance.Status.PRESENT:
            instance.late = instance.left_early = False
            instance.volunteer_hours = Decimal("0")
        else:
            instance.reason = ""

    def compared_fields(self):
        return ["status", "reason", "late", "left_early", "volunteer_hours"]

    def validate(self, instance, row):
        try:
            instance.clean_fields(exclude=["activity", "member"])
        except ValidationError as exc:
            row.errors.extend(error_pairs(exc, self.header_labels()))

    # --- writing --------------------------------------------------------------------------------

    def write(self, new, changed):
        for attendance in [*new, *changed]:
            self.activities[attendance.activity_id] = attendance.activity
            self.lines[attendance.activity_id].append(attendance._import_line)
            self.entries[attendance.activity_id].append(
                AttendanceInput(
                    member_id=attendance.member_id,
                    status=attendance.status,
                    reason=attendance.reason,
                    late=attendance.late,
                    left_early=attendance.left_early,
                    volunteer_hours=attendance.volunteer_hours,
                )
            )

    def after_chunk(self, rows, new, changed):
        self.members, self.existing = {}, {}

    def finish(self):
        """One ``attendance_record`` per activity: the page's own action, with its rules and effects."""

        reason = gettext("Imported from a spreadsheet.")
        errors = {}
        for activity_id, entries in self.entries.items():
            try:
                attendance_record(activity=self.activities[activity_id], by=self.user, entries=entries, reason=reason)
            except ValidationError as exc:
                pairs = error_pairs(exc, self.header_labels())
                for line in self.lines[activity_id]:
                    errors.setdefault(line, []).extend(pairs)
        return errors or None

    # --- export ---------------------------------------------------------------------------------

    def may_see_full_id(self, member) -> bool:
        return may_see_full_id_number(self.user, member)

    def optimize_export(self, queryset):
        # Only the columns' fields (and what ``may_see_full_id`` reads): fewer values to build per row.
        return (
            queryset.select_related("activity", "activity__host", "member", "member__organization")
            .only(
                "status",
                "reason",
                "late",
                "left_early",
                "volunteer_hours",
                "activity__title",
                "activity__starts_at",
                "activity__host__code",
                "member__name",
                "member__id_number",
                "member__organization__park_id",
            )
            .order_by("-activity__starts_at", "activity_id", "member__name", "pk")
        )
