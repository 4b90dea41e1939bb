"""The whole life of a notice through the services (Art. 11)."""

import datetime as dt

import pytest

from core.models import AuditEvent, Notification, Role, WorkItem
from rectification import services
from rectification.models import Notice, NoticeState
from tests.rectification.conftest import notice_input, pdf

pytestmark = pytest.mark.django_db


def test_issue_numbers_the_notice_and_fixes_deadlines_in_working_days(org, fixed_today):
    office = org.user(Role.OFFICE_STAFF)
    draft = services.notice_create(
        acting_user=office, data=notice_input(org), target_id=org.community.pk
    )
    assert draft.state == NoticeState.DRAFT and draft.number == ""
    notice = services.notice_issue(notice_id=draft.pk, acting_user=office)
    assert notice.state == NoticeState.ISSUED
    assert notice.number == "2026-联-001"
    # issued Monday 2026-03-02: 5 working days → Monday 03-09, 10 → Monday 03-16, 23:59:59 local
    assert notice.reply_due_at.isoformat() == "2026-03-09T23:59:59+08:00"
    assert notice.measures_due_at.isoformat() == "2026-03-16T23:59:59+08:00"
    item = WorkItem.objects.get(subject_id=notice.pk, state="open")
    assert item.owner_unit == org.community and item.kind == "notice.reply"
    # one notification per person of the community (staff and secretary)
    assert Notification.objects.filter(recipient_unit=org.community).count() == 2
    second = services.notice_issue(
        notice_id=services.notice_create(
            acting_user=office, data=notice_input(org), target_id=org.community2.pk
        ).pk,
        acting_user=office,
    )
    assert second.number == "2026-联-002"


def test_full_lifecycle_with_returns_keeps_every_version(org, issued):
    office, staff = org.user(Role.OFFICE_STAFF), org.user(Role.COMMUNITY_STAFF)
    services.notice_reply(
        notice_id=issued.pk, acting_user=staff, text="已组织整改。", files=[pdf()]
    )
    services.notice_return(notice_id=issued.pk, acting_user=office, reason="答复过于简单")
    assert Notice.objects.get(pk=issued.pk).state == NoticeState.ISSUED
    services.notice_reply(notice_id=issued.pk, acting_user=staff, text="详细说明如下……")
    measures = [
        services.MeasureInput("补齐会议记录", "张三", dt.date(2026, 12, 31), [pdf("记录.pdf")]),
        services.MeasureInput("建立台账", "李四", dt.date(2026, 12, 31)),
    ]
    services.notice_submit_measures(notice_id=issued.pk, acting_user=staff, measures=measures)
    services.notice_return(notice_id=issued.pk, acting_user=office, reason="措施不具体")
    services.notice_submit_measures(notice_id=issued.pk, acting_user=staff, measures=measures)
    notice = services.notice_verify(notice_id=issued.pk, acting_user=office, comment="同意销号")
    assert notice.state == NoticeState.VERIFIED
    assert notice.replies.count() == 2 and notice.measure_sets.count() == 2
    assert notice.replies.get(version=1).return_reason == "答复过于简单"
    events = list(
        AuditEvent.objects.filter(subject_id=str(notice.pk), event_type__startswith="notice.")
        .values_list("event_type", flat=True)
        .order_by("id")
    )
    assert events == [
        "notice.create",
        "notice.issue",
        "notice.reply",
        "notice.return_reply",
        "notice.reply",
        "notice.measures",
        "notice.return_measures",
        "notice.measures",
        "notice.verify",
    ]
    assert not WorkItem.objects.filter(subject_id=notice.pk, state="open").exists()
