"""``manage.py health [component ...]``: the checks of /health/ (core/ops.py), in this process.

Prints the JSON answer and exits 1 when a component failed: the compose healthcheck of the beat
container runs ``manage.py health beat``. Without names: every component.
"""

import json

from django.core.management.base import BaseCommand, CommandError

from core import ops


class Command(BaseCommand):
    help = "Check the database, cache, broker, storage, beat and worker as /health/ does."

    def add_arguments(self, parser):
        parser.add_argument("components", nargs="*", choices=sorted(ops.ALL), metavar="component")

    def handle(self, *args, components, **options):
        checks = {name: ops.ALL[name] for name in components} if components else ops.ALL
        healthy, result = ops.run_checks(checks)
        self.stdout.write(json.dumps({"status": "ok" if healthy else "error", "components": result}))
        if not healthy:
            raise CommandError("unhealthy", returncode=1)
