"""The one 待办 (task inbox): every role that receives work sees the open items of its units,
whichever app opened them, each called by the label its kind registered in core.deadlines; the
page is one indexed query for the items whatever their number, kinds and roles.

Per request: session, user, sub-district (navbar), roles, unread notifications, and the session
save in a savepoint (3): see tests/core/test_query_counts.py. The inbox adds the light counts
and the page of items.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from appraisal import services as appraisal_services
from appraisal.models import AssessmentYear, Category, YearStatus
from core import deadlines, workitems
from core.models import Role, WorkItem, WorkItemState
from rectification import kinds as notice_kinds
from rectification import services
from tests.appraisal import conftest as appraisal_fixtures
from tests.factories import UnitFactory, make_member
from tests.rectification.conftest import notice_input, pdf

pytestmark = pytest.mark.django_db

# A started year of sub-district A (tests/appraisal/conftest.py): its report tasks are open.
planning_year = appraisal_fixtures.planning_year
year = appraisal_fixtures.year

LEADING_GROUP_DECISIONS = {"claim.decide", "fraud.decide", "correction.approve"}


@pytest.fixture(autouse=True)
def _private_storage(settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"


def _issue(org, target=None, **overrides):
    office = org.user(Role.OFFICE_STAFF)
    draft = services.notice_create(
        acting_user=office,
        data=notice_input(org, **overrides),
        target_id=(target or org.community).pk,
    )
    return services.notice_issue(notice_id=draft.pk, acting_user=office)


def _decisions(org, year) -> None:
    """Through the appraisal services: a bonus claim the Office forwarded (claim.decide), a fraud
    finding (fraud.decide) and a correction of last year's published results
    (correction.approve), all waiting on the Leading Group."""
    office, staff = org.user(Role.OFFICE_STAFF), org.user(Role.COMMUNITY_STAFF)
    AssessmentYear.objects.filter(pk=year.pk).update(
        claim_declare_by=timezone.now() + dt.timedelta(days=3)
    )
    claim = appraisal_services.claim_declare(
        year_id=year.pk,
        acting_user=staff,
        unit_id=org.community.pk,
        level="city",
        title="市级先进基层党组织",
        description="",
        files=[pdf("表彰.pdf")],
    )
    appraisal_services.claim_review(claim_id=claim.pk, acting_user=office, forward=True, note="")
    appraisal_services.fraud_record(
        year_id=year.pk,
        acting_user=office,
        unit_id=org.community.pk,
        category_id=Category.objects.get(year=year, code="LZ").pk,
        reason="伪造会议记录",
    )
    last = appraisal_services.year_create(acting_user=office, number=year.year - 1)
    # Last year's results were published (how is not this test's concern).
    AssessmentYear.objects.filter(pk=last.pk).update(status=YearStatus.PUBLISHED)
    appraisal_services.correction_request(year_id=last.pk, acting_user=office, reason="录入错误")


def _reply_and_submit_measures(org, notice) -> None:
    staff = org.user(Role.COMMUNITY_STAFF)
    services.notice_reply(notice_id=notice.pk, acting_user=staff, text="收到，立即整改")
    services.notice_submit_measures(
        notice_id=notice.pk,
        acting_user=staff,
        measures=[
            services.MeasureInput(
                "建立台账", "张三", timezone.localdate() + dt.timedelta(days=30), [pdf()]
            )
        ],
    )


def _inbox(client, user, **params):
    client.force_login(user)
    return client.get(reverse("inbox"), params)


def _kinds(response) -> set[str]:
    return {item["kind"] for item in response.context["page_obj"]}


# --- who sees what -----------------------------------------------------------------------------


def test_the_leader_sees_the_leading_groups_open_decisions(client, org, year):
    # given decisions waiting on the Leading Group, and work waiting on others
    _decisions(org, year)
    _issue(org)
    # when a leader opens the inbox
    response = _inbox(client, org.user(Role.LEADER))
    # then it is there, with exactly the Leading Group's decisions, each under its kind's label
    assert response.status_code == 200
    assert _kinds(response) == LEADING_GROUP_DECISIONS
    body = response.content.decode()
    for kind in LEADING_GROUP_DECISIONS:
        assert deadlines.label(kind) in body
    assert all(i["unit_label"] == org.leading_group.name for i in response.context["page_obj"])
    # and the navigation offers the inbox
    assert f'href="{reverse("inbox")}"' in body


def test_each_role_sees_only_its_units_work(client, org, year):
    # given work of every kind waiting on the community, the Office and the Leading Group
    _decisions(org, year)
    notice = _issue(org)
    seen = {
        role: _kinds(_inbox(client, org.user(role)))
        for role in (Role.OFFICE_STAFF, Role.DEPT_ASSESSOR, Role.COMMUNITY_STAFF, Role.LEADER)
    }
    # then the community has its notice and its periodic reports, the Office the claim to review
    # (the claim was forwarded: its review is done), the department nothing yet
    assert seen[Role.COMMUNITY_STAFF] == {notice_kinds.WI_REPLY, "report.submit"}
    assert seen[Role.OFFICE_STAFF] == set()
    assert seen[Role.DEPT_ASSESSOR] == set()
    assert seen[Role.LEADER] == LEADING_GROUP_DECISIONS
    # when the community replies and submits measures, the issuer (the Office) must verify
    _reply_and_submit_measures(org, notice)
    assert _kinds(_inbox(client, org.user(Role.OFFICE_STAFF))) == {notice_kinds.WI_VERIFY}


def test_a_department_verifies_the_measures_of_the_notices_it_issued(client, org):
    dept = org.user(Role.DEPT_ASSESSOR)
    draft = services.notice_create(
        acting_user=dept,
        data=notice_input(org, issuing_unit_id=org.dept_lz.pk),
        target_id=org.community.pk,
    )
    notice = services.notice_issue(notice_id=draft.pk, acting_user=dept)
    assert _kinds(_inbox(client, dept)) == set()
    _reply_and_submit_measures(org, notice)
    response = _inbox(client, dept)
    assert _kinds(response) == {notice_kinds.WI_VERIFY}
    assert [i["unit_label"] for i in response.context["page_obj"]] == [org.dept_lz.name]


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.ADMIN])
def test_roles_that_receive_no_work_are_told_so(client, org, role):
    # given an auditor (reads everything, acts on nothing) or an administrator
    _issue(org)
    # when they open the inbox
    client.force_login(org.user(role))
    with translation.override("en"):
        response = client.get(reverse("inbox"), HTTP_ACCEPT_LANGUAGE="en")
    # then they are refused with the reason, and the navigation does not offer it
    assert response.status_code == 403
    assert b"receives no tasks" in response.content
    home = client.get(reverse("home")).content.decode()
    assert f'href="{reverse("inbox")}"' not in home


def test_inbox_of_another_community_is_empty(client, org):
    _issue(org)
    other = make_member(org.community2, Role.COMMUNITY_STAFF)
    assert _inbox(client, other).context["page_obj"].paginator.count == 0


def test_inbox_shows_nothing_of_another_sub_district(client, org, other_org):
    _issue(other_org)
    response = _inbox(client, org.user(Role.OFFICE_STAFF))
    assert response.context["page_obj"].paginator.count == 0


# --- labels ------------------------------------------------------------------------------------


def test_every_item_is_called_by_its_registered_label(client, org, year):
    _decisions(org, year)
    _issue(org)
    for role in (Role.LEADER, Role.COMMUNITY_STAFF):
        for item in _inbox(client, org.user(role)).context["page_obj"]:
            assert item["kind_label"] == str(deadlines.get(item["kind"]).label)


def test_every_registered_kind_has_a_label_of_its_own():
    # core.workitems refuses a kind nobody registered; every kind an app registers must be called
    # by a translated label of its own in the inbox (not its code, not the neutral fallback).
    from tests.conftest import TEST_WORK_ITEM_KINDS

    product = {k: s for k, s in deadlines.registered().items() if k not in TEST_WORK_ITEM_KINDS}
    assert set(notice_kinds.KINDS) <= set(product)
    assert {"report.submit", "claim.review", "claim.decide"} <= set(product)
    with translation.override("en"):
        fallback = str(deadlines.FALLBACK_LABEL)
        english = {kind: str(spec.label) for kind, spec in product.items()}
    for kind, spec in product.items():
        chinese = str(spec.label)
        assert english[kind] not in ("", kind, fallback), kind
        assert chinese != english[kind], f"{kind}: label {english[kind]!r} is not translated"
    assert len(set(english.values())) == len(english)


# --- lights and filters ------------------------------------------------------------------------


def test_inbox_counts_lights_at_read_time(client, org, monkeypatch):
    # given three notices due at different times
    a = _issue(org)
    b = _issue(org)
    c = _issue(org)
    now = a.reply_due_at - dt.timedelta(days=1)  # a and b and c were issued together
    WorkItem.objects.filter(subject_id=a.pk).update(due_at=now - dt.timedelta(hours=1))
    WorkItem.objects.filter(subject_id=b.pk).update(due_at=now + dt.timedelta(hours=2))
    WorkItem.objects.filter(subject_id=c.pk).update(due_at=now + dt.timedelta(days=30))
    monkeypatch.setattr(timezone, "now", lambda: now)
    response = _inbox(client, org.user(Role.COMMUNITY_SECRETARY))
    # then the overdue one comes first, and each light is counted without any job running
    assert response.context["counts"] == {"red": 1, "yellow": 1, "green": 1, "none": 0}
    assert [i["subject_id"] for i in response.context["page_obj"]] == [a.pk, b.pk, c.pk]
    red_only = client.get(reverse("inbox"), {"light": "red"})
    assert [i["subject_id"] for i in red_only.context["page_obj"]] == [a.pk]


def test_inbox_filters_by_kind(client, org, year):
    # given a notice and periodic reports waiting on the community
    _issue(org)
    staff = org.user(Role.COMMUNITY_STAFF)
    # when it asks for the notices only
    response = _inbox(client, staff, kind=notice_kinds.WI_REPLY)
    # then only they are listed and counted, and the light links keep the filter
    assert _kinds(response) == {notice_kinds.WI_REPLY}
    assert sum(response.context["counts"].values()) == 1
    assert all("kind=notice.reply" in light["href"] for light in response.context["lights"])
    # an unknown kind is ignored rather than refused
    everything = {notice_kinds.WI_REPLY, "report.submit"}
    assert _kinds(_inbox(client, staff, kind="nonsense")) == everything


def test_light_buttons_use_the_one_light_definition(client, org):
    _issue(org)
    response = _inbox(client, org.user(Role.COMMUNITY_STAFF))
    lights = {light["value"]: light for light in response.context["lights"]}
    for light in workitems.Light:
        assert lights[light]["label"] == light.label
        assert lights[light]["style"] == workitems.LIGHT_STYLE[light]


# --- one query for the items -------------------------------------------------------------------


def _many_items(org, n: int) -> None:
    """n open items, of every registered kind in turn, for each of the community, the Office, the
    department and the Leading Group, opened through core's interface as every case type does
    (the subjects are units made for the purpose; one open item per subject and kind)."""
    owners = (org.community, org.office, org.dept_lz, org.leading_group)
    registered = sorted(deadlines.registered())
    now = timezone.now()
    for i in range(n):
        subject = UnitFactory(sub_district=org.sd)
        for j, owner in enumerate(owners):
            workitems.open_item(
                kind=registered[(i + j) % len(registered)],
                subject=subject,
                owner_unit_id=owner.pk,
                sub_district_id=org.sd.pk,
                title=f"事项{i}",
                url="/",
                due_at=None if i % 4 == 3 else now + dt.timedelta(days=i - 2),
                reference=str(i),
            )


def _warm(client, user) -> None:
    """Log in and load the page once (content types and the lights' "due soon" limit are cached
    per process)."""
    client.force_login(user)
    assert client.get(reverse("inbox")).status_code == 200


@pytest.mark.parametrize("rows", [1, 40])
@pytest.mark.parametrize(
    "role", [Role.COMMUNITY_STAFF, Role.OFFICE_STAFF, Role.DEPT_ASSESSOR, Role.LEADER]
)
def test_inbox_queries(client, org, role, rows, django_assert_num_queries):
    # given items of every kind, waiting on every role's unit
    _many_items(org, rows)
    _warm(client, org.user(role))
    # light counts and the page of items with owner unit, on top of the 8 of every request
    with django_assert_num_queries(10):
        response = client.get(reverse("inbox"))
    assert response.status_code == 200
    assert len(response.context["page_obj"]) == rows
    assert len(_kinds(response)) == min(rows, len(deadlines.registered()))


@pytest.mark.parametrize("rows", [1, 50])
def test_inbox_queries_with_notices(client, org, rows, django_assert_num_queries):
    # given n notices issued to c01 through the services
    for i in range(rows):
        _issue(org, subject=f"问题{i}")
    _warm(client, org.user(Role.COMMUNITY_STAFF))
    # light counts, page of items with owner unit (the lights' due-soon limit is cached after the
    # warm-up; the total comes from the light counts)
    with django_assert_num_queries(10):
        response = client.get(reverse("inbox"))
    assert response.status_code == 200
    assert len(response.context["page_obj"]) == rows
    assert WorkItem.objects.filter(owner_unit=org.community, state=WorkItemState.OPEN).count() == (
        rows
    )
