"""Rebuild the statistics summary tables from the raw activity and attendance rows."""

import time

from django.core.management.base import BaseCommand, CommandError

from core.periods import Period
from stats.statistics import refresh_summaries


class Command(BaseCommand):
    help = "Rebuild the per-organisation monthly statistics summary (all, or some months/organisations)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--period",
            action="append",
            default=[],
            help="A month, quarter or year to rebuild: 2026-04, 2026-Q2 or 2026 (repeatable). Default: all.",
        )
        parser.add_argument("--organization", action="append", type=int, default=[], help="An organisation id.")

    def handle(self, *args, period, organization, **options):
        months = set()
        for value in period:
            try:
                stat_period = Period.parse(value)
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
            month = stat_period.start
            while month < stat_period.end:
                months.add(month)
                month = Period("month", month).end
        started = time.perf_counter()
        written = refresh_summaries(organization_ids=organization or None, months=sorted(months) or None)
        elapsed = time.perf_counter() - started
        self.stdout.write(f"{written} summary rows written in {elapsed:.1f} s")
        return None
