"""Results pages (scoring.md §7): ranking, drill-down, export, full-marks exceptions, what-if.

The year is built through the ORM (`make_year`), not through the pages. Its figures, worked by
hand for the two communities of the Org fixture (as of 2025-12-31 18:00 Beijing time):

c01: LZ 24 - 1 (deduction) = 23, ZZ 38, XC 18, QT 15 (full marks) = 94, + 1 bonus (district
     claim; a second claim was declared late) = 95; votes 100 and 92 → 96;
     total 0.8 × 95 + 0.2 × 96 = 95.20. A fraud finding on ZZ is only proposed.
c02: LZ 25 capped at 25 × 3/4 = 18.75 (Q4 report late), ZZ 39.5, XC 0 (report never submitted,
     and an upheld fraud finding), QT 12 = 70.25; city claim not approved; votes 80 and none →
     40; total 0.8 × 70.25 + 0.2 × 40 = 64.20.
Ranking: c01 1st (bottom 2), c02 2nd (bottom 1). QT breaks the full-marks cap (floor(0.15 × 2)
= 0 allowed). Comprehensive: c01 92 + 0.3 - 0.1 = 92.20 → 优胜, vetoed to 合格 (bottom 2);
c02 85 + 0.2 - 0.2 = 85.00 → 合格.
Extra units (query-count tests): 20 + 30 + 15 + 10 = 75, votes 84 → total 76.80.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from io import BytesIO
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils.html import escape
from openpyxl import load_workbook

from appraisal import domain
from appraisal.models import (
    Adjustment,
    AssessedUnit,
    AssessmentYear,
    BonusClaim,
    BonusLevel,
    Category,
    ClaimState,
    Comprehensive,
    FraudFinding,
    FraudState,
    FullMarksException,
    Indicator,
    Report,
    Schedule,
    Score,
    Vote,
    VoteKind,
    YearStatus,
)
from appraisal.results import compute
from appraisal.results import rows as xlsx_results
from appraisal.services import publication
from core.models import AuditEvent, Role, UnitKind, WorkItem
from tests.factories import UnitFactory

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
D = Decimal
NUMBER = 2025
QUARTER_ENDS = [(3, 31), (6, 30), (9, 30), (12, 31)]


def sh(month, day, hour=10, minute=0):
    return dt.datetime(NUMBER, month, day, hour, minute, tzinfo=SH)


def make_year(org, n_units: int = 2, status: str = YearStatus.YEAR_END) -> SimpleNamespace:
    """A year with four categories, four indicators, reports, scores, adjustments, fraud
    findings, claims, votes and comprehensive inputs for `n_units` communities (≥ 2)."""
    year = AssessmentYear.objects.create(
        sub_district=org.sd, year=NUMBER, status=status, as_of=sh(12, 31, 18)
    )
    if status in (YearStatus.PUBLISHED, YearStatus.CLOSED):
        year.published_at = sh(12, 31, 19)
        year.save(update_fields=["published_at"])
    cats = {
        code: Category.objects.create(
            year=year,
            code=code,
            name=name,
            department=lead.name,
            lead_unit=lead,
            max_points=D(points),
            sort_order=order,
        )
        for order, (code, name, lead, points) in enumerate(
            [
                ("LZ", "党风廉政建设", org.dept_lz, "25"),
                ("ZZ", "组织建设", org.dept_zz, "40"),
                ("XC", "宣传意识形态", org.dept_xc, "20"),
                ("QT", "其他任务", org.office, "15"),
            ]
        )
    }
    ind = {
        code: Indicator.objects.create(
            year=year,
            category=cats[cat],
            code=code,
            name=name,
            max_points=D(points),
            schedule=schedule,
            required_reports=required,
        )
        for code, cat, name, points, schedule, required in [
            ("LZ1", "LZ", "廉政教育", "25", Schedule.QUARTERLY, 4),
            ("ZZ1", "ZZ", "三会一课", "40", Schedule.NONE, 0),
            ("XC1", "XC", "意识形态", "20", Schedule.ANNUAL, 1),
            ("QT1", "QT", "其他任务", "15", Schedule.NONE, 0),
        ]
    }
    communities = [org.community, org.community2] + [
        UnitFactory(sub_district=org.sd, kind=UnitKind.COMMUNITY, code=f"A-x{i:02d}")
        for i in range(n_units - 2)
    ]
    AssessedUnit.objects.bulk_create(
        AssessedUnit(year=year, unit=u, code=u.code, name=u.name) for u in communities
    )
    c01, c02 = communities[0], communities[1]
    reports, scores, votes = [], [], []
    for unit in communities:
        for period, (month, day) in enumerate(QUARTER_ENDS, start=1):
            due = sh(month, day, 17, 30)
            late = unit == c02 and period == 4
            submitted = due + dt.timedelta(hours=1) if late else due - dt.timedelta(days=2)
            reports.append(
                Report(
                    year=year,
                    unit=unit,
                    indicator=ind["LZ1"],
                    period=period,
                    due_at=due,
                    submitted_at=submitted,
                )
            )
        due = sh(12, 31, 17, 30)
        reports.append(
            Report(
                year=year,
                unit=unit,
                indicator=ind["XC1"],
                period=1,
                due_at=due,
                submitted_at=None if unit == c02 else due - dt.timedelta(days=1),
            )
        )
        given = {
            c01.pk: ("24", "38", "18", "15"),
            c02.pk: ("25", "39.5", "15", "12"),
        }.get(unit.pk, ("20", "30", "15", "10"))
        for code, value in zip(("LZ1", "ZZ1", "XC1", "QT1"), given, strict=True):
            scores.append(
                Score(year=year, unit=unit, indicator=ind[code], department_score=D(value))
            )
        tallies = {
            c01.pk: {VoteKind.DEBRIEFING: (10, 0, 0), VoteKind.DEMOCRATIC: (8, 2, 0)},
            c02.pk: {VoteKind.DEBRIEFING: (5, 5, 0)},
        }.get(unit.pk, {VoteKind.DEBRIEFING: (6, 4, 0), VoteKind.DEMOCRATIC: (6, 4, 0)})
        for kind, (s, b, d) in tallies.items():
            votes.append(
                Vote(year=year, unit=unit, kind=kind, satisfied=s, basically=b, dissatisfied=d)
            )
    Report.objects.bulk_create(reports)
    Score.objects.bulk_create(scores)
    Vote.objects.bulk_create(votes)
    Adjustment.objects.create(
        year=year,
        unit=c01,
        category=cats["LZ"],
        points=D("-1.00"),
        reason="廉政教育材料迟报",
        source="纪检监察室",
        date=dt.date(NUMBER, 5, 10),
    )
    proposed = FraudFinding.objects.create(
        year=year, unit=c01, category=cats["ZZ"], reason="会议记录疑似补写"
    )
    upheld = FraudFinding.objects.create(
        year=year, unit=c02, category=cats["XC"], reason="宣传台账造假", state=FraudState.UPHELD
    )
    deadline = sh(6, 30, 17, 30)
    counted = BonusClaim.objects.create(
        year=year,
        unit=c01,
        level=BonusLevel.DISTRICT,
        title="区级先进基层党组织",
        status=ClaimState.APPROVED,
        declared_at=sh(6, 1),
        declare_by=deadline,
        publicity_ends_at=sh(12, 1),
        sort_order=1,
    )
    late = BonusClaim.objects.create(
        year=year,
        unit=c01,
        level=BonusLevel.CITY,
        title="市级示范社区（迟报）",
        status=ClaimState.APPROVED,
        declared_at=sh(7, 5),
        declare_by=deadline,
        publicity_ends_at=sh(12, 1),
        sort_order=2,
    )
    pending = BonusClaim.objects.create(
        year=year,
        unit=c02,
        level=BonusLevel.CITY,
        title="市级文明社区",
        status=ClaimState.OFFICE_REVIEWED,
        declared_at=sh(6, 1),
        declare_by=deadline,
        sort_order=3,
    )
    Comprehensive.objects.create(year=year, unit=c01, score=D("92.00"), advanced=True)
    Comprehensive.objects.create(year=year, unit=c02, score=D("85.00"), advanced=True)
    return SimpleNamespace(
        year=year,
        cats=cats,
        ind=ind,
        c01=c01,
        c02=c02,
        communities=communities,
        proposed=proposed,
        upheld=upheld,
        counted=counted,
        late=late,
        pending=pending,
    )


@pytest.fixture
def y(org):
    return make_year(org)


@pytest.fixture
def published(org):
    """The year as published: its figures stored as version 1 (what communities read)."""
    y = make_year(org, status=YearStatus.PUBLISHED)
    with transaction.atomic():
        publication.version_write(year=y.year, acting_user=org.user(Role.OFFICE_STAFF))
    return y


def url(name, *args):
    return reverse(f"appraisal:{name}", args=[NUMBER, *args])


def get(client, user, target):
    client.force_login(user)
    return client.get(target)


def row_of(response, code):
    return next(r for r in response.context["rows"] if r.code == code)


# ---------------------------------------------------------------- the figures


def test_ranking_shows_every_figure_worked_by_hand(client, org, y):
    response = get(client, org.user(Role.OFFICE_STAFF), url("results"))
    assert response.status_code == 200
    c01, c02 = row_of(response, org.community.code), row_of(response, org.community2.code)
    assert [r.code for r in response.context["rows"]] == [c01.code, c02.code]
    u = c01.unit
    # Art. 3: the regulation's order of the categories, not their codes' alphabet
    assert [c.score for c in u.categories] == [D("23.00"), D("38.00"), D("18.00"), D("15.00")]
    assert (u.bonus, u.performance, u.satisfaction, u.total) == (
        D("1.00"),
        D("95.00"),
        D("96.00"),
        D("95.20"),
    )
    assert (u.rank, u.bottom_position, u.comprehensive_adjustment) == (1, 2, D("0.20"))
    assert (c01.adjusted, c01.grade_before_veto, c01.grade) == (D("92.20"), "优胜", "合格")
    assert u.flags.veto_applied and u.flags.advanced_withdrawn
    assert c01.exclusions == 1  # the late claim
    v = c02.unit
    assert (v.performance, v.satisfaction, v.total, v.rank, v.bottom_position) == (
        D("70.25"),
        D("40.00"),
        D("64.20"),
        2,
        1,
    )
    assert (c02.adjusted, c02.grade) == (D("85.00"), "合格")
    assert c02.exclusions == 3  # Q4 late, XC never submitted, the claim not approved
    html = response.content.decode()
    assert "95.20" in html and "64.20" in html and "92.20" in html
    # the settings used are printed
    assert 'data-testid="settings"' in html
    labels = dict(response.context["settings_rows"])
    assert labels[str(AssessmentYear._meta.get_field("full_marks_ratio").verbose_name)] == "0.15"
    assert 'data-testid="as-of"' in html and "2025-12-31 18:00:00" in html


def test_full_marks_banner_and_checks(client, org, y):
    response = get(client, org.user(Role.OFFICE_STAFF), url("results"))
    html = response.content.decode()
    assert response.context["results"].can_finalise is False
    assert 'data-testid="cap-banner"' in html
    checks = {c["check"].category: c["check"] for c in response.context["checks"]}
    assert checks["QT"].blocks_finalisation and checks["QT"].full_marks_units == (
        org.community.code,
    )
    assert checks["QT"].allowed == 0
    assert not checks["ZZ"].breaks_cap
    # only the Leading Group gets the form
    assert 'data-testid="exception-form"' not in html


def test_drill_down_shows_caps_exclusions_adjustments_fraud_claims_and_votes(client, org, y):
    office = org.user(Role.OFFICE_STAFF)
    response = get(client, office, url("results_unit", org.community2.code))
    assert response.status_code == 200
    html = response.content.decode()
    cats = {c["result"].code: c for c in response.context["unit_categories"]}
    lz = cats["LZ"]["indicators"][0]
    assert (lz["result"].cap, lz["result"].raw_score, lz["result"].score) == (
        D("18.75"),
        D("25.00"),
        D("18.75"),
    )
    assert lz["result"].source == "department" and lz["capped"]
    [late] = lz["exclusions"]
    assert (late["period"], late["late"]) == (4, True)
    assert (late["due"], late["submitted"]) == ("2025-12-31 17:30:00", "2025-12-31 18:30:00")
    [missing] = cats["XC"]["indicators"][0]["exclusions"]
    assert missing["late"] is False and missing["submitted"] == ""
    assert missing["reason"] == xlsx_results.report_reason_label(domain.REPORT_MISSING)
    # the upheld fraud finding zeroes XC; the Office reads its reason
    assert cats["XC"]["result"].score == D("0.00") and cats["XC"]["fraud_reason"] == "宣传台账造假"
    assert 'data-testid="fraud"' in html and "宣传台账造假" in html
    # the claim not counted, with its reasons
    [claim] = response.context["claims_not_counted"]
    assert "市级文明社区" in claim["label"]
    assert claim["reasons"] == [
        xlsx_results.claim_reason_label(domain.CLAIM_NOT_APPROVED),
        xlsx_results.claim_reason_label(domain.CLAIM_PUBLICITY_OPEN),
    ]
    # votes: the democratic vote is empty and flagged
    assert 'data-testid="empty-vote"' in html
    assert response.context["unit"].democratic.empty
    assert response.context["row"].grade == "合格"
    # c01: the deduction with reason, source and date; a counted and a late claim
    response = client.get(url("results_unit", org.community.code))
    html = response.content.decode()
    assert "廉政教育材料迟报" in html and "纪检监察室" in html and "2025-05-10" in html
    assert [c["label"] for c in response.context["claims_counted"]] == [
        f"区级先进基层党组织（{BonusLevel.DISTRICT.label}）"
    ]
    [late_claim] = response.context["claims_not_counted"]
    assert late_claim["reasons"] == [xlsx_results.claim_reason_label(domain.CLAIM_LATE)]
    assert late_claim["declared"] == "2025-07-05 10:00:00"


def test_department_sees_figures_without_claim_titles_or_fraud_reasons(client, org, y):
    dept = org.user(Role.DEPT_ASSESSOR)
    response = get(client, dept, url("results_unit", org.community2.code))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="fraud"' in html and "宣传台账造假" not in html
    assert "市级文明社区" not in html
    assert response.context["unit"].total == D("64.20")


def test_unknown_unit_is_404(client, org, y):
    assert get(client, org.user(Role.OFFICE_STAFF), url("results_unit", "nope")).status_code == 404


# ---------------------------------------------------------------- who sees what

SEE_ALL = [Role.OFFICE_STAFF, Role.LEADER, Role.AUDITOR, Role.ADMIN, Role.DEPT_ASSESSOR]


@pytest.mark.parametrize("role", SEE_ALL)
def test_ranking_drill_down_and_export_for_every_unit(client, org, y, role):
    user = org.user(role)
    response = get(client, user, url("results"))
    assert response.status_code == 200
    assert len(response.context["rows"]) == 2
    assert response.context["community_view"] is False
    for code in (org.community.code, org.community2.code):
        assert client.get(url("results_unit", code)).status_code == 200
    response = client.get(url("results_export"))
    assert response.status_code == 200
    sheet = load_workbook(BytesIO(response.content), read_only=True)[_sheet_names(response)[0]]
    assert len(list(sheet.values)) == 3


@pytest.mark.parametrize("role", [Role.COMMUNITY_STAFF, Role.COMMUNITY_SECRETARY])
def test_community_before_publication_is_refused(client, org, y, role):
    user = org.user(role)
    for target in (
        url("results"),
        url("results_unit", org.community.code),
        url("results_export"),
        url("results_whatif"),
    ):
        assert get(client, user, target).status_code == 403, target


def test_community_after_publication_sees_only_its_own(client, org, published):
    user = org.user(Role.COMMUNITY_STAFF)
    response = get(client, user, url("results"))
    assert response.status_code == 200
    assert response.context["shown_version"].number == 1 and not response.context["draft"]
    assert [r.code for r in response.context["rows"]] == [org.community.code]
    assert response.context["checks"] == []
    html = response.content.decode()
    assert org.community2.code not in html and 'data-testid="full-marks"' not in html
    assert row_of(response, org.community.code).unit.rank == 1
    # its own drill-down (with its own claim titles, not the reason of a fraud finding)
    own = client.get(url("results_unit", org.community.code))
    assert own.status_code == 200 and "区级先进基层党组织" in own.content.decode()
    assert client.get(url("results_unit", org.community2.code)).status_code == 404
    # the export: its own row only
    response = client.get(url("results_export"))
    book = load_workbook(BytesIO(response.content), read_only=True)
    rows = list(book[book.sheetnames[0]].values)
    assert len(rows) == 2 and rows[1][2] == org.community.code
    # every sheet names its own unit only
    for name in book.sheetnames[2:]:
        assert {r[0] for r in list(book[name].values)[1:]} <= {org.community.code}, name
    # no sandbox for communities
    assert client.get(url("results_whatif")).status_code == 403


def test_community2_after_publication_sees_its_own_fraud_without_reason(client, org, published):
    from tests.factories import make_member

    user = make_member(org.community2, Role.COMMUNITY_STAFF)
    response = get(client, user, url("results_unit", org.community2.code))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="fraud"' in html and "宣传台账造假" not in html
    assert "市级文明社区" in html  # its own claim


@pytest.mark.parametrize("name", ["results", "results_export", "results_whatif"])
def test_other_sub_district_gets_404(client, org, other_org, y, name):
    assert get(client, other_org.user(Role.OFFICE_STAFF), url(name)).status_code == 404


def test_other_sub_district_drill_down_and_exception_404(client, org, other_org, y):
    leader = other_org.user(Role.LEADER)
    assert get(client, leader, url("results_unit", org.community.code)).status_code == 404
    response = client.post(url("results_exception"), {"category": y.cats["QT"].pk, "reason": "x"})
    assert response.status_code == 404
    assert not FullMarksException.objects.exists()


def test_unknown_year_is_404(client, org, y):
    client.force_login(org.user(Role.OFFICE_STAFF))
    assert client.get(reverse("appraisal:results", args=[2024])).status_code == 404


def test_anonymous_is_sent_to_log_in(client, y):
    response = client.get(url("results"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# ---------------------------------------------------------------- full-marks exceptions


def test_leader_records_an_exception_and_the_banner_goes(client, org, y):
    leader = org.user(Role.LEADER)
    response = get(client, leader, url("results"))
    assert 'data-testid="exception-form"' in response.content.decode()
    assert 'data-testid="cap-banner"' in response.content.decode()
    response = client.post(
        url("results_exception"), {"category": y.cats["QT"].pk, "reason": "其他任务普遍完成较好"}
    )
    assert response.status_code == 302 and response["Location"] == url("results")
    exc = FullMarksException.objects.get(year=y.year, category=y.cats["QT"])
    assert exc.reason == "其他任务普遍完成较好" and exc.recorded_by == leader
    assert AuditEvent.objects.filter(event_type="appraisal.full_marks_exception").count() == 1
    response = client.get(url("results"))
    html = response.content.decode()
    assert 'data-testid="cap-banner"' not in html and 'data-testid="finalisable"' in html
    assert 'data-testid="exception-reason"' in html and "其他任务普遍完成较好" in html
    assert response.context["results"].can_finalise


def test_exception_without_reason_comes_back_as_a_message(client, org, y):
    client.force_login(org.user(Role.LEADER))
    response = client.post(url("results_exception"), {"category": y.cats["QT"].pk, "reason": " "})
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert [m.level_tag for m in page.context["messages"]] == ["error"]
    assert 'data-testid="cap-banner"' in page.content.decode()
    assert not FullMarksException.objects.exists()
    # a category that is not a number is "choose a category", not a 500
    response = client.post(url("results_exception"), {"category": "abc", "reason": "理由"})
    assert response.status_code == 302
    assert not FullMarksException.objects.exists()


@pytest.mark.parametrize("role", [Role.OFFICE_STAFF, Role.AUDITOR, Role.ADMIN, Role.DEPT_ASSESSOR])
def test_only_the_leading_group_records_exceptions(client, org, y, role):
    client.force_login(org.user(role))
    response = client.post(url("results_exception"), {"category": y.cats["QT"].pk, "reason": "x"})
    assert response.status_code == 403
    assert not FullMarksException.objects.exists()


def test_exception_is_post_only_and_refused_to_communities(client, org, y):
    client.force_login(org.user(Role.LEADER))
    assert client.get(url("results_exception")).status_code == 405
    client.force_login(org.user(Role.COMMUNITY_STAFF))
    response = client.post(url("results_exception"), {"category": y.cats["QT"].pk, "reason": "x"})
    assert response.status_code == 403


def test_exception_on_a_published_year_is_a_conflict(client, org, published):
    client.force_login(org.user(Role.LEADER))
    page = client.get(url("results"))
    assert 'data-testid="exception-form"' not in page.content.decode()  # frozen: no form
    response = client.post(
        url("results_exception"), {"category": published.cats["QT"].pk, "reason": "理由"}
    )
    assert response.status_code == 409
    assert not FullMarksException.objects.exists()


# ---------------------------------------------------------------- the export


def _sheet_names(response):
    return load_workbook(BytesIO(response.content), read_only=True).sheetnames


def test_export_has_every_column_the_settings_and_every_exclusion(client, org, y):
    office = org.user(Role.OFFICE_STAFF)
    page = get(client, office, url("results"))
    response = client.get(url("results_export"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "results-2025.xlsx" in response["Content-Disposition"]
    book = load_workbook(BytesIO(response.content), read_only=True)
    ranking, settings, exclusions = (list(book[name].values) for name in book.sheetnames[:3])
    computed = compute(y.year)
    header = list(ranking[0])
    assert header == xlsx_results.ranking_headers(computed)
    assert len(header) == 4 + 4 + 19
    assert header[4:8] == [
        "党风廉政建设（25.00）",
        "组织建设（40.00）",
        "宣传意识形态（20.00）",
        "其他任务（15.00）",
    ]
    # a figure matching the page: c01's total, adjustment and grade
    row = row_of(page, org.community.code)
    first = ranking[1]
    assert first[:4] == (1, 2, org.community.code, org.community.name)
    total, adjustment, grade = first[14], first[16], first[19]
    assert D(str(total)).quantize(D("0.01")) == row.unit.total == D("95.20")
    assert D(str(adjustment)).quantize(D("0.01")) == row.unit.comprehensive_adjustment
    assert grade == row.grade == "合格"
    assert ranking[2][0] == 2 and ranking[2][2] == org.community2.code
    # the settings used
    values = {r[0]: r[1] for r in settings[1:]}
    assert values[str(AssessmentYear._meta.get_field("bonus_cap").verbose_name)] == "5.00"
    assert 2025 in values.values()
    # every exclusion: c01's late claim; c02's late Q4 report, missing XC report, pending claim
    assert list(exclusions[0]) == xlsx_results.exclusion_headers()
    by_unit = {}
    for line in exclusions[1:]:
        by_unit.setdefault(line[0], []).append(line)
    assert len(by_unit[org.community.code]) == 1
    late, missing, claim = by_unit[org.community2.code]
    assert late[3].startswith("LZ1") and late[4] == 4
    assert (late[5], late[6]) == ("2025-12-31 17:30:00", "2025-12-31 18:30:00")
    assert missing[3].startswith("XC1") and missing[6] in (None, "")
    assert "市级文明社区" in claim[3]


def test_department_export_names_claims_by_number(client, org, y):
    response = get(client, org.user(Role.DEPT_ASSESSOR), url("results_export"))
    book = load_workbook(BytesIO(response.content), read_only=True)
    exclusions = list(book[book.sheetnames[2]].values)
    text = " ".join(str(v) for line in exclusions for v in line)
    assert "市级文明社区" not in text and "迟报" not in text


# ---------------------------------------------------------------- what-if


def _counts():
    from appraisal import models

    tables = [
        models.AssessmentYear,
        models.AssessedUnit,
        models.Category,
        models.Indicator,
        models.Report,
        models.Score,
        models.Adjustment,
        models.FraudFinding,
        models.BonusClaim,
        models.Vote,
        models.Comprehensive,
        models.FullMarksException,
        models.Correction,
        AuditEvent,
        WorkItem,
    ]
    return {m.__name__: m.objects.count() for m in tables}


def _state(y):
    return (
        list(BonusClaim.objects.order_by("pk").values_list("status", "publicity_ends_at")),
        list(FraudFinding.objects.order_by("pk").values_list("state")),
        list(Score.objects.order_by("pk").values_list("department_score", "verified_score")),
    )


def test_whatif_form_lists_the_choices(client, org, y):
    response = get(client, org.user(Role.OFFICE_STAFF), url("results_whatif"))
    assert response.status_code == 200
    assert [c.pk for c in response.context["pending"]] == [y.pending.pk]
    assert [c.pk for c in response.context["approved"]] == [y.counted.pk, y.late.pk]
    assert [f.pk for f in response.context["open_findings"]] == [y.proposed.pk]
    assert [f.pk for f in response.context["upheld"]] == [y.upheld.pk]
    assert len(response.context["score_rows"]) == 5
    assert response.context["comparison"] is None


def test_whatif_upholding_fraud_and_approving_a_claim_changes_the_rank(client, org, y):
    """c01 loses ZZ (38) → 57 → 64.80; c02 gains the city claim (2) → 72.25 → 65.80."""
    client.force_login(org.user(Role.OFFICE_STAFF))
    before, state = _counts(), _state(y)
    response = client.get(
        url("results_whatif"), {"uphold": y.proposed.pk, "approve": y.pending.pk, "run": "1"}
    )
    assert response.status_code == 200
    assert response.context["errors"] == []
    rows = {r["code"]: r for r in response.context["comparison"]}
    c01, c02 = rows[org.community.code], rows[org.community2.code]
    assert (c01["real"].rank, c01["sandbox"].rank) == (1, 2)
    assert (c02["real"].rank, c02["sandbox"].rank) == (2, 1)
    assert (c01["sandbox"].total, c02["sandbox"].total) == (D("64.80"), D("65.80"))
    assert (c02["real"].comprehensive_adjustment, c02["sandbox"].comprehensive_adjustment) == (
        D("0.00"),
        D("0.20"),
    )
    assert c01["changed"]["rank"] and c01["changed"]["total"] and c02["changed"]["adjustment"]
    assert not c01["changed"]["grade"]  # 92.00 → 优胜, still vetoed to 合格
    assert [r["code"] for r in response.context["comparison"]] == [
        org.community2.code,
        org.community.code,
    ]
    html = response.content.decode()
    assert html.count('data-changed="1"') == 2 and "table-warning" in html
    # the real page is unchanged and nothing was written
    assert _counts() == before and _state(y) == state
    real = client.get(url("results"))
    assert row_of(real, org.community.code).unit.rank == 1


def test_whatif_score_overrides_change_rank_and_the_full_marks_check(client, org, y):
    client.force_login(org.user(Role.OFFICE_STAFF))
    before, state = _counts(), _state(y)
    params = {
        "unit_0": org.community.code,
        "indicator_0": "ZZ1",
        "score_0": "0",
        "unit_1": org.community.code,
        "indicator_1": "QT1",
        "score_1": "0.00",
        "run": "1",
    }
    response = client.get(url("results_whatif"), params)
    assert response.context["errors"] == []
    rows = {r["code"]: r for r in response.context["comparison"]}
    assert rows[org.community.code]["sandbox"].total == D("52.80")
    assert rows[org.community.code]["sandbox"].rank == 2
    assert rows[org.community2.code]["sandbox"].rank == 1
    assert response.context["real"].results.can_finalise is False
    assert response.context["sandbox"].results.can_finalise is True
    # the form keeps what was typed
    assert response.context["score_rows"][1]["indicator"] == "QT1"
    assert _counts() == before and _state(y) == state


def test_whatif_dismissing_and_rejecting(client, org, y):
    client.force_login(org.user(Role.OFFICE_STAFF))
    before = _counts()
    response = client.get(
        url("results_whatif"), {"dismiss": y.upheld.pk, "reject": y.counted.pk, "run": "1"}
    )
    rows = {r["code"]: r for r in response.context["comparison"]}
    assert rows[org.community.code]["sandbox"].bonus == D("0.00")
    # c02's XC: fraud dismissed, but the report was never submitted, so the cap is 0 anyway
    assert rows[org.community2.code]["sandbox"].total == D("64.20")
    assert _counts() == before


@pytest.mark.parametrize(
    "params",
    [
        {"unit_0": "nope", "indicator_0": "ZZ1", "score_0": "1"},
        {"unit_0": "A-c01", "indicator_0": "NOPE", "score_0": "1"},
        {"unit_0": "A-c01", "indicator_0": "ZZ1", "score_0": "abc"},
        {"unit_0": "A-c01", "indicator_0": "ZZ1", "score_0": "40.01"},
        {"unit_0": "A-c01", "indicator_0": "ZZ1", "score_0": "-1"},
        {"unit_0": "A-c01", "indicator_0": "ZZ1", "score_0": "1.234"},
        {"unit_0": "A-c01", "indicator_0": "ZZ1", "score_0": "NaN"},
        {"unit_0": "A-c01", "indicator_0": "ZZ1", "score_0": "1e400"},
        {"unit_0": "A-c01", "indicator_0": "", "score_0": "1"},
        {
            "unit_0": "A-c01",
            "indicator_0": "ZZ1",
            "score_0": "1",
            "unit_1": "A-c01",
            "indicator_1": "ZZ1",
            "score_1": "2",
        },
        {"approve": "abc"},
        {"approve": "999999"},
        {"reject": "999999"},
        {"uphold": "-1"},
        {"dismiss": "1.5"},
    ],
)
def test_whatif_bad_input_is_a_message_not_a_500(client, org, y, params):
    client.force_login(org.user(Role.OFFICE_STAFF))
    before = _counts()
    response = client.get(url("results_whatif"), {**params, "run": "1"})
    assert response.status_code == 200
    assert response.context["errors"]
    assert response.context["comparison"] is None
    assert 'data-testid="whatif-errors"' in response.content.decode()
    assert _counts() == before


def test_whatif_refuses_a_claim_already_approved_as_to_approve(client, org, y):
    client.force_login(org.user(Role.OFFICE_STAFF))
    response = client.get(url("results_whatif"), {"approve": y.counted.pk, "run": "1"})
    assert response.context["errors"] and response.context["comparison"] is None


@pytest.mark.parametrize("role", [Role.LEADER, Role.AUDITOR, Role.ADMIN, Role.DEPT_ASSESSOR])
def test_whatif_is_the_offices(client, org, y, role):
    assert get(client, org.user(role), url("results_whatif")).status_code == 403


def test_whatif_is_get_only(client, org, y):
    client.force_login(org.user(Role.OFFICE_STAFF))
    assert client.post(url("results_whatif"), {"run": "1"}).status_code == 405


def test_whatif_link_only_for_the_office(client, org, y):
    assert (
        'data-testid="whatif-link"'
        in get(client, org.user(Role.OFFICE_STAFF), url("results")).content.decode()
    )
    assert (
        'data-testid="whatif-link"'
        not in get(client, org.user(Role.LEADER), url("results")).content.decode()
    )


# ---------------------------------------------------------------- query counts


def _warm(client, user, target):
    client.force_login(user)
    assert client.get(target).status_code == 200


# Per request: session, user and roles before the view; sub-district (navbar) and unread
# notifications while rendering; the session save in a savepoint (3) after it. The view: the year,
# then compute()'s 12: categories, indicators, units, on-time counts, late or missing reports,
# scores, adjustments, fraud findings, claims, votes, comprehensive inputs, full-marks exceptions.
# (Every required report exists here; a year with never-created periods adds one query.)
# The ranking lists no single exclusion, only their numbers: it skips the late-or-missing query.
RANKING_QUERIES = 3 + 1 + 11 + 2 + 3
# The drill-down and the export add one query: the departments' own scores and opinions per cell.
# The drill-down adds one more: the unit's latest submitted self-evaluation (Art. 12, 15).
UNIT_QUERIES = 3 + 1 + 12 + 2 + 3 + 1 + 1
EXPORT_QUERIES = 3 + 1 + 12 + 3 + 1  # no page around it


@pytest.mark.parametrize("units", [2, 10])
def test_ranking_queries(client, org, units, django_assert_num_queries):
    make_year(org, n_units=units)
    target = url("results")
    _warm(client, org.user(Role.OFFICE_STAFF), target)
    with django_assert_num_queries(RANKING_QUERIES):
        response = client.get(target)
    assert len(response.context["rows"]) == units


@pytest.mark.parametrize("units", [2, 10])
def test_drill_down_queries(client, org, units, django_assert_num_queries):
    make_year(org, n_units=units)
    target = url("results_unit", org.community.code)
    _warm(client, org.user(Role.OFFICE_STAFF), target)
    with django_assert_num_queries(UNIT_QUERIES):
        response = client.get(target)
    assert response.context["unit"].rank == 1


@pytest.mark.parametrize("units", [2, 10])
def test_export_queries(client, org, units, django_assert_num_queries):
    make_year(org, n_units=units)
    target = url("results_export")
    _warm(client, org.user(Role.OFFICE_STAFF), target)
    with django_assert_num_queries(EXPORT_QUERIES):
        response = client.get(target)
    sheet = load_workbook(BytesIO(response.content), read_only=True).worksheets[0]
    assert len(list(sheet.values)) == units + 1


# ---------------------------------------------------------------- order, ties, labels, opinions


def test_categories_in_the_regulations_order_on_page_drill_down_and_export(client, org, y):
    # Art. 3: 党风廉政建设, 组织建设, 宣传意识形态, 其他任务 — their sort order, not their codes
    order = ["党风廉政建设", "组织建设", "宣传意识形态", "其他任务"]
    page = get(client, org.user(Role.AUDITOR), url("results"))
    assert [c.name for c in page.context["categories"]] == order
    assert [c["category"].name for c in page.context["checks"]] == order
    html = page.content.decode()
    assert [html.index(f">{name}<") for name in order] == sorted(
        html.index(f">{name}<") for name in order
    )
    unit = client.get(url("results_unit", org.community.code))
    assert [c["result"].name for c in unit.context["unit_categories"]] == order
    book = load_workbook(BytesIO(client.get(url("results_export")).content), read_only=True)
    assert [h.split("（")[0] for h in next(iter(book[book.sheetnames[0]].values))[4:8]] == order


def test_tie_rule_is_stated_on_the_page_and_in_the_export(client, org, y):
    rule = xlsx_results.tie_rule()
    page = get(client, org.user(Role.OFFICE_STAFF), url("results"))
    assert escape(rule) in page.content.decode()
    book = load_workbook(BytesIO(client.get(url("results_export")).content), read_only=True)
    assert rule in [r[1] for r in book[book.sheetnames[1]].values]


def test_drill_down_labels_each_term_of_the_category_sum(client, org, y):
    response = get(client, org.user(Role.OFFICE_STAFF), url("results_unit", org.community.code))
    html = response.content.decode()
    start = html.index(">", html.index('data-testid="category-sum"')) + 1
    text = re.sub(r"<[^>]+>", "", html[start : html.index("</dd>", start)])
    assert " ".join(text.split()) == (
        "党风廉政建设 23.00 + 组织建设 38.00 + 宣传意识形态 18.00 + 其他任务 15.00"
    )


def test_drill_down_shows_the_departments_opinion_per_cell(client, org, y):
    Score.objects.filter(unit=org.community, indicator=y.ind["LZ1"]).update(
        comment="台账不完整，扣 1 分。"
    )
    for role in (Role.OFFICE_STAFF, Role.AUDITOR, Role.DEPT_ASSESSOR):
        response = get(client, org.user(role), url("results_unit", org.community.code))
        html = response.content.decode()
        assert html.count('data-testid="opinion"') == 1, role
        assert "台账不完整，扣 1 分。" in html
    # and in the export, beside the cell
    book = load_workbook(BytesIO(client.get(url("results_export")).content), read_only=True)
    cells = [r for r in list(book[book.sheetnames[3]].values)[1:] if r[0] == org.community.code]
    assert [r[-1] for r in cells if r[3] == "LZ1"] == ["台账不完整，扣 1 分。"]


def test_whatif_score_changes_pick_unit_and_indicator_from_lists(client, org, y):
    # given the sandbox form
    client.force_login(org.user(Role.OFFICE_STAFF))
    html = client.get(url("results_whatif")).content.decode()
    # then unit and indicator of every score row are choice lists, not typed codes
    for index in range(5):
        for name in (f"unit_{index}", f"indicator_{index}"):
            assert re.search(rf'<select[^>]*name="{name}"', html), name
            assert not re.search(rf'<input[^>]*name="{name}"', html), name
    units = re.search(r'<select[^>]*name="unit_0".*?</select>', html, re.S).group(0)
    options = re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', units)
    assessed = AssessedUnit.objects.filter(year=y.year).order_by("code")
    assert options[1:] == [(u.code, u.name) for u in assessed]
    indicators = re.search(r'<select[^>]*name="indicator_0".*?</select>', html, re.S).group(0)
    assert "<optgroup" in indicators
    assert 'value="ZZ1"' in indicators and "ZZ1 " in indicators
    # when a row is chosen and run, the choice stays selected
    params = {"unit_1": org.community.code, "indicator_1": "QT1", "score_1": "0", "run": "1"}
    html = client.get(url("results_whatif"), params).content.decode()
    row = re.search(r'<select[^>]*name="unit_1".*?</select>', html, re.S).group(0)
    assert re.search(rf'<option value="{org.community.code}" selected>', row)
    row = re.search(r'<select[^>]*name="indicator_1".*?</select>', html, re.S).group(0)
    assert re.search(r'<option value="QT1" selected>', row)
