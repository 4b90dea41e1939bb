"""Published results versions (Art. 16–18): what communities see is the published version, not a
live recompute; a correction becomes a new version only when the Office closes it for
republication and the Leading Group approves; every version is listed with what changed and why.

The year (conftest `year`): two communities of sub-district A, c01 scored 10.00 and c02 5.00 on
LZ-02 before publication, nothing else. Totals 0.8 × 10 = 8.00 and 0.8 × 5 = 4.00; c01 ranks 1st.
The correction raises c01's LZ-02 to 12.00 (total 9.60): c02's figures stay the same.
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from appraisal import domain, kinds, services
from appraisal.files.bundle import export_bundle
from appraisal.models import Correction, CorrectionState, Indicator, ResultsVersion, YearStatus
from appraisal.results import versions
from appraisal.services import publication
from core.errors import Conflict
from core.models import AuditEvent, Notification, Role, WorkItem, WorkItemState
from tests.factories import UnitFactory

pytestmark = pytest.mark.django_db
D = Decimal

# Art. 12: these tests decide before the last report periods are due, as the Office may
# with a stated reason (the decision counts them as missing).
EARLY = "在全部报送期到期前决定"


# ---------------------------------------------------------------- the diff (pure)


def _unit(code, score, *, extra_units=()):
    cat = domain.CategoryInput(
        code="LZ",
        max_points=D("25"),
        name="党风廉政建设",
        indicators=(
            domain.IndicatorInput(
                code="LZ-02", category="LZ", max_points=D("20"), department_score=D(score)
            ),
        ),
    )
    return domain.UnitInput(unit_id=code, name=f"{code}社区", categories=(cat,))


def _figures(scores: dict[str, str]) -> dict:
    import datetime as dt
    from zoneinfo import ZoneInfo

    results = domain.compute_results(
        [_unit(code, score) for code, score in scores.items()],
        domain.ScoringSettings(),
        dt.datetime(2026, 12, 31, 18, tzinfo=ZoneInfo("Asia/Shanghai")),
    )
    return versions.figures_document(
        results,
        unit_pks={code: n for n, code in enumerate(scores, start=1)},
        comprehensive_given=set(),
        claim_index={},
        categories=[{"pk": 1, "code": "LZ", "name": "党风廉政建设", "max_points": "25.00"}],
    )


def test_diff_lists_old_and_new_per_figure_of_the_changed_units_only():
    old = _figures({"C01": "10.00", "C02": "5.00", "C03": "1.00"})
    new = _figures({"C01": "12.00", "C02": "5.00", "C03": "1.00"})
    changes = versions.diff(old, new)
    assert [c.unit for c in changes] == ["C01"]
    figures = {f.key: (f.old, f.new) for f in changes[0].figures}
    assert figures["indicator:LZ-02"] == ("10.00", "12.00")
    assert figures["category:LZ"] == ("10.00", "12.00")
    assert figures["performance"] == ("10.00", "12.00")
    assert figures["total"] == ("8.00", "9.60")
    assert "rank" not in figures  # still first


def test_diff_names_rank_changes_of_units_whose_scores_did_not_change():
    old = _figures({"C01": "10.00", "C02": "5.00"})
    new = _figures({"C01": "4.00", "C02": "5.00"})
    changes = {c.unit: {f.key: (f.old, f.new) for f in c.figures} for c in versions.diff(old, new)}
    assert changes["C02"]["rank"] == (2, 1)
    assert changes["C01"]["rank"] == (1, 2)
    assert "total" not in changes["C02"]


def test_diff_of_equal_figures_is_empty_and_round_trip_is_exact():
    figures = _figures({"C01": "10.00", "C02": "5.00"})
    assert versions.diff(figures, json.loads(json.dumps(figures))) == []
    restored = versions.load_results(figures)
    assert restored.unit("C01").total == D("8.00")
    assert restored.unit("C01").categories[0].indicators[0].score == D("10.00")


# ---------------------------------------------------------------- the flow


def _score(org, year, unit, value):
    ind = Indicator.objects.get(year=year, code="LZ-02")
    services.scores_save(
        year_id=year.pk,
        category_id=ind.category_id,
        acting_user=org.user(Role.DEPT_ASSESSOR),
        cells=[services.CellInput(unit.pk, ind.pk, value)],
    )


@pytest.fixture
def published(org, year):
    _score(org, year, org.community, "10.00")
    _score(org, year, org.community2, "5.00")
    office = org.user(Role.OFFICE_STAFF)
    for _ in range(3):  # year-end, decided, published
        year = services.year_advance(year_id=year.pk, acting_user=office, override_reason=EARLY)
    assert year.status == YearStatus.PUBLISHED
    return year


def _correct(org, year, value="12.00") -> Correction:
    office, leader = org.user(Role.OFFICE_STAFF), org.user(Role.LEADER)
    correction = services.correction_request(year_id=year.pk, acting_user=office, reason="录入错误")
    services.correction_decide(
        correction_id=correction.pk, acting_user=leader, approve=True, note=""
    )
    _score(org, year, org.community, value)
    return correction


def _url(year, name="results", *args):
    return reverse(f"appraisal:{name}", args=[year.year, *args])


def _republish_url(year):
    return reverse("appraisal:republication", args=[year.year])


def test_publication_writes_version_1_with_figures_settings_and_bundle_hash(org, published):
    [v1] = ResultsVersion.objects.filter(year=published)
    assert v1.number == 1 and v1.correction is None and v1.reason == ""
    assert v1.published_by == org.user(Role.OFFICE_STAFF)
    assert v1.as_of == published.as_of
    total = versions.load_results(v1.figures).unit(org.community.code).total
    assert total == D("8.00")
    assert v1.settings_used["rank_bonus"] == ["0.30", "0.20", "0.10"]
    canonical = json.dumps(
        export_bundle(published), sort_keys=True, ensure_ascii=False, separators=(",", ":")
    ).encode()
    assert v1.bundle_sha256 == hashlib.sha256(canonical).hexdigest()
    event = AuditEvent.objects.get(event_type="appraisal.results_version_written")
    assert event.after["number"] == 1 and event.after["bundle_sha256"] == v1.bundle_sha256


def test_a_version_cannot_be_changed_or_deleted(published):
    v1 = ResultsVersion.objects.get(year=published)
    v1.reason = "changed"
    with pytest.raises(TypeError):
        v1.save()
    with pytest.raises(TypeError):
        ResultsVersion.objects.filter(pk=v1.pk).update(reason="changed")
    with pytest.raises(TypeError):
        v1.delete()
    with pytest.raises(TypeError):
        ResultsVersion.objects.filter(pk=v1.pk).delete()
    assert ResultsVersion.objects.get(pk=v1.pk).reason == ""


def test_approved_correction_does_not_change_what_the_community_sees(client, org, published):
    _correct(org, published)
    client.force_login(org.user(Role.COMMUNITY_STAFF))
    page = client.get(_url(published, "results_unit", org.community.code))
    assert page.status_code == 200
    assert page.context["unit"].total == D("8.00")  # the published figure, not 9.60
    assert client.get(_url(published)).context["rows"][0].unit.total == D("8.00")
    # the Office sees the live figures only when asking for the draft, labelled as such
    client.force_login(org.user(Role.OFFICE_STAFF))
    assert client.get(_url(published)).context["rows"][0].unit.total == D("8.00")
    draft = client.get(_url(published) + "?draft=1")
    assert draft.context["draft"] is True
    assert draft.context["rows"][0].unit.total == D("9.60")
    html = draft.content.decode()
    assert 'data-testid="draft-banner"' in html
    # against the published version: c01's total 8.00 → 9.60
    [change] = draft.context["draft_changes"]
    assert change.unit == org.community.code
    assert ("8.00", "9.60") in [(f.old, f.new) for f in change.figures]


def test_the_department_sees_the_published_version_too(client, org, published):
    _correct(org, published)
    client.force_login(org.user(Role.DEPT_ASSESSOR))
    page = client.get(_url(published) + "?draft=1")  # not theirs: ignored
    assert page.context["draft"] is False
    totals = {r.code: r.unit.total for r in page.context["rows"]}
    assert totals[org.community.code] == D("8.00")


def test_plain_close_is_refused_while_the_figures_differ_from_the_published(org, published):
    correction = _correct(org, published)
    with pytest.raises(Conflict):
        services.correction_close(
            correction_id=correction.pk, acting_user=org.user(Role.OFFICE_STAFF)
        )
    assert Correction.objects.get(pk=correction.pk).state == CorrectionState.APPROVED


def test_republication_approved_writes_version_2_and_notifies_changed_units(client, org, published):
    office, leader = org.user(Role.OFFICE_STAFF), org.user(Role.LEADER)
    correction = _correct(org, published)
    client.force_login(office)
    events_before = AuditEvent.objects.count()
    last_id = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
    response = client.post(_republish_url(published), {"action": "request"})
    assert response.status_code == 302
    correction.refresh_from_db()
    assert correction.state == CorrectionState.AWAITING_REPUBLICATION
    assert AuditEvent.objects.count() == events_before + 1
    # the year is frozen again; still version 1; the Leading Group has it in its inbox
    assert not services.writable(published)
    assert ResultsVersion.objects.filter(year=published).count() == 1
    item = WorkItem.objects.get(kind=kinds.WI_REPUBLICATION, state=WorkItemState.OPEN)
    assert item.owner_unit_id == org.leading_group.pk
    # the Office cannot approve its own request
    assert client.post(_republish_url(published), {"action": "approve"}).status_code == 403
    Notification.objects.all().delete()
    client.force_login(leader)
    response = client.post(_republish_url(published), {"action": "approve", "note": ""})
    assert response.status_code == 302
    correction.refresh_from_db()
    assert correction.state == CorrectionState.REPUBLISHED
    v2 = ResultsVersion.objects.get(year=published, number=2)
    assert v2.correction == correction and v2.reason == "录入错误" and v2.published_by == leader
    assert versions.load_results(v2.figures).unit(org.community.code).total == D("9.60")
    item.refresh_from_db()
    assert item.state != WorkItemState.OPEN
    # only c01's figures changed: only c01's people are told
    units = set(
        Notification.objects.filter(verb="results.republished").values_list(
            "recipient_unit_id", flat=True
        )
    )
    assert units == {org.community.pk}
    # the community now sees version 2, and the history of its own changes
    client.force_login(org.user(Role.COMMUNITY_STAFF))
    page = client.get(_url(published))
    assert page.context["rows"][0].unit.total == D("9.60")
    listed = page.context["version_list"]
    assert [v["version"].number for v in listed] == [2, 1]
    [change] = listed[0]["changes"]
    assert ("8.00", "9.60") in [(f.old, f.new) for f in change.figures]
    html = page.content.decode()
    assert 'data-testid="versions"' in html and "录入错误" in html and "8.00 → 9.60" in html
    event_types = list(
        AuditEvent.objects.filter(id__gt=last_id)
        .exclude(event_type="auth.login")
        .order_by("id")
        .values_list("event_type", flat=True)
    )
    assert event_types == [
        "appraisal.correction_republication_requested",
        "appraisal.correction_republished",
        "appraisal.results_version_written",
    ]


def test_refused_republication_keeps_version_1(client, org, published):
    correction = _correct(org, published)
    publication.correction_republication_request(
        year_id=published.pk, acting_user=org.user(Role.OFFICE_STAFF)
    )
    leader = org.user(Role.LEADER)
    with pytest.raises(Exception):  # a refusal needs its reason  # noqa: B017
        publication.correction_republication_decide(
            year_id=published.pk, acting_user=leader, approve=False, note=""
        )
    client.force_login(leader)
    response = client.post(_republish_url(published), {"action": "refuse", "note": "依据不足"})
    assert response.status_code == 302
    correction.refresh_from_db()
    assert correction.state == CorrectionState.REPUBLICATION_REFUSED
    assert correction.republication_note == "依据不足"
    assert ResultsVersion.objects.filter(year=published).count() == 1
    client.force_login(org.user(Role.COMMUNITY_STAFF))
    assert client.get(_url(published)).context["rows"][0].unit.total == D("8.00")
    # a second decision is stale
    client.force_login(leader)
    assert client.post(_republish_url(published), {"action": "approve"}).status_code == 409


def test_republication_of_unchanged_figures_is_refused(org, published):
    office, leader = org.user(Role.OFFICE_STAFF), org.user(Role.LEADER)
    correction = services.correction_request(
        year_id=published.pk, acting_user=office, reason="核对"
    )
    services.correction_decide(
        correction_id=correction.pk, acting_user=leader, approve=True, note=""
    )
    with pytest.raises(Conflict):
        publication.correction_republication_request(year_id=published.pk, acting_user=office)
    services.correction_close(correction_id=correction.pk, acting_user=office)
    correction.refresh_from_db()
    assert correction.state == CorrectionState.CLOSED


# ---------------------------------------------------------------- access


def test_community_sees_its_own_figures_and_its_own_changes_only(client, org, published):
    # c02 is also corrected this time (its LZ-02 5.00 → 6.00)
    _correct(org, published)
    _score(org, published, org.community2, "6.00")
    publication.correction_republication_request(
        year_id=published.pk, acting_user=org.user(Role.OFFICE_STAFF)
    )
    publication.correction_republication_decide(
        year_id=published.pk, acting_user=org.user(Role.LEADER), approve=True, note=""
    )
    client.force_login(org.user(Role.COMMUNITY_STAFF))
    page = client.get(_url(published))
    assert [r.code for r in page.context["rows"]] == [org.community.code]
    [entry_v2, _entry_v1] = page.context["version_list"]
    assert [c.unit for c in entry_v2["changes"]] == [org.community.code]
    html = page.content.decode()
    assert org.community2.code not in html and "4.80" not in html  # c02's new total
    assert client.get(_url(published, "results_unit", org.community2.code)).status_code == 404
    assert client.get(_url(published) + "?draft=1").context["draft"] is False
    # the Office sees every unit's changes
    client.force_login(org.user(Role.OFFICE_STAFF))
    entry = client.get(_url(published)).context["version_list"][0]
    assert {c.unit for c in entry["changes"]} == {org.community.code, org.community2.code}


def test_auditor_reads_everything_and_changes_nothing(client, org, published):
    _correct(org, published)
    auditor = org.user(Role.AUDITOR)
    client.force_login(auditor)
    assert client.get(_url(published) + "?draft=1").context["draft"] is True
    assert client.post(_republish_url(published), {"action": "request"}).status_code == 403
    publication.correction_republication_request(
        year_id=published.pk, acting_user=org.user(Role.OFFICE_STAFF)
    )
    for action in ("approve", "refuse"):
        response = client.post(_republish_url(published), {"action": action, "note": "x"})
        assert response.status_code == 403
    with pytest.raises(PermissionDenied):
        publication.correction_republication_decide(
            year_id=published.pk, acting_user=auditor, approve=True, note=""
        )
    assert ResultsVersion.objects.filter(year=published).count() == 1


def test_other_sub_district_cannot_see_or_act(client, org, other_org, published):
    _correct(org, published)
    client.force_login(other_org.user(Role.OFFICE_STAFF))
    assert client.get(_url(published)).status_code == 404
    assert client.post(_republish_url(published), {"action": "request"}).status_code == 404
    correction = Correction.objects.get(year=published)
    assert correction.state == CorrectionState.APPROVED


def test_unknown_action_is_a_message_not_an_error(client, org, published):
    client.force_login(org.user(Role.OFFICE_STAFF))
    response = client.post(_republish_url(published), {"action": "bogus"})
    assert response.status_code == 303


# ---------------------------------------------------------------- query counts

# Per request: session, user, roles; sub-district (navbar), unread notifications; the session
# save (3). The view: the year, and every published version in one query (figures included).
PUBLISHED_RANKING_QUERIES = 3 + 1 + 1 + 2 + 3
# The drill-down adds the departments' opinions per cell (one query, whatever the units), and the
# unit's latest submitted self-evaluation (one query).
PUBLISHED_UNIT_QUERIES = 3 + 1 + 1 + 2 + 3 + 1 + 1


@pytest.mark.parametrize("role", [Role.COMMUNITY_STAFF, Role.DEPT_ASSESSOR, Role.OFFICE_STAFF])
@pytest.mark.parametrize("extra", [0, 8], ids=["2-units", "10-units"])
def test_published_pages_queries_do_not_grow(
    client, org, planning_year, extra, role, django_assert_num_queries
):
    from core.models import UnitKind

    for i in range(extra):
        UnitFactory(sub_district=org.sd, kind=UnitKind.COMMUNITY, code=f"A-x{i}", name=f"社区{i}")
    office = org.user(Role.OFFICE_STAFF)
    year = services.year_advance(year_id=planning_year.pk, acting_user=office)
    for _ in range(3):
        year = services.year_advance(year_id=year.pk, acting_user=office, override_reason=EARLY)
    client.force_login(org.user(role))
    for target, expected in (
        (_url(year), PUBLISHED_RANKING_QUERIES),
        (_url(year, "results_unit", org.community.code), PUBLISHED_UNIT_QUERIES),
    ):
        assert client.get(target).status_code == 200
        with django_assert_num_queries(expected):
            response = client.get(target)
        assert response.status_code == 200 and response.context["shown_version"].number == 1


def test_year_page_offers_each_step_to_its_desk_only(client, org, published):
    _correct(org, published)
    year_url = reverse("appraisal:year", args=[published.year])
    client.force_login(org.user(Role.OFFICE_STAFF))
    assert 'data-testid="republish-request"' in client.get(year_url).content.decode()
    client.force_login(org.user(Role.LEADER))
    assert 'data-testid="republish-request"' not in client.get(year_url).content.decode()
    publication.correction_republication_request(
        year_id=published.pk, acting_user=org.user(Role.OFFICE_STAFF)
    )
    html = client.get(year_url).content.decode()
    assert 'data-testid="republish-decide"' in html and "?draft=1" in html
    client.force_login(org.user(Role.AUDITOR))
    assert 'data-testid="republish-decide"' not in client.get(year_url).content.decode()
