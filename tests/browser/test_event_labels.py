"""No raw event code on any page: the notification centre, the audit trail and its details and a
case timeline, walked in headless Chromium as the Office, a community and the auditor.

The demo data plus an extension asked for and granted (audit rows and notifications of both), a
reminder and a correction of the results; every page's visible text (innerText: a closed
<details> is not rendered) is searched for every key the product registers.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from playwright.sync_api import Page, expect

from core import audit_events
from core.models import AuditEvent, User
from core.notifications import notify
from rectification import services
from rectification.models import Notice
from tests.browser.test_roles import PageProblems, log_in, log_out

pytestmark = pytest.mark.browser


def code_pattern() -> re.Pattern:
    entries = [*audit_events.registered().values()]
    entries += audit_events.notification_kinds.registered().values()
    keys = sorted({e.key for e in entries if e.app != "tests"}, key=len, reverse=True)
    alternatives = "|".join(re.escape(k).replace(r"\{n\}", r"\d+") for k in keys)
    return re.compile(rf"(?<![\w.])(?:{alternatives})(?![\w.])")


def assert_no_codes(page: Page, pattern: re.Pattern) -> str:
    text = page.evaluate("document.body.innerText")
    found = sorted(set(pattern.findall(text)))
    assert not found, f"{page.url} shows raw event codes {found}"
    return text


def _extension_granted(notice: Notice) -> None:
    """The community asks for more time and the Office grants it (audit rows + notifications)."""
    community = User.objects.get(username=notice.target.code)
    office = User.objects.get(username="office")
    asked = timezone.localtime(notice.current_due_at + timedelta(days=7)).date()
    services.extension_request(
        notice_id=notice.pk, acting_user=community, new_date=asked, reason="需要补充材料"
    )
    services.extension_decide(notice_id=notice.pk, acting_user=office, grant=True)


def test_no_raw_event_code_is_visible_to_office_community_or_auditor(
    page: Page, demo: str, screenshot_dir
):
    # given the demo year and notices, an extension granted and a reminder
    notice = Notice.objects.filter(state="issued").select_related("target").order_by("pk")[0]
    _extension_granted(notice)
    with transaction.atomic():
        notify(
            sub_district_id=notice.sub_district_id,
            unit_id=notice.target_id,
            verb="deadline.reminder_3",
            title="提醒：答复即将到期",
            url=f"/notices/{notice.pk}/",
        )
    community = notice.target.code
    # one row of every event type of the sub-district
    rows = AuditEvent.objects.filter(sub_district_id=notice.sub_district_id).order_by("-id")
    events = dict(rows.values_list("event_type", "id"))
    assert {"notice.extension_granted", "appraisal.scores_saved", "demo.seed_user"} <= set(events)
    pattern = code_pattern()
    problems = PageProblems(page)

    # when the Office walks its notifications, the audit trail, every kind of event and the case
    log_in(page, demo, "office")
    page.goto(f"{demo}/notifications/")
    expect(page.get_by_test_id("notification").first).to_be_visible()
    text = assert_no_codes(page, pattern)
    assert "延期" in text or "Extension" in text  # the request reads as its label
    page.goto(f"{demo}/audit/")
    expect(page.get_by_test_id("event-label").first).to_be_visible()
    assert_no_codes(page, pattern)
    for pk in events.values():
        page.goto(f"{demo}/audit/{pk}/")
        expect(page.get_by_test_id("event-label")).to_be_visible()
        detail = assert_no_codes(page, pattern)
        assert "{'" not in detail
    page.goto(f"{demo}/notices/{notice.pk}/")
    expect(page.get_by_test_id("timeline-step").first).to_be_visible()
    assert_no_codes(page, pattern)
    log_out(page, demo)

    # and the community its notifications and the case
    log_in(page, demo, community)
    page.goto(f"{demo}/notifications/")
    expect(page.get_by_test_id("notification").first).to_be_visible()
    assert page.locator('[data-verb="notice.extension_granted"]').count() >= 1
    assert page.locator('[data-verb="deadline.reminder_3"]').count() >= 1
    assert_no_codes(page, pattern)
    page.screenshot(path=screenshot_dir / "notifications-community.png")
    page.goto(f"{demo}/notices/{notice.pk}/")
    expect(page.locator('[data-event="notice.extension_granted"]')).to_be_visible()
    assert_no_codes(page, pattern)
    log_out(page, demo)

    # and the auditor the trail, the details (with the raw record collapsed) and the case
    log_in(page, demo, "auditor")
    page.goto(f"{demo}/notifications/")
    assert_no_codes(page, pattern)
    page.goto(f"{demo}/audit/")
    assert_no_codes(page, pattern)
    page.screenshot(path=screenshot_dir / "audit-list.png")
    for pk in events.values():
        page.goto(f"{demo}/audit/{pk}/")
        raw = page.get_by_test_id("raw-record")
        expect(raw).to_be_visible()
        assert_no_codes(page, pattern)
    # the raw record, opened, holds the code for a complaint file
    raw.locator("summary").click()
    assert pattern.search(raw.inner_text())
    page.goto(f"{demo}/audit/{events['appraisal.scores_saved']}/")
    page.screenshot(path=screenshot_dir / "audit-detail-scores.png", full_page=True)
    page.goto(f"{demo}/audit/{events['notice.extension_granted']}/")
    page.screenshot(path=screenshot_dir / "audit-detail-extension.png", full_page=True)
    page.goto(f"{demo}/notices/{notice.pk}/")
    expect(page.get_by_test_id("timeline-step").first).to_be_visible()
    assert_no_codes(page, pattern)

    # then nothing failed on the way
    assert problems.errors == []
