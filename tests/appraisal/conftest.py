"""A year of sub-district A with a small catalogue, started (reports generated)."""

from decimal import Decimal

import pytest
from django.utils import timezone

from appraisal import services
from appraisal.models import Category, Indicator, Schedule
from appraisal.selectors.catalogue import catalogue_digest
from core.models import Role

# code, name, max points, reporting schedule: 4 quarterly + 1 annual report per community
CATALOGUE = [
    ("LZ-01", "党风廉政建设季度报告", "5.00", Schedule.QUARTERLY),
    ("LZ-02", "廉政谈话", "20.00", Schedule.NONE),
    ("ZZ-01", "年度工作计划备案", "40.00", Schedule.ANNUAL),
    ("XC-01", "意识形态工作", "20.00", Schedule.NONE),
    ("QT-01", "其他任务", "15.00", Schedule.NONE),
]


@pytest.fixture
def planning_year(org):
    office = org.user(Role.OFFICE_STAFF)
    year = services.year_create(acting_user=office, number=timezone.localdate().year)
    cats = {c.code: c for c in Category.objects.filter(year=year)}
    for code, name, points, schedule in CATALOGUE:
        Indicator.objects.create(
            year=year,
            category=cats[code.split("-")[0]],
            code=code,
            name=name,
            max_points=Decimal(points),
            schedule=schedule,
        )
    # Art. 5: the Office has approved the catalogue, so the year can start.
    services.catalogue_approve(year_id=year.pk, acting_user=office, digest=catalogue_digest(year))
    year.refresh_from_db()
    return year


@pytest.fixture
def year(org, planning_year):
    return services.year_advance(year_id=planning_year.pk, acting_user=org.user(Role.OFFICE_STAFF))
