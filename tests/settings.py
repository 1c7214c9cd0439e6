"""Settings for the test suite: the portal's own (portal.settings), plus what only tests want.

pyproject.toml points pytest-django here; production code never imports this module. The tests of
the production settings (tests/portal/test_settings.py) run Django in subprocesses with
DJANGO_SETTINGS_MODULE=portal.settings, so they still see the real thing.
"""

from portal.settings import *  # noqa: F403

# The production hasher costs most of a second per password on a busy machine, and the tests create
# hundreds of users.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Django's test set-up swaps in the locmem backend anyway; said here so that no test depends on it.
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
