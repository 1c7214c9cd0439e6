"""``{% idempotency_token %}``: the hidden token that makes a create form's POST happen once
(``core.idempotency``). Put it inside the ``<form>``, next to ``{% csrf_token %}``."""

from django import template
from django.utils.html import format_html

from core.idempotency import FORM_FIELD, new_token, valid_form_token

register = template.Library()


@register.simple_tag(takes_context=True)
def idempotency_token(context):
    """A new token per rendered form; a form shown again after a refused POST keeps the token it
    was sent with, so that a double submit of the corrected form is still caught."""
    request = context.get("request")
    posted = request.POST.get(FORM_FIELD) if request is not None and request.method == "POST" else None
    token = posted if valid_form_token(posted) else new_token()
    return format_html('<input type="hidden" name="{}" value="{}">', FORM_FIELD, token)
