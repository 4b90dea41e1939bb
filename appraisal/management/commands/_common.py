"""What the year-bundle commands share: which sub-district, which year, bilingual errors."""

from django.core.management.base import CommandError

from appraisal.models import AssessmentYear
from core.models import SubDistrict


def add_sub_district_argument(parser) -> None:
    parser.add_argument(
        "--sub-district",
        metavar="CODE",
        help="街道代码 / the sub-district's code (needed only when there are several).",
    )


def resolve_sub_district(code: str | None, *, create: bool = False) -> SubDistrict:
    if code:
        found = SubDistrict.objects.filter(code=code).first()
        if found is None:
            raise CommandError(f"没有代码为 {code} 的街道 / no sub-district with code {code}")
        return found
    all_ = list(SubDistrict.objects.all()[:2])
    if len(all_) == 1:
        return all_[0]
    if not all_ and create:
        # An empty installation receiving its first bundle.
        return SubDistrict.objects.create(name="导入的街道", code="imported")
    if not all_:
        raise CommandError("还没有任何街道 / there is no sub-district yet")
    raise CommandError(
        "有多个街道，请用 --sub-district 指定 / several sub-districts: name one with --sub-district"
    )


def resolve_year(year: str, code: str | None) -> AssessmentYear:
    try:
        number = int(year)
    except ValueError:
        raise CommandError(f"{year!r} 不是年份 / is not a year") from None
    sub_district = resolve_sub_district(code)
    found = AssessmentYear.objects.filter(sub_district=sub_district, year=number).first()
    if found is None:
        raise CommandError(
            f"{sub_district.name} 没有 {number} 年度考核 / no assessment year {number} "
            f"in {sub_district.code}"
        )
    return found
