"""The communities' self-evaluation (自查自评, Art. 15; late submissions Art. 12): the two-step path
经办人 → 书记, send-back with a comment, late marking, stale pages, the access of every role, the
self-scores the joint team reads, and a later round starting from the earlier one."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation

from appraisal import services
from appraisal.models import AssessedUnit, Category, Report, SelfEvaluation, SelfScore
from appraisal.selectors.selfeval import self_scores
from appraisal.services import selfeval as se
from core import steps
from core.errors import Conflict
from core.models import AuditEvent, Evidence, Role, Unit, UnitKind
from tests.appraisal.pageform import post_data
from tests.factories import make_member

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"


@pytest.fixture
def year_end(org, year):
    services.year_open_year_end(year_id=year.pk, acting_user=org.user(Role.OFFICE_STAFF))
    year.refresh_from_db()
    return year


def _open(year, unit, *, due=None, round=1):
    return se.selfeval_open(
        year=year,
        unit_id=unit.pk,
        due_at=due or timezone.now() + timedelta(days=10),
        round=round,
    )


@pytest.fixture
def row(org, year_end):
    return _open(year_end, org.community)


@pytest.fixture
def staff(org):
    return org.user(Role.COMMUNITY_STAFF)


@pytest.fixture
def secretary(org):
    return org.user(Role.COMMUNITY_SECRETARY)


def _all_scores(year, value="3.00", note="按要求开展"):
    return {ind.pk: (value, note) for ind in year.indicators.all()}


def _fill(row, user, **kwargs):
    row.refresh_from_db()
    kwargs.setdefault("report", "党建工作专题报告正文")
    kwargs.setdefault("scores", _all_scores(row.year))
    return se.selfeval_save(
        selfeval_id=row.pk, acting_user=user, expected_version=row.version, **kwargs
    )


def _url(year, unit):
    return reverse("appraisal:selfeval", args=[year.year, unit.code])


def _events(prefix="appraisal.selfeval"):
    return list(
        AuditEvent.objects.filter(event_type__startswith=prefix)
        .order_by("pk")
        .values_list("event_type", flat=True)
    )


# --- the service path ---------------------------------------------------------------------------


def test_the_staff_drafts_and_the_secretary_submits(org, row, staff, secretary):
    # given the staff's complete draft
    assert _fill(row, staff) is True
    # when the staff hands it over and the secretary submits
    se.selfeval_to_secretary(selfeval_id=row.pk, acting_user=staff, expected_version=1)
    heard = []
    listener = lambda **kw: heard.append(kw)  # noqa: E731
    steps.connect(listener)
    try:
        done = se.selfeval_submit(selfeval_id=row.pk, acting_user=secretary, expected_version=2)
    finally:
        steps.disconnect(listener)
    # then it is submitted on time, by the secretary, and the process heard of it
    assert done.state == "submitted" and done.late is False
    assert done.submitted_by == secretary and done.submitted_at is not None
    assert [(h["step"], h["subject"]) for h in heard] == [("selfeval.submitted", done)]
    assert _events() == [
        "appraisal.selfeval_saved",
        "appraisal.selfeval_to_secretary",
        "appraisal.selfeval_submitted",
    ]
    scores = SelfScore.objects.filter(selfeval=row)
    assert {s.score for s in scores} == {Decimal("3.00")}


def test_only_the_staff_hands_over_and_only_the_secretary_submits(org, row, staff, secretary):
    _fill(row, staff)
    with pytest.raises(PermissionDenied):
        se.selfeval_to_secretary(selfeval_id=row.pk, acting_user=secretary, expected_version=1)
    with pytest.raises(PermissionDenied):
        se.selfeval_submit(selfeval_id=row.pk, acting_user=staff, expected_version=1)
    with pytest.raises(PermissionDenied):  # another community's staff
        other = make_member(org.community2, Role.COMMUNITY_STAFF, "A-c02")
        _fill(row, other)
    with pytest.raises(PermissionDenied):  # the Office reads, never writes
        _fill(row, org.user(Role.OFFICE_STAFF))
    # the secretary may submit a draft directly (she drafted or finished it herself)
    done = se.selfeval_submit(selfeval_id=row.pk, acting_user=secretary, expected_version=1)
    assert done.state == "submitted"


def test_the_secretary_sends_it_back_with_a_comment(org, row, staff, secretary):
    _fill(row, staff)
    se.selfeval_to_secretary(selfeval_id=row.pk, acting_user=staff, expected_version=1)
    with pytest.raises(ValidationError):  # a comment is required
        se.selfeval_send_back(
            selfeval_id=row.pk, acting_user=secretary, comment="  ", expected_version=2
        )
    with pytest.raises(PermissionDenied):
        se.selfeval_send_back(
            selfeval_id=row.pk, acting_user=staff, comment="x", expected_version=2
        )
    back = se.selfeval_send_back(
        selfeval_id=row.pk, acting_user=secretary, comment="第三项请补充依据", expected_version=2
    )
    assert back.state == "draft" and back.returned_comment == "第三项请补充依据"
    assert _events()[-1] == "appraisal.selfeval_sent_back"
    # the staff can edit again, and sees the comment
    assert _fill(row, staff, report="补充后的报告") is True


def test_a_late_submission_is_accepted_and_marked_late_everywhere(
    client, org, year_end, staff, secretary
):
    # given a self-evaluation whose due time has passed
    row = _open(year_end, org.community, due=timezone.now() - timedelta(hours=1))
    _fill(row, staff)
    # when the secretary submits it
    done = se.selfeval_submit(selfeval_id=row.pk, acting_user=secretary, expected_version=1)
    # then it is accepted, marked late, and shown late to the Office and the joint team
    assert done.state == "submitted" and done.late is True
    audit = AuditEvent.objects.get(event_type="appraisal.selfeval_submitted")
    assert audit.after["late"] is True
    lz = Category.objects.get(year=year_end, code="LZ")
    cell = self_scores(year_id=year_end.pk, category_id=lz.pk)[
        (org.community.pk, year_end.indicators.get(code="LZ-01").pk)
    ]
    assert cell.late is True and cell.score == Decimal("3.00")
    client.force_login(org.user(Role.OFFICE_STAFF))
    overview = client.get(reverse("appraisal:selfeval_overview", args=[year_end.year]))
    assert 'data-testid="late"' in overview.content.decode()
    assert 'data-testid="late"' in client.get(_url(year_end, org.community)).content.decode()
    drill_down = client.get(
        reverse("appraisal:results_unit", args=[year_end.year, org.community.code])
    )
    assert 'data-testid="selfeval-late"' in drill_down.content.decode()


def test_an_unchanged_save_changes_and_records_nothing(org, row, staff):
    assert _fill(row, staff) is True
    audits = AuditEvent.objects.count()
    assert _fill(row, staff) is False
    row.refresh_from_db()
    assert row.version == 1
    assert AuditEvent.objects.count() == audits


def test_a_score_above_the_maximum_is_refused_and_nothing_is_saved(org, row, staff):
    ind = row.year.indicators.get(code="LZ-01")  # max 5.00
    scores = _all_scores(row.year)
    scores[ind.pk] = ("5.01", "")
    with pytest.raises(ValidationError) as refused:
        _fill(row, staff, scores=scores)
    assert f"s-{ind.pk}" in refused.value.message_dict
    scores[ind.pk] = ("-1", "")
    with pytest.raises(ValidationError):
        _fill(row, staff, scores=scores)
    row.refresh_from_db()
    assert row.version == 0 and row.report == ""
    assert not SelfScore.objects.filter(selfeval=row, score__isnull=False).exists()


def test_handing_over_needs_every_score_and_the_report(org, row, staff):
    scores = _all_scores(row.year)
    scores[row.year.indicators.get(code="XC-01").pk] = ("", "")
    _fill(row, staff, report="", scores=scores)
    with pytest.raises(ValidationError) as refused:
        se.selfeval_to_secretary(selfeval_id=row.pk, acting_user=staff, expected_version=1)
    text = " ".join(refused.value.messages)
    assert "意识形态工作" in text
    assert SelfEvaluation.objects.get(pk=row.pk).state == "draft"


def test_a_stale_version_or_state_is_a_conflict(org, row, staff, secretary):
    _fill(row, staff)
    with pytest.raises(Conflict):
        _fill_stale = se.selfeval_save(
            selfeval_id=row.pk,
            acting_user=staff,
            report="x",
            scores={},
            expected_version=0,
        )
        del _fill_stale
    se.selfeval_to_secretary(selfeval_id=row.pk, acting_user=staff, expected_version=1)
    with pytest.raises(Conflict):  # no longer a draft
        se.selfeval_save(
            selfeval_id=row.pk, acting_user=staff, report="x", scores={}, expected_version=2
        )
    se.selfeval_submit(selfeval_id=row.pk, acting_user=secretary, expected_version=2)
    with pytest.raises(Conflict):  # submitted already
        se.selfeval_send_back(
            selfeval_id=row.pk, acting_user=secretary, comment="x", expected_version=3
        )


def test_the_notes_start_with_the_reports_filed(org, year_end, staff):
    # given one of the four quarterly reports of LZ-01 filed
    report = Report.objects.filter(
        unit=org.community, indicator__code="LZ-01", submitted_at__isnull=True
    ).latest("period")
    services.report_submit(report_id=report.pk, acting_user=staff, text="四季度报告")
    report.refresh_from_db()
    # when the self-evaluation opens
    with translation.override("en"):
        row = _open(year_end, org.community)
    notes = {s.indicator.code: s.note for s in row.scores.select_related("indicator")}
    # then the note says what was filed; indicators without reports start empty
    late = int(report.late)
    assert notes["LZ-01"].startswith(f"1 of 4 reports filed, {late} of them late; last filed on")
    assert notes["ZZ-01"] == "No report filed (1 required)."
    assert notes["LZ-02"] == ""


def test_opening_is_idempotent(org, year_end):
    first = _open(year_end, org.community)
    assert _open(year_end, org.community) == first
    assert SelfEvaluation.objects.count() == 1


def test_round_two_starts_from_round_one_and_round_one_stays_readable(
    client, org, year_end, staff, secretary
):
    # given round 1 submitted, with an attachment
    row = _open(year_end, org.community)
    _fill(row, staff, files=[SimpleUploadedFile("专题报告.png", PNG)])
    se.selfeval_submit(selfeval_id=row.pk, acting_user=secretary, expected_version=1)
    lz02 = year_end.indicators.get(code="LZ-02")
    # when the Leading Group's return opens round 2
    second = _open(year_end, org.community, round=2)
    # then round 2 is a draft with round 1's report, scores, notes and attachment
    assert second.state == "draft" and second.report == "党建工作专题报告正文"
    assert SelfScore.objects.get(selfeval=second, indicator=lz02).score == Decimal("3.00")
    (copy,) = se.attachments_of(second)
    (original,) = se.attachments_of(row)
    assert copy.sha256 == original.sha256 and copy.stored_name != original.stored_name
    # the joint team keeps reading round 1 until round 2 is submitted
    lz = Category.objects.get(year=year_end, code="LZ")
    key = (org.community.pk, lz02.pk)
    scores = _all_scores(year_end)
    scores[lz02.pk] = ("12.00", "第二轮")
    _fill(second, staff, scores=scores)
    assert self_scores(year_id=year_end.pk, category_id=lz.pk)[key].score == Decimal("3.00")
    se.selfeval_submit(selfeval_id=second.pk, acting_user=secretary, expected_version=1)
    assert self_scores(year_id=year_end.pk, category_id=lz.pk)[key].score == Decimal("12.00")
    # round 1 is unchanged and readable on the page
    assert SelfScore.objects.get(selfeval=row, indicator=lz02).score == Decimal("3.00")
    client.force_login(org.user(Role.AUDITOR))
    page = client.get(_url(year_end, org.community) + "?round=1")
    assert page.status_code == 200 and "专题报告.png" in page.content.decode()


# --- the joint team's read ----------------------------------------------------------------------


def _submitted_units(year, count):
    """`count` communities with a submitted self-evaluation (rows made directly: the read is
    what is measured)."""
    for n in range(count):
        unit = Unit.objects.create(
            sub_district_id=year.sub_district_id,
            kind=UnitKind.COMMUNITY,
            code=f"q{n:03d}",
            name=f"社区{n}",
        )
        AssessedUnit.objects.create(year=year, unit=unit, code=unit.code, name=unit.name)
        for round in (1, 2):
            row = SelfEvaluation.objects.create(
                year=year,
                unit=unit,
                round=round,
                due_at=timezone.now(),
                state="submitted",
                submitted_at=timezone.now(),
            )
            SelfScore.objects.bulk_create(
                SelfScore(selfeval=row, indicator=i, score=Decimal(round), note="")
                for i in year.indicators.all()
            )


@pytest.mark.parametrize("count", [1, 25])
def test_self_scores_take_one_query_whatever_the_number_of_communities(
    org, year_end, count, django_assert_num_queries
):
    _submitted_units(year_end, count)
    lz = Category.objects.get(year=year_end, code="LZ")
    with django_assert_num_queries(1):
        scores = self_scores(year_id=year_end.pk, category_id=lz.pk)
    assert len(scores) == count * lz.indicators.count()
    assert {v.score for v in scores.values()} == {Decimal(2)}  # the latest round


def test_a_community_without_a_submission_has_no_self_scores(org, row, staff):
    _fill(row, staff)
    lz = Category.objects.get(year=row.year, code="LZ")
    assert self_scores(year_id=row.year.pk, category_id=lz.pk) == {}


def test_the_verification_page_shows_the_self_scores(client, org, row, staff, secretary):
    from appraisal.services.team import verification_open

    _fill(row, staff, scores=_all_scores(row.year, "4.50", "自评依据充分"))
    se.selfeval_submit(selfeval_id=row.pk, acting_user=secretary, expected_version=1)
    lz = Category.objects.get(year=row.year, code="LZ")
    verification_open(year=row.year, category_id=lz.pk, due_at=None, round=1)
    client.force_login(org.user(Role.OFFICE_STAFF))
    body = client.get(reverse("appraisal:verification", args=[row.year.year, "LZ"])).content
    assert "4.50" in body.decode() and "自评依据充分" in body.decode()


# --- the pages ----------------------------------------------------------------------------------


def _page_data(client, url):
    return post_data(client.get(url).content.decode(), containing="s-")


def test_the_two_step_path_through_the_pages(client, org, row, staff, secretary):
    url = _url(row.year, org.community)
    # the staff fills the form on the page and hands it over
    client.force_login(staff)
    data = _page_data(client, url)
    data["report"] = ["社区党委专题报告"]
    for key in data:
        if key.startswith("s-"):
            data[key] = ["2.5"]
    data["action"] = ["to_secretary"]
    data["files"] = [SimpleUploadedFile("附件.png", PNG)]
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:500]
    row.refresh_from_db()
    assert row.state == "with_secretary" and row.report == "社区党委专题报告"
    assert Evidence.objects.filter(subject_id=row.pk).count() == 1
    # the staff now reads it only
    body = client.get(url).content.decode()
    assert 'name="s-' not in body and 'data-testid="submit"' not in body
    # the secretary sees 退回 and 提交, and submits
    client.force_login(secretary)
    body = client.get(url).content.decode()
    assert 'data-testid="send-back"' in body and 'data-testid="submit"' in body
    response = client.post(url, {"action": "submit", "version": str(row.version)})
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.state == "submitted"


def test_sending_back_through_the_page_shows_the_comment_to_the_staff(
    client, org, row, staff, secretary
):
    _fill(row, staff)
    se.selfeval_to_secretary(selfeval_id=row.pk, acting_user=staff, expected_version=1)
    url = _url(row.year, org.community)
    client.force_login(secretary)
    empty = client.post(url, {"action": "send_back", "version": "2", "comment": ""})
    assert empty.status_code == 400
    sent = client.post(url, {"action": "send_back", "version": "2", "comment": "请补充附件"})
    assert sent.status_code == 302
    client.force_login(staff)
    body = client.get(url).content.decode()
    assert 'data-testid="returned-comment"' in body and "请补充附件" in body
    assert 'name="s-' in body  # editable again


def test_a_missing_field_is_a_400_and_changes_nothing(client, org, row, staff):
    url = _url(row.year, org.community)
    client.force_login(staff)
    data = _page_data(client, url)
    data["action"] = ["save"]
    data["report"] = ["新报告"]
    missing = next(k for k in data if k.startswith("n-"))
    del data[missing]
    response = client.post(url, data)
    assert response.status_code == 400
    row.refresh_from_db()
    assert row.version == 0 and row.report == ""


def test_a_refused_value_shows_the_form_as_typed(client, org, row, staff):
    url = _url(row.year, org.community)
    client.force_login(staff)
    data = _page_data(client, url)
    ind = row.year.indicators.get(code="LZ-01")
    data.update({"action": ["save"], "report": ["草稿"], f"s-{ind.pk}": ["99"]})
    response = client.post(url, data)
    body = response.content.decode()
    assert response.status_code == 400
    assert 'value="99"' in body and "草稿" in body and "is-invalid" in body
    row.refresh_from_db()
    assert row.version == 0


def test_a_stale_page_is_a_409(client, org, row, staff):
    url = _url(row.year, org.community)
    client.force_login(staff)
    data = _page_data(client, url)
    data["action"] = ["save"]
    data["report"] = ["第一次"]
    assert client.post(url, data).status_code == 302
    data["report"] = ["旧页面"]  # the same page, version 0, sent again
    response = client.post(url, data)
    assert response.status_code == 409
    row.refresh_from_db()
    assert row.report == "第一次"


def test_an_upload_of_the_wrong_type_is_refused(client, org, row, staff):
    url = _url(row.year, org.community)
    client.force_login(staff)
    data = _page_data(client, url)
    data.update({"action": ["save"], "files": [SimpleUploadedFile("a.png", b"plain text")]})
    assert client.post(url, data).status_code == 415
    assert not Evidence.objects.exists()


def test_an_attachment_is_removed_only_from_the_draft(client, org, row, staff):
    _fill(row, staff, files=[SimpleUploadedFile("旧附件.png", PNG)])
    (attached,) = se.attachments_of(row)
    _fill(row, staff, remove_files=[attached.pk])
    assert se.attachments_of(row) == []
    assert AuditEvent.objects.filter(event_type="appraisal.selfeval_saved").count() == 2


READERS = {Role.OFFICE_STAFF, Role.AUDITOR, Role.LEADER, Role.ADMIN, Role.DEPT_ASSESSOR}
COMMUNITY = {Role.COMMUNITY_STAFF, Role.COMMUNITY_SECRETARY}


@pytest.mark.parametrize("role", sorted(Role.values))
def test_access_of_every_role(client, org, row, staff, role):
    _fill(row, staff)
    user = org.user(role)
    client.force_login(user)
    overview = reverse("appraisal:selfeval_overview", args=[row.year.year])
    own = _url(row.year, org.community)
    other = _url(row.year, org.community2)
    _open(row.year, org.community2)
    # the overview: those who read every community's
    assert client.get(overview).status_code == (200 if role in READERS else 403)
    # the community's own page: its users and the readers; another community's: 404
    response = client.get(own)
    assert response.status_code == 200
    editable = 'name="s-' in response.content.decode()
    assert editable == (role in COMMUNITY)
    assert client.get(other).status_code == (404 if role in COMMUNITY else 200)
    # only the community's own users post; the readers cannot
    data = {"action": "save", "version": "1", "report": "x"}
    data.update({f"s-{i.pk}": "1" for i in row.year.indicators.all()})
    data.update({f"n-{i.pk}": "" for i in row.year.indicators.all()})
    response = client.post(own, data)
    assert response.status_code == (302 if role in COMMUNITY else 403)
    assert client.post(other, data).status_code == (404 if role in COMMUNITY else 403)


def test_another_sub_district_sees_nothing(client, org, other_org, row):
    for role in (Role.OFFICE_STAFF, Role.AUDITOR, Role.COMMUNITY_STAFF):
        client.force_login(other_org.user(role))
        assert client.get(_url(row.year, org.community)).status_code == 404
        overview = reverse("appraisal:selfeval_overview", args=[row.year.year])
        assert client.get(overview).status_code == 404


def test_an_attachment_is_downloaded_by_readers_not_by_another_community(client, org, row, staff):
    _fill(row, staff, files=[SimpleUploadedFile("报告.png", PNG)])
    (attached,) = se.attachments_of(row)
    url = reverse("evidence_download", args=[attached.pk])
    client.force_login(org.user(Role.AUDITOR))
    assert client.get(url).status_code == 200
    client.force_login(make_member(org.community2, Role.COMMUNITY_STAFF, "A-c02"))
    assert client.get(url).status_code == 404


def test_the_year_page_links_the_self_evaluation(client, org, row, staff):
    client.force_login(org.user(Role.OFFICE_STAFF))
    body = client.get(reverse("appraisal:year", args=[row.year.year])).content.decode()
    assert reverse("appraisal:selfeval_overview", args=[row.year.year]) in body
    client.force_login(staff)
    body = client.get(reverse("appraisal:year", args=[row.year.year])).content.decode()
    assert _url(row.year, org.community) in body


@pytest.mark.parametrize("count", [1, 25])
def test_the_overview_queries_do_not_grow(
    client, org, year_end, count, django_assert_max_num_queries
):
    _submitted_units(year_end, count)
    client.force_login(org.user(Role.OFFICE_STAFF))
    url = reverse("appraisal:selfeval_overview", args=[year_end.year])
    client.get(url)
    with django_assert_max_num_queries(15):
        assert client.get(url).status_code == 200
