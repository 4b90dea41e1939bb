"""import_year PATH: one year bundle in, all or nothing (year-bundle.md)."""

import json
import sys

from django.core.management.base import BaseCommand, CommandError

from appraisal.files.bundle import BundleError, parse
from appraisal.services.year_import import import_bundle

from ._common import add_sub_district_argument, resolve_sub_district


class Command(BaseCommand):
    help = "导入年度数据包 / Import a year bundle (PATH, or - for stdin). All or nothing."

    def add_arguments(self, parser):
        parser.add_argument("path", help="the bundle file, or - for stdin")
        add_sub_district_argument(parser)

    def handle(self, *args, path, sub_district=None, **options):
        try:
            if path == "-":
                text = sys.stdin.read()
            else:
                with open(path, encoding="utf-8") as handle:
                    text = handle.read()
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"无法读取 / cannot read {path}: {exc}") from None
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CommandError(
                f"不是有效的 JSON / not valid JSON: line {exc.lineno} column {exc.colno}: {exc.msg}"
            ) from None
        try:
            parsed = parse(raw)
            target = resolve_sub_district(sub_district, create=True)
            counts = import_bundle(parsed, target)
        except BundleError as exc:
            raise CommandError(
                f"数据包有误，未导入任何内容 / bad bundle, nothing imported: {exc.bilingual()}"
            ) from None
        summary = ", ".join(f"{k} {v}" for k, v in counts.items())
        self.stdout.write(f"imported {parsed.year} into {target.code}: {summary}")
