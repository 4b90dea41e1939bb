"""export_year YEAR [-o PATH]: the year's inputs as a bundle (year-bundle.md)."""

import json

from django.core.management.base import BaseCommand, CommandError

from appraisal.files.bundle import export_bundle

from ._common import add_sub_district_argument, resolve_year


class Command(BaseCommand):
    help = "导出年度数据包 / Export a year bundle to PATH (default: stdout)."

    def add_arguments(self, parser):
        parser.add_argument("year")
        parser.add_argument("-o", "--output", metavar="PATH", help="write here instead of stdout")
        add_sub_district_argument(parser)

    def handle(self, *args, year, output=None, sub_district=None, **options):
        bundle = export_bundle(resolve_year(year, sub_district))
        text = json.dumps(bundle, ensure_ascii=False, indent=1) + "\n"
        if output:
            try:
                with open(output, "w", encoding="utf-8") as handle:
                    handle.write(text)
            except OSError as exc:
                raise CommandError(f"无法写入 / cannot write {output}: {exc}") from None
            self.stderr.write(f"wrote {output}")
        else:
            self.stdout.write(text, ending="")
