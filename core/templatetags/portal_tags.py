import re

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

from core import people

register = template.Library()


@register.filter
def person(user):
    """The name a person is shown by (``core.people.display_name``): 余斌, Anna Li; else the login."""
    return people.display_name(user)


# The older name of the same filter.
display_name = register.filter("display_name", person)


_ISO_DAY = re.compile(r"\d{4}-\d{2}(?:-\d{2})?")


@register.filter(needs_autoescape=True)
def keep_dates(text, autoescape=True):
    """``text`` with each ISO day or month (2026-12-02, 2026-12) kept on one line: a narrow
    column's caption wraps between words, never inside a date ("2026-12-" / "02")."""
    text = conditional_escape(text) if autoescape else str(text)
    return mark_safe(_ISO_DAY.sub(lambda m: f'<span class="text-nowrap">{m.group(0)}</span>', str(text)))
