"""How a person (a login) is named on every page, timeline, export, e-mail and API answer.

``display_name(user)`` is the one rule: the name of the party member the login is linked to, if
any (registered by members: the foundation does not know members); else the login's own name,
family name first with no space for Chinese (余斌), "First Last" for Latin names (Anna Li); the
login itself (``username``) only when no name is known. Templates write ``{{ user|person }}``
(``core.templatetags.portal_tags``).
"""

from collections.abc import Callable

# Each source takes a user and returns a name, or None / "" when it knows none. Registered from an
# app's ``AppConfig.ready`` (docs/architecture.md), asked in order of registration.
_SOURCES: list[Callable[[object], str | None]] = []


def register_name_source(source: Callable[[object], str | None]) -> None:
    """Add a source of people's names (once; registering the same function again changes nothing)."""
    if all(existing is not source for existing in _SOURCES):
        _SOURCES.append(source)


def compose_name(*, family: str, given: str) -> str:
    """A name from its parts: "余斌" (CJK: family name first, no space), "Anna Li" (Latin: given
    name first, one space); either part may be missing."""
    family, given = (family or "").strip(), (given or "").strip()
    if not (family and given):
        return family or given
    if (family + given).isascii():
        return f"{given} {family}"
    return f"{family}{given}"


def display_name(user) -> str:
    """The name a person is shown by (see the module docstring); "" for no user."""
    if user is None:
        return ""
    for source in _SOURCES:
        name = source(user)
        if name:
            return name
    name = compose_name(family=getattr(user, "last_name", ""), given=getattr(user, "first_name", ""))
    return name or user.get_username()
