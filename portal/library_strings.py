"""Strings of the libraries' back-office pages that their own catalogues leave in English.

Our catalogue (locale/, first in LOCALE_PATHS) is searched before the libraries' ones, so a msgid
listed here with its translation in locale/zh_Hans/LC_MESSAGES/django.po shows in Chinese wherever
the library shows it. They are marked with ``gettext_noop`` only so that ``make messages`` keeps
them (it drops msgids that no source file uses). To translate another library string: copy its
msgid exactly (from the library's source or its .po), add it here, run ``make messages`` and
translate it in the .po. A msgid here overrides the library's own translation too (as "Change"
does: 修改, not 变化).
"""

from django.utils.translation import gettext_noop

LIBRARY_STRINGS = [
    # Django's admin (5.2): the screen-reader headings of the index.
    gettext_noop("Model name"),
    gettext_noop("Add link"),
    gettext_noop("Change or view list link"),
    gettext_noop("After you’ve created a user, you’ll be able to edit more user options."),
    # django-axes: its models and columns (it has no Chinese catalogue).
    gettext_noop("access attempt"),
    gettext_noop("access attempts"),
    gettext_noop("access log"),
    gettext_noop("access logs"),
    gettext_noop("access failure"),
    gettext_noop("access failures"),
    gettext_noop("access attempt expiration"),
    gettext_noop("access attempt expirations"),
    gettext_noop("Attempt Time"),
    gettext_noop("Logout Time"),
    gettext_noop("Locked Out"),
    gettext_noop("Path"),
    gettext_noop("IP Address"),
    gettext_noop("User Agent"),
    gettext_noop("Username"),
    gettext_noop("Failed Logins"),
    gettext_noop("Form Data"),
    gettext_noop("GET Data"),
    gettext_noop("POST Data"),
    gettext_noop("Meta Data"),
    gettext_noop("HTTP Accept"),
    gettext_noop("Expires At"),
    gettext_noop("Session key hash (sha256)"),
    gettext_noop("Attempt Remaining"),
    gettext_noop("Not set"),
    gettext_noop("Access lock out"),
    # django-celery-beat: what its Chinese catalogue lacks or leaves half in English.
    gettext_noop("Schedule"),
    gettext_noop("Arguments"),
    gettext_noop("Execution Options"),
    gettext_noop("Periodic Tasks Using This Schedule"),
    gettext_noop('Cron Months (1-12) Of The Year to Run. Use "*" for "all". (Example: "1,12")'),
    gettext_noop('Cron Days Of The Week to Run. Use "*" for "all", Sunday is 0 or 7, Monday is 1. (Example: "0,5")'),
    gettext_noop('Cron Minutes to Run. Use "*" for "all". (Example: "0,30")'),
    gettext_noop('Cron Hours to Run. Use "*" for "all". (Example: "8,20")'),
    gettext_noop('Cron Days Of The Month to Run. Use "*" for "all". (Example: "1,15")'),
    gettext_noop(
        "Datetime that the schedule last triggered the task to run. Reset to None if enabled is set to False."
    ),
    gettext_noop("If True, the schedule will only run the task a single time"),
    gettext_noop("Set to False to disable the schedule"),
    gettext_noop("Queue defined in CELERY_TASK_QUEUES. Leave None for default queuing."),
    # The login protection (axes) has no app name of its own: see PortalConfig.ready.
    gettext_noop("Login protection"),
]
