"""The demo's previous year (seed_demo --previous-year): published through the real year-end
process, with the 15 communities' plans (Art. 20) in the states the demo shows; seeding again
creates nothing."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from appraisal.models import AssessmentYear, YearStatus
from core.models import AuditEvent, SubDistrict, User, WorkItem, WorkItemState
from rectification.models import Milestone, PlanItemState, PlanState, RectificationPlan
from rectification.plans.kinds import WI_MILESTONE
from workflows import kinds
from workflows.models import DocumentRun, DocumentRunState

pytestmark = pytest.mark.django_db


def _open(kind, **filters):
    return WorkItem.objects.filter(kind=kind, state=WorkItemState.OPEN, **filters)


def test_the_previous_year_is_published_with_its_plans_and_seeding_again_adds_nothing(
    settings, tmp_path, client
):
    settings.DEBUG = True
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    call_command("seed_demo", "--previous-year", stdout=StringIO())
    sd = SubDistrict.objects.get(code="xx")
    this = timezone.localdate().year

    # the current year is left in progress, the previous one published with its letters
    years = dict(AssessmentYear.objects.filter(sub_district=sd).values_list("year", "status"))
    assert years == {this: YearStatus.IN_PROGRESS, this - 1: YearStatus.PUBLISHED}
    run = DocumentRun.objects.get(year__year=this - 1)
    assert run.state == DocumentRunState.DONE and run.done == run.total > 15

    # 15 plans of the previous year in the stated states
    previous = RectificationPlan.objects.filter(year=this - 1).select_related("unit")
    plans = {p.unit.code: p for p in previous}
    assert len(plans) == 15 and all(p.items.exists() for p in plans.values())
    assert plans["c01"].state == PlanState.SUBMITTED
    assert plans["c02"].state == PlanState.ACCEPTED
    # c03's returned by the Office: being drafted again, in its second round
    assert plans["c03"].state == PlanState.DRAFTING and plans["c03"].round == 2
    assert {p.state for code, p in plans.items() if code not in ("c01", "c02")} == {
        PlanState.DRAFTING
    }
    assert {p.round for code, p in plans.items() if code not in ("c01", "c02", "c03")} == {1}
    # c01's in the Office's 待办, c02's milestones in c02's (one reached), c03's comment on item 1
    assert _open(kinds.WI_PLAN_REVIEW).get().subject_id == plans["c01"].pk
    c02 = plans["c02"]
    assert set(c02.items.values_list("state", flat=True)) == {PlanItemState.IN_PROGRESS}
    milestones = Milestone.objects.filter(item__plan=c02)
    assert milestones.filter(done_at__isnull=False).count() == 1
    assert _open(WI_MILESTONE, owner_unit=c02.unit).count() == milestones.count() - 1
    assert _open(kinds.WI_PLAN_DRAFT, owner_unit=plans["c03"].unit).exists()
    assert plans["c03"].items.filter(needs_rework=True).count() == 1

    # the plan's letter link works for the community
    client.force_login(User.objects.get(username="c01-sec"))
    assert client.get(plans["c01"].letter_url).status_code == 200

    # seeding again creates nothing
    counts = (
        AuditEvent.objects.count(),
        RectificationPlan.objects.count(),
        WorkItem.objects.count(),
        AssessmentYear.objects.count(),
    )
    out = StringIO()
    call_command("seed_demo", "--previous-year", stdout=out)
    assert "0 new objects" in out.getvalue()
    assert counts == (
        AuditEvent.objects.count(),
        RectificationPlan.objects.count(),
        WorkItem.objects.count(),
        AssessmentYear.objects.count(),
    )
