"""The year's 进入下一阶段 button names the status it moves the year from: a double click or a page
left open moves the year on once, never twice."""

import re

import pytest
from django.urls import reverse

from appraisal import services
from appraisal.models import AssessmentYear, YearStatus
from core.models import AuditEvent, Role

pytestmark = pytest.mark.django_db


def _advance_form(client, year) -> dict:
    page = client.get(reverse("appraisal:year", args=[year.year])).content.decode()
    action = reverse("appraisal:year_advance", args=[year.year])
    (form,) = re.findall(rf'<form method="post" action="{action}".*?</form>', page, re.S)
    return dict(re.findall(r'<input type="hidden" name="(expected_\w+)" value="([^"]*)"', form))


def _advanced(year) -> int:
    return AuditEvent.objects.filter(
        event_type__in=list(services.YEAR_EVENTS.values()), subject_id=str(year.pk)
    ).count()


def _published(org, year):
    office = org.user(Role.OFFICE_STAFF)
    services.year_open_year_end(year_id=year.pk, acting_user=office)
    services.year_decide(year_id=year.pk, acting_user=office, override_reason="测试提前决定")
    services.year_publish(year_id=year.pk, acting_user=office)


def test_double_click_moves_the_year_on_once(client, org, year):
    # given a published year and the Office's year page (归档 is still the page's button)
    _published(org, year)
    client.force_login(org.user(Role.OFFICE_STAFF))
    data = _advance_form(client, year)
    assert data == {"expected_status": YearStatus.PUBLISHED}
    before = _advanced(year)
    url = reverse("appraisal:year_advance", args=[year.year])
    # when the button is clicked twice
    first, second = client.post(url, data), client.post(url, data)
    # then the year is closed once; the second click is a conflict
    assert first.status_code == 302
    assert second.status_code == 409
    assert AssessmentYear.objects.get(pk=year.pk).status == YearStatus.CLOSED
    assert _advanced(year) == before + 1
    assert f'href="{reverse("appraisal:year", args=[year.year])}"' in second.content.decode()


def test_advance_without_the_expected_status_is_400(client, org, year):
    client.force_login(org.user(Role.OFFICE_STAFF))
    response = client.post(reverse("appraisal:year_advance", args=[year.year]), {})
    assert response.status_code == 400
    body = response.content.decode()
    assert "页面显示时的考核年度状态" in body and "expected_status" not in body  # a label, no code
    assert AssessmentYear.objects.get(pk=year.pk).status == YearStatus.IN_PROGRESS


def test_who_may_not_advance_gets_403_before_400(client, org, year):
    client.force_login(org.user(Role.COMMUNITY_STAFF))
    response = client.post(reverse("appraisal:year_advance", args=[year.year]), {})
    assert response.status_code == 403
