from django import template

from core import people

register = template.Library()


@register.filter
def person(user):
    """The name a person is shown by (``core.people.display_name``): 余斌, Anna Li; else the login."""
    return people.display_name(user)


# The older name of the same filter.
display_name = register.filter("display_name", person)
