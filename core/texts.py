"""Texts the system writes now for people to read later, in THEIR language.

A notification, for example, is read days after it was sent, by someone who may read English
while the sender's request was in Chinese. So the system does not store the translated sentence:
it stores the message key (the English msgid of the catalogue) and its parameters, as JSON, and
translates at display time in the reader's language::

    notify(title=Text(_("New micro-wish: %(need)s"), need=wish.need), ...)

``_`` is ``gettext_lazy`` (so makemessages finds the msgid and the key is the msgid itself, never a
translation). Parameters are kept as they are (what users wrote: names, titles) except lazy
translations and nested ``Text``, which are translated too when the text is shown (a status label,
for example). ``render`` shows a stored value in the active language; a plain string (rows stored
before this existed) is shown as it is.

A sentence with a count is given as ``ngettext_lazy(singular, plural, "n")``, naming the parameter
that holds the count (an int): the form is chosen when the text is shown, by the plural rule of the
reader's language. It is stored as ``{"t": singular, "pl": plural, "n": "n", "p": {...}}``.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext, ngettext, pgettext


def _msgid(message) -> tuple[str, str]:
    """(context, msgid) of a lazy translation or a plain msgid."""
    if isinstance(message, Promise):
        args = getattr(message, "_args", ())
        if len(args) == 1 and isinstance(args[0], str):
            return "", args[0]
        if len(args) == 2 and all(isinstance(a, str) for a in args):  # pgettext_lazy(context, message)
            return args[0], args[1]
        return "", str(message)  # an unknown kind of promise: its text now
    return "", str(message)


def _plural(message) -> tuple[str, str, str] | None:
    """(singular, plural, name of the count parameter) of ``ngettext_lazy(s, p, "name")``, else None."""
    kwargs = getattr(message, "_kw", None) or {}
    if not isinstance(message, Promise) or not {"singular", "plural"} <= kwargs.keys():
        return None
    # Django keeps the name of the count parameter only in the proxy's pickling recipe.
    reduce = getattr(message, "__reduce__", None)
    recipe = reduce() if callable(reduce) else None
    try:
        number = recipe[1][2]
    except (TypeError, IndexError, KeyError):
        return None
    return (kwargs["singular"], kwargs["plural"], number) if isinstance(number, str) else None


def _param(value) -> Any:
    if isinstance(value, Text):
        return value.as_json()
    if isinstance(value, Promise):
        context, msgid = _msgid(value)
        return {"t": msgid, **({"c": context} if context else {})}
    if isinstance(value, bool | int | float) or value is None:
        return value
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


class Text:
    """A message key with its parameters, translated only when shown."""

    def __init__(self, message, **params):
        self.plural = _plural(message)
        if self.plural is not None:
            self.context, self.msgid = "", self.plural[0]
            if not isinstance(params.get(self.plural[2]), int):
                raise TypeError(f"The count {self.plural[2]!r} of a plural text must be given as an int.")
        else:
            self.context, self.msgid = _msgid(message)
        self.params = {name: _param(value) for name, value in params.items()}

    def as_json(self) -> dict:
        data = {"t": self.msgid}
        if self.plural is not None:
            data["pl"], data["n"] = self.plural[1], self.plural[2]
        if self.context:
            data["c"] = self.context
        if self.params:
            data["p"] = self.params
        return data

    def __str__(self):
        return render(self.as_json())

    def __repr__(self):
        return f"Text({self.msgid!r}, **{self.params!r})"


def stored(value) -> Any:
    """What to store for ``value``: the JSON of a ``Text`` or a lazy translation; other values as text."""
    if value is None or value == "":
        return ""
    if isinstance(value, Text | Promise):
        return _param(value)
    return str(value)


def _render_param(value):
    if isinstance(value, dict) and "t" in value:
        return render(value)
    return value


def render(value) -> str:
    """A stored text in the active language: ``{"t": msgid, "c": context, "p": params}`` or plain text."""
    if value is None:
        return ""
    if not isinstance(value, dict):
        return str(value)
    msgid = str(value.get("t", ""))
    context = value.get("c")
    params = value.get("p")
    if "pl" in value:  # a sentence with a count: the reader's language chooses the form
        count = (params or {}).get(value.get("n"))
        plural = str(value["pl"])
        if isinstance(count, int):
            text = ngettext(msgid, plural, count)
            msgid = msgid if count == 1 else plural  # the English form, should the translation fail
        else:
            text = msgid
    else:
        text = pgettext(context, msgid) if context else gettext(msgid)
    if not params:
        return text
    try:
        return text % {name: _render_param(param) for name, param in params.items()}
    except (KeyError, TypeError, ValueError):  # a translation that lost a placeholder: the English then
        try:
            return msgid % {name: _render_param(param) for name, param in params.items()}
        except (KeyError, TypeError, ValueError):
            return msgid
