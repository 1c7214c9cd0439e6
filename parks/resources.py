"""Import/export of enterprises and party organisations (portal/dataio.py drives them).

Natural keys: an enterprise by its unified social credit code, an organisation by its code. Parks are
named, organisations and enterprises referred to by code, and every reference must be inside the
importing user's scope: park administrators write for their own parks, superusers everywhere.
"""

import re

from django.core.exceptions import ValidationError
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
    id_number_cell,
    parse_bool,
    parse_code,
    parse_date,
    parse_int,
    parse_text,
)
from core.validators import normalize_id_number, validate_id_number

from . import rules
from .models import District, Enterprise, Organization, Park


def writable_parks(user):
    """The parks whose enterprises and organisations ``user`` may write: all for a superuser, their
    own for a park administrator, none for anyone else (district officials only read)."""
    return Park.objects.visible_to(user, CHANGE)


def _park_name(resource, obj):
    return obj.park.name if obj.park_id else ""


class ParkLookup:
    """Park by name (or "district name/park name" when names repeat) among the parks one may write."""

    def __init__(self, user):
        self.by_name, self.ambiguous, self.names = {}, set(), {}
        for pk, name, district_name in writable_parks(user).values_list("pk", "name", "district__name"):
            self.names[pk] = name
            for label in (name, f"{district_name}/{name}"):
                if label in self.by_name and self.by_name[label] != pk:
                    self.ambiguous.add(label)
                self.by_name[label] = pk

    def resolve(self, name, row, header):
        if not name:
            return None
        if name in self.ambiguous:
            row.errors.append(
                (header, gettext("Several parks are named “%(name)s”; write “district/park”.") % {"name": name})
            )
            return None
        pk = self.by_name.get(name)
        if pk is None:
            row.errors.append((header, gettext("No park named “%(name)s” in your scope.") % {"name": name}))
        return pk


class EnterpriseResource(ImportResource):
    kind = "enterprises"
    columns = [
        Column(
            "name",
            _("enterprise name"),
            parse_text,
            "name",
            required=True,
            example="嘉兴示例电子商务有限公司",
            aliases=("企业名称", "名称", "name"),
        ),
        Column(
            "credit_code",
            _("unified social credit code"),
            parse_code,
            "credit_code",
            required=True,
            key=True,
            example="91330402000000001Q",
            aliases=("信用代码", "credit code"),
        ),
        Column("park", _("park"), parse_text, None, required=True, export=_park_name, example="嘉兴电商产业园"),
        Column("industry", _("industry"), ChoiceParser(Enterprise.Industry.choices), "industry", example="网店"),
        Column("employee_count", _("employees"), parse_int, "employee_count", example=12),
        Column("entered_on", _("entered park on"), parse_date, "entered_on", example="2024-03-01"),
        Column("investor_name", _("investor"), parse_text, "investor_name", example="张三"),
        Column("investor_is_member", _("investor is a party member"), parse_bool, "investor_is_member", example="否"),
    ]
    natural_key = "credit_code"

    class Meta:
        model = Enterprise
        fields = ()

    def prepare(self, rows):
        if not self.lookups_loaded:
            self.parks = ParkLookup(self.user)
            self.lookups_loaded = True
        keys = [row.values.get("credit_code") for row in rows if row.values.get("credit_code")]
        self.existing = {}
        for start in range(0, len(keys), LOOKUP_CHUNK):
            for enterprise in Enterprise.objects.filter(credit_code__in=keys[start : start + LOOKUP_CHUNK]):
                self.existing[enterprise.credit_code] = enterprise

    def existing_instance(self, key):
        return self.existing.get(key)

    def build(self, row):
        existing = self.existing.get(self.key_of(row))
        if existing is not None and existing.park_id not in self.parks.names:
            row.errors.append(
                (
                    str(_("unified social credit code")),
                    gettext("This credit code belongs to an enterprise outside your scope."),
                )
            )
            return None, "error"
        return super().build(row)

    def apply(self, instance, row):
        super().apply(instance, row)
        if "park" in row.present:
            instance.park_id = self.parks.resolve(row.values.get("park"), row, str(_("park")))
        for name, default in (("employee_count", 0), ("industry", Enterprise.Industry.ONLINE_SHOP)):
            if getattr(instance, name) in (None, ""):
                setattr(instance, name, default)

    def compared_fields(self):
        return super().compared_fields() + ["park_id"]

    def clean_instance(self, instance):
        instance.clean()

    def optimize_export(self, queryset):
        return queryset.select_related("park").order_by("park__name", "name", "pk")


def _code_of(attribute):
    def read(resource, obj):
        related = getattr(obj, attribute)
        return related.code if related is not None else ""

    return read


def _enterprise_codes(resource, obj):
    return "、".join(sorted(enterprise.credit_code for enterprise in obj.enterprises.all()))


def _secretary_id(resource, obj):
    return id_number_cell(resource, obj.secretary) if obj.secretary_id else ""


SEPARATORS = re.compile(r"[\s,，;；、/]+")


def parse_codes(value) -> list[str]:
    text = parse_code(value)
    return [code for code in SEPARATORS.split(text) if code] if text else []


def parse_id(value) -> str:
    return normalize_id_number(parse_text(value))


class OrganizationResource(ImportResource):
    """A party organisation by its code. Its park must be one the user administers (a committee
    without a park: superusers only); its parent is named by code among the organisations the user
    sees, or earlier in the same file; the enterprises it covers by their credit codes."""

    kind = "organizations"

    columns = [
        Column(
            "name",
            _("organisation name"),
            parse_text,
            "name",
            required=True,
            example="嘉兴示例电子商务有限公司党支部",
            aliases=("党组织名称", "名称", "name"),
        ),
        Column(
            "code",
            _("organisation code"),
            parse_code,
            "code",
            required=True,
            key=True,
            example="330483-01-02",
            aliases=("党组织编码", "组织编码", "党组织代码"),
        ),
        Column(
            "kind",
            _("kind"),
            ChoiceParser(Organization.Kind.choices),
            "kind",
            example="党支部",
            aliases=("类别", "组织类别"),
        ),
        Column(
            "formation", _("formation"), ChoiceParser(Organization.Formation.choices), "formation", example="单独组建"
        ),
        Column(
            "district",
            _("district"),
            parse_text,
            None,
            export=lambda r, o: o.district.code,
            aliases=("所属区县",),
            example="330402",
        ),
        Column("park", _("park"), parse_text, None, export=_park_name, example="嘉兴电商产业园"),
        Column(
            "parent",
            _("parent organisation"),
            parse_code,
            None,
            export=_code_of("parent"),
            example="330483-01",
            scope_code=True,
            aliases=("上级党组织编码",),
        ),
        Column(
            "enterprises",
            _("enterprises covered"),
            parse_codes,
            None,
            export=_enterprise_codes,
            example="91330402000000001Q",
            aliases=("覆盖企业信用代码",),
        ),
        Column(
            "secretary", _("secretary"), parse_id, None, export=_secretary_id, example="", aliases=("书记身份证号",)
        ),
        Column("founded_on", _("founded on"), parse_date, "founded_on", example="2020-07-01"),
        Column(
            "term_start",
            _("current term starts"),
            parse_date,
            "term_start",
            example="2023-07-01",
            aliases=("本届开始", "换届日期"),
        ),
        Column("term_end", _("current term ends"), parse_date, "term_end", example="", aliases=("本届结束",)),
    ]
    natural_key = "code"

    class Meta:
        model = Organization
        fields = ()

    def scope_organizations(self):
        # The parents a row may name: what the user sees (as ``prepare`` loads them).
        return Organization.objects.visible_to(self.user)

    def prepare(self, rows):
        if not self.lookups_loaded:
            self.parks = ParkLookup(self.user)
            self.park_districts = dict(writable_parks(self.user).values_list("pk", "district_id"))
            self.superuser = self.scope().superuser
            self.districts = {}
            if self.superuser:
                for pk, code, name in District.objects.values_list("pk", "code", "name"):
                    self.districts[code] = self.districts[name] = pk
            # Parents: what the user sees, by code; the whole tree's parent links for the cycle check.
            self.parent_info = {
                code.upper(): {"pk": pk, "kind": kind, "district_id": district_id}
                for pk, code, kind, district_id in Organization.objects.visible_to(self.user).values_list(
                    "pk", "code", "kind", "district_id"
                )
            }
            self.parent_of = dict(Organization.objects.values_list("pk", "parent_id"))
            self.enterprise_ids = dict(Enterprise.objects.visible_to(self.user).values_list("credit_code", "pk"))
            self.pending_parents = {}  # code of a new organisation -> code of its parent, new in the file
            self.lookups_loaded = True
        keys = [row.values.get("code") for row in rows if row.values.get("code")]
        self.existing = {}
        for start in range(0, len(keys), LOOKUP_CHUNK):
            for org in Organization.objects.filter(code__in=keys[start : start + LOOKUP_CHUNK]):
                self.existing[org.code.upper()] = org
        self.existing_enterprises = {pk: set() for pk in (org.pk for org in self.existing.values())}
        for org_id, enterprise_id in Organization.enterprises.through.objects.filter(
            organization_id__in=list(self.existing_enterprises)
        ).values_list("organization_id", "enterprise_id"):
            self.existing_enterprises[org_id].add(enterprise_id)
        digests = []
        for row in rows:
            number = row.values.get("secretary")
            if number:
                try:
                    validate_id_number(number)
                except ValidationError as exc:
                    row.errors.extend((str(_("secretary")), message) for message in exc.messages)
                    continue
                digests.append(crypto.digest(number))
        self.secretaries = (
            dict(
                Organization.secretary.field.related_model.objects.visible_to(self.user)
                .filter(id_number_digest__in=digests)
                .values_list("id_number_digest", "pk")
            )
            if digests
            else {}
        )

    def key_of(self, row):
        code = row.values.get("code")
        return code.upper() if code else None

    def existing_instance(self, key):
        return self.existing.get(key)

    def may_write(self, park_id) -> bool:
        return self.superuser if park_id is None else park_id in self.park_districts

    def build(self, row):
        existing = self.existing.get(self.key_of(row))
        if existing is not None and not self.may_write(existing.park_id):
            row.errors.append(
                (str(_("organisation code")), gettext("This code belongs to an organisation outside your scope."))
            )
            return None, "error"
        instance, action = super().build(row)
        if instance is not None and not row.errors and not self.may_write(instance.park_id):
            row.errors.append(
                (
                    str(_("park")),
                    gettext("Only a superuser registers an organisation without a park; name one of your parks."),
                )
            )
        return instance, action

    def apply(self, instance, row):
        super().apply(instance, row)
        for name, default in (("kind", Organization.Kind.BRANCH), ("formation", Organization.Formation.SINGLE)):
            if not getattr(instance, name):
                setattr(instance, name, default)
        if "park" in row.present:
            instance.park_id = (
                self.parks.resolve(row.values.get("park"), row, str(_("park"))) if row.values.get("park") else None
            )
        if "district" in row.present and row.values.get("district"):
            value = row.values["district"]
            district_id = self.districts.get(value)
            if district_id is None and instance.park_id is not None:
                park_district = self.park_districts.get(instance.park_id)
                # A park administrator names the district of their park: checked against it below.
                district_id = park_district if value in self._district_labels(park_district) else None
            if district_id is None:
                row.errors.append(
                    (str(_("district")), gettext("No district “%(name)s” in your scope.") % {"name": value})
                )
            instance.district_id = district_id
        if instance.park_id is not None and not instance.district_id:
            instance.district_id = self.park_districts.get(instance.park_id)
        if not instance.district_id and not row.errors:
            row.errors.append((str(_("district")), gettext("Name the park or the district.")))
        instance._parent_code = ""
        if "parent" in row.present:
            code = row.values.get("parent")
            instance.parent_id = None
            if code:
                info = self.parent_info.get(code)
                if info is None:
                    row.errors.append(
                        (
                            str(_("parent organisation")),
                            gettext("No party organisation with code “%(code)s” in your scope or earlier in this file.")
                            % {"code": code},
                        )
                    )
                elif info["pk"] is None:
                    instance._parent_code = code  # new in this file: linked once it is written
                else:
                    instance.parent_id = info["pk"]
                instance._parent_info = info
        if "enterprises" in row.present:
            ids = set()
            for code in row.values.get("enterprises") or []:
                pk = self.enterprise_ids.get(code)
                if pk is None:
                    row.errors.append(
                        (
                            str(_("enterprises covered")),
                            gettext("No enterprise with credit code “%(code)s” in your scope.") % {"code": code},
                        )
                    )
                ids.add(pk)
            instance._enterprise_ids = ids
        else:
            instance._enterprise_ids = self.existing_enterprises.get(instance.pk, set())
        if "secretary" in row.present:
            number = row.values.get("secretary")
            instance.secretary_id = None
            if number:
                instance.secretary_id = self.secretaries.get(crypto.digest(number))
                if instance.secretary_id is None:
                    row.errors.append((str(_("secretary")), gettext("No member with this ID number in your scope.")))
        self._derive_term(instance, row)
        self.parent_info.setdefault(
            (instance.code or "").upper(),
            {"pk": instance.pk, "kind": instance.kind, "district_id": instance.district_id},
        )

    def _derive_term(self, instance, row):
        """The term ends as ``Organization.save()`` derives it (parks.rules: the start and the length
        of the kind); an end given in the file must agree with it."""
        if not hasattr(self, "_term_years"):
            self._term_years = rules.term_years_table()  # one read per import
        instance.derive_term_end(self._term_years)
        given = row.values.get("term_end") if "term_end" in row.present else None
        if given and given != instance.term_end:
            row.errors.append(
                (
                    str(_("current term ends")),
                    gettext("The term ends %(years)d years after it starts: on %(date)s, not %(given)s.")
                    % {
                        "years": rules.term_years(instance.kind, self._term_years),
                        "date": instance.term_end.isoformat() if instance.term_end else "—",
                        "given": given.isoformat(),
                    },
                )
            )

    def _district_labels(self, district_id):
        if not hasattr(self, "_district_label_cache"):
            self._district_label_cache = {
                pk: {code, name}
                for pk, code, name in District.objects.filter(pk__in=set(self.park_districts.values())).values_list(
                    "pk", "code", "name"
                )
            }
        return self._district_label_cache.get(district_id, set())

    def compared_fields(self):
        return [
            "name",
            "code",
            "kind",
            "formation",
            "district_id",
            "park_id",
            "parent_id",
            "secretary_id",
            "founded_on",
            "term_start",
            "term_end",
        ]

    def snapshot(self, instance):
        enterprises = getattr(instance, "_enterprise_ids", None)
        if enterprises is None:
            enterprises = self.existing_enterprises.get(instance.pk, set())
        return (*super().snapshot(instance), frozenset(enterprises), getattr(instance, "_parent_code", ""))

    def clean_instance(self, instance):
        """Organization.clean() without walking the parent chain through the database."""
        errors = {}
        info = getattr(instance, "_parent_info", None)
        if instance.parent_id or getattr(instance, "_parent_code", ""):
            if info is None:
                info = next((i for i in self.parent_info.values() if i["pk"] == instance.parent_id), None) or {}
            if instance.pk is not None and instance.parent_id:
                seen, node = set(), instance.parent_id
                while node is not None and node not in seen:
                    if node == instance.pk:
                        errors["parent"] = _("An organisation cannot be placed below itself or its own sub-units.")
                        break
                    seen.add(node)
                    node = self.parent_of.get(node)
            if info.get("kind") == Organization.Kind.GROUP:
                errors["parent"] = _("A party group cannot have sub-units.")
            if info.get("district_id") and info["district_id"] != instance.district_id:
                errors["district"] = _("A sub-unit belongs to the district of its parent.")
        if (
            instance.park_id
            and instance.district_id
            and self.park_districts.get(instance.park_id) not in (None, instance.district_id)
        ):
            errors["park"] = _("The park is not in the organisation's district.")
        if errors:
            raise ValidationError(errors)

    def write(self, new, changed):
        super().write(new, changed)
        through = Organization.enterprises.through
        for org in new:
            self.parent_info[org.code.upper()]["pk"] = org.pk
            self.parent_of[org.pk] = org.parent_id
        linked = []
        for org in [*new, *changed]:
            if org._parent_code:
                org.parent_id = self.parent_info[org._parent_code]["pk"]
                self.parent_of[org.pk] = org.parent_id
                linked.append(org)
        if linked:
            Organization.objects.bulk_update(linked, ["parent_id"], batch_size=BATCH_SIZE)
        replaced = [org for org in changed if org._enterprise_ids != self.existing_enterprises.get(org.pk, set())]
        if replaced:
            through.objects.filter(organization_id__in=[org.pk for org in replaced]).delete()
        rows = [
            through(organization_id=org.pk, enterprise_id=enterprise_id)
            for org in [*new, *replaced]
            for enterprise_id in sorted(org._enterprise_ids)
        ]
        if rows:
            through.objects.bulk_create(rows, batch_size=BATCH_SIZE)

    def after_chunk(self, rows, new, changed):
        self.existing, self.existing_enterprises, self.secretaries = {}, {}, {}

    def optimize_export(self, queryset):
        return (
            queryset.select_related("district", "park", "parent", "secretary", "secretary__organization")
            .prefetch_related("enterprises")
            .order_by("district__code", "code")
        )

    def may_see_full_id(self, member) -> bool:
        return may_see_full_id_number(self.user, member)
