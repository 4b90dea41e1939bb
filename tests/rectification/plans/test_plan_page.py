"""The plan page (Art. 20): what each role sees and may do, the item form, the Office's and the
Leading Group's forms, stale and incomplete posts, and its query count."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from core import workdays
from core.models import AuditEvent, Role
from rectification.models import PlanItem, PlanState
from rectification.plans.drafting import item_fingerprint, plan_review
from tests.factories import make_member
from tests.rectification.plans.conftest import PROBLEMS, make_plan
from tests.rectification.plans.test_drafting import fill_all, reviewed, submitted

pytestmark = pytest.mark.django_db


def days(n: int) -> str:
    return (workdays.local_date(timezone.now()) + dt.timedelta(days=n)).isoformat()


def url(name, plan, *extra):
    return reverse(name, args=[plan.pk, *extra])


def item_post(item, responsible, *, rows=(("补齐记录", 30), ("复查", 60)), empty=3, **over):
    data = {
        "goal": "台账齐全",
        "measures": "每月补记",
        "evidence_expected": "记录本",
        "responsible": str(responsible.pk),
        "m-TOTAL_FORMS": str(len(rows) + empty),
        "m-INITIAL_FORMS": "0",
    }
    if item is not None:
        data["expected_updated"] = item_fingerprint(item)
    for i, (title, n) in enumerate(rows):
        data[f"m-{i}-title"], data[f"m-{i}-date"] = title, days(n)
    for i in range(len(rows), len(rows) + empty):
        data[f"m-{i}-title"], data[f"m-{i}-date"] = "", ""
    data.update(over)
    return data


# --- the page per role --------------------------------------------------------------------


@pytest.mark.parametrize(
    "role",
    [Role.COMMUNITY_STAFF, Role.COMMUNITY_SECRETARY, Role.OFFICE_STAFF, Role.LEADER, Role.AUDITOR],
)
def test_everyone_of_the_plan_sees_every_item(client, org, plan, role):
    client.force_login(org.user(role))
    response = client.get(url("plan_detail", plan))
    assert response.status_code == 200
    assert len(response.context["items"]) == 3
    body = response.content.decode()
    assert reverse("plan_item", args=[plan.items.get(position=1).pk]) in body


def test_drafting_page_for_staff_and_secretary(client, org, plan):
    client.force_login(org.user(Role.COMMUNITY_STAFF))
    body = client.get(url("plan_detail", plan)).content.decode()
    assert 'data-testid="edit-item"' in body and 'data-testid="add-item"' in body
    assert 'data-testid="secretary-submits"' in body and 'data-testid="submit"' not in body
    client.force_login(org.user(Role.COMMUNITY_SECRETARY))
    body = client.get(url("plan_detail", plan)).content.decode()
    assert 'data-testid="submit"' in body


@pytest.mark.parametrize("role", [Role.OFFICE_STAFF, Role.AUDITOR, Role.LEADER])
def test_others_see_no_draft_controls(client, org, plan, role):
    client.force_login(org.user(role))
    body = client.get(url("plan_detail", plan)).content.decode()
    for testid in ("edit-item", "add-item", "submit", "office-accept", "lg-accept"):
        assert f'data-testid="{testid}"' not in body


def test_another_community_gets_404(client, org, plan):
    client.force_login(make_member(org.community2, Role.COMMUNITY_SECRETARY))
    item = plan.items.get(position=1)
    assert client.get(url("plan_detail", plan)).status_code == 404
    assert client.get(url("plan_item_edit", plan, item.pk)).status_code == 404
    assert client.post(url("plan_submit", plan), {"expected_round": "1"}).status_code == 404


def test_another_sub_district_gets_404(client, org, other_org, plan):
    client.force_login(other_org.user(Role.OFFICE_STAFF))
    assert client.get(url("plan_detail", plan)).status_code == 404


def test_a_department_sees_only_its_items(client, org, plan):
    client.force_login(org.user(Role.DEPT_ASSESSOR))  # of dept_lz: category 1
    response = client.get(url("plan_detail", plan))
    assert response.status_code == 200
    assert [i.position for i in response.context["items"]] == [1]
    assert 'data-testid="dept-only"' in response.content.decode()


def test_a_department_without_items_gets_404(client, org):
    plan = make_plan(org, problems=PROBLEMS[1:])
    client.force_login(org.user(Role.DEPT_ASSESSOR))
    assert client.get(url("plan_detail", plan)).status_code == 404


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.DEPT_ASSESSOR])
def test_readers_are_refused_every_post(client, org, plan, role):
    client.force_login(org.user(role))
    item = plan.items.get(position=1)
    for target in (
        url("plan_item_edit", plan, item.pk),
        url("plan_item_add", plan),
        url("plan_item_remove", plan, item.pk),
        url("plan_submit", plan),
        url("plan_review", plan),
        url("plan_accept", plan),
    ):
        assert client.post(target, {}).status_code == 403, target
    assert not AuditEvent.objects.filter(event_type__startswith="plan.item").exists()


# --- drafting through the page ------------------------------------------------------------


def test_edit_page_saves_and_redirects(client, org, plan):
    staff = org.user(Role.COMMUNITY_STAFF)
    item = plan.items.get(position=1)
    client.force_login(staff)
    page = client.get(url("plan_item_edit", plan, item.pk))
    assert page.status_code == 200
    assert len(page.context["milestones"].forms) == 3
    # when
    response = client.post(url("plan_item_edit", plan, item.pk), item_post(item, staff))
    # then
    assert response.status_code == 302
    assert response["Location"].endswith(f"#item-{item.pk}")
    item.refresh_from_db()
    assert item.goal == "台账齐全" and item.milestones.count() == 2
    body = client.get(url("plan_detail", plan)).content.decode()
    assert "补齐记录" in body and str(staff) in body


def test_edit_with_errors_shows_the_form_again(client, org, plan):
    staff = org.user(Role.COMMUNITY_STAFF)
    item = plan.items.get(position=1)
    client.force_login(staff)
    response = client.post(
        url("plan_item_edit", plan, item.pk),
        item_post(item, staff, goal="", rows=(("半行", 10),), **{"m-0-date": ""}),
    )
    assert response.status_code == 400
    assert response.context["form"]["goal"].value() == ""
    assert 'data-testid="form-errors"' in response.content.decode()
    item.refresh_from_db()
    assert not item.milestones.exists()


def test_edit_with_a_past_milestone_names_it(client, org, plan):
    staff = org.user(Role.COMMUNITY_STAFF)
    item = plan.items.get(position=1)
    client.force_login(staff)
    response = client.post(
        url("plan_item_edit", plan, item.pk), item_post(item, staff, rows=(("过去", -1),))
    )
    assert response.status_code == 400
    assert response.context["milestones"].non_form_errors()


@pytest.mark.parametrize(
    "missing", ["evidence_expected", "m-1-date", "m-TOTAL_FORMS", "expected_updated"]
)
def test_a_field_missing_from_the_post_is_a_400(client, org, plan, missing):
    staff = org.user(Role.COMMUNITY_STAFF)
    item = plan.items.get(position=1)
    client.force_login(staff)
    data = item_post(item, staff)
    del data[missing]
    response = client.post(url("plan_item_edit", plan, item.pk), data)
    assert response.status_code == 400
    item.refresh_from_db()
    assert item.goal == ""


def test_edit_from_a_stale_page_is_a_409(client, org, plan):
    staff = org.user(Role.COMMUNITY_STAFF)
    item = plan.items.get(position=1)
    client.force_login(staff)
    old = item_post(item, staff)
    assert client.post(url("plan_item_edit", plan, item.pk), old).status_code == 302
    old["goal"] = "别的"
    assert client.post(url("plan_item_edit", plan, item.pk), old).status_code == 409
    item.refresh_from_db()
    assert item.goal == "台账齐全"


def test_unchanged_save_through_the_page_records_nothing(client, org, plan):
    staff = org.user(Role.COMMUNITY_STAFF)
    item = plan.items.get(position=1)
    client.force_login(staff)
    client.post(url("plan_item_edit", plan, item.pk), item_post(item, staff))
    item.refresh_from_db()
    client.post(url("plan_item_edit", plan, item.pk), item_post(item, staff))
    assert AuditEvent.objects.filter(event_type="plan.item_saved").count() == 1


def test_add_and_remove_through_the_page(client, org, plan):
    staff = org.user(Role.COMMUNITY_STAFF)
    client.force_login(staff)
    page = client.get(url("plan_item_add", plan))
    token = page.context["submission_token"]
    data = item_post(None, staff, problem="自查：档案不全", submission_token=str(token))
    assert client.post(url("plan_item_add", plan), data).status_code == 302
    assert client.post(url("plan_item_add", plan), data).status_code == 409  # double click
    own = plan.items.get(position=4)
    body = client.get(url("plan_detail", plan)).content.decode()
    assert body.count('data-testid="remove-item"') == 1
    assert client.post(url("plan_item_remove", plan, own.pk)).status_code == 302
    assert not PlanItem.objects.filter(pk=own.pk).exists()
    assert client.post(url("plan_item_remove", plan, own.pk)).status_code == 409


def test_submit_through_the_page(client, org, plan):
    fill_all(plan, org.user(Role.COMMUNITY_STAFF))
    client.force_login(org.user(Role.COMMUNITY_SECRETARY))
    assert client.post(url("plan_submit", plan), {"expected_round": "1"}).status_code == 302
    plan.refresh_from_db()
    assert plan.state == PlanState.SUBMITTED
    # the same form again (a double click)
    assert client.post(url("plan_submit", plan), {"expected_round": "1"}).status_code == 409
    assert client.post(url("plan_submit", plan), {}).status_code == 400


def test_submit_incomplete_says_which_items(client, org, plan):
    client.force_login(org.user(Role.COMMUNITY_SECRETARY))
    response = client.post(url("plan_submit", plan), {"expected_round": "1"}, follow=True)
    assert response.redirect_chain[0][1] == 303
    assert "1、2、3" in response.content.decode()
    plan.refresh_from_db()
    assert plan.state == PlanState.DRAFTING


def test_staff_submit_is_403(client, org, plan):
    client.force_login(org.user(Role.COMMUNITY_STAFF))
    assert client.post(url("plan_submit", plan), {"expected_round": "1"}).status_code == 403


# --- review and acceptance through the page -----------------------------------------------


def review_post(plan, decision, reason="", **comments):
    data = {"expected_round": str(plan.round), "decision": decision, "reason": reason}
    for item in plan.items.all():
        data[f"comment-{item.pk}"] = comments.get(f"p{item.position}", "")
    return data


def test_office_review_form_and_return(client, org, plan):
    submitted(plan, org)
    client.force_login(org.user(Role.OFFICE_STAFF))
    body = client.get(url("plan_detail", plan)).content.decode()
    assert body.count('form="review-form"') == 3
    response = client.post(url("plan_review", plan), review_post(plan, "return", p2="节点不清"))
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.state == PlanState.DRAFTING and plan.round == 2
    # the community sees the badge and the comment, and who returned it
    client.force_login(org.user(Role.COMMUNITY_STAFF))
    body = client.get(url("plan_detail", plan)).content.decode()
    assert body.count('data-testid="needs-rework"') == 1 and "节点不清" in body
    assert 'data-testid="returned"' in body


def test_reworked_item_shows_as_reworked(client, org, plan):
    submitted(plan, org)
    two = plan.items.get(position=2)
    plan_review(
        plan_id=plan.pk,
        acting_user=org.user(Role.OFFICE_STAFF),
        decision="return",
        comments={two.pk: "节点不清"},
        reason="",
    )
    staff = org.user(Role.COMMUNITY_STAFF)
    client.force_login(staff)
    two.refresh_from_db()
    client.post(url("plan_item_edit", plan, two.pk), item_post(two, staff, goal="更具体"))
    body = client.get(url("plan_detail", plan)).content.decode()
    assert 'data-testid="reworked"' in body and 'data-testid="needs-rework"' not in body


def test_office_return_without_comment_or_reason_is_refused(client, org, plan):
    submitted(plan, org)
    client.force_login(org.user(Role.OFFICE_STAFF))
    response = client.post(url("plan_review", plan), review_post(plan, "return"))
    assert response.status_code == 303
    plan.refresh_from_db()
    assert plan.state == PlanState.SUBMITTED


def test_review_missing_a_comment_field_is_a_400(client, org, plan):
    submitted(plan, org)
    client.force_login(org.user(Role.OFFICE_STAFF))
    data = review_post(plan, "accept")
    del data[f"comment-{plan.items.get(position=3).pk}"]
    assert client.post(url("plan_review", plan), data).status_code == 400
    data = review_post(plan, "accept")
    del data["decision"]
    assert client.post(url("plan_review", plan), data).status_code == 400
    plan.refresh_from_db()
    assert plan.state == PlanState.SUBMITTED


def test_review_twice_is_a_409(client, org, plan):
    submitted(plan, org)
    client.force_login(org.user(Role.OFFICE_STAFF))
    data = review_post(plan, "accept")
    assert client.post(url("plan_review", plan), data).status_code == 302
    assert client.post(url("plan_review", plan), data).status_code == 409


def test_leader_accepts_through_the_page(client, org, plan):
    reviewed(plan, org)
    client.force_login(org.user(Role.LEADER))
    body = client.get(url("plan_detail", plan)).content.decode()
    assert 'data-testid="lg-accept"' in body
    data = {"expected_round": "1", "decision": "accept", "reason": ""}
    assert client.post(url("plan_accept", plan), data).status_code == 302
    plan.refresh_from_db()
    assert plan.state == PlanState.ACCEPTED
    assert client.post(url("plan_accept", plan), data).status_code == 409


def test_leader_return_needs_a_reason(client, org, plan):
    reviewed(plan, org)
    client.force_login(org.user(Role.LEADER))
    data = {"expected_round": "1", "decision": "return", "reason": ""}
    assert client.post(url("plan_accept", plan), data).status_code == 303
    data["reason"] = "措施不力"
    assert client.post(url("plan_accept", plan), data).status_code == 302
    plan.refresh_from_db()
    assert (plan.state, plan.return_level) == (PlanState.DRAFTING, "leading_group")


def test_office_cannot_accept_and_leader_cannot_review(client, org, plan):
    submitted(plan, org)
    client.force_login(org.user(Role.LEADER))
    assert client.post(url("plan_review", plan), review_post(plan, "accept")).status_code == 403
    client.force_login(org.user(Role.OFFICE_STAFF))
    data = {"expected_round": "1", "decision": "accept", "reason": ""}
    assert client.post(url("plan_accept", plan), data).status_code == 403


# --- query count --------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [1, 50])
@pytest.mark.parametrize("role", [Role.COMMUNITY_STAFF, Role.OFFICE_STAFF, Role.DEPT_ASSESSOR])
def test_plan_page_queries(client, org, rows, role, django_assert_num_queries):
    problems = [PROBLEMS[n % 3] for n in range(rows)]
    plan = make_plan(org, problems=problems)
    fill_all(plan, org.user(Role.COMMUNITY_STAFF))
    client.force_login(org.user(role))
    assert client.get(url("plan_detail", plan)).status_code == 200
    with django_assert_num_queries(QUERIES[role]):
        response = client.get(url("plan_detail", plan))
    assert response.status_code == 200
    assert len(response.context["items"]) == (
        rows if role != Role.DEPT_ASSESSOR else len(problems[::3])
    )


# session, user, roles, plan, items, milestones, sub-district (navbar), unread notifications,
# and the session save in a savepoint (3)
QUERIES = {Role.COMMUNITY_STAFF: 11, Role.OFFICE_STAFF: 11, Role.DEPT_ASSESSOR: 11}


def test_milestones_posted_as_shown_are_kept(client, org, plan):
    """The edit page posts the given rows back as they were: they are read, not skipped."""
    staff = org.user(Role.COMMUNITY_STAFF)
    item = plan.items.get(position=1)
    client.force_login(staff)
    client.post(url("plan_item_edit", plan, item.pk), item_post(item, staff))
    item.refresh_from_db()
    page = client.get(url("plan_item_edit", plan, item.pk))
    assert page.context["milestones"].management_form.initial["INITIAL_FORMS"] == 5
    data = item_post(item, staff, goal="改了目标")
    assert client.post(url("plan_item_edit", plan, item.pk), data).status_code == 302
    assert item.milestones.count() == 2
