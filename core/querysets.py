from django.db import models

from core.scope import scope_for


class ScopedQuerySet(models.QuerySet):
    """A queryset with ``visible_to(user)``: all rows for superusers, else ``scope_filter``."""

    def visible_to(self, user):
        scope = scope_for(user)
        if scope.superuser:
            return self.all()
        if not scope.has_any_role:
            return self.none()
        return self.filter(self.scope_filter(scope))

    def scope_filter(self, scope):  # pragma: no cover - every model defines its own
        raise NotImplementedError
