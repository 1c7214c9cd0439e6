"""Back office for the member lifecycle: read-only, since every step goes through members.actions
(the pages), which checks the rules, writes the timeline and notifies the next actor."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdmin, ReadOnlyMixin, ScopedInline

from .models import ApplicationTalk, DuesPayment, Transfer, TransferEvent


class TransferEventInline(ReadOnlyMixin, ScopedInline):
    model = TransferEvent
    extra = 0
    fields = ("at", "action", "from_status", "to_status", "actor", "note", "detail_shown")
    readonly_fields = fields

    @admin.display(description=_("detail"))
    def detail_shown(self, event):
        return event.detail_display


@admin.register(Transfer)
class TransferAdmin(ReadOnlyAdmin):
    list_display = (
        "member",
        "kind",
        "status",
        "from_organization",
        "to_organization",
        "outside_organization",
        "requested_at",
        "letter_valid_until",
    )
    list_filter = ("kind", "status")
    list_select_related = ("member", "from_organization", "to_organization")
    search_fields = ("member__name", "outside_organization", "reason")
    date_hierarchy = "requested_at"
    inlines = [TransferEventInline]


@admin.register(DuesPayment)
class DuesPaymentAdmin(ReadOnlyAdmin):
    list_display = ("member", "month", "category", "amount_due", "amount_paid", "paid_on")
    list_filter = ("category",)
    list_select_related = ("member",)
    search_fields = ("member__name",)
    date_hierarchy = "month"


@admin.register(ApplicationTalk)
class ApplicationTalkAdmin(ReadOnlyAdmin):
    list_display = ("member", "held_on", "held_by")
    list_select_related = ("member",)
    search_fields = ("member__name",)
