import importlib

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import ProtectedError

from cswb.lib.demo import FIELD, demo_delete, demo_models, describe, merge

# Order matters: issues and grants refer to action tables and geographies; the plan to all four.
REFERENCE_APPS = ["actiontables", "indicators", "grants", "issues", "plan"]


def reference_modules():
    """Yield (app, module) for every app with a ``reference`` module, in loading order."""
    for app in REFERENCE_APPS:
        try:
            module = importlib.import_module(f"{app}.reference")
        except ModuleNotFoundError as exc:
            if exc.name != f"{app}.reference":
                raise
            continue
        yield app, module


class Command(BaseCommand):
    help = (
        "Load Halton's reference data: facts only (leadership group, action tables, indicators "
        "and the figures Halton has published, the grant fund and its 2023 intake, triage "
        "contacts, the 2017 plan). --demo adds made-up rows to try the portal with (an open "
        "grant intake, generated indicator series), flagged and labelled as demonstration; "
        "--remove-demo deletes them. Safe to run again: existing rows are left as they are."
    )

    def add_arguments(self, parser):
        group = parser.add_mutually_exclusive_group()
        group.add_argument(
            "--demo", action="store_true",
            help="Also load the demonstration rows (for a laptop; never in production).",
        )
        group.add_argument(
            "--remove-demo", action="store_true",
            help="Delete every demonstration row, with what depends only on it, and load nothing.",
        )

    def handle(self, *args, demo=False, remove_demo=False, **options):
        if remove_demo:
            self.remove_demo()
            return
        for app, module in reference_modules():
            with transaction.atomic():
                summary = module.load()
            self.stdout.write(f"{app}: {summary}")
        if demo:
            for app, module in reference_modules():
                if hasattr(module, "load_demo"):
                    with transaction.atomic():
                        summary = module.load_demo()
                    self.stdout.write(f"{app}: {summary}")
        self.stdout.write(self.style.SUCCESS(
            "Reference data is loaded" + (", with the demonstration rows." if demo else ".")
        ))

    def remove_demo(self):
        """Delete through each app's ``remove_demo`` (which knows the order its rows must go
        in), then whatever flagged rows remain, in one transaction."""
        removed: dict[str, int] = {}
        try:
            with transaction.atomic():
                for _app, module in reference_modules():
                    if hasattr(module, "remove_demo"):
                        removed = merge(removed, module.remove_demo())
                for model in demo_models():
                    removed = merge(
                        removed, demo_delete(model._default_manager.filter(**{FIELD: True}))
                    )
        except ProtectedError as exc:
            blocking = sorted({str(obj) for obj in exc.protected_objects})[:5]
            raise CommandError(
                "Nothing was removed: rows that are not demonstration data use demonstration "
                f"rows ({'; '.join(blocking)}). Change or delete them in the admin first."
            ) from exc
        self.stdout.write(f"Removed {describe(removed)}.")
