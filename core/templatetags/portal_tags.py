from django import template

register = template.Library()


@register.filter
def display_name(user):
    """A user's name as Chinese writes it: family name first, no space (郭鸿); else the login."""
    family, given = (user.last_name or "").strip(), (user.first_name or "").strip()
    if family or given:
        separator = " " if (family + given).isascii() else ""
        return f"{given}{separator}{family}" if separator else f"{family}{given}"
    return user.get_username()
