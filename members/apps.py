from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "members"
    verbose_name = _("Party members")

    def ready(self):
        from core import cards, scope

        from .models import member_scope

        scope.register_builder(member_scope, order=30)
        cards.register("members.home.member_card", "portal/partials/card_member.html", order=60)
