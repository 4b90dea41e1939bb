"""Escalating a 整改联系单 leaves no gap (Art. 11, R11.2), clicked through in headless Chromium.

office opens an issued contact sheet that is not overdue → the page warns and asks for a reason
→ escalating drafts a 督办单, which waits in the office's 待办 with a due time → c01 still has the
contact sheet in its 待办 → office issues the draft from 待办 → the contact sheet is 已升级 and
leaves c01's 待办, where the 督办单 now is.
"""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from core.models import Unit, User
from rectification import services
from rectification.models import Notice, NoticeState
from tests.browser.test_notice_journey import ensure_calendar_covers, expect_state, nav
from tests.browser.test_roles import PageProblems, log_in, log_out

pytestmark = pytest.mark.browser

SUBJECT = "党员发展材料不规范"
REASON = "答复内容与问题不符，经两次电话督促仍未改正。"


def _issued_contact_sheet() -> Notice:
    office = User.objects.get(username="office")
    draft = services.notice_create(
        acting_user=office,
        data=services.NoticeInput(
            kind="contact",
            issuing_unit_id=Unit.objects.get(code="office").pk,
            subject=SUBJECT,
            problem="2026年发展党员档案缺少政审材料。",
            reply_due=services.Deadline(workdays=5),
            measures_due=services.Deadline(workdays=10),
        ),
        target_id=Unit.objects.get(code="c01").pk,
    )
    return services.notice_issue(notice_id=draft.pk, acting_user=office)


def issue_on_page(page: Page) -> None:
    """签发 on the draft's page, through its confirmation (Art. 11: an official act)."""
    page.get_by_role("button", name="签发", exact=True).click()
    confirm = page.get_by_role("button", name="确认签发", exact=True)
    expect(confirm).to_be_visible()
    confirm.click()


def test_escalation_keeps_the_notice_open_until_the_successor_is_issued(
    page: Page, demo: str, screenshot_dir: Path
):
    ensure_calendar_covers(60)
    notice = _issued_contact_sheet()
    number = notice.number
    problems = PageProblems(page)

    def shot(name: str) -> None:
        page.screenshot(path=str(screenshot_dir / f"escalation-{name}.png"), full_page=True)

    # --- office: the case page warns that the sheet is not overdue, and asks for a reason
    log_in(page, demo, "office")
    page.goto(f"{demo}/notices/{notice.pk}/")
    panel = page.get_by_test_id("escalate-withdraw")
    panel.locator("summary").click()
    expect(panel.get_by_test_id("escalate-early")).to_contain_text("尚未逾期")
    reason = panel.get_by_label("升级理由")
    panel.get_by_role("button", name="升级", exact=True).click()
    # the browser asks for the reason before anything is sent (the server refuses too: 400)
    expect(page).to_have_url(f"{demo}/notices/{notice.pk}/")
    assert reason.evaluate("el => el.required && !el.validity.valid")
    assert not Notice.objects.filter(escalated_from=notice).exists()  # nothing drafted yet
    panel.get_by_label("升级理由").fill(REASON)
    shot("1-reason")
    panel.get_by_role("button", name="升级", exact=True).click()

    # the draft's edit page, saying the contact sheet stays open
    expect(page).to_have_url(re.compile(r"/notices/\d+/edit/$"))
    expect(page.get_by_role("alert").filter(has_text="已起草升级通知")).to_contain_text(number)
    draft = Notice.objects.get(escalated_from=notice)
    assert draft.state == NoticeState.DRAFT
    assert Notice.objects.get(pk=notice.pk).state == NoticeState.ISSUED

    # the draft is an item of the office's 待办, naming the sheet it escalates, with a due time
    nav(page, "待办")
    item = page.get_by_test_id("inbox-item").filter(has_text="签发升级后的通知")
    expect(item).to_have_count(1)
    expect(item).to_contain_text(number)
    expect(item.locator("[data-light]")).to_have_count(1)
    shot("2-office-inbox")
    log_out(page, demo)

    # --- c01: the contact sheet is still in 待办; the draft is not visible
    log_in(page, demo, "c01")
    nav(page, "待办")
    expect(page.get_by_test_id("inbox-item").filter(has_text=number)).to_have_count(1)
    page.goto(f"{demo}/notices/{notice.pk}/")
    expect_state(page, "已签发", problems)
    expect(page.get_by_test_id("escalation-pending")).to_have_count(0)
    log_out(page, demo)

    # --- office: issue the draft from 待办
    log_in(page, demo, "office")
    nav(page, "待办")
    page.get_by_test_id("inbox-item").filter(has_text="签发升级后的通知").click()
    expect(page).to_have_url(re.compile(rf"/notices/{draft.pk}/"))
    page.goto(f"{demo}/notices/{draft.pk}/")
    issue_on_page(page)
    expect_state(page, "已签发", problems)
    draft.refresh_from_db()
    page.goto(f"{demo}/notices/{notice.pk}/")
    expect_state(page, "已升级", problems)
    expect(page.get_by_text(REASON).first).to_be_visible()
    shot("3-escalated")
    log_out(page, demo)

    # --- c01: the contact sheet has left 待办; the 督办单 is there
    log_in(page, demo, "c01")
    nav(page, "待办")
    expect(page.get_by_test_id("inbox-item").filter(has_text=number)).to_have_count(0)
    expect(page.get_by_test_id("inbox-item").filter(has_text=draft.number)).to_have_count(1)
    assert problems.errors == []
