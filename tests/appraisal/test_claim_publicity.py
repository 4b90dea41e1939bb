"""Publicity of bonus claims (通报展示, Art. 6): during its period a claim is seen by every unit
of the sub-district (never another one), anyone but an auditor may object, the Office answers
in its inbox; a rejected claim shows the decision, who took it, when and why."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from appraisal.kinds import WI_CLAIM_OBJECTION
from appraisal.models import BonusClaim, BonusLevel, ClaimObjection, ClaimState, ObjectionState
from appraisal.services.claims import claim_decide, claim_review
from core.models import AuditEvent, Role, WorkItem
from tests.factories import make_member


def _claim(year, unit, *, title="区级先进基层党组织", days=3, status=ClaimState.APPROVED):
    now = timezone.now()
    return BonusClaim.objects.create(
        year=year,
        unit=unit,
        level=BonusLevel.DISTRICT,
        title=title,
        status=status,
        declared_at=now - dt.timedelta(days=30),
        declare_by=now - dt.timedelta(days=20),
        publicity_ends_at=now + dt.timedelta(days=days) if days is not None else None,
    )


@pytest.fixture
def c02(org):
    return make_member(org.community2, Role.COMMUNITY_STAFF, "A-c02")


def _board(client, user, year):
    client.force_login(user)
    return client.get(reverse("appraisal:claim_publicity", args=[year.year]))


def test_every_unit_of_the_sub_district_sees_the_board(client, org, year, c02):
    _claim(year, org.community, title="在公示")
    _claim(year, org.community, title="已结束", days=-1)
    _claim(year, org.community, title="未批准", status=ClaimState.DECLARED, days=None)
    for user in [c02, *(org.user(r) for r in Role.values)]:
        response = _board(client, user, year)
        assert response.status_code == 200, user
        assert [c.title for c in response.context["rows"]] == ["在公示"]


def test_another_sub_district_sees_nothing(client, org, other_org, year):
    claim = _claim(year, org.community)
    client.force_login(other_org.user(Role.COMMUNITY_STAFF))
    assert client.get(reverse("appraisal:claim_publicity", args=[year.year])).status_code == 404
    assert client.get(reverse("appraisal:claim", args=[claim.pk])).status_code == 404


def test_community_sees_another_claim_only_in_publicity(client, org, year, c02):
    shown = _claim(year, org.community)
    over = _claim(year, org.community, days=-1)
    declared = _claim(year, org.community, status=ClaimState.DECLARED, days=None)
    client.force_login(c02)
    assert client.get(reverse("appraisal:claim", args=[shown.pk])).status_code == 200
    assert client.get(reverse("appraisal:claim", args=[over.pk])).status_code == 404
    assert client.get(reverse("appraisal:claim", args=[declared.pk])).status_code == 404


def _object(client, user, claim, reason="荣誉证书时间不在本年度"):
    client.force_login(user)
    return client.post(
        reverse("appraisal:claim", args=[claim.pk]), {"step": "object", "reason": reason}
    )


def test_objection_goes_to_the_office_inbox_audited(client, org, year, c02):
    claim = _claim(year, org.community)
    response = _object(client, c02, claim)
    assert response.status_code == 302
    objection = ClaimObjection.objects.get()
    assert objection.unit == org.community2 and objection.status == ObjectionState.OPEN
    item = WorkItem.objects.get(kind=WI_CLAIM_OBJECTION)
    assert item.owner_unit_id == org.office.pk
    assert AuditEvent.objects.filter(event_type="appraisal.claim_objection_raised").count() == 1
    client.force_login(org.user(Role.OFFICE_STAFF))
    page = client.get(reverse("appraisal:claim", args=[claim.pk])).content.decode()
    assert "荣誉证书时间不在本年度" in page


def test_auditor_cannot_object(client, org, year):
    claim = _claim(year, org.community)
    assert _object(client, org.user(Role.AUDITOR), claim).status_code == 403
    assert not ClaimObjection.objects.exists()


@pytest.mark.parametrize("reason", ["", "   ", "a\x00b", "x" * 5001])
def test_objection_bad_input_writes_nothing(client, org, year, c02, reason):
    claim = _claim(year, org.community)
    response = _object(client, c02, claim, reason=reason)
    assert response.status_code == 200
    assert not ClaimObjection.objects.exists()
    assert not WorkItem.objects.filter(kind=WI_CLAIM_OBJECTION).exists()


def test_objection_missing_field_is_an_error(client, org, year, c02):
    claim = _claim(year, org.community)
    client.force_login(c02)
    response = client.post(reverse("appraisal:claim", args=[claim.pk]), {"step": "object"})
    assert response.status_code == 200
    assert not ClaimObjection.objects.exists()


def test_objection_after_publicity_is_409(client, org, year, c02):
    claim = _claim(year, org.community, days=-1)
    client.force_login(org.user(Role.OFFICE_STAFF))
    response = client.post(
        reverse("appraisal:claim", args=[claim.pk]), {"step": "object", "reason": "晚了"}
    )
    assert response.status_code == 409
    assert not ClaimObjection.objects.exists()


def _respond(client, org, claim, objection, outcome, response="经核实属实"):
    client.force_login(org.user(Role.OFFICE_STAFF))
    return client.post(
        reverse("appraisal:claim", args=[claim.pk]),
        {"step": "respond", "objection": objection.pk, "outcome": outcome, "response": response},
    )


def test_upheld_objection_withdraws_the_approval_and_a_repeat_is_409(client, org, year, c02):
    claim = _claim(year, org.community)
    _object(client, c02, claim)
    objection = ClaimObjection.objects.get()
    assert _respond(client, org, claim, objection, "upheld").status_code == 302
    claim.refresh_from_db()
    objection.refresh_from_db()
    assert claim.status == ClaimState.REJECTED
    assert objection.status == ObjectionState.UPHELD
    assert not WorkItem.objects.filter(kind=WI_CLAIM_OBJECTION, state="open").exists()
    events = AuditEvent.objects.filter(event_type="appraisal.claim_objection_handled")
    assert events.count() == 1
    # the page left open: the second answer changes nothing
    assert _respond(client, org, claim, objection, "dismissed", "改主意").status_code == 409
    objection.refresh_from_db()
    assert objection.status == ObjectionState.UPHELD and objection.response == "经核实属实"
    assert events.count() == 1


def test_dismissed_objection_leaves_the_claim(client, org, year, c02):
    claim = _claim(year, org.community)
    _object(client, c02, claim)
    objection = ClaimObjection.objects.get()
    assert _respond(client, org, claim, objection, "dismissed", "证书有效").status_code == 302
    claim.refresh_from_db()
    assert claim.status == ClaimState.APPROVED


@pytest.mark.parametrize(
    "data",
    [{"outcome": "upheld"}, {"response": "x"}, {"outcome": "maybe", "response": "x"}],
)
def test_response_bad_input_writes_nothing(client, org, year, c02, data):
    claim = _claim(year, org.community)
    _object(client, c02, claim)
    objection = ClaimObjection.objects.get()
    client.force_login(org.user(Role.OFFICE_STAFF))
    response = client.post(
        reverse("appraisal:claim", args=[claim.pk]),
        {"step": "respond", "objection": objection.pk, **data},
    )
    assert response.status_code == 200
    objection.refresh_from_db()
    assert objection.status == ObjectionState.OPEN


def test_only_the_office_answers(client, org, year, c02):
    claim = _claim(year, org.community)
    _object(client, c02, claim)
    objection = ClaimObjection.objects.get()
    client.force_login(c02)
    response = client.post(
        reverse("appraisal:claim", args=[claim.pk]),
        {"step": "respond", "objection": objection.pk, "outcome": "dismissed", "response": "x"},
    )
    assert response.status_code == 403


def test_board_queries_do_not_grow(client, org, year, c02, django_assert_num_queries):
    _claim(year, org.community)
    client.force_login(c02)
    url = reverse("appraisal:claim_publicity", args=[year.year])
    client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for i in range(10):
        _claim(year, org.community2 if i % 2 else org.community, title=f"荣誉{i}")
    with django_assert_num_queries(len(one)):
        response = client.get(url)
    assert len(response.context["rows"]) == 11


def test_rejected_claim_shows_the_decision(client, org, year):
    claim = _claim(year, org.community, status=ClaimState.DECLARED, days=None)
    claim_review(claim_id=claim.pk, acting_user=org.user(Role.OFFICE_STAFF), forward=True, note="")
    claim_decide(
        claim_id=claim.pk,
        acting_user=org.user(Role.LEADER),
        approve=False,
        note="该荣誉为上年度所得",
    )
    client.force_login(org.user(Role.COMMUNITY_STAFF))
    page = client.get(reverse("appraisal:claim", args=[claim.pk])).content.decode()
    assert "该荣誉为上年度所得" in page
    assert "Rejected by the Leading Group" in page or "领导小组" in page
    assert str(org.user(Role.LEADER)) in page
    assert "publicity period not over" not in page and "通报展示期未结束" not in page


def test_office_rejection_names_the_office_and_the_reason(client, org, year):
    claim = _claim(year, org.community, status=ClaimState.DECLARED, days=None)
    office = org.user(Role.OFFICE_STAFF)
    claim_review(claim_id=claim.pk, acting_user=office, forward=False, note="不属于区级以上表彰")
    client.force_login(org.user(Role.COMMUNITY_STAFF))
    response = client.get(reverse("appraisal:claim", args=[claim.pk]))
    page = response.content.decode()
    assert "不属于区级以上表彰" in page and str(office) in page
    assert "Rejected by the Office" in page or "办公室审核未通过" in page
    listing = client.get(reverse("appraisal:claims", args=[year.year])).content.decode()
    assert "Rejected by the Office" in listing or "办公室审核未通过" in listing
    assert "not approved by the Leading Group" not in listing


def test_withdrawn_claim_says_so_on_its_page(client, org, year, c02):
    claim = _claim(year, org.community)
    _object(client, c02, claim)
    _respond(client, org, claim, ClaimObjection.objects.get(), "upheld", "证书系伪造")
    client.force_login(org.user(Role.COMMUNITY_STAFF))
    page = client.get(reverse("appraisal:claim", args=[claim.pk])).content.decode()
    assert "证书系伪造" in page
    assert 'data-testid="objection-status"' in page
