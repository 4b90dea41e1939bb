"""The Leading Group's decision and the interviews of the bottom units (Art. 16, 18): the step
services, their pages and who may use them."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from appraisal import services
from appraisal.models import (
    AssessedUnit,
    AssessmentYear,
    Category,
    Decision,
    Interview,
    YearStatus,
)
from appraisal.results import compute
from appraisal.services import yearend
from core import steps
from core.errors import Conflict
from core.models import AuditEvent, Role, WorkItem
from rectification.models import Notice, NoticeKind

pytestmark = pytest.mark.django_db

EARLY = "年末考核提前决定（测试）"


@pytest.fixture
def heard():
    calls = []

    def listener(**kwargs):
        calls.append(kwargs)

    steps.connect(listener)
    yield calls
    steps.disconnect(listener)


@pytest.fixture
def at_year_end(org, year):
    services.year_open_year_end(year_id=year.pk, acting_user=org.user(Role.OFFICE_STAFF))
    year.refresh_from_db()
    return year


def _decision(year, round=1):
    return yearend.decision_open(year=year, due_at=None, round=round)


def test_approval_decides_the_year_and_moves_the_process_on(org, at_year_end, heard):
    decision = _decision(at_year_end)
    leader = org.user(Role.LEADER)
    yearend.decision_approve(
        decision_id=decision.pk, acting_user=leader, expected_version=0, override_reason=EARLY
    )
    decision.refresh_from_db()
    assert decision.state == "approved" and decision.decided_by == leader
    assert AssessmentYear.objects.get(pk=at_year_end.pk).status == YearStatus.DECIDED
    assert [(c["step"], c["subject"]) for c in heard] == [("decision.approved", decision)]
    assert AuditEvent.objects.filter(event_type="appraisal.decision_approved").count() == 1


def test_approval_is_refused_with_the_years_reason(org, at_year_end, heard):
    decision = _decision(at_year_end)
    # report periods not yet due: deciding now would count them missing (Art. 12)
    with pytest.raises(Conflict) as refused:
        yearend.decision_approve(
            decision_id=decision.pk, acting_user=org.user(Role.LEADER), expected_version=0
        )
    assert "Art. 12" in str(refused.value) or "第十二条" in str(refused.value)
    decision.refresh_from_db()
    assert decision.state == "open" and heard == []


@pytest.mark.parametrize("role", [Role.OFFICE_STAFF, Role.AUDITOR, Role.COMMUNITY_SECRETARY])
def test_only_the_leading_group_decides(org, at_year_end, role):
    decision = _decision(at_year_end)
    with pytest.raises(PermissionDenied):
        yearend.decision_approve(
            decision_id=decision.pk, acting_user=org.user(role), expected_version=0
        )


def test_a_stale_decision_page_is_409(org, at_year_end):
    decision = _decision(at_year_end)
    with pytest.raises(Conflict):
        yearend.decision_return(
            decision_id=decision.pk,
            acting_user=org.user(Role.LEADER),
            target={"step": "votes"},
            reason="重新测评",
            expected_version=3,
        )


@pytest.mark.parametrize(
    "target",
    [
        {"step": "selfeval", "units": "c01"},
        {"step": "verify", "categories": "LZ"},
        {"step": "votes"},
    ],
)
def test_a_return_names_its_step_and_the_process_hears_it(org, at_year_end, heard, target):
    decision = _decision(at_year_end)
    if target["step"] == "selfeval":
        target = {"step": "selfeval", "units": [org.community.pk]}
    elif target["step"] == "verify":
        target = {
            "step": "verify",
            "categories": [Category.objects.get(year=at_year_end, code="LZ").pk],
        }
    yearend.decision_return(
        decision_id=decision.pk,
        acting_user=org.user(Role.LEADER),
        target=target,
        reason="核实不到位，请重新核实",
        expected_version=0,
    )
    decision.refresh_from_db()
    assert decision.state == "returned" and decision.return_target == target
    assert heard[0]["step"] == "decision.returned" and heard[0]["target"] == target
    assert AssessmentYear.objects.get(pk=at_year_end.pk).status == YearStatus.YEAR_END


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ({"step": "selfeval", "units": []}, "理由"),
        ({"step": "selfeval", "units": [999999]}, "理由"),
        ({"step": "verify", "categories": []}, "理由"),
        ({"step": "elsewhere"}, "理由"),
        ({"step": "votes"}, "  "),
    ],
)
def test_a_return_without_a_valid_target_or_reason_is_refused(
    org, at_year_end, heard, target, reason
):
    decision = _decision(at_year_end)
    with pytest.raises(ValidationError):
        yearend.decision_return(
            decision_id=decision.pk,
            acting_user=org.user(Role.LEADER),
            target=target,
            reason=reason,
            expected_version=0,
        )
    decision.refresh_from_db()
    assert decision.state == "open" and heard == []


def test_the_decision_page_returns_with_the_form_kept_on_bad_input(client, org, at_year_end):
    decision = _decision(at_year_end)
    client.force_login(org.user(Role.LEADER))
    url = reverse("appraisal:decision", args=[at_year_end.year, 1])
    response = client.post(
        url, {"action": "return", "version": "0", "step": "selfeval", "reason": "请重做"}
    )
    assert response.status_code == 400
    assert "请重做" in response.content.decode()
    decision.refresh_from_db()
    assert decision.state == "open"


def test_the_decision_page_asks_for_confirmation_before_approving(client, org, at_year_end):
    decision = _decision(at_year_end)
    client.force_login(org.user(Role.LEADER))
    url = reverse("appraisal:decision", args=[at_year_end.year, 1])
    data = {"action": "approve", "version": "0", "override_reason": EARLY}
    response = client.post(url, data)
    assert response.status_code == 200 and 'data-testid="confirm-text"' in response.content.decode()
    assert Decision.objects.get(pk=decision.pk).state == "open"
    response = client.post(url, {**data, "confirmed": "1"})
    assert response.status_code == 302
    assert Decision.objects.get(pk=decision.pk).state == "approved"
    # a second click from the page left open
    assert client.post(url, {**data, "confirmed": "1"}).status_code == 409


@pytest.mark.parametrize("role", sorted(Role.values))
def test_who_opens_the_decision_page(client, org, at_year_end, role):
    _decision(at_year_end)
    client.force_login(org.user(role))
    url = reverse("appraisal:decision", args=[at_year_end.year, 1])
    sees = role in (Role.OFFICE_STAFF, Role.LEADER, Role.AUDITOR, Role.ADMIN)
    response = client.get(url)
    assert response.status_code == (200 if sees else 403)
    if sees:
        assert ('data-testid="approve"' in response.content.decode()) == (role == Role.LEADER)
    if role != Role.LEADER:
        post = client.post(
            url, {"action": "return", "version": "0", "step": "votes", "reason": "x"}
        )
        assert post.status_code == 403


def test_another_sub_district_does_not_see_the_decision(client, other_org, at_year_end):
    _decision(at_year_end)
    client.force_login(other_org.user(Role.LEADER))
    response = client.get(reverse("appraisal:decision", args=[at_year_end.year, 1]))
    assert response.status_code == 404


# --- the bottom units (Art. 18) -------------------------------------------------------------------


def test_bottom_units_are_the_penalised_positions_ties_included(org, at_year_end):
    # two communities, nothing scored: both share rank 1 and bottom position 1
    computed = compute(at_year_end, details=False)
    bottom = yearend.bottom_units(computed=computed)
    assert bottom == sorted(
        AssessedUnit.objects.filter(year=at_year_end).values_list("unit_id", flat=True)
    )


def test_a_scored_unit_is_not_at_the_bottom(org, at_year_end):
    services.scores_save(
        year_id=at_year_end.pk,
        category_id=Category.objects.get(year=at_year_end, code="LZ").pk,
        acting_user=org.user(Role.DEPT_ASSESSOR),
        cells=[
            services.CellInput(
                unit_id=org.community.pk,
                indicator_id=at_year_end.indicators.get(code="LZ-02").pk,
                score="10.00",
                comment="",
            )
        ],
    )
    computed = compute(at_year_end, details=False)
    bottom = yearend.bottom_units(computed=computed)
    # 2 units, penalised positions 2: the better one is bottom position 2, still penalised
    assert org.community2.pk in bottom


def test_interview_record_and_the_bottom_units_notice(org, at_year_end, heard):
    office = org.user(Role.OFFICE_STAFF)
    interview = yearend.interview_open(year=at_year_end, unit_id=org.community.pk, due_at=None)
    notices = yearend.bottom_unit_notices_raise(
        year_id=at_year_end.pk, acting_user=office, interviews=[interview]
    )
    (notice,) = notices
    assert notice.kind == NoticeKind.SUPERVISION and notice.target_id == org.community.pk
    assert notice.state == "issued" and notice.reply_due_at is not None
    assert WorkItem.objects.filter(
        owner_unit=org.community, state="open", subject_id=notice.pk
    ).exists()
    # idempotent: a second call raises nothing more
    assert (
        yearend.bottom_unit_notices_raise(
            year_id=at_year_end.pk, acting_user=office, interviews=[interview]
        )
        == []
    )
    assert Notice.objects.filter(target=org.community, kind=NoticeKind.SUPERVISION).count() == 1
    yearend.interview_record(
        interview_id=interview.pk,
        acting_user=office,
        held_on=dt.date.today(),
        participants="街道党工委书记、社区党委书记",
        content="指出问题，要求限期整改。",
        expected_version=0,
    )
    interview.refresh_from_db()
    assert interview.state == "recorded" and interview.notice == notice
    assert heard[-1]["step"] == "interview.recorded"
    with pytest.raises(Conflict):
        yearend.interview_record(
            interview_id=interview.pk,
            acting_user=office,
            held_on=dt.date.today(),
            participants="x",
            content="y",
            expected_version=1,
        )


def test_interview_needs_its_fields(client, org, at_year_end):
    interview = yearend.interview_open(year=at_year_end, unit_id=org.community.pk, due_at=None)
    client.force_login(org.user(Role.OFFICE_STAFF))
    url = reverse("appraisal:interview", args=[at_year_end.year, interview.pk])
    response = client.post(
        url, {"version": "0", "held_on": "", "participants": "", "content": "内容"}
    )
    assert response.status_code == 400
    assert "内容" in response.content.decode()
    # a field missing from the request is an error, never blank
    assert client.post(url, {"version": "0", "held_on": "2026-12-01"}).status_code == 400
    assert Interview.objects.get(pk=interview.pk).state == "scheduled"


def test_a_community_sees_its_own_interview_once_recorded(client, org, at_year_end):
    interview = yearend.interview_open(year=at_year_end, unit_id=org.community.pk, due_at=None)
    url = reverse("appraisal:interview", args=[at_year_end.year, interview.pk])
    client.force_login(org.user(Role.COMMUNITY_SECRETARY))
    assert client.get(url).status_code == 404
    yearend.interview_record(
        interview_id=interview.pk,
        acting_user=org.user(Role.OFFICE_STAFF),
        held_on=dt.date.today(),
        participants="书记",
        content="整改要求",
        expected_version=0,
    )
    response = client.get(url)
    assert response.status_code == 200 and "整改要求" in response.content.decode()
    assert client.post(url, {"version": "1"}).status_code == 403
    client.force_login(org.user(Role.DEPT_ASSESSOR))
    assert client.get(url).status_code == 404
