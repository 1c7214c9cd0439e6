"""``manage.py seed_demo``: the demo parks, committees, members and logins (idempotent)."""

import time

from django.core.management.base import BaseCommand

from demo import seed as demo
from demo import summary


class Command(BaseCommand):
    help = (
        "Load the demo data (parks and party committees of 桐乡, 南湖, 官渡 and 海曙, with one login per "
        "role), then each app's demo data. Deterministic; running it again creates nothing new."
    )

    def handle(self, *args, **options):
        started = time.monotonic()
        result = demo.seed_core()
        hooks = demo.run_app_hooks(stdout=self.stdout, logins=result.logins)
        demo.seed_statistics(stdout=self.stdout)
        summary.print_summary(stdout=self.stdout, result=result, hooks=hooks, seconds=time.monotonic() - started)
