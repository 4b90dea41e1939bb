"""A spot check that raised a rectification notice (Art. 10, 11) names it, links to it and offers
no second “issue a notice”; the link is set when the notice is raised, and backfilled for checks
that raised one before."""

import datetime as dt
import importlib
import re

import pytest
from django.apps import apps
from django.urls import reverse

from appraisal import services
from appraisal.models import Category, SpotCheck
from core.models import AuditEvent, Role
from rectification import services as notice_services
from rectification.models import Notice, NoticeState
from rectification.services import NoticeInput
from tests.appraisal.pageform import post_data

pytestmark = pytest.mark.django_db


def _check(org, year, findings="廉政台账缺失"):
    return services.spot_check_add(
        year_id=year.pk,
        acting_user=org.user(Role.DEPT_ASSESSOR),
        unit_id=org.community.pk,
        category_id=Category.objects.get(year=year, code="LZ").pk,
        indicator_id=None,
        date=dt.date(year.year, 9, 1),
        findings=findings,
    )


def _page(client, year) -> str:
    return client.get(reverse("appraisal:adjustments", args=[year.year])).content.decode()


def _raise(client, org, year, check, *, issue=True):
    """Open the notice form from the adjustments page and send it as the browser would."""
    page = _page(client, year)
    link = re.search(r'href="([^"]+)" data-testid="issue-notice"', page).group(1)
    assert link == reverse("appraisal:spot_check_notice", args=[year.year, check.pk])
    form = client.get(link)
    assert form.status_code == 200
    data = post_data(form.content.decode(), containing="subject")
    assert data["problem"] == [check.findings]
    assert data["targets"] == [str(org.community.pk)]
    data.update(reply_due_workdays=["5"], measures_due_workdays=["10"])
    if issue:
        data["issue"] = ["1"]
    return client.post(link, data)


@pytest.mark.parametrize("role", [Role.DEPT_ASSESSOR, Role.OFFICE_STAFF])
def test_a_spot_check_that_raised_a_notice_shows_its_number_and_links_to_it(
    client, org, year, role
):
    # given a spot check
    check = _check(org, year)
    client.force_login(org.user(role))
    # when a notice is issued from it
    response = _raise(client, org, year, check)
    # then the notice exists, issued to the community checked, and the check names it
    check.refresh_from_db()
    notice = check.notice
    assert notice is not None and notice.state != NoticeState.DRAFT and notice.number
    assert notice.target_id == org.community.pk and notice.problem == check.findings
    assert response.status_code == 302
    assert response["Location"] == reverse("notice_detail", args=[notice.pk])
    event = AuditEvent.objects.get(event_type="appraisal.spot_check_notice_raised")
    assert event.after["number"] == notice.number
    # and the page shows "issued <number>" linking to the notice instead of the button
    page = _page(client, year)
    assert 'data-testid="issue-notice"' not in page
    link = re.search(r'<a[^>]*href="([^"]+)"[^>]*data-testid="raised-notice">([^<]*)</a>', page)
    assert link.group(1) == reverse("notice_detail", args=[notice.pk])
    assert notice.number in link.group(2)


def test_a_draft_raised_from_a_spot_check_is_linked_as_a_draft(client, org, year):
    check = _check(org, year)
    client.force_login(org.user(Role.DEPT_ASSESSOR))
    _raise(client, org, year, check, issue=False)
    check.refresh_from_db()
    assert check.notice.state == NoticeState.DRAFT
    page = _page(client, year)
    assert 'data-testid="issue-notice"' not in page
    assert 'data-testid="raised-notice"' in page


def test_a_second_notice_from_the_same_spot_check_is_refused(client, org, year):
    check = _check(org, year)
    client.force_login(org.user(Role.DEPT_ASSESSOR))
    url = reverse("appraisal:spot_check_notice", args=[year.year, check.pk])
    data = post_data(client.get(url).content.decode(), containing="subject")
    data.update(reply_due_workdays=["5"], measures_due_workdays=["10"], issue=["1"])
    assert client.post(url, data).status_code == 302
    notices = Notice.objects.count()
    # the form of a page left open, sent again with a new token
    data["submission_token"] = ["6f2c1c1e-1b7e-4d7a-9a55-3f1f5f0b8c11"]
    assert client.post(url, data).status_code == 409
    assert Notice.objects.count() == notices
    # and the form itself now leads to the notice
    check.refresh_from_db()
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("notice_detail", args=[check.notice_id])


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.COMMUNITY_STAFF, Role.LEADER])
def test_who_cannot_issue_notices_cannot_raise_one_from_a_spot_check(client, org, year, role):
    check = _check(org, year)
    client.force_login(org.user(role))
    url = reverse("appraisal:spot_check_notice", args=[year.year, check.pk])
    assert client.get(url).status_code in (403, 404)
    assert client.post(url, {"subject": "x"}).status_code in (403, 404)
    check.refresh_from_db()
    assert check.notice_id is None
    if role == Role.AUDITOR:
        assert 'data-testid="issue-notice"' not in _page(client, year)


def _notice(org, problem):
    return notice_services.notice_create(
        acting_user=org.user(Role.OFFICE_STAFF),
        data=NoticeInput(
            kind="contact",
            issuing_unit_id=org.office.pk,
            subject="抽查发现问题",
            problem=problem,
            basis="",
            reply_due=notice_services.Deadline(workdays=5),
            measures_due=notice_services.Deadline(workdays=10),
        ),
        target_id=org.community.pk,
    )


def test_the_backfill_links_a_spot_check_to_the_one_notice_made_from_it(org, year):
    # given checks recorded before the link existed, and the notices raised from them
    linked = _check(org, year, findings="会议记录不全")
    ambiguous = _check(org, year, findings="台账缺失")
    alone = _check(org, year, findings="没有通知")
    made = _notice(org, "会议记录不全")
    _notice(org, "台账缺失")
    _notice(org, "台账缺失")
    _notice(org, "无关的问题")
    # when the migration's backfill runs
    migration = importlib.import_module("appraisal.migrations.0009_spot_check_notice")
    migration.link_notices(apps, None)
    # then only the check with exactly one matching notice is linked
    links = dict(SpotCheck.objects.values_list("pk", "notice_id"))
    assert links == {linked.pk: made.pk, ambiguous.pk: None, alone.pk: None}
