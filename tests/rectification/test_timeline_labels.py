"""The case timeline names every step by its label, never by its event code."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from core import audit_events
from core.models import Role
from tests.core.test_audit_pages import raw_codes, visible_text

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", [Role.OFFICE_STAFF, Role.COMMUNITY_STAFF, Role.AUDITOR])
def test_the_timeline_shows_labels(client, org, issued, role):
    client.force_login(org.user(role))
    page = client.get(reverse("notice_detail", args=[issued.pk])).content.decode()
    text = visible_text(page)
    with translation.override("zh-hans"):
        for key in ("notice.create", "notice.issue"):
            assert audit_events.label(key) in text
    # the steps stay addressable by their code for tests and scripts, in an attribute only
    assert 'data-event="notice.issue"' in page
    assert not raw_codes(text)


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
