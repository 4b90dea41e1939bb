"""appraisal_results YEAR --format json [--as-of ISO-8601]: the results (year-bundle.md)."""

import json

from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime

from appraisal.results import compute, results_document

from ._common import add_sub_district_argument, resolve_year


class Command(BaseCommand):
    help = "输出年度考核结果 / Print the year's results as JSON."

    def add_arguments(self, parser):
        parser.add_argument("year")
        parser.add_argument("--format", choices=["json"], default="json")
        parser.add_argument(
            "--as-of",
            metavar="ISO-8601",
            help="the instant for the publicity decision (default: the year's as_of, else now)",
        )
        add_sub_district_argument(parser)

    def handle(self, *args, year, as_of=None, sub_district=None, **options):
        when = None
        if as_of:
            try:
                when = parse_datetime(as_of)
            except ValueError:
                when = None
            if when is None or when.tzinfo is None:
                raise CommandError(
                    f"--as-of {as_of!r} 不是带时区的时间 / is not an ISO-8601 time with an offset"
                )
        computed = compute(resolve_year(year, sub_district), as_of=when)
        self.stdout.write(json.dumps(results_document(computed), ensure_ascii=False, indent=1))
