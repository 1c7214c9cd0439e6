from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "members"
    verbose_name = _("Party members")

    def ready(self):
        """Registers with the layers below (docs/architecture.md). The imports are here because
        models and the modules that use them load only once the app registry is ready."""
        from core import cards, importing, people, scope

        from .models import member_name, member_scope
        from .resources import DuesPaymentResource, MemberResource

        scope.register_builder(member_scope, order=30)
        people.register_name_source(member_name)
        importing.register(MemberResource)
        importing.register(DuesPaymentResource)
        cards.register("members.home.member_card", "portal/partials/card_member.html", order=60)
        cards.register("members.home.pipeline_card", "members/partials/card_pipeline.html", order=45)
