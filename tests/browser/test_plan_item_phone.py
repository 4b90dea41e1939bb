"""The plan item page on a 375 px phone (Art. 20), as the community and as the Office: no
horizontal scrolling, every section there, the timeline's steps labelled."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from core.models import Role
from rectification.plans import tracking
from tests.factories import PASSWORD, Org
from tests.rectification.plans.tracking_fixtures import accepted_plan

from .test_roles import PageProblems, no_horizontal_scroll

pytestmark = pytest.mark.browser


def _log_in(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page).to_have_url(f"{base_url}/")


@pytest.mark.parametrize("role", [Role.COMMUNITY_STAFF, Role.OFFICE_STAFF])
def test_the_item_page_on_a_phone(new_context, live_server, screenshot_dir: Path, role):
    # given an accepted plan whose first item has progress and a milestone reached
    org = Org("P")
    plan = accepted_plan(org)
    item = plan.items.order_by("position").first()
    community = org.user(Role.COMMUNITY_STAFF)
    milestone = item.milestones.order_by("position").first()
    tracking.progress_report(
        item_id=item.pk,
        acting_user=community,
        progress="已完成第一次廉政谈话记录检查，补齐了缺失的三份记录。" * 3,
        next_steps="下月复查",
        milestone_id=milestone.pk,
        files=[],
    )
    phone = new_context(viewport={"width": 375, "height": 812}).new_page()
    problems = PageProblems(phone)
    # when the user opens the item on a phone
    _log_in(phone, live_server.url, org.user(role).username)
    phone.goto(f"{live_server.url}/plans/items/{item.pk}/")
    # then every section is there, the history labelled, nothing wider than the phone
    for section in ("source", "plan", "item", "milestones", "progress", "closeout", "repeats"):
        expect(phone.get_by_test_id(section)).to_be_visible()
    steps = phone.get_by_test_id("timeline").get_by_test_id("timeline-step")
    # created, drafted, submitted, passed, accepted, then the milestone reached
    expect(steps).to_have_count(6)
    expect(steps.last.get_by_test_id("action")).to_have_text("节点完成")
    for n in range(6):
        expect(steps.nth(n).get_by_test_id("action")).not_to_contain_text("plan.")
    no_horizontal_scroll(phone, 375)
    phone.screenshot(path=str(screenshot_dir / f"plan-item-{role}-375.png"), full_page=True)
    assert problems.errors == []
