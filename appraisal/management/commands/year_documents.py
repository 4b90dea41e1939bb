"""year_documents YEAR [--sub-district CODE] -o DIR [--format docx|pdf|both]: the year's
written results (Art. 16–18) as files — DIR/<unit code>.docx|.pdf per community and
DIR/bulletin.docx|.pdf|.xlsx. A year not yet published gets the same documents marked 草稿
(draft), for checking an imported year before anything is published."""

from __future__ import annotations

import re
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from appraisal.documents.build import year_documents
from appraisal.documents.facts import year_facts

from ._common import add_sub_district_argument, resolve_year

FORMATS = {"docx": ("docx",), "pdf": ("pdf",), "both": ("docx", "pdf")}
SAFE_NAME = re.compile(r"^[0-9A-Za-z\u4e00-\u9fff][0-9A-Za-z\u4e00-\u9fff._-]*$")


class Command(BaseCommand):
    help = (
        "生成年度考核的书面反馈和结果通报 / Write the year's feedback letters and results "
        "bulletin (草稿 / draft until the year is published)."
    )

    def add_arguments(self, parser):
        parser.add_argument("year")
        parser.add_argument("-o", "--output", required=True, metavar="DIR")
        parser.add_argument("--format", choices=sorted(FORMATS), default="both")
        add_sub_district_argument(parser)

    def handle(self, *args, year, output, format, sub_district=None, **options):
        found = resolve_year(year, sub_district)
        target = Path(output)
        if target.exists() and not target.is_dir():
            raise CommandError(f"{output} 不是目录 / is not a directory")
        try:
            target.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CommandError(f"无法创建目录 {output} / cannot create it: {exc}") from None
        started = time.monotonic()
        facts = year_facts(found)
        written = 0
        for filename, content in year_documents(facts=facts, formats=FORMATS[format]):
            if not SAFE_NAME.match(filename) or ".." in filename:
                raise CommandError(
                    f"单位编码不能用作文件名：{filename!r} / a unit code is not a safe file name"
                )
            (target / filename).write_bytes(content)
            written += 1
        state = "草稿 / draft" if facts.draft else "已公布 / published"
        self.stdout.write(
            f"{found.year}：{written} 个文件（{state}）写入 {target} / {written} files written "
            f"in {time.monotonic() - started:.1f} s"
        )
