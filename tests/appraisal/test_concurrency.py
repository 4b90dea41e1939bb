"""Two people do the same thing to the same case at the same moment (PostgreSQL row locks):
exactly one wins, the other is told 409, one audit row — never a 500, never two filings."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from appraisal.models import BonusClaim, Category, ClaimState, FraudFinding, Report
from core.models import AuditEvent, Role
from tests.factories import make_member
from tests.rectification.test_concurrency import _client, _race

ROUNDS = 10


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_filings_of_one_report(org, year):
    second = make_member(org.community, Role.COMMUNITY_STAFF)
    reports = list(Report.objects.filter(year=year, unit=org.community).order_by("id"))[:ROUNDS]
    for report in reports:
        url = reverse("appraisal:report", args=[report.pk])
        results, _ = _race(
            [
                (_client(org.user(Role.COMMUNITY_STAFF)), url, {"text": "甲"}),
                (_client(second), url, {"text": "乙"}),
            ]
        )
        # the loser's form is gone once the report is filed: it is told so (303), or 409
        assert sorted(results)[0] == 302, results
        assert sorted(results)[1] in (303, 409), results
        report.refresh_from_db()
        assert report.submitted_at is not None
    assert AuditEvent.objects.filter(event_type="appraisal.report_submitted").count() == len(
        reports
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_reviews_of_one_claim(org, year):
    office2 = make_member(org.office, Role.OFFICE_STAFF)
    now = timezone.now()
    for i in range(ROUNDS):
        claim = BonusClaim.objects.create(
            year=year,
            unit=org.community,
            level="city",
            title=f"表彰{i}",
            declared_at=now,
            declare_by=now + dt.timedelta(days=1),
        )
        url = reverse("appraisal:claim", args=[claim.pk])
        data = {"step": "review", "yes": "1", "note": ""}
        results, _ = _race(
            [(_client(org.user(Role.OFFICE_STAFF)), url, data), (_client(office2), url, data)]
        )
        assert sorted(results) == [302, 409], results
        assert BonusClaim.objects.get(pk=claim.pk).status == ClaimState.OFFICE_REVIEWED
    assert AuditEvent.objects.filter(event_type="appraisal.claim_reviewed").count() == ROUNDS


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_uphold_and_reject_of_one_finding_at_once(org, year):
    leader2 = make_member(org.leading_group, Role.LEADER)
    lz = Category.objects.get(year=year, code="LZ")
    for i in range(ROUNDS):
        finding = FraudFinding.objects.create(
            year=year, unit=org.community, category=lz, reason=f"伪造{i}"
        )
        url = reverse("appraisal:fraud", args=[year.year, finding.pk])
        results, _ = _race(
            [
                (_client(org.user(Role.LEADER)), url, {"uphold": "1", "note": ""}),
                (_client(leader2), url, {"reject": "1", "note": "证据不足"}),
            ]
        )
        assert sorted(results) == [302, 409], results
    decided = AuditEvent.objects.filter(
        event_type__in=["appraisal.fraud_upheld", "appraisal.fraud_rejected"]
    )
    assert decided.count() == ROUNDS
