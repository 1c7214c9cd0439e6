"""Import/export of party members and of their dues (``core.importing`` drives them).

A member's natural key is the resident ID number, looked up through its keyed digest
(``Member.id_number_digest``): the number itself is stored encrypted and cannot be searched.
Organisations are named by code and employers by credit code, inside the importer's scope: a
secretary imports for their own organisations, a park administrator for the organisations of their
parks (``members.actions.may_act_for``).

An import registers members and corrects their particulars. The optional column "joined the
organisation on" starts a new member's membership history (default: the day of the import, or the
earliest stage date if earlier) or corrects the date a registered member joined their
organisation; it is bounded (not in the future, not before 1921-07-01). It does not move a member to another
organisation (that is a transfer) nor change their stage (that is a step of the development
pipeline): such rows are errors that point to the page that does it.
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core import crypto
from core.personal import may_see_full_id_number
from core.querysets import CHANGE
from core.resources import (
    BATCH_SIZE,
    LOOKUP_CHUNK,
    ChoiceParser,
    Column,
    ImportResource,
    error_pairs,
    id_number_cell,
    parse_code,
    parse_date,
    parse_decimal,
    parse_id_cell,
    parse_month,
    parse_text,
    phone_cell,
)
from core.validators import mask_id_number, normalize_phone, parse_id_number, validate_id_number_matches
from parks.models import Enterprise

from .actions import add_months, dues_amount, first_of_month, members_registered, today
from .models import (
    IMPORTED_NOTE,
    STAGE_DATE_FIELD,
    STAGE_ORDER,
    DuesPayment,
    Member,
    MembershipEvent,
    Stage,
    StageChange,
    validate_membership_day,
)


def writable_organizations(user):
    """The organisations whose members, dues and attendance ``user`` may write: the rule of
    ``members.actions.may_act_for`` as a queryset (secretaries: their units and the units below;
    park administrators: the organisations of their parks; superusers: all)."""
    return Member.objects.targets(user, "organization", CHANGE)


class OrganizationLookup:
    """Organisation by code (or by its exact name when unique) among those the user may write."""

    def __init__(self, user):
        self.by_code, self.by_name, self.ambiguous = {}, {}, set()
        self.ids = set()
        for pk, code, name in writable_organizations(user).values_list("pk", "code", "name"):
            self.ids.add(pk)
            self.by_code[code.upper()] = pk
            if name in self.by_name:
                self.ambiguous.add(name)
            self.by_name[name] = pk

    def resolve(self, value, row, header):
        if not value:
            return None
        pk = self.by_code.get(value.upper())
        if pk is None and value not in self.ambiguous:
            pk = self.by_name.get(value)
        if pk is None:
            row.errors.append(
                (header, gettext("No party organisation with code “%(code)s” in your scope.") % {"code": value})
            )
        return pk


def _org_code(resource, obj):
    return obj.organization.code if obj.organization_id else ""


def _employer_code(resource, member):
    return member.employer.credit_code if member.employer_id else ""


def _stage_columns():
    examples = {
        "applied_on": "2015-03-01",
        "activist_on": "2015-06-01",
        "candidate_on": "2016-07-01",
        "probationary_on": "2016-09-01",
        "full_on": "2017-09-01",
    }
    return [
        Column(
            STAGE_DATE_FIELD[stage],
            Member._meta.get_field(STAGE_DATE_FIELD[stage]).verbose_name,
            parse_date,
            STAGE_DATE_FIELD[stage],
            example=examples[STAGE_DATE_FIELD[stage]],
        )
        for stage in STAGE_ORDER
    ]


class MemberResource(ImportResource):
    secretary_may_import = True
    kind = "members"
    columns = [
        Column("name", _("name"), parse_text, "name", required=True, example="张三"),
        Column(
            "id_number",
            _("ID number"),
            parse_id_cell,
            "id_number",
            required=True,
            key=True,
            export=id_number_cell,
            example="330402199001010035",
            aliases=("身份证号码", "公民身份号码"),
        ),
        Column("gender", _("gender"), ChoiceParser(Member.Gender.choices), "gender", example="男"),
        Column("birth_date", _("birth date"), parse_date, "birth_date", example="1990-01-01"),
        Column("ethnicity", _("ethnicity"), parse_text, "ethnicity", example="汉族"),
        Column(
            "phone",
            _("mobile phone"),
            parse_text,
            "phone",
            export=phone_cell,
            example="13800000000",
            aliases=("手机号", "电话"),
        ),
        Column("education", _("education"), ChoiceParser(Member.Education.choices), "education", example="本科"),
        Column(
            "organization",
            _("party organisation"),
            parse_code,
            None,
            required=True,
            export=_org_code,
            example="330483-01-01",
            scope_code=True,
            aliases=("党组织编码", "organisation code"),
        ),
        Column(
            "employer",
            _("employer"),
            parse_code,
            None,
            export=_employer_code,
            example="91330402000000001Q",
            aliases=("工作单位信用代码",),
        ),
        Column("stage", _("stage"), ChoiceParser(Stage.choices), "stage", example="正式党员"),
        *_stage_columns(),
        Column("service_commitment", _("service commitment"), parse_text, "service_commitment", example=""),
        Column(
            "joined_on",
            _("joined the organisation on"),
            parse_date,
            None,
            export=lambda resource, member: getattr(member, "joined_branch_on", None),
            example="2017-09-01",
            aliases=("加入本组织日期", "转入本组织日期", "joined branch on"),
        ),
    ]
    natural_key = "id_number"

    class Meta:
        model = Member
        fields = ()

    # --- import ---------------------------------------------------------------------------------

    def scope_organizations(self):
        return writable_organizations(self.user)

    def key_of(self, row):
        number = row.values.get("id_number")
        if not number:
            return None
        return crypto.digest(number)

    def prepare(self, rows):
        if not self.lookups_loaded:
            self.organizations = OrganizationLookup(self.user)
            self.employers = (
                dict(Enterprise.objects.visible_to(self.user).values_list("credit_code", "pk"))
                if self.user is not None
                else {}
            )
            self.lookups_loaded = True
        digests = []
        for row in rows:
            number = row.values.get("id_number")
            if number:
                # The number must be valid before anything is derived from it.
                try:
                    parse_id_number(number)
                except ValidationError as exc:
                    row.errors.extend((str(_("ID number")), message) for message in exc.messages)
                    continue
                digests.append(crypto.digest(number))
        self.existing = {}
        for start in range(0, len(digests), LOOKUP_CHUNK):
            for member in Member.objects.filter(id_number_digest__in=digests[start : start + LOOKUP_CHUNK]):
                self.existing[member.id_number_digest] = member
        self.joining = {}
        if any("joined_on" in row.present for row in rows):
            members = {member.pk: member for member in self.existing.values()}
            # The latest joining event of each member's current organisation (one query per chunk).
            for event in MembershipEvent.objects.filter(
                member_id__in=list(members), kind__in=MembershipEvent.JOINING
            ).order_by("member_id", "on", "pk"):
                if event.organization_id == members[event.member_id].organization_id:
                    self.joining[event.member_id] = event

    def existing_instance(self, key):
        return self.existing.get(key)

    def build(self, row):
        existing = self.existing.get(self.key_of(row))
        if existing is not None and existing.organization_id not in self.organizations.ids:
            row.errors.append(
                (
                    str(_("ID number")),
                    gettext("A member with this ID number is registered in an organisation outside your scope."),
                )
            )
            return None, "error"
        return super().build(row)

    def apply(self, instance, row):
        is_new = instance.pk is None
        before_org, before_stage = instance.organization_id, instance.stage
        super().apply(instance, row)
        try:
            birth, sex = parse_id_number(instance.id_number)
        except ValidationError:  # reported by prepare(); the rest of the row is still checked
            birth, sex = None, ""
            # Not derived from a bad number, so not "required" either: the number is the problem.
            instance._not_checked = [name for name in ("birth_date", "gender") if not getattr(instance, name)]
        if not instance.birth_date:
            instance.birth_date = birth
        if not instance.gender:
            instance.gender = sex
        if instance.phone:
            instance.phone = normalize_phone(instance.phone)
        if not instance.ethnicity:
            instance.ethnicity = "汉族"
        if not instance.stage:
            instance.stage = Stage.APPLICANT if is_new else before_stage
        if "organization" in row.present:
            instance.organization_id = self.organizations.resolve(
                row.values.get("organization"), row, str(_("party organisation"))
            )
        if "employer" in row.present:
            code = row.values.get("employer")
            instance.employer_id = None
            if code:
                instance.employer_id = self.employers.get(code)
                if instance.employer_id is None:
                    row.errors.append(
                        (
                            str(_("employer")),
                            gettext("No enterprise with credit code “%(code)s” in your scope.") % {"code": code},
                        )
                    )
        if not is_new:
            if instance.organization_id and instance.organization_id != before_org:
                row.errors.append(
                    (
                        str(_("party organisation")),
                        gettext("A member moves to another organisation by a transfer, not by an import."),
                    )
                )
            if instance.stage != before_stage:
                row.errors.append(
                    (
                        str(_("stage")),
                        gettext(
                            "A member's stage changes through the development steps on their page, not by an import."
                        ),
                    )
                )
        self._apply_joined_on(instance, row, is_new)
        row.display[str(_("ID number"))] = mask_id_number(instance.id_number)

    def _apply_joined_on(self, instance, row, is_new):
        """The "joined the organisation on" column: kept on the instance for write()."""
        instance._joined_on = None
        joined_on = row.values.get("joined_on") if "joined_on" in row.present else None
        if joined_on is None:
            return
        try:
            validate_membership_day(joined_on)
        except ValidationError as exc:
            row.errors.extend((str(_("joined the organisation on")), message) for message in exc.messages)
            return
        event = None if is_new else self.joining.get(instance.pk)
        if is_new or (event is not None and event.on != joined_on):
            instance._joined_on = joined_on

    def snapshot(self, instance):
        # A corrected joining date alone makes the row an update.
        return (*super().snapshot(instance), getattr(instance, "_joined_on", None))

    def compared_fields(self):
        return [
            "name",
            "id_number",
            "gender",
            "birth_date",
            "ethnicity",
            "phone",
            "education",
            "organization_id",
            "employer_id",
            "stage",
            *STAGE_DATE_FIELD.values(),
            "service_commitment",
        ]

    def clean_instance(self, instance):
        """Member.clean() without its per-row duplicate query (the digest table loaded in prepare()
        and the in-file duplicate check stand for it): ID number agreeing with birth date and gender,
        stage dates present and in order."""

        errors = {}
        try:
            validate_id_number_matches(instance.id_number, instance.birth_date, instance.gender)
        except ValidationError as exc:  # an invalid number itself: already reported by prepare()
            errors.update(exc.error_dict if hasattr(exc, "error_dict") else {"id_number": exc.error_list})
        position = STAGE_ORDER.index(instance.stage) if instance.stage in STAGE_ORDER else 0
        previous = None
        for index, stage in enumerate(STAGE_ORDER):
            name = STAGE_DATE_FIELD[stage]
            value = getattr(instance, name)
            if index > position and value:
                errors[name] = [_("This date belongs to a later stage than the member's.")]
            if value and previous and value < previous:
                errors[name] = [_("Stage dates must follow one another in order.")]
            previous = value or previous
        if errors:
            raise ValidationError(errors)

    def write(self, new, changed):
        for member in changed:
            # bulk_update does not run DigestField.pre_save.
            member.id_number_digest = crypto.digest(member.id_number)
        super().write(new, changed)
        by = self.user if getattr(self.user, "pk", None) else None
        if new:
            # The membership history begins: joined on the date given, else the best date known.
            members_registered(
                members=new,
                by=by,
                joined_on={member.pk: member._joined_on for member in new if getattr(member, "_joined_on", None)},
                note=MembershipEvent.IMPORTED,
            )
        corrected = []
        for member in changed:
            event = self.joining.get(member.pk)
            if event is not None and getattr(member, "_joined_on", None):
                event.on = member._joined_on
                corrected.append(event)
        if corrected:
            MembershipEvent.objects.bulk_update(corrected, ["on"], batch_size=BATCH_SIZE)
        if new:
            today = timezone.localdate()
            StageChange.objects.bulk_create(
                [
                    StageChange(
                        member=member,
                        kind=StageChange.Kind.INITIAL,
                        from_stage="",
                        to_stage=member.stage,
                        effective_on=member.stage_date() or today,
                        reason=IMPORTED_NOTE,
                        changed_by=self.user if getattr(self.user, "pk", None) else None,
                    )
                    for member in new
                ],
                batch_size=BATCH_SIZE,
            )

    def after_chunk(self, rows, new, changed):
        self.existing, self.joining = {}, {}

    # --- export ---------------------------------------------------------------------------------

    def may_see_full_id(self, member) -> bool:
        return may_see_full_id_number(self.user, member)

    def optimize_export(self, queryset):
        joined = MembershipEvent.objects.filter(
            member=OuterRef("pk"), organization=OuterRef("organization"), kind__in=MembershipEvent.JOINING
        ).order_by("-on", "-pk")
        return (
            queryset.select_related("organization", "employer")
            .annotate(joined_branch_on=Subquery(joined.values("on")[:1]))
            .order_by("organization__code", "name", "pk")
        )


def _member_id(resource, payment):
    return id_number_cell(resource, payment.member)


def _member_name(resource, payment):
    return payment.member.name


class DuesPaymentResource(ImportResource):
    """A month of a member's dues. The amount due is computed by ``members.rules.dues_amount`` from
    the category and the monthly pay, as on the page; the column in exports is for reading only."""

    secretary_may_import = True
    kind = "dues"

    columns = [
        Column(
            "id_number",
            _("ID number"),
            parse_id_cell,
            None,
            required=True,
            key=True,
            export=_member_id,
            example="330402199001010035",
            aliases=("身份证号码", "公民身份号码"),
        ),
        Column("name", _("name"), parse_text, None, export=_member_name, example="张三"),
        Column(
            "month", _("month"), parse_month, "month", required=True, example="2026-01", aliases=("月份", "所属月份")
        ),
        Column("category", _("category"), ChoiceParser(DuesPayment.Category.choices), "category", example="在职"),
        Column(
            "monthly_pay",
            _("monthly pay after tax"),
            parse_decimal,
            "monthly_pay",
            example=Decimal("6000.00"),
            aliases=("税后月工资收入", "月工资收入", "月收入"),
        ),
        Column(
            "amount_due",
            _("amount due"),
            parse_decimal,
            None,
            export=lambda resource, p: p.amount_due,
            example=Decimal("60.00"),
            aliases=("应缴金额", "应缴党费"),
        ),
        Column(
            "amount_paid",
            _("amount paid"),
            parse_decimal,
            "amount_paid",
            required=True,
            example=Decimal("60.00"),
            aliases=("实缴金额", "实缴党费"),
        ),
        Column(
            "paid_on", _("paid on"), parse_date, "paid_on", required=True, example="2026-01-15", aliases=("缴纳日期",)
        ),
    ]

    class Meta:
        model = DuesPayment
        fields = ()

    def key_of(self, row):
        number, month = row.values.get("id_number"), row.values.get("month")
        if not number or not month:
            return None
        return (crypto.digest(number), month)

    def prepare(self, rows):
        if not self.lookups_loaded:
            self.organization_ids = set(writable_organizations(self.user).values_list("pk", flat=True))
            self.lookups_loaded = True
        digests, months = [], set()
        for row in rows:
            number = row.values.get("id_number")
            if not number:
                continue
            try:
                parse_id_number(number)
            except ValidationError as exc:
                row.errors.extend((str(_("ID number")), message) for message in exc.messages)
                continue
            digests.append(crypto.digest(number))
            if row.values.get("month"):
                months.add(row.values["month"])
        self.members = {}
        for start in range(0, len(digests), LOOKUP_CHUNK):
            for member in Member.objects.filter(id_number_digest__in=digests[start : start + LOOKUP_CHUNK]).only(
                "pk", "name", "stage", "organization_id", "id_number_digest"
            ):
                self.members[member.id_number_digest] = member
        member_ids = [member.pk for member in self.members.values()]
        self.existing = {}
        for start in range(0, len(member_ids), LOOKUP_CHUNK):
            for payment in DuesPayment.objects.filter(
                member_id__in=member_ids[start : start + LOOKUP_CHUNK], month__in=months
            ):
                self.existing[(payment.member_id, payment.month)] = payment

    def existing_instance(self, key):
        member = self.members.get(key[0])
        return self.existing.get((member.pk, key[1])) if member else None

    def build(self, row):
        header = str(_("ID number"))
        member = self.members.get(self.key_of(row)[0])
        if member is None or member.organization_id not in self.organization_ids:
            row.errors.append((header, gettext("No member with this ID number in your scope.")))
            return None, "error"
        name = row.values.get("name")
        if name and name != member.name:
            row.errors.append(
                (
                    str(_("name")),
                    gettext("The name does not match the member with this ID number (%(name)s).")
                    % {"name": member.name},
                )
            )
        # The rules of members.actions.dues_record_payment, checked row by row without its row lock.
        if member.stage not in (Stage.PROBATIONARY, Stage.FULL):
            row.errors.append((header, gettext("Dues are paid by probationary and full members.")))
        month = row.values.get("month")
        if month and month > first_of_month(add_months(today(), 12)):
            row.errors.append((str(_("month")), gettext("Dues cannot be recorded that far ahead.")))
        paid_on = row.values.get("paid_on")
        if paid_on and paid_on > today():
            row.errors.append((str(_("paid on")), gettext("The payment date cannot be in the future.")))
        paid = row.values.get("amount_paid")
        if paid is not None and paid < 0:
            row.errors.append((str(_("amount paid")), gettext("Give the amount paid.")))
        if row.errors:
            return None, "error"
        instance, action = super().build(row)
        instance.member_id = member.pk
        return instance, action

    def apply(self, instance, row):
        super().apply(instance, row)
        if not instance.category:
            instance.category = DuesPayment.Category.EMPLOYED
        try:
            instance.amount_due = dues_amount(category=instance.category, monthly_pay=instance.monthly_pay)
        except ValidationError as exc:
            row.errors.extend(error_pairs(exc, self.header_labels()))
        if instance.pk is None:
            instance.recorded_by = self.user if getattr(self.user, "pk", None) else None

    def compared_fields(self):
        return ["month", "category", "monthly_pay", "amount_due", "amount_paid", "paid_on"]

    def snapshot(self, instance):
        values = super().snapshot(instance)
        # 6000 and 6000.00 are the same pay.
        return tuple(value.normalize() if isinstance(value, Decimal) else value for value in values)

    def clean_instance(self, instance):
        pass

    def validate(self, instance, row):
        exclude = ["member", "recorded_by"]
        try:
            instance.clean_fields(exclude=exclude)
        except ValidationError as exc:
            row.errors.extend(error_pairs(exc, self.header_labels()))

    def after_chunk(self, rows, new, changed):
        self.members, self.existing = {}, {}

    def may_see_full_id(self, member) -> bool:
        return may_see_full_id_number(self.user, member)

    def optimize_export(self, queryset):
        return queryset.select_related("member", "member__organization").order_by("member__name", "member_id", "month")
