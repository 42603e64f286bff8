import time

from django.core.management.base import BaseCommand, CommandError

from indicators.files import FileRejected
from indicators.importing import ImportRejected
from indicators.models import Indicator
from indicators.statcan import CiMapping, parse_filters, statcan_import


class Command(BaseCommand):
    help = (
        "Import a Statistics Canada full-table CSV into one indicator: the rows that match the "
        "dimension filter, for Ontario, Halton and its municipalities (matched by DGUID). "
        "All or nothing: a bad row imports nothing and is named."
    )

    def add_arguments(self, parser):
        parser.add_argument("csv_file", help="the table's data CSV (unzipped)")
        parser.add_argument("--indicator", required=True, help="the indicator's slug")
        parser.add_argument(
            "--filter", action="append", default=[], metavar="COLUMN=VALUE",
            help="keep rows whose COLUMN equals VALUE (repeat for several dimensions)",
        )
        parser.add_argument(
            "--ci-column", metavar="COLUMN",
            help="the column whose label tells value rows from confidence-interval rows "
                 "(e.g. Characteristics); give the three labels below with it",
        )
        parser.add_argument("--value-label", metavar="LABEL", help="e.g. Percent")
        parser.add_argument("--low-label", metavar="LABEL",
                            help="e.g. Low 95% confidence interval - percent")
        parser.add_argument("--high-label", metavar="LABEL",
                            help="e.g. High 95% confidence interval - percent")
        parser.add_argument(
            "--replace", action="store_true",
            help="make the table the indicator's whole series (delete its other observations)",
        )

    def handle(self, *args, csv_file, indicator, filter, replace, ci_column=None,
               value_label=None, low_label=None, high_label=None, **options):
        try:
            target = Indicator.objects.get(slug=indicator)
        except Indicator.DoesNotExist:
            raise CommandError(f"No indicator has the slug {indicator!r}.") from None
        started = time.monotonic()
        show = self.stdout.isatty() if hasattr(self.stdout, "isatty") else False

        def progress(done):
            rate = done / max(time.monotonic() - started, 0.001)
            line = f"read {done:,} rows ({rate:,.0f} rows/s)"
            if show:
                self.stdout.write(f"\r{line}", ending="")
            else:
                self.stdout.write(line)

        ci = None
        if ci_column:
            if not (value_label and low_label and high_label):
                raise CommandError("--ci-column needs --value-label, --low-label and "
                                   "--high-label.")
            ci = CiMapping(ci_column, value_label, low_label, high_label)
        try:
            filters = parse_filters("\n".join(filter))
            with open(csv_file, encoding="utf-8-sig", newline="") as lines:
                result = statcan_import(
                    lines, indicator=target, filters=filters, replace=replace, ci=ci,
                    progress=progress,
                )
        except OSError as exc:
            raise CommandError(f"Cannot read {csv_file}: {exc.strerror}.") from None
        except (FileRejected, ImportRejected) as exc:
            if show:
                self.stdout.write("")
            self.stderr.write("Nothing was imported:")
            raise CommandError(str(exc)) from None
        if show:
            self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(
            f"{result.kept} observations imported into {target.slug} from {result.read:,} rows "
            f"in {time.monotonic() - started:.1f} s."
        ))
