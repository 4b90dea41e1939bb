# ruff: noqa: F811  (the year fixtures are imported from tests.appraisal.conftest)
"""Who may download which of the year's written results (Art. 16): a community its own letter and
the bulletin, departments the bulletin, the Office, the Leading Group and auditors everything;
nothing across sub-districts. Listing them on the process page costs the same queries for 1 and
for many documents."""

import pytest
from django.db import transaction
from django.urls import reverse

from appraisal.models import AssessedUnit
from core.documents import store_document
from core.models import Role
from tests.appraisal.conftest import planning_year, year  # noqa: F401  (fixtures)
from workflows.views.yearend import _documents_for

pytestmark = pytest.mark.django_db

SEE_ALL = {Role.OFFICE_STAFF, Role.LEADER, Role.AUDITOR, Role.ADMIN}
COMMUNITY = {Role.COMMUNITY_STAFF, Role.COMMUNITY_SECRETARY}


@pytest.fixture
def stored(org, year):
    codes = dict(AssessedUnit.objects.filter(year=year).values_list("unit_id", "code"))
    with transaction.atomic():
        for name in [f"{c}.{ext}" for c in codes.values() for ext in ("docx", "pdf")] + [
            "bulletin.docx",
            "bulletin.pdf",
            "bulletin.xlsx",
        ]:
            store_document(
                owner=year,
                kind="test",
                filename=name,
                content=name.encode(),
                sub_district_id=org.sd.pk,
            )
    return codes


def _get(client, year, name):
    return client.get(reverse("yearend_document", args=[year.year, name]))


@pytest.mark.parametrize("role", sorted(Role.values))
def test_each_role_downloads_what_it_may(client, org, year, stored, role):
    user = org.user(role)
    client.force_login(user)
    own = stored.get(org.community.pk)
    other = stored.get(org.community2.pk)
    community = role in COMMUNITY
    department = role == Role.DEPT_ASSESSOR
    sees_all = role in SEE_ALL
    expect = {
        "bulletin.pdf": sees_all or community or department,
        "bulletin.xlsx": sees_all or community or department,
        f"{own}.pdf": sees_all or community,
        f"{own}.docx": sees_all or community,
        f"{other}.pdf": sees_all,
    }
    for name, allowed in expect.items():
        response = _get(client, year, name)
        if allowed:
            assert response.status_code == 200, (role, name)
            assert response.content == name.encode()
            assert response["Content-Disposition"] == (f'attachment; filename="{year.year}-{name}"')
        else:
            assert response.status_code in (403, 404), (role, name, response.status_code)
    # the process page lists exactly what may be downloaded
    listed = {d.filename for d in _documents_for(user, year)}
    assert listed == {n for n, ok in expect.items() if ok} | (
        {n for n in _all(stored) if sees_all}
        | ({"bulletin.docx"} if sees_all or community or department else set())
        | ({f"{own}.docx", f"{own}.pdf"} if community else set())
    )


def _all(stored):
    return {f"{c}.{ext}" for c in stored.values() for ext in ("docx", "pdf")} | {
        "bulletin.docx",
        "bulletin.pdf",
        "bulletin.xlsx",
    }


def test_nothing_crosses_sub_districts(client, other_org, year, stored):
    for role in (Role.OFFICE_STAFF, Role.AUDITOR, Role.COMMUNITY_STAFF):
        client.force_login(other_org.user(role))
        assert _get(client, year, "bulletin.pdf").status_code == 404
        assert _get(client, year, f"{stored[year.units.first().unit_id]}.pdf").status_code == 404


def test_an_unknown_file_is_404(client, org, year, stored):
    client.force_login(org.user(Role.OFFICE_STAFF))
    assert _get(client, year, "nothing.pdf").status_code == 404


@pytest.mark.parametrize("many", [False, True])
def test_the_list_costs_the_same_queries(org, year, many, django_assert_num_queries):
    # given one stored document, or a letter in two formats per community and the bulletin
    codes = list(AssessedUnit.objects.filter(year=year).values_list("code", flat=True))
    names = _all(dict(enumerate(codes))) if many else {"bulletin.pdf"}
    with transaction.atomic():
        for name in names:
            store_document(
                owner=year, kind="test", filename=name, content=b"x", sub_district_id=org.sd.pk
            )
    user = org.user(Role.COMMUNITY_STAFF)
    # when / then: the unit codes the user may read, the content type, the documents
    with django_assert_num_queries(3):
        listed = _documents_for(user, year)
    assert len(listed) == (5 if many else 1)  # its letter (2) and the bulletin (3)
