"""Deadline extensions (延期申请): the community asks, the issuer grants or refuses (issue 4)."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from core.errors import Conflict
from core.models import AuditEvent, ReminderSent, Role, WorkItem
from rectification import services
from rectification.models import DeadlineExtension
from tests.factories import make_member
from tests.rectification.conftest import page_fields
from workflows.sweep import run_sweep

pytestmark = pytest.mark.django_db
SH = dt.timezone(dt.timedelta(hours=8))


def _ask(org, notice, days_later=10, reason="书记外出学习，申请延期"):
    new_date = notice.reply_due_at.astimezone(SH).date() + dt.timedelta(days=days_later)
    return services.extension_request(
        notice_id=notice.pk,
        acting_user=org.user(Role.COMMUNITY_SECRETARY),
        new_date=new_date,
        reason=reason,
    )


def test_granted_extension_moves_the_deadline_the_inbox_and_the_reminders(org, issued):
    # given the reply is due and the 3-day reminder was sent for the old due time
    old_due = issued.reply_due_at
    run_sweep(now=old_due - dt.timedelta(days=1))
    assert ReminderSent.objects.filter(due_at=old_due).exists()
    extension = _ask(org, issued)
    assert WorkItem.objects.filter(
        kind="notice.extension", state="open", owner_unit=org.office
    ).exists()
    # when the Office grants it
    services.extension_decide(
        notice_id=issued.pk, acting_user=org.user(Role.OFFICE_STAFF), grant=True
    )
    # then the deadline, the current due time and the inbox item follow the new date
    issued.refresh_from_db()
    new_due = dt.datetime.combine(extension.requested_date, dt.time(23, 59, 59), tzinfo=SH)
    assert issued.reply_due_at == new_due and issued.current_due_at == new_due
    assert issued.measures_due_at >= new_due
    item = WorkItem.objects.get(kind="notice.reply", subject_id=issued.pk, state="open")
    assert item.due_at == new_due
    assert not WorkItem.objects.filter(kind="notice.extension", state="open").exists()
    # and the new due time gets its own reminders; the old one is no longer overdue
    run_sweep(now=new_due - dt.timedelta(hours=1))
    assert ReminderSent.objects.filter(work_item=item, due_at=new_due).exists()
    run_sweep(now=old_due + dt.timedelta(hours=1))
    item.refresh_from_db()
    assert item.overdue_at is None
    events = [e.event_type for e in AuditEvent.objects.filter(subject_id=str(issued.pk))]
    assert "notice.extension_requested" in events and "notice.extension_granted" in events


def test_refusal_needs_a_reason_and_keeps_the_deadline(org, issued):
    _ask(org, issued)
    office = org.user(Role.OFFICE_STAFF)
    with pytest.raises(ValidationError):
        services.extension_decide(notice_id=issued.pk, acting_user=office, grant=False)
    services.extension_decide(
        notice_id=issued.pk, acting_user=office, grant=False, reason="期限已较宽裕"
    )
    assert DeadlineExtension.objects.get().state == "refused"
    before = issued.reply_due_at
    issued.refresh_from_db()
    assert issued.reply_due_at == before
    assert AuditEvent.objects.filter(event_type="notice.extension_refused").count() == 1


def test_one_pending_request_at_a_time_and_a_later_date_only(org, issued):
    _ask(org, issued)
    with pytest.raises(Conflict):
        _ask(org, issued)
    services.extension_decide(
        notice_id=issued.pk, acting_user=org.user(Role.OFFICE_STAFF), grant=False, reason="不同意"
    )
    with pytest.raises(ValidationError):
        _ask(org, issued, days_later=-1)


def test_measures_deadline_can_be_extended_after_the_reply(org, issued):
    services.notice_reply(
        notice_id=issued.pk, acting_user=org.user(Role.COMMUNITY_STAFF), text="已答复"
    )
    new_date = issued.measures_due_at.astimezone(SH).date() + dt.timedelta(days=7)
    extension = services.extension_request(
        notice_id=issued.pk,
        acting_user=org.user(Role.COMMUNITY_STAFF),
        new_date=new_date,
        reason="需协调物业",
    )
    assert extension.deadline == "measures"
    services.extension_decide(
        notice_id=issued.pk,
        acting_user=org.user(Role.OFFICE_STAFF),
        grant=True,
        new_date=new_date - dt.timedelta(days=2),
    )
    issued.refresh_from_db()
    assert issued.measures_due_at.astimezone(SH).date() == new_date - dt.timedelta(days=2)


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (Role.OFFICE_STAFF, 403),
        (Role.LEADER, 403),
        (Role.AUDITOR, 403),
        (Role.ADMIN, 403),
        (Role.DEPT_ASSESSOR, 404),
    ],
)
def test_only_the_target_community_asks(client, org, issued, role, status):
    client.force_login(org.user(role))
    response = client.post(
        reverse("notice_extension_request", args=[issued.pk]),
        {"ext-new_date": "2030-01-01", "ext-reason": "x"},
    )
    assert response.status_code == status
    assert not DeadlineExtension.objects.exists()


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (Role.COMMUNITY_STAFF, 403),
        (Role.COMMUNITY_SECRETARY, 403),
        (Role.LEADER, 403),
        (Role.AUDITOR, 403),
        (Role.ADMIN, 403),
        (Role.DEPT_ASSESSOR, 404),
    ],
)
def test_only_the_issuer_decides(client, org, issued, role, status):
    _ask(org, issued)
    client.force_login(org.user(role))
    response = client.post(
        reverse("notice_extension_decide", args=[issued.pk]), {"grant": "1", "dec-reason": ""}
    )
    assert response.status_code == status
    assert DeadlineExtension.objects.get().state == "pending"


def test_other_community_and_sub_district_get_404(client, org, other_org, issued):
    for user in [
        make_member(org.community2, Role.COMMUNITY_STAFF),
        other_org.user(Role.COMMUNITY_STAFF),
        other_org.user(Role.OFFICE_STAFF),
    ]:
        client.force_login(user)
        for name in ("notice_extension_request", "notice_extension_decide"):
            assert client.post(reverse(name, args=[issued.pk]), {}).status_code == 404


def test_request_and_grant_through_the_pages(client, org, issued):
    client.force_login(org.user(Role.COMMUNITY_STAFF))
    page = client.get(reverse("notice_detail", args=[issued.pk])).content.decode()
    assert "延期申请" in page
    new_date = (issued.reply_due_at.astimezone(SH) + dt.timedelta(days=5)).date()
    response = client.post(
        reverse("notice_extension_request", args=[issued.pk]),
        {
            "ext-new_date": new_date.isoformat(),
            "ext-reason": "人员调整",
            **page_fields(issued, "notice_extension_request"),
        },
    )
    assert response.status_code == 302
    client.force_login(org.user(Role.OFFICE_STAFF))
    page = client.get(reverse("notice_detail", args=[issued.pk])).content.decode()
    assert 'data-testid="extension"' in page and "人员调整" in page
    response = client.post(
        reverse("notice_extension_decide", args=[issued.pk]),
        {
            "grant": "1",
            "dec-new_date": "",
            "dec-reason": "",
            **page_fields(issued, "notice_extension_decide"),
        },
    )
    assert response.status_code == 302
    assert DeadlineExtension.objects.get().state == "granted"
