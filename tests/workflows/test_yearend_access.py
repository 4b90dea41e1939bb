# ruff: noqa: F811  (the year fixtures are imported from tests.appraisal.conftest)
"""Every page of the year-end process × every role (with stand-in steps): who may open it, who
may act, and that nothing of it is seen from another sub-district. viewflow's own pages are not
mounted at all (they would let anyone with the model permission read every process)."""

import re
from datetime import timedelta

import pytest
from django.db import transaction
from django.urls import NoReverseMatch, Resolver404, resolve, reverse
from django.utils import timezone

from appraisal import services
from core.models import Role, WorkItem, WorkItemState
from tests.appraisal.conftest import planning_year, year  # noqa: F401  (fixtures)
from tests.workflows.test_yearend_mechanics import stand_ins  # noqa: F401  (fixture)
from workflows import kinds
from workflows.flows.year_end import STEPS, YearEndFlow

pytestmark = pytest.mark.django_db

ALL = set(Role.values)
SEE_ALL = {Role.OFFICE_STAFF, Role.LEADER, Role.AUDITOR, Role.ADMIN}


@pytest.fixture
def started(stand_ins, org, year):
    office = org.user(Role.OFFICE_STAFF)
    due = {step: timezone.now() + timedelta(days=30 + i) for i, step in enumerate(STEPS)}
    with transaction.atomic():
        services.year_open_year_end(year_id=year.pk, acting_user=office)
        YearEndFlow.start.run(year=year, acting_user=office, due=due)
    return year


def _sees_all(role):
    return role in SEE_ALL


@pytest.mark.parametrize("role", sorted(ALL))
def test_process_page_shows_each_role_only_its_own_tasks(client, org, started, role):
    client.force_login(org.user(role))
    response = client.get(reverse("yearend_process", args=[started.year]))
    assert response.status_code == 200
    rows = [r for s in response.context["steps"] for r in s["rows"]]
    units = {r["unit"] for r in rows}
    community = org.community.short_name or org.community.name
    if role in SEE_ALL:
        assert len(rows) == WorkItem.objects.filter(kind=kinds.WI_SELFEVAL).count() > 1
    elif role in (Role.COMMUNITY_STAFF, Role.COMMUNITY_SECRETARY):
        assert units == {community}  # its own self-evaluation only
    else:
        assert rows == []  # a department: no self-evaluation is its task


def test_other_sub_district_sees_nothing(client, other_org, started):
    for role in sorted(ALL):
        client.force_login(other_org.user(role))
        for name in ("yearend_process", "yearend_results", "yearend_publish", "yearend_start"):
            assert client.get(reverse(name, args=[started.year])).status_code == 404


@pytest.mark.parametrize("role", sorted(ALL))
@pytest.mark.parametrize("name", ["yearend_results", "yearend_publish"])
def test_office_task_pages_are_read_by_those_who_see_everything(client, org, started, role, name):
    client.force_login(org.user(role))
    response = client.get(reverse(name, args=[started.year]))
    assert response.status_code == (200 if _sees_all(role) else 403)


@pytest.mark.parametrize("role", sorted(ALL - {Role.OFFICE_STAFF}))
@pytest.mark.parametrize("name", ["yearend_results", "yearend_publish"])
def test_only_the_office_acts_on_its_tasks(client, org, started, role, name):
    client.force_login(org.user(role))
    response = client.post(reverse(name, args=[started.year]), {"expected_status": "decided"})
    assert response.status_code == 403


@pytest.mark.parametrize("role", sorted(ALL))
def test_only_the_office_starts_the_process(client, org, year, role):
    client.force_login(org.user(role))
    response = client.get(reverse("yearend_start", args=[year.year]))
    assert response.status_code == (200 if role == Role.OFFICE_STAFF else 403)


def test_results_step_posted_when_not_open_is_409(client, org, started):
    client.force_login(org.user(Role.OFFICE_STAFF))
    response = client.post(reverse("yearend_results", args=[started.year]))
    assert response.status_code == 409
    assert not WorkItem.objects.filter(kind=kinds.WI_DECISION).exists()


def test_viewflow_pages_are_not_mounted():
    for path in ("/workflow/", "/workflow/flows/", "/viewflow/", "/workflow/api/"):
        with pytest.raises(Resolver404):
            resolve(path)
    with pytest.raises(NoReverseMatch):
        reverse("viewflow:index")


def test_a_group_task_is_claimed_only_by_the_team(client, org, started, monkeypatch):
    from workflows import yearend

    item = WorkItem.objects.filter(kind=kinds.WI_SELFEVAL, state=WorkItemState.OPEN).first()
    client.force_login(org.user(Role.COMMUNITY_STAFF))
    url = reverse("yearend_task_hold", args=[item.pk, "claim"])
    assert client.post(url).status_code == 409  # a self-evaluation is no group task
    # a verification task: a member of the team may claim it, no one else
    monkeypatch.setattr(
        yearend, "_may_hold", lambda item, user: user == org.user(Role.DEPT_ASSESSOR)
    )
    verify = WorkItem.objects.create(
        kind=kinds.WI_VERIFY,
        subject_type=item.subject_type,
        subject_id=item.subject_id,
        owner_unit=org.dept_lz,
        sub_district=org.sd,
        title="核实",
        url="/x/",
    )
    client.force_login(org.user(Role.OFFICE_STAFF))
    url = reverse("yearend_task_hold", args=[verify.pk, "claim"])
    assert client.post(url).status_code == 403
    client.force_login(org.user(Role.DEPT_ASSESSOR))
    response = client.post(url, {"next": "//evil.example/"})
    assert response.status_code == 302 and response["Location"] == "/x/"
    verify.refresh_from_db()
    assert verify.holder == org.user(Role.DEPT_ASSESSOR)


def test_the_start_form_shows_its_default_due_dates(client, org, year):
    """<input type=date> takes only ISO values: a localised date (2026/12/17) showed as empty, so
    the Office saw no default and had to type every date."""
    client.force_login(org.user(Role.OFFICE_STAFF))
    html = client.get(reverse("yearend_start", args=[year.year])).content.decode()
    for step in STEPS:
        found = re.search(rf'name="due_{step}" value="(\d{{4}}-\d\d-\d\d)"', html)
        assert found, step
        assert found.group(1) >= timezone.localdate().isoformat()
