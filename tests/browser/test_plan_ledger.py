"""The plan ledger (整改台账, Art. 20) on a 375 px phone: the Office sees the counts, the table
per community and the items as stacked cards, without a horizontal scroll."""

import datetime as dt
import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from core.models import Unit, UnitKind
from rectification.plans.creation import plan_create
from tests.rectification.plans.conftest import PROBLEMS

from .test_roles import log_in, no_horizontal_scroll

pytestmark = pytest.mark.browser


def test_office_reads_the_plan_ledger_on_a_phone(new_context, demo, screenshot_dir: Path):
    communities = Unit.objects.filter(kind=UnitKind.COMMUNITY).order_by("sort_order")[:2]
    for unit in communities:
        plan_create(
            sub_district_id=unit.sub_district_id,
            unit_id=unit.pk,
            year=2026,
            source="appraisal.year:1",
            letter_url="",
            due_at=timezone.now() + dt.timedelta(days=20),
            problems=list(PROBLEMS),
            job="test",
        )
    phone = new_context(viewport={"width": 375, "height": 812}).new_page()
    log_in(phone, demo, "office")
    phone.goto(f"{demo}/plans/")
    # (the English msgid until the lead applies .po-t-ledger.txt to the catalogue)
    expect(phone.get_by_role("heading", level=1)).to_have_text(re.compile("整改台账|Plan ledger"))
    expect(phone.get_by_test_id("state-counts")).to_be_visible()
    # the item cards (the table is for wider screens)
    expect(phone.get_by_role("link").filter(has_text="廉政谈话记录不全").first).to_be_visible()
    expect(phone.get_by_test_id("items")).to_be_hidden()
    no_horizontal_scroll(phone, 375)
    phone.screenshot(path=str(screenshot_dir / "plan-ledger-office-375.png"), full_page=True)

    desk = new_context().new_page()
    log_in(desk, demo, "office")
    desk.goto(f"{demo}/plans/")
    expect(desk.get_by_test_id("items")).to_be_visible()
    expect(desk.get_by_test_id("plans")).to_be_visible()
    desk.screenshot(path=str(screenshot_dir / "plan-ledger-office-1280.png"), full_page=True)
