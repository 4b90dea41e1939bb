"""Escalation proposals raised by the deadline sweep: only the issuer decides (Art. 11)."""

import pytest
from django.urls import reverse

from core.models import AuditEvent, Role, WorkItem
from rectification.models import EscalationProposal, NoticeState
from tests.factories import make_member
from tests.rectification.conftest import page_fields
from workflows.sweep import run_sweep

pytestmark = pytest.mark.django_db


@pytest.fixture
def overdue(org, issued):
    """The sweep has found the issued contact sheet's reply overdue."""
    run_sweep(
        now=issued.reply_due_at.replace(microsecond=0) + __import__("datetime").timedelta(minutes=1)
    )
    return issued


def test_sweep_proposes_escalation_to_the_issuer(org, overdue):
    proposal = EscalationProposal.objects.get(notice=overdue, state="open")
    assert proposal.deadline_kind == "notice.reply"
    item = WorkItem.objects.get(kind="notice.escalation_proposal", subject_id=overdue.pk)
    assert item.owner_unit == org.office


# They see the Office notice but may not decide on it.
ROLES_403 = [Role.LEADER, Role.AUDITOR, Role.ADMIN]


@pytest.mark.parametrize("role", ROLES_403)
def test_only_the_issuing_unit_dismisses(client, org, overdue, role):
    client.force_login(org.user(role))
    url = reverse("notice_dismiss_proposal", args=[overdue.pk])
    assert client.post(url, {"dismiss-reason": "已电话督促"}).status_code == 403
    assert EscalationProposal.objects.get(notice=overdue).state == "open"


@pytest.mark.parametrize("role", [Role.COMMUNITY_STAFF, Role.COMMUNITY_SECRETARY])
def test_the_community_cannot_dismiss(client, org, overdue, role):
    client.force_login(org.user(role))
    url = reverse("notice_dismiss_proposal", args=[overdue.pk])
    assert client.post(url, {"dismiss-reason": "x"}).status_code == 403


def test_other_community_and_sub_district_get_404(client, org, other_org, overdue):
    url = reverse("notice_dismiss_proposal", args=[overdue.pk])
    # another community, a department that did not issue it, another sub-district
    for user in [
        make_member(org.community2, Role.COMMUNITY_STAFF),
        org.user(Role.DEPT_ASSESSOR),
        other_org.user(Role.OFFICE_STAFF),
    ]:
        client.force_login(user)
        assert client.post(url, {"dismiss-reason": "x"}).status_code == 404


def test_office_dismisses_with_a_reason_then_it_is_gone(client, org, overdue):
    client.force_login(org.user(Role.OFFICE_STAFF))
    page = client.get(reverse("notice_detail", args=[overdue.pk])).content.decode()
    assert 'data-testid="proposal"' in page
    url = reverse("notice_dismiss_proposal", args=[overdue.pk])
    data = {
        "dismiss-reason": "已电话督促，社区承诺明日答复",
        **page_fields(overdue, "notice_dismiss_proposal"),
    }
    assert client.post(url, data).status_code == 302
    proposal = EscalationProposal.objects.get(notice=overdue)
    assert proposal.state == "dismissed" and "明日答复" in proposal.reason
    assert not WorkItem.objects.filter(kind="notice.escalation_proposal", state="open").exists()
    assert AuditEvent.objects.filter(event_type="notice.escalation_dismissed").count() == 1
    # a second dismissal (the same form sent again) is a conflict
    assert client.post(url, {**data, "dismiss-reason": "again"}).status_code == 409


def test_office_accepts_by_escalating(client, org, overdue):
    client.force_login(org.user(Role.OFFICE_STAFF))
    response = client.post(
        reverse("notice_escalate", args=[overdue.pk]),
        {"reason": "逾期", **page_fields(overdue, "notice_escalate")},
    )
    assert response.status_code == 302
    # the proposal is accepted and its item done; the notice stays open until the draft is issued
    overdue.refresh_from_db()
    assert overdue.state == NoticeState.ISSUED
    assert EscalationProposal.objects.get(notice=overdue).state == "accepted"
    assert not WorkItem.objects.filter(
        subject_id=overdue.pk, state="open", kind="notice.escalation_proposal"
    ).exists()
    draft = overdue.escalated_to
    assert response["Location"] == reverse("notice_edit", args=[draft.pk])
    client.post(reverse("notice_issue", args=[draft.pk]), page_fields(draft, "notice_issue"))
    overdue.refresh_from_db()
    assert overdue.state == NoticeState.ESCALATED
