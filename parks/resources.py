"""Import/export of enterprises and party organisations (portal/dataio.py drives them).

Natural keys: an enterprise by its unified social credit code, an organisation by its code. Parks are
named, organisations and enterprises referred to by code, and every reference must be inside the
importing user's scope: park administrators write for their own parks, superusers everywhere.
"""

from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portal.resources_base import (
    LOOKUP_CHUNK,
    ChoiceParser,
    Column,
    ImportResource,
    parse_bool,
    parse_code,
    parse_date,
    parse_int,
    parse_text,
)

from .models import Enterprise, Organization, Park


def writable_parks(user):
    """The parks whose enterprises and organisations ``user`` may write: all for a superuser, their
    own for a park administrator, none for anyone else (district officials only read)."""
    from portal.scope import scope_for

    scope = scope_for(user)
    if scope.superuser:
        return Park.objects.all()
    return Park.objects.filter(pk__in=scope.park_ids)


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


def _org_code(attribute):
    def read(resource, obj):
        related = getattr(obj, attribute)
        return related.code if related is not None else ""

    return read


def _secretary_id(resource, obj):
    return ""


class OrganizationResource(ImportResource):
    """Placeholder until the organisation columns land (see docs/import-export.md)."""

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
        Column("code", _("organisation code"), parse_code, "code", required=True, key=True, example="ORG0001"),
    ]
    natural_key = "code"

    class Meta:
        model = Organization
        fields = ()

    def prepare(self, rows):
        keys = [row.values.get("code") for row in rows if row.values.get("code")]
        self.existing = {org.code: org for org in Organization.objects.filter(Q(code__in=keys))}

    def existing_instance(self, key):
        return self.existing.get(key)
