"""What a superuser reading Chinese sees of the back office: the Latin-alphabet words on every
admin index, changelist and add form that are no code, unit or name (used by the test and by hand:
``python -m tests.portal.admin_scan`` lists them for the demo database)."""

import contextlib
import re
from html.parser import HTMLParser

from django.contrib import admin
from django.urls import NoReverseMatch, reverse

# Words that stay in Latin letters in Chinese too: codes, units, names of things.
ALLOWED = {
    "api",
    "id",
    "excel",
    "url",
    "totp",
    "csv",
    "xlsx",
    "json",
    "http",
    "https",
    "ip",
    "utc",
    "cron",
    "celery",
    "email",
    "e-mail",
    "token",
    "otp",
    "pdf",
    "hongfan",
    "django",
    "crontab",
    "sql",
    "uuid",
    "gmt",
    "am",
    "pm",
    "ms",
    "kb",
    "mb",
    "qr",
    "ok",
    "xls",
    "tsv",
    "ods",
    "yaml",
    "html",
    "ics",
    "csrf",
    "args",
    "kwargs",
    "ssl",
    "tls",
    "dn",
    "redis",
    "asia",
    "shanghai",
    "sha",
    "md",
    "pbkdf",
    "argon",
    "bcrypt",
    "iso",
    "png",
    "jpg",
    "jpeg",
    "gif",
    "svg",
    "zip",
    "utf",
}
# Library strings that are no msgid (the library never passes them through gettext), and what
# libraries compute in English (a cron description): left as they are.
UNTRANSLATABLE = ["Crontab translation", "Human readable", "Task Name", "Scheduler", "<unknown>", "Every minute"]
# Keys, names of products and the examples of JSON in help texts.
ALLOWED |= {"amqp", "rabbitmq", "ldap", "control", "command", "mac", "arg", "argument", "value", "m"}
CODE = re.compile(r"\b\w+(?:[._/]\w+)+\b")  # dotted task names, SETTING_NAMES, Asia/Shanghai
WORD = re.compile(r"[A-Za-z][A-Za-z'-]*[A-Za-z]|[A-Za-z]")


class _Visible(HTMLParser):
    """The text a reader sees: no scripts, styles, hidden inputs or data cells of the results."""

    SKIP = {"script", "style", "noscript", "template", "option", "textarea"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.texts = []
        self.stack = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        skip = tag in self.SKIP or "data-hf-data" in attrs or attrs.get("class", "").startswith("field-")
        skip = skip or (tag == "td" and "class" in attrs) or tag == "th" and "field-" in attrs.get("class", "")
        if tag in {"br", "img", "input", "meta", "link", "hr", "col", "wbr", "source"}:
            if tag == "input" and attrs.get("type") in {"submit", "button"} and attrs.get("value"):
                self.texts.append(attrs["value"])
            return
        self.stack.append(skip)
        if skip:
            self.depth += 1
        for name in ("title", "placeholder", "aria-label"):
            if attrs.get(name) and not self.depth:
                self.texts.append(attrs[name])

    def handle_endtag(self, tag):
        if tag in {"br", "img", "input", "meta", "link", "hr", "col", "wbr", "source"} or not self.stack:
            return
        if self.stack.pop():
            self.depth -= 1

    def handle_data(self, data):
        if not self.depth and data.strip():
            self.texts.append(data.strip())


def latin_words(html: str) -> set[str]:
    parser = _Visible()
    parser.feed(html)
    words = set()
    for text in parser.texts:
        for phrase in UNTRANSLATABLE:
            text = text.replace(phrase, " ")
        text = CODE.sub(" ", text)
        for word in WORD.findall(text):
            if word.lower() not in ALLOWED and not (len(word) <= 2 and word.isupper()):
                words.add(word)
    return words


def admin_pages():
    """(label, address) of the admin index, each app index, and each model's changelist and add form."""
    pages = [("index", reverse("admin:index"))]
    apps = set()
    for model, _model_admin in admin.site._registry.items():
        opts = model._meta
        apps.add(opts.app_label)
        pages.append((f"{opts.label} list", reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")))
        with contextlib.suppress(NoReverseMatch):
            pages.append((f"{opts.label} add", reverse(f"admin:{opts.app_label}_{opts.model_name}_add")))
    pages += [(f"{app} index", reverse("admin:app_list", args=[app])) for app in sorted(apps)]
    return pages


def scan(client) -> dict[str, set[str]]:
    found = {}
    for label, url in admin_pages():
        response = client.get(url, headers={"accept-language": "zh-hans"})
        if response.status_code != 200:
            continue
        words = latin_words(response.content.decode())
        if words:
            found[f"{label} {url}"] = words
    return found


if __name__ == "__main__":
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client()
    client.force_login(get_user_model().objects.filter(is_superuser=True).first())
    everything = set()
    for page, words in scan(client).items():
        print(page, sorted(words))
        everything |= words
    print(sorted(everything))
