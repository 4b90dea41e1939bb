"""The assessment year through its services and pages: start, reports (Art. 7, 12), department
scoring, adjustments, fraud (Art. 19), bonus claims (Art. 6), freezing after publication."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from appraisal import services
from appraisal.models import (
    AssessedUnit,
    BonusClaim,
    Category,
    ClaimState,
    Indicator,
    Report,
    Score,
    YearStatus,
)
from appraisal.results import compute
from appraisal.selectors.catalogue import catalogue_digest
from appraisal.services import publication
from core.errors import Conflict
from core.models import AuditEvent, Role, WorkItem
from tests.appraisal.pageform import post_data

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

# Art. 12: these tests decide before the last report periods are due, as the Office may
# with a stated reason (the decision counts them as missing).
EARLY = "在全部报送期到期前决定"


def pdf(name="证明.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def test_starting_the_year_gives_each_community_its_report_tasks(org, year):
    # then both communities are assessed and get 4 quarterly + 1 annual report each
    assert year.status == YearStatus.IN_PROGRESS
    assert set(AssessedUnit.objects.filter(year=year).values_list("unit_id", flat=True)) == {
        org.community.pk,
        org.community2.pk,
    }
    assert Report.objects.filter(year=year, unit=org.community).count() == 5
    assert Indicator.objects.get(year=year, code="LZ-01").required_reports == 4
    # and the open ones are in the community's inbox (待办) with their due times
    items = WorkItem.objects.filter(owner_unit=org.community, kind=services.WI_REPORT)
    assert items.count() == 5
    client_due = sorted(i.due_at for i in items)
    assert client_due[0].astimezone(dt.UTC) < client_due[-1].astimezone(dt.UTC)


def test_inbox_lists_report_tasks(client, org, year):
    client.force_login(org.user(Role.COMMUNITY_STAFF))
    body = client.get(reverse("inbox")).content.decode()
    assert "党风廉政建设季度报告" in body


def _report(year, unit, code, period):
    return Report.objects.get(year=year, unit=unit, indicator__code=code, period=period)


def test_late_report_is_kept_marked_and_excluded(client, org, year):
    # given the Q1 report, due long ago
    report = _report(year, org.community, "LZ-01", 1)
    assert report.due_at < timezone.now()
    client.force_login(org.user(Role.COMMUNITY_STAFF))
    # when the community files it now
    response = client.post(
        reverse("appraisal:report", args=[report.pk]),
        {"text": "一季度党风廉政建设情况", "files": [pdf()]},
    )
    assert response.status_code == 302
    report.refresh_from_db()
    # then it is kept, marked late, and its work item is closed
    assert report.submitted_at is not None and report.late
    assert not WorkItem.objects.filter(
        subject_id=report.pk, kind=services.WI_REPORT, state="open"
    ).exists()
    # and the community sees at once that it is excluded, with due and filing times
    page = client.get(reverse("appraisal:report", args=[report.pk])).content.decode()
    assert 'data-testid="exclusion"' in page
    assert timezone.localtime(report.due_at).strftime("%Y-%m-%d %H:%M") in page
    # as do the department scoring it, the Office and auditors
    for role in (Role.DEPT_ASSESSOR, Role.OFFICE_STAFF, Role.AUDITOR):
        client.force_login(org.user(role))
        page = client.get(reverse("appraisal:report", args=[report.pk]))
        assert page.status_code == 200 and b'data-testid="exclusion"' in page.content
    # and the results list it as an exclusion of the unit
    unit = compute(year).results.unit(org.community.code)
    lz01 = next(i for c in unit.categories for i in c.indicators if i.code == "LZ-01")
    periods = {(e.period, e.reason) for e in lz01.exclusions}
    assert (1, "late") in periods
    # and one audit row records the filing
    assert AuditEvent.objects.filter(event_type="appraisal.report_submitted").count() == 1


def test_on_time_report_counts(client, org, year):
    report = _report(year, org.community, "LZ-01", 4)  # due 31 December
    client.force_login(org.user(Role.COMMUNITY_SECRETARY))
    client.post(reverse("appraisal:report", args=[report.pk]), {"text": "四季度"})
    report.refresh_from_db()
    assert report.counted
    unit = compute(year).results.unit(org.community.code)
    lz01 = next(i for c in unit.categories for i in c.indicators if i.code == "LZ-01")
    assert lz01.on_time_reports == 1
    assert lz01.cap == Decimal("1.25")


def test_other_community_cannot_see_or_file_the_report(client, org, other_org, year):
    report = _report(year, org.community, "LZ-01", 4)
    # a community of the same sub-district, but another unit
    from tests.factories import make_member

    neighbour = make_member(org.community2, Role.COMMUNITY_STAFF)
    client.force_login(neighbour)
    assert client.get(reverse("appraisal:report", args=[report.pk])).status_code == 404
    assert (
        client.post(reverse("appraisal:report", args=[report.pk]), {"text": "x"}).status_code == 404
    )
    # and anyone of sub-district B
    client.force_login(other_org.user(Role.OFFICE_STAFF))
    assert client.get(reverse("appraisal:report", args=[report.pk])).status_code == 404


def test_filing_twice_is_a_conflict(client, org, year):
    report = _report(year, org.community, "LZ-01", 4)
    user = org.user(Role.COMMUNITY_STAFF)
    services.report_submit(report_id=report.pk, acting_user=user, text="一")
    with pytest.raises(Conflict):
        services.report_submit(report_id=report.pk, acting_user=user, text="二")


def test_department_scores_only_its_own_category(client, org, year):
    dept = org.user(Role.DEPT_ASSESSOR)  # 纪检监察室: leads LZ
    client.force_login(dept)
    lz = Category.objects.get(year=year, code="LZ")
    ind = Indicator.objects.get(year=year, code="LZ-02")
    assert client.get(reverse("appraisal:scoring", args=[year.year, "LZ"])).status_code == 200
    # another department's category does not exist for it
    assert client.get(reverse("appraisal:scoring", args=[year.year, "ZZ"])).status_code == 404
    assert client.post(reverse("appraisal:scoring", args=[year.year, "ZZ"]), {}).status_code == 404
    # it saves a grid (the whole grid, as the page sends it)
    url = reverse("appraisal:scoring", args=[year.year, "LZ"])
    grid = post_data(client.get(url).content.decode(), containing="s-")
    response = client.post(
        url,
        {
            **grid,
            f"s-{org.community.pk}-{ind.pk}": "18.50",
            f"c-{org.community.pk}-{ind.pk}": "良好",
        },
    )
    assert response.status_code == 302
    score = Score.objects.get(unit=org.community, indicator=ind)
    assert score.department_score == Decimal("18.50") and score.comment == "良好"
    assert AuditEvent.objects.filter(event_type="appraisal.scores_saved").count() == 1
    # a score above the maximum is refused with a message, nothing saved
    response = client.post(url, {**grid, f"s-{org.community.pk}-{ind.pk}": "20.01"})
    assert response.status_code == 400 and "20.00" in response.content.decode()
    score.refresh_from_db()
    assert score.department_score == Decimal("18.50")
    # and the service refuses ZZ outright
    zz = Category.objects.get(year=year, code="ZZ")
    with pytest.raises(PermissionDenied):
        services.scores_save(year_id=year.pk, category_id=zz.pk, acting_user=dept, cells=[])
    assert lz.pk


def test_garbage_scores_give_messages_not_500(client, org, year):
    client.force_login(org.user(Role.DEPT_ASSESSOR))
    ind = Indicator.objects.get(year=year, code="LZ-02")
    url = reverse("appraisal:scoring", args=[year.year, "LZ"])
    grid = post_data(client.get(url).content.decode(), containing="s-")
    for bad in ("abc", "1e5", "NaN", "-1", "1.234", "\x00"):
        response = client.post(url, {**grid, f"s-{org.community.pk}-{ind.pk}": bad})
        assert response.status_code == 400, bad
    assert not Score.objects.filter(indicator=ind).exists()


def _lz(year, org):
    cats = {c.code: c for c in compute(year).results.unit(org.community.code).categories}
    return cats["LZ"].score


def test_adjustment_and_fraud_change_the_results(client, org, year):
    office, leader = org.user(Role.OFFICE_STAFF), org.user(Role.LEADER)
    ind = Indicator.objects.get(year=year, code="LZ-02")
    lz = Category.objects.get(year=year, code="LZ")
    services.scores_save(
        year_id=year.pk,
        category_id=lz.pk,
        acting_user=org.user(Role.DEPT_ASSESSOR),
        cells=[services.CellInput(org.community.pk, ind.pk, "18.00")],
    )
    services.adjustment_add(
        year_id=year.pk,
        acting_user=org.user(Role.DEPT_ASSESSOR),
        unit_id=org.community.pk,
        category_id=lz.pk,
        points="-1.50",
        reason="抽查发现台账不全",
        source="抽查",
        date=dt.date(2026, 5, 1),
    )
    assert _lz(year, org) == Decimal("16.50")
    finding = services.fraud_record(
        year_id=year.pk,
        acting_user=office,
        unit_id=org.community.pk,
        category_id=lz.pk,
        reason="伪造会议记录",
        files=[pdf()],
    )
    # proposed: nothing changes until the Leading Group upholds it
    assert _lz(year, org) == Decimal("16.50")
    with pytest.raises(PermissionDenied):
        services.fraud_decide(finding_id=finding.pk, acting_user=office, uphold=True, note="")
    services.fraud_decide(finding_id=finding.pk, acting_user=leader, uphold=True, note="")
    cats = {c.code: c for c in compute(year).results.unit(org.community.code).categories}
    assert cats["LZ"].score == Decimal("0.00") and cats["LZ"].fraud is not None
    # a community never sees fraud findings
    client.force_login(org.user(Role.COMMUNITY_STAFF))
    assert client.get(reverse("appraisal:fraud", args=[year.year, finding.pk])).status_code == 404


def test_bonus_claim_flow(client, org, year):
    office, leader = org.user(Role.OFFICE_STAFF), org.user(Role.LEADER)
    year.claim_declare_by = timezone.now() + dt.timedelta(days=3)
    year.save()
    client.force_login(org.user(Role.COMMUNITY_STAFF))
    response = client.post(
        reverse("appraisal:claims", args=[year.year]),
        {"level": "city", "title": "市级先进基层党组织", "files": [pdf()]},
    )
    assert response.status_code == 302
    claim = BonusClaim.objects.get()
    assert not claim.late and claim.status == ClaimState.DECLARED
    assert WorkItem.objects.filter(kind=services.WI_CLAIM_REVIEW, owner_unit=org.office).exists()
    # the Leading Group cannot decide before the Office's review
    with pytest.raises(Conflict):
        services.claim_decide(claim_id=claim.pk, acting_user=leader, approve=True, note="")
    services.claim_review(claim_id=claim.pk, acting_user=office, forward=True, note="")
    assert WorkItem.objects.filter(
        kind=services.WI_CLAIM_DECIDE, owner_unit=org.leading_group, state="open"
    ).exists()
    now = timezone.now()
    claim = services.claim_decide(
        claim_id=claim.pk, acting_user=leader, approve=True, note="同意", now=now
    )
    assert claim.publicity_ends_at > now
    # during publicity it does not count; afterwards it does
    unit = compute(year, as_of=now).results.unit(org.community.code)
    assert unit.bonus == Decimal("0.00")
    later = claim.publicity_ends_at + dt.timedelta(seconds=1)
    assert compute(year, as_of=later).results.unit(org.community.code).bonus == Decimal("2.00")


def test_late_claim_is_recorded_and_excluded(org, year):
    year.claim_declare_by = timezone.now() - dt.timedelta(days=1)
    year.save()
    claim = services.claim_declare(
        year_id=year.pk,
        acting_user=org.user(Role.COMMUNITY_STAFF),
        unit_id=org.community.pk,
        level="district",
        title="区级表彰",
        description="",
        files=[pdf()],
    )
    assert claim.late
    unit = compute(year).results.unit(org.community.code)
    assert unit.claims_not_counted and "deadline" in unit.claims_not_counted[0].reasons[0]


def test_publishing_freezes_the_year_until_a_correction_is_approved(org, year):
    office, leader = org.user(Role.OFFICE_STAFF), org.user(Role.LEADER)
    ind = Indicator.objects.get(year=year, code="LZ-02")
    lz = Category.objects.get(year=year, code="LZ")
    # year-end, decided (no category at full marks: nothing breaks the cap), published
    for _ in range(3):
        year = services.year_advance(year_id=year.pk, acting_user=office, override_reason=EARLY)
    assert year.status == YearStatus.PUBLISHED and year.as_of is not None
    cell = [services.CellInput(org.community.pk, ind.pk, "10.00")]
    with pytest.raises(Conflict):
        services.scores_save(
            year_id=year.pk, category_id=lz.pk, acting_user=org.user(Role.DEPT_ASSESSOR), cells=cell
        )
    with pytest.raises(Conflict):
        services.year_update_settings(
            year_id=year.pk, acting_user=office, values={"bonus_cap": Decimal("3")}
        )
    correction = services.correction_request(year_id=year.pk, acting_user=office, reason="录入错误")
    with pytest.raises(PermissionDenied):
        services.correction_decide(
            correction_id=correction.pk, acting_user=office, approve=True, note=""
        )
    services.correction_decide(
        correction_id=correction.pk, acting_user=leader, approve=True, note=""
    )
    services.scores_save(
        year_id=year.pk, category_id=lz.pk, acting_user=org.user(Role.DEPT_ASSESSOR), cells=cell
    )
    # a changed figure cannot be closed silently: it is closed for republication (Art. 16)
    with pytest.raises(Conflict):
        services.correction_close(correction_id=correction.pk, acting_user=office)
    publication.correction_republication_request(year_id=year.pk, acting_user=office)
    with pytest.raises(Conflict):
        services.scores_save(
            year_id=year.pk, category_id=lz.pk, acting_user=org.user(Role.DEPT_ASSESSOR), cells=cell
        )
    events = set(AuditEvent.objects.values_list("event_type", flat=True))
    assert {"appraisal.correction_requested", "appraisal.correction_approved"} <= events


def test_decision_is_refused_while_a_category_breaks_the_full_marks_cap(org, year):
    office = org.user(Role.OFFICE_STAFF)
    # both communities at full marks in LZ: allowed floor(0.15 × 2) = 0
    lz = Category.objects.get(year=year, code="LZ")
    cells = [
        services.CellInput(u, i.pk, str(i.max_points))
        for u in (org.community.pk, org.community2.pk)
        for i in Indicator.objects.filter(category=lz)
    ]
    services.scores_save(
        year_id=year.pk, category_id=lz.pk, acting_user=org.user(Role.DEPT_ASSESSOR), cells=cells
    )
    services.adjustment_add(
        year_id=year.pk,
        acting_user=office,
        unit_id=org.community.pk,
        category_id=lz.pk,
        points="5.00",
        reason="表彰",
        source="通报",
        date=dt.date(2026, 6, 1),
    )
    services.adjustment_add(
        year_id=year.pk,
        acting_user=office,
        unit_id=org.community2.pk,
        category_id=lz.pk,
        points="5.00",
        reason="表彰",
        source="通报",
        date=dt.date(2026, 6, 1),
    )
    year = services.year_advance(year_id=year.pk, acting_user=office)  # year-end
    with pytest.raises(Conflict, match="LZ"):
        services.year_advance(year_id=year.pk, acting_user=office, override_reason=EARLY)
    with pytest.raises(PermissionDenied):
        services.full_marks_exception_record(
            year_id=year.pk, acting_user=office, category_id=lz.pk, reason="x"
        )
    services.full_marks_exception_record(
        year_id=year.pk, acting_user=org.user(Role.LEADER), category_id=lz.pk, reason="均获表彰"
    )
    assert (
        services.year_advance(year_id=year.pk, acting_user=office, override_reason=EARLY).status
        == YearStatus.DECIDED
    )


def test_settings_must_keep_weights_summing_to_one(org, planning_year):
    with pytest.raises(ValidationError):
        services.year_update_settings(
            year_id=planning_year.pk,
            acting_user=org.user(Role.OFFICE_STAFF),
            values={"performance_weight": Decimal("0.70")},
        )


def test_new_year_copies_the_catalogue(org, planning_year):
    copy = services.year_create(
        acting_user=org.user(Role.OFFICE_STAFF),
        number=planning_year.year + 1,
        copy_from=planning_year,
    )
    assert list(
        Indicator.objects.filter(year=copy).values_list("code", flat=True).order_by("code")
    ) == ["LZ-01", "LZ-02", "QT-01", "XC-01", "ZZ-01"]
    assert Category.objects.filter(year=copy).count() == 4


def test_votes_and_comprehensive_inputs(client, org, year):
    client.force_login(org.user(Role.OFFICE_STAFF))
    c1 = org.community.pk
    page = client.get(reverse("appraisal:inputs", args=[year.year])).content.decode()
    data = {
        **post_data(page, containing="score-"),
        f"debriefing-satisfied-{c1}": "20",
        f"debriefing-basically-{c1}": "5",
        f"debriefing-dissatisfied-{c1}": "1",
        f"score-{c1}": "92.50",
        f"advanced-{c1}": "on",
    }
    assert client.post(reverse("appraisal:inputs", args=[year.year]), data).status_code == 302
    unit = compute(year).results.unit(org.community.code)
    assert unit.debriefing.score == Decimal("88.46")
    assert unit.comprehensive == Decimal("92.50")
    # a negative count is refused with a message, nothing half-written
    data[f"debriefing-satisfied-{c1}"] = "-1"
    data[f"score-{c1}"] = "80"
    assert client.post(reverse("appraisal:inputs", args=[year.year]), data).status_code == 303
    assert compute(year).results.unit(org.community.code).comprehensive == Decimal("92.50")
    # the auditor reads but cannot write
    client.force_login(org.user(Role.AUDITOR))
    assert client.get(reverse("appraisal:inputs", args=[year.year])).status_code == 200
    assert client.post(reverse("appraisal:inputs", args=[year.year]), data).status_code == 403


def test_spot_check_prefills_a_notice(client, org, year):
    lz = Category.objects.get(year=year, code="LZ")
    services.spot_check_add(
        year_id=year.pk,
        acting_user=org.user(Role.DEPT_ASSESSOR),
        unit_id=org.community.pk,
        category_id=lz.pk,
        indicator_id=None,
        date=dt.date(2026, 9, 1),
        findings="廉政台账缺失",
    )
    client.force_login(org.user(Role.DEPT_ASSESSOR))
    page = client.get(reverse("appraisal:adjustments", args=[year.year])).content.decode()
    assert 'data-testid="issue-notice"' in page
    import re

    link = (
        re.search(r'href="([^"]+)" data-testid="issue-notice"', page).group(1).replace("&amp;", "&")
    )
    form = client.get(link).content.decode()
    assert "廉政台账缺失" in form


def test_office_edits_the_catalogue_while_planning(client, org, planning_year):
    client.force_login(org.user(Role.OFFICE_STAFF))
    zz = Category.objects.get(year=planning_year, code="ZZ")
    url = reverse("appraisal:indicator_new", args=[planning_year.year])
    data = {
        "category_id": zz.pk,
        "code": "ZZ-02",
        "name": "书记领办项目备案",
        "description": "年度工作计划、重点项目、书记领办项目报备（第八条）",
        "max_points": "5.00",
        "schedule": "once",
        "due_date": f"{planning_year.year}-03-31",
    }
    assert client.post(url, data).status_code == 302
    ind = Indicator.objects.get(year=planning_year, code="ZZ-02")
    assert ind.schedule == "once" and ind.due_date.month == 3
    # a duplicate code, a one-off without a date and too many points are refused with messages
    for bad in ({"code": "ZZ-01"}, {"due_date": ""}, {"max_points": "40.01"}):
        response = client.post(url, {**data, **bad})
        assert response.status_code == 200
        assert Indicator.objects.filter(year=planning_year, code="ZZ-02").count() == 1
    # the department of LZ cannot put an indicator into ZZ (Art. 5: its own category only)
    client.force_login(org.user(Role.DEPT_ASSESSOR))
    assert client.post(url, {**data, "code": "ZZ-03"}).status_code == 403
    # the edit withdrew the Office's approval: approved again, the year starts
    planning_year.refresh_from_db()
    assert planning_year.catalogue_approved_at is None
    # (the approval wants ZZ's indicators within its 40 points: ZZ-01 makes room for ZZ-02)
    Indicator.objects.filter(year=planning_year, code="ZZ-01").update(max_points=Decimal("35"))
    services.catalogue_approve(
        year_id=planning_year.pk,
        acting_user=org.user(Role.OFFICE_STAFF),
        digest=catalogue_digest(planning_year),
    )
    # once the year has started the catalogue is fixed
    year = services.year_advance(year_id=planning_year.pk, acting_user=org.user(Role.OFFICE_STAFF))
    with pytest.raises(Conflict):
        services.indicator_save(
            year_id=year.pk,
            acting_user=org.user(Role.OFFICE_STAFF),
            values={**data, "code": "ZZ-04", "due_date": None, "schedule": "none"},
        )
    # the one-off report was generated with its own due date
    report = Report.objects.get(year=year, unit=org.community, indicator=ind)
    assert timezone.localtime(report.due_at).date().isoformat() == f"{year.year}-03-31"


def test_joint_team_values_replace_the_departments_at_year_end(client, org, year):
    office, dept = org.user(Role.OFFICE_STAFF), org.user(Role.DEPT_ASSESSOR)
    ind = Indicator.objects.get(year=year, code="LZ-02")
    lz = Category.objects.get(year=year, code="LZ")
    services.scores_save(
        year_id=year.pk,
        category_id=lz.pk,
        acting_user=dept,
        cells=[services.CellInput(org.community.pk, ind.pk, "18.00", "台账齐全")],
    )
    cell = [services.CellInput(org.community.pk, ind.pk, "15.00")]
    # not before the year-end appraisal, and never by the department
    with pytest.raises(Conflict):
        services.verified_scores_save(
            year_id=year.pk, category_id=lz.pk, acting_user=office, cells=cell
        )
    year = services.year_advance(year_id=year.pk, acting_user=office)
    with pytest.raises(PermissionDenied):
        services.verified_scores_save(
            year_id=year.pk, category_id=lz.pk, acting_user=dept, cells=cell
        )
    # the Office enters it through the grid
    client.force_login(office)
    url = reverse("appraisal:scoring", args=[year.year, "LZ"])
    page = client.get(url).content.decode()
    assert f'name="v-{org.community.pk}-{ind.pk}"' in page
    grid = post_data(page, containing="v-")
    assert client.post(url, {**grid, f"v-{org.community.pk}-{ind.pk}": "15.00"}).status_code == 302
    score = Score.objects.get(unit=org.community, indicator=ind)
    assert (score.department_score, score.verified_score) == (Decimal("18.00"), Decimal("15.00"))
    assert score.comment == "台账齐全"  # the department's comment stays
    lz02 = next(
        i
        for c in compute(year).results.unit(org.community.code).categories
        for i in c.indicators
        if i.code == "LZ-02"
    )
    assert (lz02.source, lz02.score) == ("joint_team", Decimal("15.00"))
    assert AuditEvent.objects.filter(event_type="appraisal.verified_scores_saved").count() == 1
    # above the maximum: refused, nothing saved
    assert client.post(url, {**grid, f"v-{org.community.pk}-{ind.pk}": "20.01"}).status_code == 400
    score.refresh_from_db()
    assert score.verified_score == Decimal("15.00")


def test_drill_down_marks_periods_not_yet_due(client, org, year):
    # results as of 1 November: the Q4 report (due 31 December) is not due yet, Q1–Q3 are past
    year.as_of = dt.datetime(year.year, 11, 1, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    year.save()
    client.force_login(org.user(Role.OFFICE_STAFF))
    page = client.get(
        reverse("appraisal:results_unit", args=[year.year, org.community.code])
    ).content.decode()
    # LZ-01 Q4 and ZZ-01 (annual, due 31 December) are marked; LZ-01 Q1–Q3 are plain exclusions
    assert page.count('data-testid="not-yet-due"') == 2
    assert page.count('data-testid="exclusion"') == 5


def test_report_tasks_enter_the_inbox_as_their_periods_begin(org, planning_year):
    # a year started on 15 January: only the periods begun by then are in the inbox
    from workflows.sweep import run_sweep

    tz = dt.timezone(dt.timedelta(hours=8))
    jan = dt.datetime(planning_year.year, 1, 15, 9, 0, tzinfo=tz)
    year = services.year_advance(
        year_id=planning_year.pk, acting_user=org.user(Role.OFFICE_STAFF), now=jan
    )
    assert year.status == YearStatus.IN_PROGRESS

    def open_titles():
        return sorted(
            WorkItem.objects.filter(
                owner_unit=org.community, kind=services.WI_REPORT, state="open"
            ).values_list("reference", "due_at")
        )

    # LZ-01 Q1 (due 31 March) and ZZ-01 (annual) are open; Q2–Q4 are not yet
    assert [ref for ref, _due in open_titles()] == ["LZ-01", "ZZ-01"]
    # the sweep of 1 April opens Q2 (and reminds nothing twice); a second sweep opens nothing
    april = dt.datetime(planning_year.year, 4, 1, 0, 5, tzinfo=tz)
    first = run_sweep(now=april)
    assert first.opened == 2 * 1  # Q2 of LZ-01, for each of the two communities
    assert run_sweep(now=april).opened == 0
    refs = [ref for ref, _due in open_titles()]
    assert refs.count("LZ-01") == 2 and refs.count("ZZ-01") == 1
    # a filed report's task never comes back
    q2 = _report(year, org.community, "LZ-01", 2)
    services.report_submit(
        report_id=q2.pk, acting_user=org.user(Role.COMMUNITY_STAFF), text="二季度"
    )
    assert run_sweep(now=april + dt.timedelta(days=1)).opened == 0
