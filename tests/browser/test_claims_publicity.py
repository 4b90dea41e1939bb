"""Publicity (通报展示, Art. 6) in the browser: community c02 sees c01's claim in publicity on the
board, raises an objection with a reason, and the Office finds it in its inbox (待办)."""

import datetime as dt
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from appraisal.models import AssessmentYear, BonusClaim, BonusLevel, ClaimState
from core.models import Unit

from .test_roles import log_in, no_horizontal_scroll

pytestmark = pytest.mark.browser

TITLE = "公示中的区级先进基层党组织"


def _claim_in_publicity() -> tuple[AssessmentYear, BonusClaim]:
    year = AssessmentYear.objects.order_by("-year").first()
    unit = Unit.objects.get(sub_district_id=year.sub_district_id, code="c01")
    now = timezone.now()
    claim = BonusClaim.objects.create(
        year=year,
        unit=unit,
        level=BonusLevel.DISTRICT,
        title=TITLE,
        status=ClaimState.APPROVED,
        declared_at=now - dt.timedelta(days=10),
        declare_by=now - dt.timedelta(days=5),
        publicity_ends_at=now + dt.timedelta(days=3),
    )
    return year, claim


def test_c02_objects_to_c01_claim_and_office_sees_it(new_context, demo, screenshot_dir: Path):
    year, claim = _claim_in_publicity()
    phone = new_context(viewport={"width": 375, "height": 800}).new_page()
    log_in(phone, demo, "c02")
    phone.goto(f"{demo}/appraisal/{year.year}/claims/publicity/")
    row = phone.get_by_test_id("publicity-claim").filter(has_text=TITLE)
    expect(row).to_be_visible()
    no_horizontal_scroll(phone, 375)
    phone.screenshot(path=str(screenshot_dir / "claims-publicity-c02-375.png"), full_page=True)
    row.get_by_role("link", name=TITLE).click()
    expect(phone.get_by_test_id("in-publicity")).to_be_visible()
    form = phone.get_by_test_id("objection-form")
    form.locator("textarea[name=reason]").fill("该表彰为上年度所得，不应计入本年度")
    form.get_by_role("button").click()
    expect(phone.get_by_test_id("objection")).to_contain_text("该表彰为上年度所得")
    phone.screenshot(path=str(screenshot_dir / "claims-objection-c02-375.png"), full_page=True)

    office = new_context().new_page()
    log_in(office, demo, "office")
    office.goto(f"{demo}/inbox/")
    link = office.get_by_role("link").filter(has_text=TITLE)
    expect(link.first).to_be_visible()
    shot = screenshot_dir / "claims-objection-office-inbox.png"
    office.screenshot(path=str(shot), full_page=True)
    link.first.click()
    expect(office.get_by_test_id("respond-form")).to_be_visible()
    assert claim.objections.get().reason == "该表彰为上年度所得，不应计入本年度"
    office.screenshot(path=str(screenshot_dir / "claims-objection-office.png"), full_page=True)
