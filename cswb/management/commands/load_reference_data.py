import importlib

from django.core.management.base import BaseCommand
from django.db import transaction

# Order matters: issues and grants refer to action tables and geographies; the plan to all four.
REFERENCE_APPS = ["actiontables", "indicators", "grants", "issues", "plan"]


class Command(BaseCommand):
    help = (
        "Load Halton's reference data (leadership group, action tables, indicators, the grant "
        "fund and rounds, triage contacts, the 2017 plan). Safe to run again: existing rows are "
        "left as they are."
    )

    def handle(self, *args, **options):
        for app in REFERENCE_APPS:
            try:
                module = importlib.import_module(f"{app}.reference")
            except ModuleNotFoundError as exc:
                if exc.name != f"{app}.reference":
                    raise
                continue
            with transaction.atomic():
                summary = module.load()
            self.stdout.write(f"{app}: {summary}")
        self.stdout.write(self.style.SUCCESS("Reference data is loaded."))
