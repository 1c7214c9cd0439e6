"""Notifications stored before message keys existed get keys when their text is recognised.

Their title and body were stored in the default language (zh-Hans). A text that is the
translation of a msgid of the catalogue, with its placeholders filled, is given that key and the
filled-in values as parameters, so that it too reads in the reader's language. A text that is not
recognised keeps no key and is shown as it was stored.
"""

import re

from django.conf import settings
from django.db import migrations

PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def _patterns():
    from django.utils.translation import trans_real

    catalog = trans_real.translation(settings.LANGUAGE_CODE)._catalog
    patterns = []
    for msgid, translated in catalog.items():
        if not isinstance(msgid, str) or not isinstance(translated, str) or not msgid or "\x04" in msgid:
            continue
        names = PLACEHOLDER.findall(msgid)
        if sorted(names) != sorted(PLACEHOLDER.findall(translated)) or len(set(names)) != len(names):
            continue
        literal = PLACEHOLDER.sub("", translated)
        if names and len(re.sub(r"\W", "", literal)) < 2:  # too little fixed text to recognise anything
            continue
        regex, position = "", 0
        for match in PLACEHOLDER.finditer(translated):
            regex += re.escape(translated[position : match.start()]) + f"(?P<{match.group(1)}>.+?)"
            position = match.end()
        regex += re.escape(translated[position:])
        patterns.append((len(literal), msgid, re.compile(rf"\A{regex}\Z", re.S)))
    patterns.sort(key=lambda p: -p[0])  # the most specific first
    return patterns


def _recognise(text, patterns):
    if not text:
        return ""
    for _size, msgid, regex in patterns:
        match = regex.match(text)
        if match:
            params = match.groupdict()
            return {"t": msgid, "p": params} if params else {"t": msgid}
    return text


def forwards(apps, schema_editor):
    Notification = apps.get_model("notifications", "Notification")
    patterns = None
    for notification in Notification.objects.filter(message__isnull=True).iterator(chunk_size=500):
        patterns = patterns if patterns is not None else _patterns()
        notification.message = {
            "title": _recognise(notification.title, patterns),
            "body": _recognise(notification.body, patterns),
        }
        Notification.objects.filter(pk=notification.pk).update(message=notification.message)


class Migration(migrations.Migration):
    dependencies = [("notifications", "0004_message_keys")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
