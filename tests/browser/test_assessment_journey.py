"""The assessment year in a browser (issue 5), on the demo data:

a community's secretary, on a phone, finds a report that was never filed, sees that it is
excluded from scoring and why, files it late and is told it will not count; the lead department
scores its own category in the grid; the Office opens the ranking and the community's
drill-down and finds the same exclusion with its due and filing times.
"""

import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from appraisal.models import AssessedUnit, AssessmentYear, Report
from tests.browser.test_roles import PageProblems, log_in, log_out, no_horizontal_scroll

pytestmark = pytest.mark.browser


def test_late_report_is_excluded_and_explained(new_context, demo: str, screenshot_dir: Path):
    year = AssessmentYear.objects.get(year=timezone.localdate().year)
    c01 = AssessedUnit.objects.get(year=year, code="c01")
    missing = (
        Report.objects.filter(
            year=year, unit_id=c01.unit_id, submitted_at__isnull=True, due_at__lt=timezone.now()
        )
        .order_by("due_at")
        .first()
    )
    assert missing is not None, "the demo gives c01 at least one missing report"

    # a phone: the community's secretary
    width = 375
    phone = new_context(viewport={"width": width, "height": 812}, is_mobile=True, has_touch=True)
    page = phone.new_page()
    problems = PageProblems(page)
    log_in(page, demo, "c01-sec")
    page.goto(f"{demo}/appraisal/{year.year}/reports/?state=missing")
    no_horizontal_scroll(page, width)
    rows = page.get_by_test_id("report-row")
    expect(rows.first).to_be_visible()
    expect(rows.first.get_by_test_id("excluded")).to_be_visible()
    page.goto(f"{demo}/appraisal/reports/{missing.pk}/")
    expect(page.get_by_test_id("exclusion")).to_be_visible()
    page.locator("textarea[name=text]").fill("补报：本期工作情况")
    page.locator("form[enctype] button[type=submit]").click()
    expect(page.locator(".alert-warning")).to_be_visible()
    expect(page.get_by_test_id("submitted")).not_to_have_text("—")
    expect(page.get_by_test_id("exclusion")).to_be_visible()
    no_horizontal_scroll(page, width)
    page.screenshot(path=str(screenshot_dir / "mobile-c01-late-report.png"), full_page=True)
    assert problems.errors == []

    # the lead department scores its own category
    desk = new_context()
    page = desk.new_page()
    problems = PageProblems(page)
    log_in(page, demo, "dept-lz")
    page.goto(f"{demo}/appraisal/{year.year}/scoring/LZ/")
    first = page.locator("input[name^=s-]").first
    first.fill("1.00")
    first.press("Tab")  # keyboard: on to the next cell
    invalid = page.evaluate(
        "Array.from(document.querySelectorAll('input[name^=s-]'))"
        ".filter(e => !e.checkValidity()).map(e => e.name + '=' + e.value + ' max ' + e.max)"
    )
    assert invalid == []
    page.locator("form:has(input[name^=s-]) button[type=submit]").click()
    expect(page.locator(".alert-success")).to_be_visible()
    log_out(page, demo)

    # the Office: ranking → c01's drill-down lists the exclusion with its times
    log_in(page, demo, "office")
    page.goto(f"{demo}/appraisal/{year.year}/results/")
    expect(page.get_by_test_id("ranking")).to_be_visible()
    page.goto(f"{demo}/appraisal/{year.year}/results/c01/")
    exclusions = page.get_by_test_id("exclusion")
    expect(exclusions.first).to_be_visible()
    due = timezone.localtime(missing.due_at).strftime("%Y-%m-%d")
    expect(page.locator("body")).to_contain_text(re.compile(re.escape(due)))
    page.screenshot(path=str(screenshot_dir / "office-results-c01.png"), full_page=True)
    log_out(page, demo)
    assert problems.errors == []
