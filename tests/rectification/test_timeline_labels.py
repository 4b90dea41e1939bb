"""The case timeline (Art. 11): every step by its label, never by its event code; each step the
action, its actor (person and unit) and its time; internal draft history for the issuing side."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone, translation

from core import audit_events
from core.models import AuditEvent, Role
from rectification import services
from tests.core.test_audit_pages import raw_codes, visible_text
from tests.factories import make_member
from tests.rectification.conftest import notice_input

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", [Role.OFFICE_STAFF, Role.COMMUNITY_STAFF, Role.AUDITOR])
def test_the_timeline_shows_labels(client, org, issued, role):
    client.force_login(org.user(role))
    page = client.get(reverse("notice_detail", args=[issued.pk])).content.decode()
    text = visible_text(page)
    with translation.override("zh-hans"):
        assert audit_events.label("notice.issue") in text
    # the steps stay addressable by their code for tests and scripts, in an attribute only
    assert 'data-event="notice.issue"' in page
    assert not raw_codes(text)


def _steps(page: str) -> list[dict]:
    """The timeline as the page shows it: per step its code, action, actor and time."""
    found = re.findall(
        r'data-testid="timeline-step" data-event="([^"]+)">.*?'
        r'data-testid="action">(.*?)</strong>.*?'
        r'data-testid="actor">(.*?)</span>.*?'
        r'data-testid="time">(.*?)</time>',
        page,
        flags=re.S,
    )
    return [
        {"event": e, "action": unescape(a.strip()), "actor": unescape(p), "time": t}
        for e, a, p, t in found
    ]


def _page(client, user, notice) -> list[dict]:
    client.force_login(user)
    response = client.get(reverse("notice_detail", args=[notice.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return _steps(response.content.decode())


def _whole_case(org, verifier):
    """Drafted, issued, replied, measures returned and handed in again, verified."""
    office, staff = org.user(Role.OFFICE_STAFF), org.user(Role.COMMUNITY_STAFF)
    draft = services.notice_create(
        acting_user=office, data=notice_input(org), target_id=org.community.pk
    )
    notice = services.notice_issue(notice_id=draft.pk, acting_user=office)
    services.notice_reply(notice_id=notice.pk, acting_user=staff, text="已查明原因")
    measures = [services.MeasureInput("补齐会议记录", "张三", dt.date(2026, 12, 31))]
    services.notice_submit_measures(notice_id=notice.pk, acting_user=staff, measures=measures)
    services.notice_return(notice_id=notice.pk, acting_user=office, reason="不具体")
    services.notice_submit_measures(notice_id=notice.pk, acting_user=staff, measures=measures)
    services.notice_verify(notice_id=notice.pk, acting_user=verifier, comment="同意销号")
    return notice


def test_each_step_is_an_action_with_its_actor_and_local_time(client, org):
    # given a whole case, verified by a second person of the Office
    verifier = make_member(org.office, Role.OFFICE_STAFF)
    notice = _whole_case(org, verifier)
    office, staff = org.user(Role.OFFICE_STAFF), org.user(Role.COMMUNITY_STAFF)
    # when the Office opens it
    steps = _page(client, office, notice)
    # then each step is an action (never the state it leads to), with who and when
    assert [s["action"] for s in steps] == [
        "Draft created",
        "Notice issued",
        "Reply submitted",
        "Rectification measures submitted",
        "Measures returned",
        "Rectification measures submitted (submission 2)",
        "Verified and closed",
    ]
    by_office = f"{office} ({org.office.name})"
    by_community = f"{staff} ({org.community.name})"
    assert [s["actor"] for s in steps] == [
        by_office,
        by_office,
        by_community,
        by_community,
        by_office,
        by_community,
        f"{verifier} ({org.office.name})",  # the verifier is named on the verify step
    ]
    rows = AuditEvent.objects.filter(
        subject_type=ContentType.objects.get_for_model(notice), subject_id=str(notice.pk)
    ).order_by("id")
    assert [s["time"] for s in steps] == [
        timezone.localtime(r.created_at, ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")
        for r in rows
    ]


def test_the_verifier_is_named_even_when_they_are_not_the_issuer(client, org):
    # given the measures are verified by someone other than the person who issued
    verifier = make_member(org.office, Role.OFFICE_STAFF)
    verifier.display_name = "李验收"
    verifier.save(update_fields=["display_name"])
    notice = _whole_case(org, verifier)
    # when the community reads its case
    steps = _page(client, org.user(Role.COMMUNITY_STAFF), notice)
    # then the verify step names the verifier and their unit
    verify = [s for s in steps if s["event"] == "notice.verify"]
    assert [s["actor"] for s in verify] == [f"李验收 ({org.office.name})"]


@pytest.mark.parametrize(
    ("role", "sees_drafts"),
    [
        (Role.OFFICE_STAFF, True),
        (Role.AUDITOR, True),
        (Role.ADMIN, True),
        (Role.COMMUNITY_STAFF, False),
        (Role.COMMUNITY_SECRETARY, False),
        (Role.LEADER, False),
    ],
)
def test_the_draft_history_is_shown_to_the_issuing_side_only(client, org, role, sees_drafts):
    # given a draft created, changed, then issued
    office = org.user(Role.OFFICE_STAFF)
    draft = services.notice_create(
        acting_user=office, data=notice_input(org), target_id=org.community.pk
    )
    services.notice_update_draft(
        notice_id=draft.pk,
        acting_user=office,
        data=notice_input(org, subject="会议记录不全"),
        target_id=org.community.pk,
    )
    notice = services.notice_issue(notice_id=draft.pk, acting_user=office)
    # when the role opens the case
    events = [s["event"] for s in _page(client, org.user(role), notice)]
    # then the internal draft steps are there only for the issuing side and the auditors
    drafts = ["notice.create", "notice.update"]
    assert events == ([*drafts, "notice.issue"] if sees_drafts else ["notice.issue"])


def test_a_departments_draft_history_is_shown_to_that_department(client, org):
    # given the clean-governance department drafts and issues its own notice
    dept = org.user(Role.DEPT_ASSESSOR)
    draft = services.notice_create(
        acting_user=dept,
        data=notice_input(org, issuing_unit_id=org.dept_lz.pk),
        target_id=org.community.pk,
    )
    notice = services.notice_issue(notice_id=draft.pk, acting_user=dept)
    # then the department sees its draft step, the community does not
    dept_steps = _page(client, dept, notice)
    assert [s["event"] for s in dept_steps] == ["notice.create", "notice.issue"]
    assert dept_steps[0]["actor"] == f"{dept} ({org.dept_lz.name})"
    community = [s["event"] for s in _page(client, org.user(Role.COMMUNITY_STAFF), notice)]
    assert community == ["notice.issue"]


def test_a_unit_with_brackets_in_its_name_is_named_by_its_short_name(client, org, issued):
    org.office.name, org.office.short_name = "领导小组办公室（党建办公室）", "领导小组办公室"
    org.office.save(update_fields=["name", "short_name"])
    steps = _page(client, org.user(Role.COMMUNITY_STAFF), issued)
    assert steps[0]["actor"] == f"{org.user(Role.OFFICE_STAFF)} (领导小组办公室)"


def test_an_extensions_audit_detail_names_the_requests_state_not_the_notices(client, org, issued):
    # given the community asks for more time and the Office grants it
    from datetime import timedelta

    from django.utils import timezone

    from core.models import AuditEvent
    from rectification import services

    asked = timezone.localtime(issued.current_due_at + timedelta(days=7)).date()
    services.extension_request(
        notice_id=issued.pk,
        acting_user=org.user(Role.COMMUNITY_STAFF),
        new_date=asked,
        reason="需要补充材料",
    )
    services.extension_decide(
        notice_id=issued.pk, acting_user=org.user(Role.OFFICE_STAFF), grant=True
    )
    event = AuditEvent.objects.get(event_type="notice.extension_granted")
    # when the auditor opens its detail (in English)
    client.force_login(org.user(Role.AUDITOR))
    response = client.get(reverse("audit_detail", args=[event.pk]), HTTP_ACCEPT_LANGUAGE="en")
    rows = {row.label: row for row in response.context["rows"]}
    # then the state is the request's, by its label; the deadline in local time
    assert (rows["State"].before.text, rows["State"].after.text) == ("Pending", "Granted")
    assert rows["Reply due"].after.text == f"{asked:%Y-%m-%d} 23:59:59"
    assert not raw_codes(visible_text(response.content.decode()))


def test_a_step_of_the_deadline_engine_names_the_engine_not_its_job_code(client, org, issued):
    from django.db import transaction

    from core.audit import audit_record

    with transaction.atomic():
        audit_record(
            event_type="deadline.overdue",
            job="deadline-sweep",
            subject=issued,
            after={"kind": "notice.reply", "due_at": "2026-03-09T15:59:59Z", "work_item": 1},
        )
    client.force_login(org.user(Role.COMMUNITY_STAFF))
    page = client.get(reverse("notice_detail", args=[issued.pk])).content.decode()
    text = visible_text(page)
    with translation.override("zh-hans"):
        assert audit_events.job_label("deadline-sweep") in text
        assert audit_events.label("deadline.overdue") in text
    assert "deadline-sweep" not in text
    assert not raw_codes(text)


@pytest.mark.parametrize(
    "role", [Role.OFFICE_STAFF, Role.COMMUNITY_STAFF, Role.AUDITOR, Role.LEADER, Role.ADMIN]
)
def test_the_timeline_links_the_audit_trail_only_for_its_readers(client, org, issued, role):
    from core import access
    from core.models import AuditEvent

    user = org.user(role)
    client.force_login(user)
    page = client.get(reverse("notice_detail", args=[issued.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    event = AuditEvent.objects.filter(event_type="notice.issue").latest("pk")
    link = f'href="{reverse("audit_detail", args=[event.pk])}"'
    if access.can_read_audit(user):
        # a reader follows the step to its audit row
        assert link in body
        assert client.get(reverse("audit_detail", args=[event.pk])).status_code == 200
    else:
        # anyone else would get a 403 there: no link at all
        assert client.get(reverse("audit_detail", args=[event.pk])).status_code == 403
        assert 'href="/audit/' not in body and link not in body
