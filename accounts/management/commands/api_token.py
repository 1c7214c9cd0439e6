"""``manage.py api_token USERNAME``: make (or replace) a user's API token and print its key once.

The key is printed alone on stdout, for scripts (``.ci/schemathesis.sh``); only its digest is stored.
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from accounts.actions import token_create


class Command(BaseCommand):
    help = "Create or replace a user's API token and print the key (shown only this once)."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        try:
            user = get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"no user named {username!r}") from None
        self.stdout.write(token_create(user=user))
