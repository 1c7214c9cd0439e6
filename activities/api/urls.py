"""Routes of the activities API, registered on the portal's router by ``portal/api.py``."""

from . import views


def register(router):
    router.register("activities", views.ActivityViewSet, basename="activity")
    router.register("activity-files", views.ActivityFileViewSet, basename="activityfile")
    router.register("attendances", views.AttendanceViewSet, basename="attendance")
    router.register("compliance-rules", views.ComplianceRuleViewSet, basename="compliancerule")
    router.register("point-rules", views.PointRuleViewSet, basename="pointrule")
    router.register("point-entries", views.PointEntryViewSet, basename="pointentry")
