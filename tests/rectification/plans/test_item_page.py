"""The item page (Art. 20): what it shows, who may open it and act on it, its forms, and its
query count whatever the number of milestones and progress updates."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from core import workdays
from core.models import Evidence, Role
from rectification.models import (
    Milestone,
    MilestoneExtension,
    Notice,
    PlanItem,
    PlanItemState,
    ProgressUpdate,
    RectificationPlan,
)
from rectification.plans import tracking
from tests.factories import make_member
from tests.rectification.conftest import pdf

from .tracking_fixtures import accepted_plan, add_milestone

IS = PlanItemState


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def plan(org):
    plan = accepted_plan(org)
    RectificationPlan.objects.filter(pk=plan.pk).update(letter_url="/year-end/2026/c01.pdf")
    PlanItem.objects.filter(plan=plan).update(source_url="/appraisal/2026/scoring/1/")
    return plan


@pytest.fixture
def item(plan):
    return plan.items.order_by("position").first()  # category 1: org.dept_lz's


def url(name, pk):
    return reverse(name, args=[pk])


def login(client, user):
    client.force_login(user)
    return client


def reach_all(item, user):
    for m in item.milestones.order_by("position"):
        tracking.progress_report(
            item_id=item.pk,
            acting_user=user,
            progress="完成",
            next_steps="",
            milestone_id=m.pk,
            files=[],
        )


# --- what it shows ------------------------------------------------------------------------------


def test_page_shows_source_plan_item_and_history(client, org, item):
    community = org.user(Role.COMMUNITY_STAFF)
    m = item.milestones.order_by("position").first()
    tracking.progress_report(
        item_id=item.pk,
        acting_user=community,
        progress="第一次检查完成",
        next_steps="复查",
        milestone_id=m.pk,
        files=[pdf()],
    )
    html = login(client, community).get(url("plan_item", item.pk)).content.decode()
    assert "牵头部门意见" in html
    assert "1.1 廉政谈话" in html and "2026" in html
    assert 'data-testid="letter"' in html and "/year-end/2026/c01.pdf" in html
    # The community does not open the appraisal's pages; the Office does.
    assert 'data-testid="source-url"' not in html
    assert reverse("plan_detail", args=[item.plan_id]) in html
    assert "第一次检查完成" in html and "整改报告.pdf" in html
    evidence = Evidence.objects.get(original_name="整改报告.pdf")
    assert reverse("evidence_download", args=[evidence.pk]) in html
    # The timeline: the plan's creation, then the milestone reached, as labels.
    assert "根据书面反馈生成整改方案" in html and "节点完成" in html
    assert "plan.milestone_reached" not in html.replace('data-event="plan.milestone_reached"', "")
    office_html = login(client, org.user(Role.OFFICE_STAFF)).get(url("plan_item", item.pk))
    assert 'data-testid="source-url"' in office_html.content.decode()


def test_timeline_is_one_history_in_time_order(client, org, item):
    community = org.user(Role.COMMUNITY_STAFF)
    office = org.user(Role.OFFICE_STAFF)
    m = item.milestones.order_by("position").first()
    ext = tracking.milestone_extension_request(
        milestone_id=m.pk,
        acting_user=community,
        requested_date=m.due_date + dt.timedelta(days=5),
        reason="汛期",
    )
    tracking.milestone_extension_decide(
        extension_id=ext.pk, acting_user=office, grant=True, reason=""
    )
    reach_all(item, community)
    tracking.close_request(
        item_id=item.pk, acting_user=community, summary="完成", expected_state=IS.IN_PROGRESS
    )
    response = login(client, org.user(Role.AUDITOR)).get(url("plan_item", item.pk))
    events = [e.event_type for e in response.context["timeline"]]
    assert events == [
        # the plan made from the letter, this item drafted, the plan submitted, passed, accepted
        "plan.created",
        "plan.item_saved",
        "plan.submitted",
        "plan.office_accepted",
        "plan.accepted",
        "plan.extension_requested",
        "plan.extension_granted",
        "plan.milestone_reached",
        "plan.milestone_reached",
        "plan.close_requested",
    ]
    html = response.content.decode()
    assert "同意节点延期" in html and "申请销号" in html
    # Another item's events are not this item's history.
    other = item.plan.items.exclude(pk=item.pk).first()
    reach_all(other, community)
    response = client.get(url("plan_item", item.pk))
    assert len(response.context["timeline"]) == len(events)


def test_late_milestone_shows_red_and_escalation_for_the_office(client, org, item):
    due = workdays.local_date(timezone.now()) - dt.timedelta(days=2)
    m = item.milestones.order_by("position").first()
    Milestone.objects.filter(pk=m.pk).update(due_date=due, due_at=workdays.end_of_day(due))
    response = login(client, org.user(Role.OFFICE_STAFF)).get(url("plan_item", item.pk))
    lights = {x.pk: x.light for x in response.context["milestones"]}
    assert lights[m.pk] == "red"
    assert 'data-testid="escalate"' in response.content.decode()
    r = client.post(url("plan_milestone_escalate", m.pk), {"expected_due_date": due.isoformat()})
    assert r.status_code == 302
    notice = Notice.objects.get()
    assert Milestone.objects.get(pk=m.pk).notice == notice
    # Posted again (a double click): 409, still one notice.
    r = client.post(url("plan_milestone_escalate", m.pk), {"expected_due_date": due.isoformat()})
    assert r.status_code == 409 and Notice.objects.count() == 1
    html = client.get(url("plan_item", item.pk)).content.decode()
    assert reverse("notice_detail", args=[notice.pk]) in html


POSTS = (
    ("plan_item_progress", "item"),
    ("plan_item_close_request", "item"),
    ("plan_item_verify", "item"),
    ("plan_item_return", "item"),
    ("plan_item_link", "item"),
    ("plan_milestone_extension", "milestone"),
    ("plan_extension_decide", "milestone"),
    ("plan_milestone_escalate", "milestone"),
)


# --- access -------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", sorted(Role.values))
def test_every_role_of_the_sub_district_reads_the_item(client, org, item, role):
    # Item 1 is category 1's: the assessor of org.dept_lz (its lead department) sees it.
    assert login(client, org.user(role)).get(url("plan_item", item.pk)).status_code == 200


@pytest.mark.parametrize("role", [Role.LEADER, Role.ADMIN])
@pytest.mark.parametrize(("name", "on"), POSTS)
def test_leader_and_admin_never_act_on_items(client, org, item, role, name, on):
    login(client, org.user(role))
    pk = item.pk if on == "item" else item.milestones.first().pk
    assert client.post(url(name, pk), {"expected_state": "in_progress"}).status_code == 403


def test_other_community_and_other_sub_district_get_404(client, org, other_org, item):
    stranger = make_member(org.community2, Role.COMMUNITY_STAFF)
    assert login(client, stranger).get(url("plan_item", item.pk)).status_code == 404
    assert client.post(url("plan_item_progress", item.pk), {}).status_code == 404
    outsider = other_org.user(Role.OFFICE_STAFF)
    assert login(client, outsider).get(url("plan_item", item.pk)).status_code == 404


def test_department_sees_only_its_categorys_items(client, org, plan, item):
    dept = org.user(Role.DEPT_ASSESSOR)  # org.dept_lz: category 1
    login(client, dept)
    assert client.get(url("plan_item", item.pk)).status_code == 200
    other = plan.items.get(category_code="2")
    assert client.get(url("plan_item", other.pk)).status_code == 404
    assert client.post(url("plan_item_verify", item.pk), {}).status_code == 403


@pytest.mark.parametrize(("name", "on"), POSTS)
def test_auditor_reads_but_never_acts(client, org, item, name, on):
    auditor = org.user(Role.AUDITOR)
    login(client, auditor)
    assert client.get(url("plan_item", item.pk)).status_code == 200
    pk = item.pk if on == "item" else item.milestones.first().pk
    assert client.post(url(name, pk), {"expected_state": "in_progress"}).status_code == 403


@pytest.mark.parametrize(
    ("name", "on"),
    [p for p in POSTS if p[0] in ("plan_item_progress", "plan_milestone_extension")]
    + [("plan_item_close_request", "item")],
)
def test_office_cannot_act_for_the_community(client, org, item, name, on):
    login(client, org.user(Role.OFFICE_STAFF))
    pk = item.pk if on == "item" else item.milestones.first().pk
    assert client.post(url(name, pk), {}).status_code == 403


def test_community_cannot_decide(client, org, item):
    login(client, org.user(Role.COMMUNITY_STAFF))
    for name in ("plan_item_verify", "plan_item_return", "plan_item_link"):
        assert client.post(url(name, item.pk), {}).status_code == 403
    m = item.milestones.first()
    for name in ("plan_extension_decide", "plan_milestone_escalate"):
        assert client.post(url(name, m.pk), {}).status_code == 403


# --- the forms ----------------------------------------------------------------------------------


def test_progress_form_with_a_file_and_a_milestone(client, org, item):
    login(client, org.user(Role.COMMUNITY_STAFF))
    m = item.milestones.order_by("position").first()
    data = {"progress": "完成", "next_steps": "", "milestone": str(m.pk), "files": [pdf()]}
    r = client.post(url("plan_item_progress", item.pk), data)
    assert r.status_code == 302
    assert Milestone.objects.get(pk=m.pk).done_at is not None
    # The same milestone again: no longer offered, so the form refuses it (400), nothing added.
    r = client.post(
        url("plan_item_progress", item.pk),
        {"progress": "again", "next_steps": "", "milestone": str(m.pk)},
    )
    assert r.status_code == 400 and ProgressUpdate.objects.count() == 1


def test_progress_form_missing_field_is_400_and_blank_is_an_error(client, org, item):
    login(client, org.user(Role.COMMUNITY_STAFF))
    r = client.post(url("plan_item_progress", item.pk), {"progress": "x", "milestone": ""})
    assert r.status_code == 400
    r = client.post(
        url("plan_item_progress", item.pk), {"progress": " ", "next_steps": "", "milestone": ""}
    )
    assert r.status_code == 400 and not ProgressUpdate.objects.exists()


def test_close_out_through_the_pages(client, org, item):
    community = org.user(Role.COMMUNITY_STAFF)
    login(client, community)
    # Milestones not reached: the request is refused with their names, nothing changes.
    r = client.post(
        url("plan_item_close_request", item.pk), {"expected_state": "in_progress", "summary": "x"}
    )
    assert r.status_code == 303
    assert PlanItem.objects.get(pk=item.pk).state == IS.IN_PROGRESS
    reach_all(item, community)
    r = client.post(
        url("plan_item_close_request", item.pk),
        {"expected_state": "in_progress", "summary": "完成"},
    )
    assert r.status_code == 302 and PlanItem.objects.get(pk=item.pk).state == IS.AWAITING
    # The same form again (the page left open): 409.
    r = client.post(
        url("plan_item_close_request", item.pk),
        {"expected_state": "in_progress", "summary": "完成"},
    )
    assert r.status_code == 409
    login(client, org.user(Role.OFFICE_STAFF))
    html = client.get(url("plan_item", item.pk)).content.decode()
    assert 'data-testid="verify"' in html and 'data-testid="return"' in html
    r = client.post(url("plan_item_return", item.pk), {"expected_state": "awaiting", "reason": ""})
    assert r.status_code == 303 and PlanItem.objects.get(pk=item.pk).state == IS.AWAITING
    r = client.post(url("plan_item_verify", item.pk), {"expected_state": "awaiting"})
    assert r.status_code == 400  # the comment field missing: never read as blank
    r = client.post(
        url("plan_item_verify", item.pk), {"expected_state": "awaiting", "comment": "齐全"}
    )
    assert r.status_code == 302 and PlanItem.objects.get(pk=item.pk).state == IS.CLOSED
    r = client.post(
        url("plan_item_verify", item.pk), {"expected_state": "awaiting", "comment": "齐全"}
    )
    assert r.status_code == 409


def test_extension_through_the_pages(client, org, item):
    m = item.milestones.order_by("position").first()
    wanted = m.due_date + dt.timedelta(days=9)
    login(client, org.user(Role.COMMUNITY_STAFF))
    r = client.post(
        url("plan_milestone_extension", m.pk),
        {"requested_date": wanted.isoformat(), "reason": "汛期"},
    )
    assert r.status_code == 302
    ext = MilestoneExtension.objects.get()
    login(client, org.user(Role.OFFICE_STAFF))
    assert (
        'data-testid="decide-extension"' in client.get(url("plan_item", item.pk)).content.decode()
    )
    fields = {"expected_extension": ext.pk, "granted_date": "", "reason": ""}
    r = client.post(url("plan_extension_decide", m.pk), fields)
    assert r.status_code == 400  # neither button
    r = client.post(url("plan_extension_decide", m.pk), {**fields, "grant": ""})
    assert r.status_code == 302
    assert Milestone.objects.get(pk=m.pk).due_date == wanted
    r = client.post(url("plan_extension_decide", m.pk), {**fields, "refuse": ""})
    assert r.status_code == 409


def test_link_through_the_page(client, org, plan, item):
    earlier = accepted_plan(org, year=2025, process=False, milestones=0).items.first()
    PlanItem.objects.filter(pk=item.pk).update(repeated_from=None)
    login(client, org.user(Role.OFFICE_STAFF))
    r = client.post(url("plan_item_link", item.pk), {"expected_repeats": "", "earlier": earlier.pk})
    assert r.status_code == 302 and PlanItem.objects.get(pk=item.pk).repeated_from == earlier
    r = client.post(url("plan_item_link", item.pk), {"expected_repeats": "", "earlier": ""})
    assert r.status_code == 409
    html = client.get(url("plan_item", earlier.pk)).content.decode()
    assert reverse("plan_item", args=[item.pk]) in html  # repeated_in: the other way


# --- query count --------------------------------------------------------------------------------


def _grow(item, community, n: int) -> None:
    today = workdays.local_date(timezone.now())
    start = item.milestones.count() + 1
    for k in range(n):
        m = add_milestone(item, start + k, today + dt.timedelta(days=30 + k))
        tracking.progress_report(
            item_id=item.pk,
            acting_user=community,
            progress=f"进展{k}",
            next_steps="",
            milestone_id=m.pk if k % 2 else None,
            files=[pdf()] if k % 3 == 0 else [],
        )
        if k % 5 == 0:
            tracking.milestone_extension_request(
                milestone_id=add_milestone(item, 500 + start + k, today + dt.timedelta(days=5)).pk,
                acting_user=community,
                requested_date=today + dt.timedelta(days=40),
                reason="原因",
            )


QUERIES = {Role.COMMUNITY_STAFF: 15, Role.OFFICE_STAFF: 16}


@pytest.mark.parametrize("role", [Role.COMMUNITY_STAFF, Role.OFFICE_STAFF])
def test_query_count_does_not_grow(client, org, item, role):
    community = org.user(Role.COMMUNITY_STAFF)
    _grow(item, community, 1)
    login(client, org.user(role))
    client.get(url("plan_item", item.pk))  # warm the per-process caches
    with CaptureQueriesContext(connection) as few:
        assert client.get(url("plan_item", item.pk)).status_code == 200
    _grow(item, community, 49)
    assert ProgressUpdate.objects.filter(item=item).count() == 50
    with CaptureQueriesContext(connection) as many:
        response = client.get(url("plan_item", item.pk))
    assert response.status_code == 200 and len(response.context["updates"]) == 50
    assert len(many) == len(few), "\n".join(q["sql"] for q in many.captured_queries)
    # Session, user, roles; item, milestones, extensions, updates, files, repeated-in, timeline;
    # the Office's earlier items to link; then the base page's own (sub-district, unread count).
    assert len(few) == QUERIES[role], "\n".join(q["sql"] for q in few.captured_queries)
