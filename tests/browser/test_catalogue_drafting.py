"""Art. 5 in a real browser: next year's catalogue while it is planned, as the lead department of
党风廉政建设 and the Office see it. The department links and edits only its own indicators and
downloads its own sheet; the Office sees that the catalogue is not yet approved, approves it,
and may then start the year. One-off indicators show their due date."""

import datetime as dt
import os
import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from appraisal import services
from appraisal.models import AssessmentYear, Category, Indicator, Schedule
from core.models import User
from tests.browser.test_roles import PageProblems, log_in, log_out

pytestmark = pytest.mark.browser

# Screenshots for the reviewer (set CATALOGUE_SHOTS to keep them outside var/).
SHOTS = os.environ.get("CATALOGUE_SHOTS")


def _shot(page, screenshot_dir: Path, name: str) -> None:
    target = Path(SHOTS) if SHOTS else screenshot_dir
    target.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target / name), full_page=True)
    page.screenshot(path=str(target / name.replace(".png", "-top.png")))  # what one sees first


def test_department_drafts_and_the_office_approves(page, demo: str, screenshot_dir: Path):
    problems = PageProblems(page)
    office = User.objects.get(username="office")
    current = AssessmentYear.objects.get(year=timezone.localdate().year)
    # given next year, planned as a copy of this one, with a one-off indicator in LZ
    year = services.year_create(acting_user=office, number=current.year + 1, copy_from=current)
    lz = Category.objects.get(year=year, code="LZ")
    lz_inds = list(Indicator.objects.filter(year=year, category=lz).order_by("code"))
    other = Indicator.objects.filter(year=year).exclude(category=lz).order_by("code").first()
    once = lz_inds[0]
    once.schedule, once.due_date = Schedule.ONCE, dt.date(year.year, 6, 30)
    once.required_reports = 1
    once.save(update_fields=["schedule", "due_date", "required_reports"])

    # the department of LZ: its own indicators are links, the others are not; no approval button
    log_in(page, demo, "dept-lz")
    page.goto(f"{demo}/appraisal/{year.year}/")
    expect(page.get_by_test_id("catalogue-approval")).to_have_class(re.compile("alert-warning"))
    expect(page.get_by_test_id("approve-catalogue")).to_have_count(0)
    for ind in lz_inds:
        expect(
            page.locator(f'a[href="/appraisal/{year.year}/indicators/{ind.pk}/"]')
        ).to_be_visible()
    expect(page.locator(f'a[href="/appraisal/{year.year}/indicators/{other.pk}/"]')).to_have_count(
        0
    )
    expect(page.get_by_test_id(f"due-{once.code}")).to_contain_text(f"{year.year}-06-30")
    _shot(page, screenshot_dir, "department-catalogue-planning.png")

    # it changes one of its own indicators through the form
    page.locator(f'a[href="/appraisal/{year.year}/indicators/{lz_inds[-1].pk}/"]').click()
    page.locator("input[name=name]").fill("廉政风险点排查（修订）")
    page.get_by_role("button", name="保存").click()
    expect(page.locator(".alert-success")).to_be_visible()
    assert Indicator.objects.get(pk=lz_inds[-1].pk).name == "廉政风险点排查（修订）"
    log_out(page, demo)

    # the Office: the checklist blocks the start, the catalogue waits for its approval
    log_in(page, demo, "office")
    page.goto(f"{demo}/appraisal/{year.year}/")
    expect(page.get_by_test_id("check-catalogue_approval")).to_be_visible()
    expect(page.get_by_test_id("advance")).to_be_disabled()
    expect(page.get_by_test_id("approve-catalogue")).to_be_visible()
    _shot(page, screenshot_dir, "office-catalogue-approval.png")
    page.get_by_test_id("approve-catalogue").click()
    expect(page.locator(".alert-success").first).to_be_visible()
    expect(page.get_by_test_id("advance")).to_be_enabled()
    _shot(page, screenshot_dir, "office-catalogue-approved.png")
    year.refresh_from_db()
    assert year.catalogue_approved_by == office
    assert problems.errors == []
