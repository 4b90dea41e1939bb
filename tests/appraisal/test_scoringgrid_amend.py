"""A community amends a filed report before its due time (Art. 12, scoring.md §1): every version
kept, the last one on or before the due time counts, audited; after the due time it is refused;
another community cannot; a stale page gets 409."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from appraisal import services
from appraisal.models import Report, ReportVersion
from appraisal.results.compute import compute
from core.errors import Conflict
from core.models import AuditEvent, Role
from tests.factories import make_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def filed(org, year):
    """c01's LZ-01 period-4 report, due in ten days, filed once."""
    report = Report.objects.get(year=year, unit=org.community, indicator__code="LZ-01", period=4)
    report.due_at = timezone.now() + dt.timedelta(days=10)
    report.save()
    services.report_submit(
        report_id=report.pk, acting_user=org.user(Role.COMMUNITY_STAFF), text="第一版"
    )
    report.refresh_from_db()
    return report


def _post(client, report, **data):
    return client.post(reverse("appraisal:report", args=[report.pk]), {"action": "amend", **data})


def test_amend_before_due_keeps_every_version_and_is_audited(client, org, filed):
    client.force_login(org.user(Role.COMMUNITY_STAFF))
    page = client.get(reverse("appraisal:report", args=[filed.pk])).content.decode()
    assert 'data-testid="amend"' in page and 'name="version" value="1"' in page
    first_at = filed.submitted_at
    response = _post(client, filed, text="第二版：补充台账", version="1")
    assert response.status_code == 302
    filed.refresh_from_db()
    assert filed.text == "第二版：补充台账" and filed.submitted_at >= first_at
    assert filed.counted
    versions = list(ReportVersion.objects.filter(report=filed).values_list("number", "text"))
    assert versions == [(1, "第一版"), (2, "第二版：补充台账")]
    event = AuditEvent.objects.get(event_type="appraisal.report_amended")
    assert event.before["text"] == "第一版" and event.after["version"] == 2
    page = client.get(reverse("appraisal:report", args=[filed.pk])).content.decode()
    assert page.count('data-testid="version"') == 2


def test_stale_amend_is_409_and_changes_nothing(client, org, filed):
    client.force_login(org.user(Role.COMMUNITY_STAFF))
    assert _post(client, filed, text="第二版", version="1").status_code == 302
    events = AuditEvent.objects.count()
    # the same page, left open, sent again
    response = _post(client, filed, text="另一个第二版", version="1")
    assert response.status_code == 409
    filed.refresh_from_db()
    assert filed.text == "第二版" and filed.versions.count() == 2
    assert AuditEvent.objects.count() == events


def test_other_community_cannot_amend(client, org, filed):
    other = make_member(org.community2, Role.COMMUNITY_STAFF)
    for user in (other, org.user(Role.DEPT_ASSESSOR), org.user(Role.AUDITOR)):
        client.force_login(user)
        response = _post(client, filed, text="改写", version="1")
        assert response.status_code in (403, 404), user
        with pytest.raises((PermissionDenied, Http404)):
            services.report_amend(report_id=filed.pk, acting_user=user, text="改写", version=1)
    filed.refresh_from_db()
    assert filed.text == "第一版" and filed.versions.count() == 1
    assert not AuditEvent.objects.filter(event_type="appraisal.report_amended").exists()


def test_amend_after_due_is_refused_and_the_on_time_version_counts(client, org, year, filed):
    # filed two hours ago; the due time passed a minute ago
    now = timezone.now()
    Report.objects.filter(pk=filed.pk).update(
        due_at=now - dt.timedelta(minutes=1), submitted_at=now - dt.timedelta(hours=2)
    )
    ReportVersion.objects.filter(report=filed).update(submitted_at=now - dt.timedelta(hours=2))
    client.force_login(org.user(Role.COMMUNITY_STAFF))
    page = client.get(reverse("appraisal:report", args=[filed.pk])).content.decode()
    assert 'data-testid="amend"' not in page
    response = _post(client, filed, text="逾期修改", version="1")
    assert response.status_code == 303
    with pytest.raises(Conflict):
        services.report_amend(
            report_id=filed.pk,
            acting_user=org.user(Role.COMMUNITY_STAFF),
            text="逾期修改",
            version=1,
        )
    filed.refresh_from_db()
    assert filed.text == "第一版" and filed.versions.count() == 1
    # the results count the on-time filing for LZ-01 (one on time of four)
    unit = compute(year).results.unit(org.community.code)
    lz = {c.code: c for c in unit.categories}["LZ"]
    lz01 = next(i for i in lz.indicators if i.code == "LZ-01")
    assert lz01.on_time_reports == 1
    assert filed.counted
