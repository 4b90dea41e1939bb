"""Stored dates open filled in a real browser, and saving a form untouched keeps them.

Chromium's `<input type=date>` and `datetime-local` accept only ISO values; a value rendered in
the zh-hans format (2026/06/30 23:59) opened empty and was erased on save. The demo's bonus
declaration deadline (23:59:59) and a draft with date deadlines are opened and saved as an
Office worker would.
"""

import datetime as dt
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from appraisal.models import AssessmentYear
from core.models import Unit, UnitKind, User
from core.workdays import SHANGHAI
from rectification import services as notice_services
from rectification.models import Notice, NoticeKind
from tests.browser.test_roles import PageProblems, log_in

pytestmark = pytest.mark.browser


def test_dates_survive_an_untouched_save(page, demo: str, screenshot_dir: Path):
    problems = PageProblems(page)
    year = AssessmentYear.objects.get(year=timezone.localdate().year)
    stored = year.claim_declare_by
    assert stored is not None
    log_in(page, demo, "office")

    # the year's settings: the deadline is shown, to the second, and kept on save
    page.goto(f"{demo}/appraisal/{year.year}/settings/")
    field = page.locator("input[name=claim_declare_by]")
    expect(field).to_have_value(stored.astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M:%S"))
    page.screenshot(path=str(screenshot_dir / "office-year-settings.png"), full_page=True)
    page.get_by_role("button", name="保存").click()
    expect(page.locator(".alert-success")).to_be_visible()
    year.refresh_from_db()
    assert year.claim_declare_by == stored

    # a draft with date deadlines: both dates shown and kept when the draft is saved
    office = User.objects.get(username="office")
    reply_on = timezone.localdate() + dt.timedelta(days=30)
    measures_on = reply_on + dt.timedelta(days=30)
    draft = notice_services.notice_create(
        acting_user=office,
        data=notice_services.NoticeInput(
            kind=NoticeKind.CONTACT,
            issuing_unit_id=Unit.objects.get(
                sub_district=office.sub_district, kind=UnitKind.OFFICE
            ).pk,
            subject="台账资料不全",
            problem="第三季度会议记录缺失。",
            basis="细则第十一条",
            reply_due=notice_services.Deadline(date=reply_on),
            measures_due=notice_services.Deadline(date=measures_on),
        ),
        target_id=Unit.objects.get(sub_district=office.sub_district, code="c01").pk,
    )
    page.goto(f"{demo}/notices/{draft.pk}/edit/")
    expect(page.locator("input[name=reply_due_date]")).to_have_value(reply_on.isoformat())
    expect(page.locator("input[name=measures_due_date]")).to_have_value(measures_on.isoformat())
    page.get_by_role("button", name="保存草稿").click()
    expect(page.locator(".alert-success")).to_be_visible()
    draft = Notice.objects.get(pk=draft.pk)
    assert (draft.reply_due_date, draft.measures_due_date) == (reply_on, measures_on)
    assert problems.errors == []
