"""Fixtures of the plans' tests: a community's plan made from fed-back problems the way the
publication makes it (rectification.plans.creation + the plan process), without running a whole
year-end appraisal."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from rectification.models import PlanItemSource
from rectification.plans.creation import ProblemInput, plan_create

PROBLEMS = (
    ProblemInput(
        source_kind=PlanItemSource.OPINION,
        problem="【党风廉政建设·1.1】牵头部门意见：廉政谈话记录不全。",
        source_ref="appraisal.year:1:opinion:1:1.1:",
        category_code="1",
        category_name="党风廉政建设",
        indicator_code="1.1",
        indicator_name="廉政谈话",
    ),
    ProblemInput(
        source_kind=PlanItemSource.REPORT,
        problem="【组织建设·2.3】第2期报告未报送（未报送），不计分（第十二条）。",
        source_ref="appraisal.year:1:report:2:2.3:2",
        category_code="2",
        category_name="组织建设",
        indicator_code="2.3",
        indicator_name="三会一课",
    ),
    ProblemInput(
        source_kind=PlanItemSource.TEAM,
        problem="【宣传思想·3.1】联合考核组意见：阵地建设台账缺失。",
        source_ref="appraisal.year:1:team:3:3.1:",
        category_code="3",
        category_name="宣传思想",
        indicator_code="3.1",
        indicator_name="阵地建设",
    ),
)


def make_plan(org, unit=None, *, year: int = 2026, problems=PROBLEMS, start: bool = True):
    """The plan of `unit` (org.community) for `year` with `problems`, its lead department set
    to org.dept_lz for category 1, org.dept_zz for 2 and org.dept_xc for 3; with its plan
    process started (the draft task in the community's 待办) unless start=False."""
    from workflows.flows.plan import PlanFlow

    unit = unit or org.community
    departments = {"1": org.dept_lz.pk, "2": org.dept_zz.pk, "3": org.dept_xc.pk}
    inputs = [
        ProblemInput(**{**p.__dict__, "department_id": departments.get(p.category_code)})
        for p in problems
    ]
    plan = plan_create(
        sub_district_id=org.sd.pk,
        unit_id=unit.pk,
        year=year,
        source="appraisal.year:1",
        letter_url="",
        due_at=timezone.now() + dt.timedelta(days=20),
        problems=inputs,
        job="test",
    )
    if start:
        PlanFlow.start.run(plan=plan)
        plan.refresh_from_db()
    return plan


@pytest.fixture
def plan(org):
    return make_plan(org)
