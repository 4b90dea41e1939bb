"""The joint assessment team and its verification of each category (Art. 14, scoring.md §1)."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from appraisal import services
from appraisal.models import Category, CategoryVerification, Score, TeamMember, VerificationEntry
from appraisal.results import compute
from appraisal.services import team as team_services
from core import steps, workitems
from core.errors import Conflict
from core.models import AuditEvent, Role
from tests.factories import make_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(org):
    return {
        "lz": org.user(Role.DEPT_ASSESSOR),
        "lz2": make_member(org.dept_lz, Role.DEPT_ASSESSOR, "A-dept-2"),
        "zz": make_member(org.dept_zz, Role.DEPT_ASSESSOR, "A-zz"),
        "xc": make_member(org.dept_xc, Role.DEPT_ASSESSOR, "A-xc"),
        "office": org.user(Role.OFFICE_STAFF),
    }


def _cats(year):
    return {c.code: c for c in Category.objects.filter(year=year)}


@pytest.fixture
def team(org, year, people):
    cats = _cats(year)
    services.year_open_year_end(year_id=year.pk, acting_user=people["office"])
    team_services.team_set(
        year_id=year.pk,
        acting_user=people["office"],
        leader_id=people["office"].pk,
        members=[
            (people["lz"].pk, cats["LZ"].pk),
            (people["lz2"].pk, cats["LZ"].pk),
            (people["zz"].pk, cats["ZZ"].pk),
            (people["xc"].pk, cats["XC"].pk),
            (people["office"].pk, cats["QT"].pk),
        ],
    )
    year.refresh_from_db()
    return year


def _open_lz(year):
    """The verification of 党风廉政 as the process opens it: the row and its group work item."""
    lz = _cats(year)["LZ"]
    verification = team_services.verification_open(
        year=year, category_id=lz.pk, due_at=None, round=1
    )
    workitems.open_item(
        kind="yearend.verify",
        subject=verification,
        owner_unit_id=lz.lead_unit_id,
        sub_district_id=year.sub_district_id,
        title="核实",
        url=verification.get_absolute_url(),
        due_at=None,
    )
    return verification


def _hold(verification, user):
    item = workitems.open_item_of(subject=verification)
    item.holder = user
    item.save(update_fields=["holder"])


def test_team_needs_a_member_per_category_from_its_lead_department(org, year, people):
    cats = _cats(year)
    with pytest.raises(ValidationError) as refused:
        team_services.team_set(
            year_id=year.pk,
            acting_user=people["office"],
            leader_id=people["lz"].pk,  # not Office staff
            members=[(people["zz"].pk, cats["LZ"].pk)],  # not of 纪检's department
        )
    text = " ".join(refused.value.messages)
    assert "领导小组办公室" in text or "Office" in text
    assert cats["ZZ"].name in text  # a category without a member is named
    assert not TeamMember.objects.filter(year=year).exists()


def test_team_is_audited_and_only_the_office_names_it(org, year, team, people):
    assert TeamMember.objects.filter(year=team, is_leader=True).get().user == people["office"]
    assert AuditEvent.objects.filter(event_type="appraisal.team_set").count() == 1
    with pytest.raises(PermissionDenied):
        team_services.team_set(year_id=team.pk, acting_user=people["lz"], leader_id=1, members=[])


def test_only_the_holder_enters_values(org, team, people):
    verification = _open_lz(team)
    ind = team.indicators.get(code="LZ-02")
    cell = team_services.VerifiedCell(org.community.pk, ind.pk, "15.00", "台账不全")
    with pytest.raises(Conflict):  # nobody holds it yet
        team_services.verification_save(
            verification_id=verification.pk,
            acting_user=people["lz"],
            cells=[cell],
            expected_version=0,
        )
    _hold(verification, people["lz2"])
    with pytest.raises(Conflict):  # another member holds it
        team_services.verification_save(
            verification_id=verification.pk,
            acting_user=people["lz"],
            cells=[cell],
            expected_version=0,
        )
    with pytest.raises(PermissionDenied):  # not in the team of this category
        team_services.verification_save(
            verification_id=verification.pk,
            acting_user=people["zz"],
            cells=[cell],
            expected_version=0,
        )
    assert (
        team_services.verification_save(
            verification_id=verification.pk,
            acting_user=people["lz2"],
            cells=[cell],
            expected_version=0,
        )
        == 1
    )
    score = Score.objects.get(unit=org.community, indicator=ind)
    assert score.verified_score == Decimal("15.00")
    assert VerificationEntry.objects.get().comment == "台账不全"


def test_the_verified_value_replaces_the_department_score(org, team, people):
    ind = team.indicators.get(code="LZ-02")
    lz = _cats(team)["LZ"]
    services.scores_save(
        year_id=team.pk,
        category_id=lz.pk,
        acting_user=people["lz"],
        cells=[services.CellInput(org.community.pk, ind.pk, "18.00", "较好")],
    )
    before = compute(team, details=False).results
    verification = _open_lz(team)
    _hold(verification, people["lz"])
    team_services.verification_save(
        verification_id=verification.pk,
        acting_user=people["lz"],
        cells=[team_services.VerifiedCell(org.community.pk, ind.pk, "12.00", "核减")],
        expected_version=0,
    )
    after = compute(team, details=False).results

    def lz_score(results):
        unit = next(u for u in results.units if u.unit_id == org.community.code)
        return next(c for c in unit.categories if c.code == "LZ").score

    assert lz_score(before) == Decimal("18.00")
    assert lz_score(after) == Decimal("12.00")
    # the department's opinion stays the department's
    assert Score.objects.get(unit=org.community, indicator=ind).comment == "较好"


def test_an_unchanged_save_writes_nothing_and_a_stale_one_is_409(org, team, people):
    verification = _open_lz(team)
    _hold(verification, people["lz"])
    ind = team.indicators.get(code="LZ-02")
    cell = team_services.VerifiedCell(org.community.pk, ind.pk, "10.00", "")
    team_services.verification_save(
        verification_id=verification.pk, acting_user=people["lz"], cells=[cell], expected_version=0
    )
    audits = AuditEvent.objects.count()
    assert (
        team_services.verification_save(
            verification_id=verification.pk,
            acting_user=people["lz"],
            cells=[cell],
            expected_version=1,
        )
        == 0
    )
    assert AuditEvent.objects.count() == audits
    with pytest.raises(Conflict):
        team_services.verification_save(
            verification_id=verification.pk,
            acting_user=people["lz"],
            cells=[cell],
            expected_version=0,
        )


def test_a_value_above_the_maximum_is_refused_and_nothing_is_saved(org, team, people):
    verification = _open_lz(team)
    _hold(verification, people["lz"])
    ind = team.indicators.get(code="LZ-02")
    with pytest.raises(ValidationError):
        team_services.verification_save(
            verification_id=verification.pk,
            acting_user=people["lz"],
            cells=[team_services.VerifiedCell(org.community.pk, ind.pk, "99.00", "x")],
            expected_version=0,
        )
    assert not VerificationEntry.objects.exists()
    assert not Score.objects.filter(verified_score__isnull=False).exists()


def test_only_the_team_leader_signs_off_and_the_process_hears_it(org, team, people):
    verification = _open_lz(team)
    heard = []
    listener = lambda **kw: heard.append(kw)  # noqa: E731
    steps.connect(listener)
    try:
        with pytest.raises(PermissionDenied):
            team_services.verification_signoff(
                verification_id=verification.pk, acting_user=people["lz"], expected_version=0
            )
        team_services.verification_signoff(
            verification_id=verification.pk, acting_user=people["office"], expected_version=0
        )
    finally:
        steps.disconnect(listener)
    assert [(h["step"], h["subject"]) for h in heard] == [("verification.signed_off", verification)]
    assert CategoryVerification.objects.get(pk=verification.pk).state == "signed_off"


def test_the_offices_old_grid_refuses_once_the_team_verifies(org, team, people):
    _open_lz(team)
    lz = _cats(team)["LZ"]
    with pytest.raises(Conflict):
        services.verified_scores_save(
            year_id=team.pk,
            category_id=lz.pk,
            acting_user=people["office"],
            cells=[services.CellInput(org.community.pk, team.indicators.get(code="LZ-02").pk, "1")],
        )


@pytest.mark.parametrize("role", sorted(Role.values))
def test_who_reads_the_verification_page(client, org, team, people, role):
    _open_lz(team)
    client.force_login(org.user(role))
    response = client.get(reverse("appraisal:verification", args=[team.year, "LZ"]))
    # the Office, Leading Group, auditors and admins; 纪检 (its lead department, in the team)
    reads = role in (Role.OFFICE_STAFF, Role.LEADER, Role.AUDITOR, Role.ADMIN, Role.DEPT_ASSESSOR)
    assert response.status_code == (200 if reads else 403)


def test_the_page_shows_the_claim_panel_and_edits_only_for_the_holder(client, org, team, people):
    verification = _open_lz(team)
    url = reverse("appraisal:verification", args=[team.year, "LZ"])
    client.force_login(people["lz"])
    body = client.get(url).content.decode()
    assert 'data-testid="claim"' in body and 'data-testid="save-verification"' not in body
    _hold(verification, people["lz"])
    body = client.get(url).content.decode()
    assert 'data-testid="save-verification"' in body and 'data-testid="release"' in body
    ind = team.indicators.get(code="LZ-02")
    data = {"action": "save", "version": "0"}
    for u in (org.community, org.community2):
        for i in team.indicators.filter(category__code="LZ"):
            data[f"v-{u.pk}-{i.pk}"] = ""
            data[f"c-{u.pk}-{i.pk}"] = ""
    data[f"v-{org.community.pk}-{ind.pk}"] = "abc"
    response = client.post(url, data)
    assert response.status_code == 400 and "abc" in response.content.decode()
    data[f"v-{org.community.pk}-{ind.pk}"] = "9.50"
    assert client.post(url, data).status_code == 302
    assert Score.objects.get(unit=org.community, indicator=ind).verified_score == Decimal("9.50")
    del data[f"c-{org.community2.pk}-{ind.pk}"]
    assert client.post(url, {**data, "version": "1"}).status_code == 400  # a missing field


@pytest.mark.parametrize("communities", [1, 2])
def test_verification_page_queries_do_not_grow_with_communities(
    client, org, team, people, communities, django_assert_max_num_queries
):
    from appraisal.models import AssessedUnit

    if communities == 1:
        AssessedUnit.objects.filter(year=team, unit=org.community2).delete()
    _open_lz(team)
    client.force_login(people["lz"])
    url = reverse("appraisal:verification", args=[team.year, "LZ"])
    client.get(url)
    with django_assert_max_num_queries(40):
        assert client.get(url).status_code == 200


def test_each_cell_shows_the_reports_counted_and_the_cap(client, org, team, people):
    """Art. 14 / scoring.md §1: beside the scores the verifier sees, per community and indicator,
    the reports counted and excluded and the cap they leave."""
    _open_lz(team)
    client.force_login(people["lz"])
    body = client.get(reverse("appraisal:verification", args=[team.year, "LZ"])).content.decode()
    indicators = team.indicators.filter(category__code="LZ").count()
    assert body.count('data-testid="reports-cap"') == 2 * indicators
