"""A year of sub-district A with a small catalogue, started (reports generated)."""

from decimal import Decimal

import pytest
from django.utils import timezone

from appraisal import services
from appraisal.models import Category, Indicator, Schedule
from core.models import Role


@pytest.fixture
def planning_year(org):
    office = org.user(Role.OFFICE_STAFF)
    year = services.year_create(acting_user=office, number=timezone.localdate().year)
    cats = {c.code: c for c in Category.objects.filter(year=year)}
    Indicator.objects.create(
        year=year,
        category=cats["LZ"],
        code="LZ-01",
        name="党风廉政建设季度报告",
        max_points=Decimal("5.00"),
        schedule=Schedule.QUARTERLY,
    )
    Indicator.objects.create(
        year=year,
        category=cats["LZ"],
        code="LZ-02",
        name="廉政谈话",
        max_points=Decimal("20.00"),
        schedule=Schedule.NONE,
    )
    Indicator.objects.create(
        year=year,
        category=cats["ZZ"],
        code="ZZ-01",
        name="年度工作计划备案",
        max_points=Decimal("40.00"),
        schedule=Schedule.ANNUAL,
    )
    Indicator.objects.create(
        year=year,
        category=cats["XC"],
        code="XC-01",
        name="意识形态工作",
        max_points=Decimal("20.00"),
    )
    Indicator.objects.create(
        year=year,
        category=cats["QT"],
        code="QT-01",
        name="其他任务",
        max_points=Decimal("15.00"),
    )
    return year


@pytest.fixture
def year(org, planning_year):
    return services.year_advance(year_id=planning_year.pk, acting_user=org.user(Role.OFFICE_STAFF))
