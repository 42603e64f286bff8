from django.core.management.base import BaseCommand, CommandError

from indicators import services
from indicators.models import RemoteSource


class Command(BaseCommand):
    help = (
        "Fetch every active remote source now (Statistics Canada tables through the Web Data "
        "Service, and files at an address), print one line per source, then refresh the "
        "dashboard. A source that fails keeps its previous figures."
    )

    def add_arguments(self, parser):
        parser.add_argument("--source", type=int, action="append", default=[], metavar="ID",
                            help="fetch only this source (repeat for several)")
        parser.add_argument("--force", action="store_true",
                            help="download even tables whose release time has not changed")

    def handle(self, *args, source, force, **options):
        if source:
            missing = set(source) - set(RemoteSource.objects.filter(pk__in=source)
                                        .values_list("pk", flat=True))
            if missing:
                raise CommandError(f"No source has the id {', '.join(map(str, missing))}.")
            outcomes = services.sources_fetch(source, force=force)
        else:
            outcomes = services.sources_fetch_all(force=force)
        for outcome in outcomes:
            style = {"failed": self.style.ERROR, "waiting": self.style.WARNING}.get(
                outcome.status, str)
            self.stdout.write(style(f"{outcome.source.name}: {outcome.message}"))
        if not outcomes:
            self.stdout.write("No active source to fetch.")
        result = services.dashboard_refresh()
        if result is None:
            self.stdout.write("The dashboard is being refreshed by another process.")
        else:
            self.stdout.write(self.style.SUCCESS(
                f"Dashboard refreshed: {result.indicators} indicators, {result.failures} failed."
            ))
