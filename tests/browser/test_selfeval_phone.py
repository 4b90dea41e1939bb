"""On a 375 px phone the community's staff fills the self-evaluation form (Art. 15) and hands it
to the Party secretary, who submits it: no horizontal scroll, no CSP violation, a decimal keypad
for the scores. Screenshots land in var/screenshots/."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from appraisal.models import AssessmentYear, SelfEvaluation, YearStatus
from appraisal.services import selfeval as se
from appraisal.services import year_open_year_end
from core.models import RoleAssignment, User

from .test_roles import PageProblems, log_in, no_horizontal_scroll

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 812}


def _open_selfeval() -> tuple[SelfEvaluation, str]:
    """The demo year moved to 年末考核, with c01's self-evaluation open."""
    office = User.objects.get(username="office")
    year = AssessmentYear.objects.filter(status=YearStatus.IN_PROGRESS).get()
    year_open_year_end(year_id=year.pk, acting_user=office)
    unit = RoleAssignment.objects.filter(user__username="c01").get().unit
    row = se.selfeval_open(
        year=year, unit_id=unit.pk, due_at=timezone.now() + timedelta(days=5), round=1
    )
    return row, f"/appraisal/{year.year}/self-evaluation/{unit.code}/"


def test_the_form_is_filled_and_submitted_on_a_phone(new_context, demo, screenshot_dir: Path):
    row, path = _open_selfeval()

    # the staff fills the special report and every self-score on the phone
    phone = new_context(viewport=PHONE).new_page()
    problems = PageProblems(phone)
    log_in(phone, demo, "c01")
    phone.goto(f"{demo}{path}")
    expect(phone.get_by_test_id("selfeval-form")).to_be_visible()
    no_horizontal_scroll(phone, PHONE["width"])
    phone.locator("#id_report").fill("本年度社区党委落实党建工作责任情况专题报告。")
    scores = phone.get_by_test_id("score")
    assert scores.count() > 0
    for n in range(scores.count()):
        box = scores.nth(n)
        expect(box).to_have_attribute("inputmode", "decimal")
        box.fill("1")
    phone.screenshot(path=str(screenshot_dir / "selfeval-phone-staff.png"), full_page=True)
    phone.get_by_test_id("to-secretary").click()
    expect(phone.get_by_test_id("selfeval-state")).to_be_visible()
    row.refresh_from_db()
    assert row.state == "with_secretary"
    no_horizontal_scroll(phone, PHONE["width"])
    assert problems.errors == []

    # the secretary reviews it on her phone and submits
    sec = new_context(viewport=PHONE).new_page()
    sec_problems = PageProblems(sec)
    log_in(sec, demo, "c01-sec")
    sec.goto(f"{demo}{path}")
    expect(sec.get_by_test_id("send-back")).to_be_visible()
    no_horizontal_scroll(sec, PHONE["width"])
    sec.screenshot(path=str(screenshot_dir / "selfeval-phone-secretary.png"), full_page=True)
    sec.get_by_test_id("submit").click()
    expect(sec.get_by_test_id("submitted-at")).to_be_visible()
    no_horizontal_scroll(sec, PHONE["width"])
    sec.screenshot(path=str(screenshot_dir / "selfeval-phone-submitted.png"))
    row.refresh_from_db()
    assert row.state == "submitted" and row.late is False
    assert sec_problems.errors == []
