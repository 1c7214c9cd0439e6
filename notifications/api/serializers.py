from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from core.api import ModelSerializer

from ..models import Notification


class NotificationSerializer(ModelSerializer):
    # In the reader's language (the request's), from the stored message key (core/texts.py).
    title = serializers.CharField(source="display_title", read_only=True)
    body = serializers.CharField(source="display_body", read_only=True)
    read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "title", "body", "url", "created_at", "read_at", "read"]
        read_only_fields = fields

    def get_read(self, obj) -> bool:
        return obj.read_at is not None


class MarkedSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text=_("How many notifications were marked read."))
