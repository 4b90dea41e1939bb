"""The assessment year as a state machine (Art. 4–6, 12, 14–16): one service per transition, one
audit row each; from 已决定 on every input is refused unless a correction is open; the decision
waits for every report period to be due (or a stated reason); the Office's checklist."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from appraisal import services
from appraisal.models import AssessmentYear, Category, Indicator, Report, YearStatus
from appraisal.results import compute
from core import workdays
from core.errors import Conflict
from core.models import AuditEvent, Role

pytestmark = pytest.mark.django_db


def _after_year_end(year) -> dt.datetime:
    return dt.datetime(year.year + 1, 1, 10, 9, 0, tzinfo=workdays.SHANGHAI)


def _score(org, year, value="10.00", code="LZ-02"):
    ind = Indicator.objects.get(year=year, code=code)
    return services.scores_save(
        year_id=year.pk,
        category_id=ind.category_id,
        acting_user=org.user(Role.DEPT_ASSESSOR),
        cells=[services.CellInput(org.community.pk, ind.pk, value)],
    )


def _total(year, code):
    year = AssessmentYear.objects.get(pk=year.pk)
    return compute(year, as_of=year.as_of).results.unit(code).total


def test_status_cannot_be_assigned_directly(year):
    with pytest.raises(AttributeError):
        year.status = YearStatus.CLOSED
    year.refresh_from_db()  # a reload is not a transition
    assert year.status == YearStatus.IN_PROGRESS


def test_each_transition_writes_its_own_audit_row_once(org, year):
    office, leader = org.user(Role.OFFICE_STAFF), org.user(Role.LEADER)
    later = _after_year_end(year)
    steps = [
        (services.year_open_year_end, office, "year.year_end_opened", YearStatus.YEAR_END),
        (services.year_decide, office, "year.decided", YearStatus.DECIDED),
        (services.year_publish, leader, "year.published", YearStatus.PUBLISHED),
        (services.year_close, office, "year.closed", YearStatus.CLOSED),
    ]
    for service, who, key, status in steps:
        last = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
        year = service(year_id=year.pk, acting_user=who, now=later)
        assert year.status == status
        rows = list(
            AuditEvent.objects.filter(
                pk__gt=last, subject_id=str(year.pk), event_type__startswith="year."
            )
        )
        assert [r.event_type for r in rows] == [key]
        assert rows[0].after["status"] == status
    with pytest.raises(Conflict):
        services.year_close(year_id=year.pk, acting_user=office, now=later)


def test_a_decided_year_refuses_a_department_score_and_its_results_do_not_move(client, org, year):
    # given a scored year decided after every period was due
    _score(org, year, "10.00")
    office = org.user(Role.OFFICE_STAFF)
    later = _after_year_end(year)
    services.year_open_year_end(year_id=year.pk, acting_user=office)
    year = services.year_decide(year_id=year.pk, acting_user=office, now=later)
    total = _total(year, org.community.code)
    # when the department saves a score again, through the service and through the grid
    with pytest.raises(Conflict, match="已决定"):
        _score(org, year, "15.00")
    client.force_login(org.user(Role.DEPT_ASSESSOR))
    ind = Indicator.objects.get(year=year, code="LZ-02")
    url = reverse("appraisal:scoring", args=[year.year, "LZ"])
    response = client.post(url, {f"s-{org.community.pk}-{ind.pk}": "15.00"})
    # then both are refused — the page with the reason, 409, not a 403 — and the decided
    # results are what they were
    assert response.status_code == 409
    assert "已决定" in response.content.decode()
    assert _total(year, org.community.code) == total


def test_an_approved_correction_reopens_the_inputs_of_a_decided_year(org, year):
    office, leader = org.user(Role.OFFICE_STAFF), org.user(Role.LEADER)
    later = _after_year_end(year)
    services.year_open_year_end(year_id=year.pk, acting_user=office)
    year = services.year_decide(year_id=year.pk, acting_user=office, now=later)
    correction = services.correction_request(year_id=year.pk, acting_user=office, reason="录错")
    services.correction_decide(
        correction_id=correction.pk, acting_user=leader, approve=True, note=""
    )
    assert _score(org, year, "12.00") == 1
    # and the year does not move on while the correction is open
    with pytest.raises(Conflict, match="更正"):
        services.year_publish(year_id=year.pk, acting_user=office, now=later)


def test_the_decision_waits_until_every_report_period_is_due(org, year):
    office = org.user(Role.OFFICE_STAFF)
    services.year_open_year_end(year_id=year.pk, acting_user=office)
    last_due = Report.objects.filter(year=year).order_by("-due_at").first().due_at
    before_due = last_due - dt.timedelta(days=1)
    pending = Report.objects.filter(year=year, submitted_at__isnull=True, due_at__gt=before_due)
    n = pending.count()
    assert n > 0
    # when the Office decides while periods are not yet due, without a reason
    with pytest.raises(Conflict) as refused:
        services.year_decide(year_id=year.pk, acting_user=office, now=before_due)
    # then it is refused, naming how many and until when; nothing changed
    assert f"{n} " in str(refused.value)
    assert AssessmentYear.objects.get(pk=year.pk).status == YearStatus.YEAR_END
    # with a reason it is decided, and the audit row keeps the override
    year = services.year_decide(
        year_id=year.pk, acting_user=office, now=before_due, override_reason="领导小组提前决定"
    )
    assert year.status == YearStatus.DECIDED
    row = AuditEvent.objects.get(event_type="year.decided", subject_id=str(year.pk))
    assert row.after["override"] == {"reason": "领导小组提前决定", "periods_not_yet_due": n}


def test_after_every_period_is_due_no_reason_is_needed(org, year):
    office = org.user(Role.OFFICE_STAFF)
    services.year_open_year_end(year_id=year.pk, acting_user=office)
    later = _after_year_end(year)
    year = services.year_decide(year_id=year.pk, acting_user=office, now=later)
    assert year.status == YearStatus.DECIDED and year.as_of == later
    assert "override" not in AuditEvent.objects.get(event_type="year.decided").after


def _checklist(client, year) -> str:
    page = client.get(reverse("appraisal:year", args=[year.year])).content.decode()
    (section,) = re.findall(
        r'<section class="card mb-3" data-testid="checklist">.*?</section>', page, re.S
    )
    return section


def test_year_page_shows_the_checklist_and_links_every_verification_grid(client, org, year):
    _score(org, year, "10.00")
    office = org.user(Role.OFFICE_STAFF)
    client.force_login(office)
    # before 年末考核: periods not yet due are listed, for information
    section = _checklist(client, year)
    assert 'data-testid="check-not_due"' in section and "needs a reason" not in section
    services.year_open_year_end(year_id=year.pk, acting_user=office)
    # before 已决定: not yet due needs a reason; verification, votes, exceptions are listed
    section = _checklist(client, year)
    for key in (
        "not_due",
        "unscored",
        "unverified",
        "votes",
        "claims",
        "fraud",
        "comprehensive",
        "exceptions",
        "correction",
    ):
        assert f'data-testid="check-{key}"' in section
    page = client.get(reverse("appraisal:year", args=[year.year])).content.decode()
    # every category's verification grid is reachable from the year page
    for cat in Category.objects.filter(year=year):
        assert reverse("appraisal:scoring", args=[year.year, cat.code]) in page
    # Art. 16: the decision is the Leading Group's task in the year-end process, not a button
    assert 'name="override_reason"' not in page
    assert reverse("yearend_process", args=[year.year]) in page
    url = reverse("appraisal:year_advance", args=[year.year])
    response = client.post(
        url, {"expected_status": YearStatus.YEAR_END, "override_reason": "提前决定"}
    )
    assert response.status_code == 409
    assert reverse("yearend_process", args=[year.year]) in response.content.decode()
    assert AssessmentYear.objects.get(pk=year.pk).status == YearStatus.YEAR_END


def test_checklist_is_the_offices_not_the_communitys(client, org, year):
    client.force_login(org.user(Role.COMMUNITY_STAFF))
    page = client.get(reverse("appraisal:year", args=[year.year])).content.decode()
    assert 'data-testid="checklist"' not in page


def _decided(org, year):
    office = org.user(Role.OFFICE_STAFF)
    services.year_open_year_end(year_id=year.pk, acting_user=office)
    return services.year_decide(year_id=year.pk, acting_user=office, now=_after_year_end(year))


def test_deciding_cancels_the_report_tasks_nobody_can_do_any_more(org, year):
    from core.models import WorkItem, WorkItemState

    open_reports = WorkItem.objects.filter(kind="report.submit", state=WorkItemState.OPEN)
    assert open_reports.exists()
    _decided(org, year)
    assert not open_reports.exists()
    assert WorkItem.objects.filter(kind="report.submit", state=WorkItemState.CANCELLED).exists()


def test_pending_claims_and_fraud_findings_block_the_decision(org, year):
    from appraisal.models import FraudFinding

    office = org.user(Role.OFFICE_STAFF)
    services.fraud_record(
        year_id=year.pk,
        acting_user=office,
        unit_id=org.community.pk,
        category_id=Category.objects.get(year=year, code="LZ").pk,
        reason="伪造会议记录",
    )
    services.year_open_year_end(year_id=year.pk, acting_user=office)
    with pytest.raises(Conflict, match="弄虚作假"):
        services.year_decide(year_id=year.pk, acting_user=office, now=_after_year_end(year))
    assert AssessmentYear.objects.get(pk=year.pk).status == YearStatus.YEAR_END
    finding = FraudFinding.objects.get(year=year)
    services.fraud_decide(
        finding_id=finding.pk, acting_user=org.user(Role.LEADER), uphold=False, note="不成立"
    )
    year = services.year_decide(year_id=year.pk, acting_user=office, now=_after_year_end(year))
    assert year.status == YearStatus.DECIDED


@pytest.mark.parametrize(
    ("role", "url_name", "data"),
    [
        (Role.OFFICE_STAFF, "appraisal:inputs", {}),
        (Role.OFFICE_STAFF, "appraisal:fraud_list", {"unit": "1"}),
        (Role.DEPT_ASSESSOR, "appraisal:adjustments", {"form": "adjustment"}),
    ],
)
def test_input_pages_of_a_decided_year_answer_409_with_the_reason(
    client, org, year, role, url_name, data
):
    year = _decided(org, year)
    client.force_login(org.user(role))
    response = client.post(reverse(url_name, args=[year.year]), data)
    assert response.status_code == 409
    assert "已决定" in response.content.decode()


def test_a_decided_year_lists_unfiled_reports_as_missing_as_its_results_count_them(
    client, org, year
):
    # given a year decided early, with a reason, while periods were not yet due
    office = org.user(Role.OFFICE_STAFF)
    services.year_open_year_end(year_id=year.pk, acting_user=office)
    services.year_decide(year_id=year.pk, acting_user=office, override_reason="提前决定")
    unfiled = Report.objects.filter(year=year, submitted_at__isnull=True)
    report = unfiled.order_by("-due_at").first()
    client.force_login(office)
    # then no report is "not yet due" any more: the decision counted them as missing
    page = client.get(reverse("appraisal:reports", args=[year.year]))
    assert page.context["counts"]["pending"] == 0
    assert page.context["counts"]["missing"] == unfiled.count()
    detail = client.get(reverse("appraisal:report", args=[report.pk]))
    assert detail.context["state"] == "missing"
    assert "仍可" not in detail.content.decode()  # it can no longer be filed, and says nothing so


def test_reloading_the_advance_address_leads_back_to_the_year_page(client, org, year):
    client.force_login(org.user(Role.OFFICE_STAFF))
    response = client.get(reverse("appraisal:year_advance", args=[year.year]))
    assert response.status_code == 302
    assert response["Location"] == reverse("appraisal:year", args=[year.year])
    assert AssessmentYear.objects.get(pk=year.pk).status == YearStatus.IN_PROGRESS


def test_the_409_page_speaks_chinese_only(client, org, year):
    client.force_login(org.user(Role.OFFICE_STAFF))
    url = reverse("appraisal:year_advance", args=[year.year])
    data = {"expected_status": YearStatus.IN_PROGRESS}
    client.post(url, data)
    response = client.post(url, data)  # a double click
    assert response.status_code == 409
    main = response.content.decode().split("<main", 1)[1].split(">", 1)[1].split("</main>")[0]
    # (the deadline engine's banner names its process, qcluster: a command, not prose)
    text = re.sub(r"<[^>]+>", " ", main).replace("qcluster", "")
    assert "年度" in text
    assert not re.search(r"[A-Za-z]{4,}", text), text  # neither "(409 Conflict)" nor a copy
