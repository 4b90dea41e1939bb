"""签发 asks for confirmation before it is done (Art. 11), clicked in headless Chromium.

The Office presses 签发 on a draft's case page → a confirmation page states the recipient, the
number the notice will get and the reply deadline that starts → 取消 leaves it a draft → 签发
again → 确认签发 → issued. The page is plain HTML: the bulk issue is confirmed with JavaScript
off. Screenshots of the confirmation page at 375 px and 1280 px: var/screenshots/confirm-*.png
(and /work/shots/confirm/ when that folder exists).

The confirmation page's own texts are found through gettext (their Chinese arrives with the
merged catalogue); the rest by the Chinese labels users see.
"""

import re
import shutil
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext, override
from playwright.sync_api import Page, expect

from core import workdays
from core.models import AuditEvent, Unit
from rectification import services
from rectification.models import Notice, NoticeKind
from tests.browser.test_notice_journey import ensure_calendar_covers
from tests.browser.test_roles import PageProblems, log_in, no_horizontal_scroll

pytestmark = pytest.mark.browser

SUBJECT = "党费收缴台账未按月登记"
EXTRA_SHOTS = Path("/work/shots/confirm")


def zh(msgid: str) -> str:
    with override("zh-hans"):
        return gettext(msgid)


def office_draft(subject: str = SUBJECT) -> Notice:
    office = get_user_model().objects.get(username="office")
    unit = Unit.objects.get(code="office", sub_district=office.sub_district)
    target = Unit.objects.get(code="c01", sub_district=office.sub_district)
    data = services.NoticeInput(
        kind=NoticeKind.CONTACT,
        issuing_unit_id=unit.pk,
        subject=subject,
        problem="2026年第三季度党费收缴未按月登记。",
        reply_due=services.Deadline(workdays=5),
        measures_due=services.Deadline(workdays=10),
    )
    return services.notice_create(acting_user=office, data=data, target_id=target.pk)


def issue_events(notice: Notice) -> int:
    return AuditEvent.objects.filter(subject_id=str(notice.pk), event_type="notice.issue").count()


def test_issue_asks_first_and_cancel_leaves_a_draft(page: Page, demo: str, screenshot_dir: Path):
    ensure_calendar_covers(40)
    draft = office_draft()
    problems = PageProblems(page)
    now = timezone.now()
    reply_due = workdays.local_date(services.Deadline(workdays=5).resolve(now)).isoformat()
    number = f"{workdays.local_date(now).year}-联-"

    def shot(name: str) -> None:
        path = screenshot_dir / f"confirm-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        if EXTRA_SHOTS.is_dir():
            shutil.copy(path, EXTRA_SHOTS / path.name)

    # given the Office on the draft's case page
    log_in(page, demo, "office")
    page.goto(f"{demo}/notices/{draft.pk}/")
    expect(page.get_by_test_id("state")).to_have_text("草稿")

    # when it presses 签发
    page.get_by_role("button", name="签发", exact=True).click()
    # then the confirmation page says to whom it goes, under which number, and the deadline
    expect(page.get_by_role("heading", level=1)).to_have_text(zh("Confirm issue"))
    consequences = page.get_by_test_id("consequences")
    expect(consequences).to_contain_text("和平里社区党委")
    expect(consequences).to_contain_text(reply_due)
    expect(consequences).to_contain_text(number)
    row = page.get_by_test_id("confirm-row")
    expect(row).to_have_count(1)
    expect(row.get_by_test_id("recipient")).to_have_text("和平里社区党委")
    expect(row).to_contain_text(SUBJECT)
    # and nothing happened yet
    assert Notice.objects.get(pk=draft.pk).state == "draft"
    assert issue_events(draft) == 0
    shot("1280")
    page.set_viewport_size({"width": 375, "height": 740})
    no_horizontal_scroll(page, 375)
    expect(page.get_by_role("button", name=zh("Confirm issue"), exact=True)).to_be_visible()
    shot("375")
    page.set_viewport_size({"width": 1280, "height": 800})

    # when it cancels
    page.get_by_role("link", name=zh("Cancel"), exact=True).click()
    # then it is back on the case page, and the notice is still a draft
    expect(page).to_have_url(f"{demo}/notices/{draft.pk}/")
    expect(page.get_by_test_id("state")).to_have_text("草稿")
    assert Notice.objects.get(pk=draft.pk).state == "draft"
    assert issue_events(draft) == 0

    # when it presses 签发 again and confirms
    page.get_by_role("button", name="签发", exact=True).click()
    page.get_by_role("button", name=zh("Confirm issue"), exact=True).click()
    # then the notice is issued, once, under the number the page announced
    expect(page.get_by_test_id("state")).to_have_text("已签发")
    issued = Notice.objects.get(pk=draft.pk)
    assert issued.state == "issued" and issued.number.startswith(number)
    assert workdays.local_date(issued.reply_due_at).isoformat() == reply_due
    assert issue_events(draft) == 1
    assert not problems.errors, problems.errors


def test_bulk_issue_is_confirmed_without_javascript(new_context, demo: str):
    ensure_calendar_covers(40)
    page = new_context(java_script_enabled=False).new_page()
    # given the Office's new-notice form, filled in for two communities
    log_in(page, demo, "office")
    page.goto(f"{demo}/notices/new/")
    page.get_by_label("签发单位").select_option(label="领导小组办公室（党建办公室）")
    communities = page.get_by_role("group", name="社区党委")
    communities.get_by_label("和平里社区", exact=True).check()
    communities.get_by_label("安华里社区", exact=True).check()
    page.get_by_label("事由").fill("两个社区同一问题")
    page.get_by_label("发现的问题").fill("组织生活会记录不全。")
    page.get_by_label("答复期限（工作日）").fill("5")
    page.get_by_label("整改措施期限（工作日）").fill("10")
    # when it presses 签发
    page.get_by_role("button", name="签发", exact=True).click()
    # then every notice and its recipient is listed, and none exists yet
    rows = page.get_by_test_id("confirm-row")
    expect(rows).to_have_count(2)
    expect(rows.nth(0).get_by_test_id("recipient")).to_have_text("和平里社区党委")
    expect(rows.nth(1).get_by_test_id("recipient")).to_have_text("安华里社区党委")
    assert not Notice.objects.filter(subject="两个社区同一问题").exists()
    # when it confirms
    page.get_by_role("button", name=zh("Confirm issue"), exact=True).click()
    # then both are issued, and the ledger lists them
    expect(page).to_have_url(re.compile(re.escape(f"{demo}/notices/") + r"(\?.*)?$"))
    issued = Notice.objects.filter(subject="两个社区同一问题")
    assert sorted(n.target.code for n in issued) == ["c01", "c02"]
    assert {n.state for n in issued} == {"issued"}
