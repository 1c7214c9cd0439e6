"""Statistics endpoints under /api/v1/statistics/: the figures, the monthly trend and the 三会一课
compliance of a district, a park or an organisation, exactly as ``stats.statistics`` computes
them (the dashboards and the reports show the same numbers), and the definitions of the named
metrics (``stats.metrics``) that say what each figure counts.

A scope the user may not see is "not found" (404), like any row outside the user's scope; a bad
query parameter is a 400 with the parameter's messages. Included by portal/api.py.
"""

from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import ValidationErrorSerializer
from stats import dashboards, metrics, statistics

BAD_PARAMETER = OpenApiResponse(
    ValidationErrorSerializer, description="Invalid query parameter: messages per parameter."
)
KIND_PARAMETER = OpenApiParameter(
    "kind", str, OpenApiParameter.PATH, enum=list(dashboards.SCOPE_KINDS), description="district, park or organization"
)
ID_PARAMETER = OpenApiParameter("id", int, OpenApiParameter.PATH, description=str(_("The scope object's id.")))


# --- the shapes of the answers (for the OpenAPI schema) ------------------------------------------


def _counts(help_text):
    return serializers.DictField(child=serializers.IntegerField(), help_text=help_text)


class StatScopeSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="district, park or organization")
    id = serializers.IntegerField()
    name = serializers.CharField()


class StatPeriodSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="month, quarter or year")
    start = serializers.DateField(help_text="First day of the period.")
    end = serializers.DateField(help_text="First day after the period.")
    label = serializers.CharField(help_text="2026-04, 2026-Q2 or 2026.")


class StatOrganizationFiguresSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    by_kind = _counts("Organisations per kind code (committee, branch, …), zero-filled.")


class StatEnterpriseFiguresSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    with_members = serializers.IntegerField()
    own_organization = serializers.IntegerField()
    joint_organization = serializers.IntegerField()
    uncovered = serializers.IntegerField()
    coverage_rate = serializers.FloatField(allow_null=True, help_text="Covered ÷ total, 4 decimals.")


class StatMemberFiguresSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    by_stage = _counts("Per stage code.")
    by_gender = _counts("Per gender code (M, F).")
    by_age_band = _counts("18-35, 36-45, 46-60, 61+.")
    by_education = _counts("Per education code, and 'unknown'.")
    new = serializers.IntegerField(help_text="Made probationary within the period.")
    transferred_in = serializers.IntegerField()
    transferred_out = serializers.IntegerField()


class StatActivityFiguresSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    by_kind = _counts("Held activities per kind code.")
    attendance_person_times = serializers.IntegerField()
    attendance_rate = serializers.FloatField(allow_null=True)
    volunteer_hours = serializers.FloatField()
    compliance_rate = serializers.FloatField(allow_null=True)


class StatServiceFiguresSerializer(serializers.Serializer):
    received = serializers.IntegerField()
    resolved = serializers.IntegerField()
    overdue = serializers.IntegerField()
    median_days_to_resolve = serializers.FloatField(allow_null=True)
    mean_satisfaction = serializers.FloatField(allow_null=True)
    wishes_fulfilled = serializers.IntegerField()


class StatFiguresSerializer(serializers.Serializer):
    """statistics.figures(): stock figures as at the period's end, flow figures within it."""

    scope = StatScopeSerializer()
    period = StatPeriodSerializer()
    organizations = StatOrganizationFiguresSerializer()
    enterprises = StatEnterpriseFiguresSerializer()
    members = StatMemberFiguresSerializer()
    activities = StatActivityFiguresSerializer()
    services = StatServiceFiguresSerializer()


class StatTrendMonthSerializer(serializers.Serializer):
    month = serializers.CharField(help_text="2026-04")
    new_members = serializers.IntegerField()
    activities = serializers.IntegerField()
    attendance_person_times = serializers.IntegerField()


class StatComplianceCellSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField(help_text="Last day of the rule's period.")
    state = serializers.CharField(help_text="held, missing, due_soon, due, upcoming or na (the rule does not apply)")
    count = serializers.IntegerField()
    below_quorum = serializers.IntegerField()


class StatComplianceRuleSerializer(serializers.Serializer):
    kind = serializers.CharField()
    period = serializers.CharField()
    minimum_count = serializers.IntegerField()
    applies_to = serializers.CharField(
        help_text="The branches the rule binds: every_branch, with_committee, with_groups."
    )
    met = serializers.IntegerField()
    elapsed = serializers.IntegerField()
    cells = StatComplianceCellSerializer(many=True)


class StatComplianceBranchSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    code = serializers.CharField()
    park = serializers.IntegerField(allow_null=True)
    met = serializers.IntegerField()
    elapsed = serializers.IntegerField()
    rate = serializers.FloatField(allow_null=True)
    below_quorum = serializers.IntegerField()
    rules = StatComplianceRuleSerializer(many=True)


class StatMetricSerializer(serializers.Serializer):
    key = serializers.CharField(
        help_text="The metric's name; also /dashboard/<kind>/<id>/rows/<key>/ when it has rows."
    )
    label = serializers.CharField()
    definition = serializers.CharField(help_text="What is counted.")
    basis = serializers.ChoiceField(
        choices=list(metrics.BASES),
        help_text="stock (at the period's end), flow (within it), now, or year (三会一课 grid).",
    )
    basis_label = serializers.CharField()
    path = serializers.ListField(
        child=serializers.CharField(), help_text="Where its value is in the figures answer; empty if elsewhere."
    )
    unit = serializers.CharField(help_text="'%' for a rate (a share 0..1 in the figures answer).")
    rows = serializers.CharField(allow_blank=True, help_text="The drill-down listing the rows it counts.")


# --- the query parameters -------------------------------------------------------------------------


class FiguresQuery(serializers.Serializer):
    period = serializers.CharField(
        required=False, max_length=7, help_text="2026-04, 2026-Q2 or 2026; the current month if absent."
    )
    live = serializers.BooleanField(required=False, default=False, help_text="Compute from the raw tables.")

    def validate_period(self, value):
        try:
            return dashboards.parse_period(value)
        except ValueError:
            raise serializers.ValidationError(_("Use 2026-04, 2026-Q2 or 2026.")) from None


class TrendQuery(serializers.Serializer):
    months = serializers.IntegerField(required=False, default=12, min_value=1, max_value=60)
    until = serializers.DateField(required=False, help_text="A day of the last month; today if absent.")

    def validate_until(self, value):
        if not dashboards.YEARS[0] <= value.year <= dashboards.YEARS[1]:
            raise serializers.ValidationError(_("Give a day between 2000 and 2100."))
        return value


class ComplianceQuery(serializers.Serializer):
    year = serializers.IntegerField(
        required=False, min_value=dashboards.YEARS[0], max_value=dashboards.YEARS[1], help_text="This year if absent."
    )


# --- the views ------------------------------------------------------------------------------------


class _ScopedStatisticsView(APIView):
    query_serializer = None

    def scope(self, request, kind, pk):
        scope = dashboards.resolve_scope(request.user, kind, pk)
        if scope is None:
            raise NotFound(_("No such district, park or organisation in your scope."))
        return scope

    def query(self, request):
        query = self.query_serializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return query.validated_data


class FiguresView(_ScopedStatisticsView):
    query_serializer = FiguresQuery

    @extend_schema(
        operation_id="statistics_figures",
        summary="Figures of a district, park or organisation for a period",
        parameters=[KIND_PARAMETER, ID_PARAMETER, FiguresQuery],
        responses={200: StatFiguresSerializer, 400: BAD_PARAMETER},
        tags=["statistics"],
    )
    def get(self, request, kind, pk):
        scope = self.scope(request, kind, pk)
        query = self.query(request)
        period = query.get("period") or dashboards.parse_period("")
        return Response(statistics.figures(scope, period, live=query["live"]))


class TrendView(_ScopedStatisticsView):
    query_serializer = TrendQuery

    @extend_schema(
        operation_id="statistics_trend",
        summary="Per month: new members, held activities and attendance person-times, oldest first",
        parameters=[KIND_PARAMETER, ID_PARAMETER, TrendQuery],
        responses={200: StatTrendMonthSerializer(many=True), 400: BAD_PARAMETER},
        tags=["statistics"],
    )
    def get(self, request, kind, pk):
        scope = self.scope(request, kind, pk)
        query = self.query(request)
        return Response(statistics.monthly_trend(scope, months=query["months"], until=query.get("until")))


def compliance_rows(branches) -> list[dict]:
    """activities.selectors.compliance() rows as plain data."""
    result = []
    for branch in branches:
        org = branch.organization
        result.append(
            {
                "id": org.pk,
                "name": org.name,
                "code": org.code,
                "park": org.park_id,
                "met": branch.met,
                "elapsed": branch.elapsed,
                "rate": None if branch.rate is None else round(branch.rate, 4),
                "below_quorum": branch.below_quorum,
                "rules": [
                    {
                        "kind": row.rule.kind,
                        "period": row.rule.period,
                        "minimum_count": row.rule.minimum_count,
                        "applies_to": row.rule.applies_to,
                        "met": row.met,
                        "elapsed": row.elapsed,
                        "cells": [
                            {
                                "start": cell.period.start,
                                "end": cell.period.last_day,
                                "state": cell.state,
                                "count": cell.count,
                                "below_quorum": cell.below_quorum,
                            }
                            for cell in row.cells
                        ],
                    }
                    for row in branch.rows
                ],
            }
        )
    return result


class ComplianceView(_ScopedStatisticsView):
    query_serializer = ComplianceQuery

    @extend_schema(
        operation_id="statistics_compliance",
        summary="三会一课 compliance per branch of the scope for a year",
        parameters=[KIND_PARAMETER, ID_PARAMETER, ComplianceQuery],
        responses={200: StatComplianceBranchSerializer(many=True), 400: BAD_PARAMETER},
        tags=["statistics"],
    )
    def get(self, request, kind, pk):
        scope = self.scope(request, kind, pk)
        year = self.query(request).get("year") or timezone.localdate().year
        branches = statistics.compliance_by_branch(scope, year=year)
        return Response(StatComplianceBranchSerializer(compliance_rows(branches), many=True).data)


class MetricsView(APIView):
    """The named metrics (stats.metrics): what each figure of the dashboards, reports and this API
    counts, over which period and on which basis."""

    @extend_schema(
        operation_id="statistics_metrics",
        summary="The definition, period basis and drill-down of every statistical figure",
        responses={200: StatMetricSerializer(many=True)},
        tags=["statistics"],
    )
    def get(self, request):
        data = [
            {
                "key": m.key,
                "label": str(m.label),
                "definition": str(m.definition),
                "basis": m.basis,
                "basis_label": str(metrics.BASES[m.basis]),
                "path": list(m.path),
                "unit": m.unit,
                "rows": m.rows_key,
            }
            for m in metrics.METRICS_LIST
        ]
        return Response(StatMetricSerializer(data, many=True).data)


urlpatterns = [
    path("statistics/metrics/", MetricsView.as_view(), name="statistics-metrics"),
    path("statistics/<slug:kind>/<int:pk>/", FiguresView.as_view(), name="statistics-figures"),
    path("statistics/<slug:kind>/<int:pk>/trend/", TrendView.as_view(), name="statistics-trend"),
    path("statistics/<slug:kind>/<int:pk>/compliance/", ComplianceView.as_view(), name="statistics-compliance"),
]
