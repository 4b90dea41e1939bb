"""The demo: the example catalogue and the seeded assessment year (appraisal.demo)."""

import datetime as dt
from decimal import Decimal
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.utils import timezone

from appraisal import catalogue_data
from appraisal.demo import demo_pdf, seed_appraisal
from appraisal.models import (
    SCHEDULE_REPORTS,
    Adjustment,
    AssessedUnit,
    AssessmentYear,
    BonusClaim,
    Category,
    ClaimState,
    Comprehensive,
    Indicator,
    Report,
    Schedule,
    Score,
    Vote,
    YearStatus,
)
from appraisal.results import compute
from core.models import AuditEvent, Evidence, SubDistrict, Unit, UnitKind, WorkItem
from tests.factories import SubDistrictFactory

SH = ZoneInfo("Asia/Shanghai")
MOMENT = dt.datetime(2026, 8, 20, 10, 0, tzinfo=SH)  # a Thursday in the third quarter


@pytest.fixture
def frozen_now(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: MOMENT)
    return MOMENT


@pytest.fixture
def storage(settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"


@pytest.fixture
def demo(settings, storage, frozen_now) -> SubDistrict:
    """The demo sub-district as `seed_demo` builds it (its seeders include seed_appraisal)."""
    settings.DEBUG = True
    call_command("seed_demo", stdout=StringIO())
    return SubDistrict.objects.get(code="xx")


def _counts(sd) -> tuple:
    return (
        AssessmentYear.objects.filter(sub_district=sd).count(),
        Category.objects.count(),
        Indicator.objects.count(),
        AssessedUnit.objects.count(),
        Report.objects.count(),
        Report.objects.filter(submitted_at__isnull=False).count(),
        Score.objects.count(),
        Adjustment.objects.count(),
        BonusClaim.objects.count(),
        Vote.objects.count(),
        Comprehensive.objects.count(),
        Evidence.objects.count(),
        WorkItem.objects.count(),
        AuditEvent.objects.count(),
    )


# ---------------------------------------------------------------- the example catalogue


def test_example_catalogue_follows_art_4_and_adds_up():
    # given the four categories of Art. 4 with their lead lines
    cats = {c.code: c for c in catalogue_data.CATEGORIES}
    assert {(c.name, c.max_points, c.line) for c in cats.values()} == {
        ("党风廉政建设", Decimal(25), "lz"),
        ("组织建设", Decimal(40), "zz"),
        ("宣传意识形态", Decimal(20), "xc"),
        ("其他任务", Decimal(15), ""),
    }
    # then every category's indicators add up to its maximum
    for code, category in cats.items():
        points = [i.max_points for i in catalogue_data.INDICATORS if i.category == code]
        assert sum(points) == category.max_points, code
    codes = [i.code for i in catalogue_data.INDICATORS]
    assert len(codes) == len(set(codes))
    assert 25 <= len(codes) <= 35
    assert all(i.description.endswith("（示例）") for i in catalogue_data.INDICATORS)
    assert "示例目录" in catalogue_data.__doc__
    # and the schedules are mixed, one-off reports carry a due date
    schedules = {i.schedule for i in catalogue_data.INDICATORS}
    assert schedules == {
        Schedule.NONE,
        Schedule.ONCE,
        Schedule.ANNUAL,
        Schedule.QUARTERLY,
        Schedule.MONTHLY,
    }
    assert all(
        (i.due is not None) == (i.schedule == Schedule.ONCE) for i in catalogue_data.INDICATORS
    )


def test_art_8_filing_is_one_indicator_due_in_the_first_quarter():
    filings = [i for i in catalogue_data.INDICATORS if "书记领办项目" in i.name + i.description]
    assert len(filings) == 1
    (filing,) = filings
    assert filing.schedule == Schedule.ONCE
    assert filing.due[0] <= 3
    assert "年度工作计划" in filing.description and "重点项目" in filing.description


def test_demo_pdf_is_accepted_as_evidence():
    from django.core.files.uploadedfile import SimpleUploadedFile

    from core import evidence

    data = demo_pdf("Demo (evidence)")
    assert data.startswith(b"%PDF-1.4") and data.rstrip().endswith(b"%%EOF")
    checked = evidence.check_upload(SimpleUploadedFile("x.pdf", data))
    assert checked.file_type == "pdf"


# ---------------------------------------------------------------- the seeded year


@pytest.mark.django_db
def test_the_year_is_in_progress_with_reports_on_time_late_and_missing(demo, frozen_now):
    year = AssessmentYear.objects.get(sub_district=demo)
    assert year.year == 2026
    assert year.status == YearStatus.IN_PROGRESS
    assert year.claim_declare_by == dt.datetime(2026, 6, 30, 23, 59, 59, tzinfo=SH)
    communities = Unit.objects.filter(sub_district=demo, kind=UnitKind.COMMUNITY)
    assert AssessedUnit.objects.filter(year=year).count() == communities.count() == 15
    # the example catalogue, led by the sub-district's departments and the Office
    assert sorted(Indicator.objects.filter(year=year).values_list("code", flat=True)) == sorted(
        i.code for i in catalogue_data.INDICATORS
    )
    leads = {c.code: c.lead_unit for c in Category.objects.filter(year=year)}
    assert leads["LZ"].line == "lz" and leads["ZZ"].line == "zz" and leads["XC"].line == "xc"
    assert leads["QT"].kind == UnitKind.OFFICE
    # every community has its report tasks
    expected = sum(SCHEDULE_REPORTS[i.schedule] for i in catalogue_data.INDICATORS)
    for unit in communities:
        assert Report.objects.filter(year=year, unit=unit).count() == expected, unit.code
    # past-due reports: mostly on time, some late, some missing (Art. 12)
    past = list(Report.objects.filter(year=year, due_at__lt=frozen_now))
    on_time = [r for r in past if r.counted]
    late = [r for r in past if r.late]
    missing = [r for r in past if r.submitted_at is None]
    assert on_time and late and missing
    assert len(on_time) > len(late) + len(missing)
    # no report is stamped in the future, and nothing due later is marked late
    assert not Report.objects.filter(submitted_at__gt=frozen_now).exists()
    assert all(not r.late for r in Report.objects.filter(year=year, due_at__gte=frozen_now))
    # a missing report is still open (overdue) in the community's inbox; a filed one is closed
    assert WorkItem.objects.get(subject_type__model="report", subject_id=missing[0].pk).state == (
        "open"
    )
    assert WorkItem.objects.get(subject_type__model="report", subject_id=late[0].pk).state == (
        "done"
    )


@pytest.mark.django_db
def test_the_rest_of_the_year_is_lively(demo, frozen_now):
    year = AssessmentYear.objects.get(sub_district=demo)
    assert Score.objects.filter(year=year).count() > 100
    assert Adjustment.objects.filter(year=year).count() == 2
    states = set(BonusClaim.objects.filter(year=year).values_list("status", flat=True))
    assert states == {
        ClaimState.DECLARED,
        ClaimState.OFFICE_REVIEWED,
        ClaimState.APPROVED,
        ClaimState.REJECTED,
    }
    assert all(not c.late for c in BonusClaim.objects.filter(year=year))
    assert Evidence.objects.filter(subject_type__model="bonusclaim").count() == 4
    assert Vote.objects.filter(year=year).count() == 12
    assert Comprehensive.objects.filter(year=year).count() == 8
    # and the results can be computed from it; the approved claim's publicity is over
    results = compute(year, as_of=frozen_now).results
    assert len(results.units) == 15
    assert sum(len(u.claims_counted) for u in results.units) == 1


@pytest.mark.django_db
def test_seeding_twice_creates_nothing_the_second_time(demo):
    before = _counts(demo)
    assert seed_appraisal(demo) == 0
    call_command("seed_demo", stdout=StringIO())
    assert _counts(demo) == before


@pytest.mark.django_db
def test_seed_returns_the_objects_it_created(org, storage, frozen_now):
    # given the small test sub-district (two communities, departments named like "A-lz")
    created = seed_appraisal(org.sd)
    year = AssessmentYear.objects.get(sub_district=org.sd)
    assert year.status == YearStatus.IN_PROGRESS
    assert created > Report.objects.filter(year=year).count() > 0
    # two communities: only the first claim applies; one late and one missing report all the same
    assert BonusClaim.objects.filter(year=year).count() == 1
    past = Report.objects.filter(year=year, due_at__lt=frozen_now)
    assert any(r.late for r in past) and any(r.submitted_at is None for r in past)
    assert seed_appraisal(org.sd) == 0


@pytest.mark.django_db
def test_nothing_without_an_office_user(frozen_now):
    sd = SubDistrictFactory()
    assert seed_appraisal(sd) == 0
    assert not AssessmentYear.objects.filter(sub_district=sd).exists()
