"""A form that creates notices creates them once, and a draft is never saved over a newer one.

The new-notice page carries a one-time token (core.submissions): a double click, the browser's
"resend" or a page sent again gets 409 and creates nothing twice — one draft, or one set of
issued notices with one number each (Art. 11). The edit page carries the draft as it showed it: a
draft saved by someone else since gets 409, and saving with 签发 is one write.
"""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.urls import reverse

from core.models import AuditEvent, FormSubmission, Role
from rectification import services
from rectification.models import Notice, NoticeCounter, NoticeState
from tests.rectification.conftest import notice_input, page_fields
from tests.rectification.test_concurrency import LOSE, WIN, _client, _race, sqlite_file_db  # noqa: F401

pytestmark = pytest.mark.django_db


def _new(org, **extra) -> dict:
    return {
        **page_fields(None, "notice_new"),
        "kind": "contact",
        "issuing_unit": org.office.pk,
        "targets": [org.community.pk],
        "subject": "会议记录不全",
        "problem": "缺少第三季度记录",
        "basis": "细则第十一条",
        "reply_due_workdays": "5",
        "measures_due_workdays": "10",
        **extra,
    }


def _notice_events() -> int:
    return AuditEvent.objects.filter(event_type__startswith="notice.").count()


def test_the_new_notice_page_renders_a_fresh_token_each_time(client, org):
    client.force_login(org.user(Role.OFFICE_STAFF))
    first = client.get(reverse("notice_new")).context["submission_token"]
    second = client.get(reverse("notice_new")).context["submission_token"]
    assert uuid.UUID(first) and uuid.UUID(second) and first != second


def test_a_draft_sent_twice_is_saved_once(client, org):
    # given the Office's new-notice page, filled in
    client.force_login(org.user(Role.OFFICE_STAFF))
    data = _new(org)
    # when it is sent twice (a double click, or the browser's resend)
    assert client.post(reverse("notice_new"), data).status_code == 302
    events = _notice_events()
    second = client.post(reverse("notice_new"), data)
    # then the second is a 409 and changes nothing
    assert second.status_code == 409
    assert "已" in second.content.decode()  # the message is in the user's language
    assert Notice.objects.count() == 1
    assert _notice_events() == events


def test_a_bulk_issue_sent_twice_issues_once(client, org):
    # given 签发 to two communities from the new-notice page
    client.force_login(org.user(Role.OFFICE_STAFF))
    data = _new(org, targets=[org.community.pk, org.community2.pk], issue="1")
    assert client.post(reverse("notice_new"), data).status_code == 302
    numbers = sorted(Notice.objects.values_list("number", flat=True))
    # when the same page is sent again
    assert client.post(reverse("notice_new"), data).status_code == 409
    # then there are still two notices with the same two numbers
    assert sorted(Notice.objects.values_list("number", flat=True)) == numbers
    assert Notice.objects.filter(state=NoticeState.ISSUED).count() == 2


def test_a_new_notice_without_its_token_is_400_and_creates_nothing(client, org):
    client.force_login(org.user(Role.OFFICE_STAFF))
    data = _new(org)
    del data["submission_token"]
    response = client.post(reverse("notice_new"), data)
    assert response.status_code == 400
    body = response.content.decode()
    assert "表单的一次性令牌" in body and "submission_token" not in body  # a label, no code
    assert not Notice.objects.exists()
    data["submission_token"] = "not-a-token"
    assert client.post(reverse("notice_new"), data).status_code == 400
    assert not Notice.objects.exists() and not FormSubmission.objects.exists()


def test_a_refused_form_can_be_corrected_and_sent_with_the_same_token(client, org):
    # given a new notice refused for a deadline in the past (2026-02-27 is before any today here)
    client.force_login(org.user(Role.OFFICE_STAFF))
    data = _new(org, issue="1")
    del data["reply_due_workdays"], data["measures_due_workdays"]
    data.update(reply_due_date="2020-02-27", measures_due_date="2020-03-31")
    refused = client.post(reverse("notice_new"), data)
    assert refused.status_code == 200
    assert not Notice.objects.exists() and not FormSubmission.objects.exists()
    # the page comes back with the same token
    assert refused.context["submission_token"] == data["submission_token"]
    # when the deadlines are corrected and the page is sent again
    data.update(reply_due_date="", measures_due_date="")
    data.update(reply_due_workdays="5", measures_due_workdays="10")
    # then it is issued
    assert client.post(reverse("notice_new"), data).status_code == 302
    assert Notice.objects.get().state == NoticeState.ISSUED


def _draft(org) -> Notice:
    return services.notice_create(
        acting_user=org.user(Role.OFFICE_STAFF),
        data=notice_input(org),
        target_id=org.community.pk,
    )


def _edit(org, notice, **extra) -> dict:
    return {
        **page_fields(notice, "notice_edit"),
        "kind": "contact",
        "issuing_unit": org.office.pk,
        "targets": [org.community.pk],
        "subject": notice.subject,
        "problem": notice.problem,
        "basis": notice.basis,
        "reply_due_workdays": "5",
        "measures_due_workdays": "10",
        **extra,
    }


def test_a_draft_saved_by_someone_else_since_the_page_opened_is_not_overwritten(client, org):
    # given the edit page opened by one Office worker
    draft = _draft(org)
    client.force_login(org.user(Role.OFFICE_STAFF))
    page = client.get(reverse("notice_edit", args=[draft.pk]))
    opened = page.context["expected_draft"]
    # and a colleague saves a new subject meanwhile
    services.notice_update_draft(
        notice_id=draft.pk,
        acting_user=org.user(Role.OFFICE_STAFF),
        data=notice_input(org, subject="同事改过的主题"),
        target_id=org.community.pk,
    )
    events = _notice_events()
    # when the first saves the page they opened
    data = _edit(org, draft, subject="我的主题", expected_draft=opened)
    response = client.post(reverse("notice_edit", args=[draft.pk]), data)
    # then it is a 409 and the colleague's subject stays
    assert response.status_code == 409
    assert Notice.objects.get(pk=draft.pk).subject == "同事改过的主题"
    assert _notice_events() == events


def test_a_draft_form_without_what_it_shows_is_400(client, org):
    draft = _draft(org)
    client.force_login(org.user(Role.OFFICE_STAFF))
    data = _edit(org, draft, subject="新主题")
    del data["expected_draft"]
    assert client.post(reverse("notice_edit", args=[draft.pk]), data).status_code == 400
    assert Notice.objects.get(pk=draft.pk).subject == draft.subject


def test_saving_and_issuing_a_draft_is_one_write(client, org):
    # given a draft, edited to a reply deadline in the past and sent with 签发
    draft = _draft(org)
    client.force_login(org.user(Role.OFFICE_STAFF))
    data = _edit(org, draft, subject="改了主题", issue="1")
    del data["reply_due_workdays"], data["measures_due_workdays"]
    data.update(reply_due_date="2020-02-27", measures_due_date="2020-03-31")
    events = _notice_events()
    client.post(reverse("notice_edit", args=[draft.pk]), data)
    # then neither the edit nor the issue is kept
    notice = Notice.objects.get(pk=draft.pk)
    assert (notice.state, notice.subject) == (NoticeState.DRAFT, draft.subject)
    assert _notice_events() == events
    assert not NoticeCounter.objects.exists()


def _race_new(org) -> None:
    clients = [_client(org.user(Role.OFFICE_STAFF)) for _ in range(10)]
    data = _new(org, targets=[org.community.pk, org.community2.pk], issue="1")
    results, _overlapped = _race([(c, reverse("notice_new"), data) for c in clients])
    assert sorted(results, key=repr) == [WIN] + [LOSE] * 9, results
    assert Notice.objects.count() == 2
    assert FormSubmission.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgres_ten_identical_bulk_issues_issue_once(org):
    _race_new(org)


@pytest.mark.django_db(transaction=True)
def test_sqlite_ten_identical_bulk_issues_issue_once(sqlite_file_db, org):  # noqa: F811
    assert connection.vendor == "sqlite"
    _race_new(org)


def test_an_edit_of_a_draft_writes_only_the_edited_columns(org):
    # given a draft several Office staff may edit
    from tests.sqlwrites import updated_columns

    draft = _draft(org)
    # when one saves a new subject
    with updated_columns(Notice._meta.db_table) as updates:
        services.notice_update_draft(
            notice_id=draft.pk,
            acting_user=org.user(Role.OFFICE_STAFF),
            data=notice_input(org, subject="新主题"),
            target_id=org.community.pk,
        )
    # then the UPDATE writes the draft's content, never its state, number or deadlines' times
    assert len(updates) == 1
    assert {"subject", "problem", "target_id", "updated_at"} <= updates[0]
    assert not {"state", "number", "reply_due_at", "created_by_id", "created_at"} & updates[0]
