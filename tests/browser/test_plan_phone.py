"""On a 375 px phone the community drafts an item of its rectification plan (Art. 20) — goal,
measures, responsible person, milestone rows — and its secretary submits the plan; the Office
returns it with a comment on one item. No horizontal scroll, no CSP violation. Screenshots land
in var/screenshots/."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from core import workdays
from core.models import RoleAssignment, User
from rectification.models import PlanItemSource
from rectification.plans.creation import ProblemInput, plan_create
from rectification.plans.drafting import plan_item_save

from .test_roles import PageProblems, log_in, no_horizontal_scroll

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 812}


def _plan():
    from workflows.flows.plan import PlanFlow

    unit = RoleAssignment.objects.filter(user__username="c01").get().unit
    plan = plan_create(
        sub_district_id=unit.sub_district_id,
        unit_id=unit.pk,
        year=2031,
        source="appraisal.year:0",
        letter_url="",
        due_at=timezone.now() + timedelta(days=20),
        problems=[
            ProblemInput(
                source_kind=PlanItemSource.OPINION,
                problem=f"【组织建设·2.{n}】牵头部门意见：三会一课记录不全，会议纪要未归档。",
                category_code="2",
                category_name="组织建设",
                indicator_code=f"2.{n}",
                indicator_name="三会一课",
            )
            for n in (1, 2)
        ],
        job="test",
    )
    PlanFlow.start.run(plan=plan)
    return plan


def test_a_plan_is_drafted_and_submitted_on_a_phone(new_context, demo, screenshot_dir: Path):
    plan = _plan()
    first, second = plan.items.order_by("position")
    staff = User.objects.get(username="c01")
    day = workdays.local_date(timezone.now()) + timedelta(days=40)
    plan_item_save(
        item_id=second.pk,
        acting_user=staff,
        goal="会议纪要全部归档",
        measures="每月检查",
        evidence_expected="",
        responsible_id=staff.pk,
        milestones=[("检查", day)],
        expected_updated=None,
    )

    phone = new_context(viewport=PHONE).new_page()
    problems = PageProblems(phone)
    log_in(phone, demo, "c01")
    phone.goto(f"{demo}/plans/{plan.pk}/")
    expect(phone.get_by_test_id("secretary-submits")).to_be_visible()
    no_horizontal_scroll(phone, PHONE["width"])
    phone.get_by_test_id("edit-item").first.click()
    expect(phone.get_by_test_id("milestone-row")).to_have_count(3)
    no_horizontal_scroll(phone, PHONE["width"])
    phone.locator("#id_goal").fill("年内三会一课记录完整率100%")
    phone.locator("#id_measures").fill("1. 建立台账；2. 每月自查；3. 季度通报。")
    phone.locator("#id_responsible").select_option(str(staff.pk))
    phone.locator("#id_m-0-title").fill("建立台账")
    phone.locator("#id_m-0-date").fill(day.isoformat())
    phone.screenshot(path=str(screenshot_dir / "plan-phone-item-form.png"), full_page=True)
    phone.get_by_test_id("save").click()
    expect(phone.get_by_test_id("milestone").first).to_be_visible()
    no_horizontal_scroll(phone, PHONE["width"])
    phone.screenshot(path=str(screenshot_dir / "plan-phone-detail.png"), full_page=True)
    assert problems.errors == []

    sec = new_context(viewport=PHONE).new_page()
    log_in(sec, demo, "c01-sec")
    sec.goto(f"{demo}/plans/{plan.pk}/")
    sec.get_by_test_id("submit").click()
    expect(sec.get_by_test_id("submit")).to_have_count(0)
    plan.refresh_from_db()
    assert plan.state == "submitted"

    office = new_context(viewport=PHONE).new_page()
    log_in(office, demo, "office")
    office.goto(f"{demo}/plans/{plan.pk}/")
    office.locator(f"#comment-{first.pk}").fill("目标请量化")
    no_horizontal_scroll(office, PHONE["width"])
    office.screenshot(path=str(screenshot_dir / "plan-phone-review.png"), full_page=True)
    office.get_by_test_id("office-return").click()
    expect(office.get_by_test_id("returned")).to_be_visible()
    plan.refresh_from_db()
    assert plan.state == "drafting" and plan.round == 2
    assert plan.items.get(pk=first.pk).needs_rework
