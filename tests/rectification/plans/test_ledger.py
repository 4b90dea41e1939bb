"""The Office's plan ledger (整改台账, Art. 20): filters, counts per state, the per-community table
and its completion rate, the overdue filter, who sees what, the export, query counts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import BytesIO

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from core.models import Role
from rectification.models import (
    Milestone,
    PlanItem,
    PlanItemState,
    PlanState,
    RectificationPlan,
)
from rectification.plans.creation import ProblemInput
from rectification.plans.selectors_ledger import completion_rate
from tests.factories import UserFactory

from .conftest import PROBLEMS, make_plan

pytestmark = pytest.mark.django_db

URL = reverse("plan_ledger")
EXPORT = reverse("plan_ledger_export")


def _get(client, user, url=URL, **params):
    client.force_login(user)
    response = client.get(url, params)
    assert response.status_code == 200
    return response


def _ids(response) -> list[int]:
    return [row["id"] for row in response.context["page_obj"]]


def _counts(response) -> dict[str, int]:
    return {c["state"]: c["n"] for c in response.context["counts"]}


def _problems(n: int) -> list[ProblemInput]:
    return [
        ProblemInput(**{**PROBLEMS[i % 3].__dict__, "problem": f"问题{i}：记录不全。"})
        for i in range(n)
    ]


def _set_state(plan, positions, state) -> None:
    PlanItem.objects.filter(plan=plan, position__in=positions).update(state=state)


def _milestone(item, *, days: int, done: bool = False, position: int = 1, title="节点"):
    due = timezone.now() + dt.timedelta(days=days)
    return Milestone.objects.create(
        item=item,
        position=position,
        title=title,
        due_date=timezone.localdate(due),
        due_at=due,
        planned_date=timezone.localdate(due),
        done_at=timezone.now() if done else None,
    )


# --- arithmetic ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("closed", "total", "rate"),
    [
        (0, 3, Decimal("0.0")),
        (1, 3, Decimal("33.3")),
        (2, 3, Decimal("66.7")),
        (3, 3, Decimal("100.0")),
        (1, 16, Decimal("6.3")),  # 6.25 rounds half up, not to even
        (1, 7, Decimal("14.3")),
    ],
)
def test_completion_rate_is_an_exact_decimal_with_one_place(closed, total, rate):
    assert completion_rate(closed, total) == rate
    assert str(completion_rate(closed, total)) == str(rate)


def test_completion_rate_without_items_is_none():
    assert completion_rate(0, 0) is None


# --- counts and the per-community table ---------------------------------------------------------


def test_counts_per_state_and_per_community_table(client, org):
    # given c01's plan with 1 of 3 closed, c02's with 16 items of which 1 closed
    a = make_plan(org)
    b = make_plan(org, org.community2, problems=_problems(16))
    _set_state(a, [1], PlanItemState.CLOSED)
    _set_state(a, [2], PlanItemState.AWAITING)
    _set_state(a, [3], PlanItemState.IN_PROGRESS)
    _set_state(b, [1], PlanItemState.CLOSED)
    _set_state(b, range(2, 6), PlanItemState.IN_PROGRESS)
    RectificationPlan.objects.filter(pk=a.pk).update(state=PlanState.ACCEPTED)
    # when the Office opens the ledger
    response = _get(client, org.user(Role.OFFICE_STAFF))
    # then
    assert _counts(response) == {"draft": 11, "in_progress": 5, "awaiting": 1, "closed": 2}
    plans = {p["plan_id"]: p for p in response.context["plans"]}
    assert plans[a.pk]["items"] == 3
    assert plans[a.pk]["closed"] == 1
    assert plans[a.pk]["rate"] == Decimal("33.3")
    assert plans[a.pk]["plan_state"] == PlanState.ACCEPTED
    assert plans[b.pk]["items"] == 16
    assert plans[b.pk]["rate"] == Decimal("6.3")
    assert response.context["page_obj"].paginator.count == 19
    html = response.content.decode()
    assert "33.3%" in html and "6.3%" in html
    assert reverse("plan_detail", args=[a.pk]) in html
    assert reverse("plan_item", args=[a.items.get(position=1).pk]) in html


def test_state_counts_ignore_the_state_filter_the_list_does_not(client, org):
    plan = make_plan(org)
    _set_state(plan, [1], PlanItemState.CLOSED)
    response = _get(client, org.user(Role.OFFICE_STAFF), state="closed")
    assert _ids(response) == [plan.items.get(position=1).pk]
    assert _counts(response) == {"draft": 2, "in_progress": 0, "awaiting": 0, "closed": 1}
    # the completion rate stays that of the whole plan
    assert response.context["plans"][0]["rate"] == Decimal("33.3")


# --- filters ------------------------------------------------------------------------------------


def test_the_newest_year_by_default_and_any_year_on_request(client, org):
    old = make_plan(org, year=2025)
    new = make_plan(org, year=2026)
    office = org.user(Role.OFFICE_STAFF)
    default = _get(client, office)
    assert {r["plan_id"] for r in default.context["page_obj"]} == {new.pk}
    # the next page keeps the default year (the link carries only page=)
    assert {r["plan_id"] for r in _get(client, office, page=1).context["page_obj"]} == {new.pk}
    assert {r["plan_id"] for r in _get(client, office, year=2025).context["page_obj"]} == {old.pk}
    every = _get(client, office, year="")
    assert {r["plan_id"] for r in every.context["page_obj"]} == {old.pk, new.pk}
    assert [p["plan_id"] for p in every.context["plans"]] == [new.pk, old.pk]


def test_community_and_category_filters(client, org):
    a = make_plan(org)
    b = make_plan(org, org.community2)
    office = org.user(Role.OFFICE_STAFF)
    only_b = _get(client, office, community=org.community2.pk)
    assert set(_ids(only_b)) == set(b.items.values_list("pk", flat=True))
    assert [p["plan_id"] for p in only_b.context["plans"]] == [b.pk]
    cat2 = _get(client, office, category="2")
    assert set(_ids(cat2)) == {a.items.get(position=2).pk, b.items.get(position=2).pk}


def test_repeated_filter(client, org):
    earlier = make_plan(org, year=2025)
    plan = make_plan(org, year=2026)
    # (the creation links the same problems found again: keep one of them only)
    plan.items.update(repeated_from=None)
    item = plan.items.get(position=3)
    PlanItem.objects.filter(pk=item.pk).update(
        repeated_from=earlier.items.get(position=3), state=PlanItemState.IN_PROGRESS
    )
    response = _get(client, org.user(Role.OFFICE_STAFF), year=2026, repeated="on")
    assert _ids(response) == [item.pk]
    assert "badge text-bg-warning" in response.content.decode()


def test_overdue_filter_keeps_items_with_a_milestone_past_due_and_not_reached(client, org):
    plan = make_plan(org)
    _set_state(plan, [1, 2, 3], PlanItemState.IN_PROGRESS)
    late, reached, ahead = (plan.items.get(position=n) for n in (1, 2, 3))
    _milestone(late, days=-2, title="逾期节点")
    _milestone(late, days=5, position=2)
    _milestone(reached, days=-2, done=True)  # past due but reached: not overdue
    _milestone(ahead, days=30)
    office = org.user(Role.OFFICE_STAFF)
    response = _get(client, office, overdue="on")
    assert _ids(response) == [late.pk]
    assert response.context["plans"][0]["overdue"] == 1
    # the next milestone of the late item is its overdue one, with a red light
    row = response.context["page_obj"][0]
    assert row["next_title"] == "逾期节点"
    assert row["light"] == "red"
    assert 'data-light="red"' in response.content.decode()
    # without the filter, the reached item's next milestone is none and the other one green
    rows = {r["id"]: r for r in _get(client, office).context["page_obj"]}
    assert rows[reached.pk]["next_due"] is None
    assert rows[ahead.pk]["light"] == "green"


def test_bad_filter_values_answer_the_page_not_an_error(client, org):
    plan = make_plan(org)
    office = org.user(Role.OFFICE_STAFF)
    for params in ({"year": "abc"}, {"community": "x"}, {"state": "bogus"}, {"page": "-1"}):
        response = _get(client, office, **params)
        assert set(_ids(response)) == set(plan.items.values_list("pk", flat=True)), params
    assert _get(client, office, EXPORT, state="bogus").status_code == 200


def test_pagination_keeps_fifty_items_per_page(client, org):
    make_plan(org, problems=_problems(60))
    office = org.user(Role.OFFICE_STAFF)
    assert len(_get(client, office).context["page_obj"]) == 50
    second = _get(client, office, page=2)
    assert len(second.context["page_obj"]) == 10
    assert [r["position"] for r in second.context["page_obj"]] == list(range(51, 61))


# --- who sees what ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.OFFICE_STAFF, Role.AUDITOR, Role.LEADER, Role.ADMIN])
def test_those_who_see_every_plan_see_every_item(client, org, role):
    a, b = make_plan(org), make_plan(org, org.community2)
    response = _get(client, org.user(role))
    assert response.context["page_obj"].paginator.count == 6
    assert {p["plan_id"] for p in response.context["plans"]} == {a.pk, b.pk}


def test_a_lead_department_sees_only_its_categorys_items(client, org):
    a, b = make_plan(org), make_plan(org, org.community2)
    response = _get(client, org.user(Role.DEPT_ASSESSOR))  # 纪检 (category 1)
    assert set(_ids(response)) == {a.items.get(position=1).pk, b.items.get(position=1).pk}
    assert _counts(response)["draft"] == 2
    assert {(p["plan_id"], p["items"]) for p in response.context["plans"]} == {
        (a.pk, 1),
        (b.pk, 1),
    }
    # the reconciliation (the whole plan) is not offered to it
    assert "reconciliation" not in response.content.decode()
    # the export holds the same two items
    export = _get(client, org.user(Role.DEPT_ASSESSOR), EXPORT)
    rows = list(load_workbook(BytesIO(export.content)).active.values)[1:]
    assert {r[3] for r in rows} == {"党风廉政建设"}
    assert len(rows) == 2


@pytest.mark.parametrize("role", [Role.COMMUNITY_STAFF, Role.COMMUNITY_SECRETARY])
def test_a_community_sees_only_its_own_plan(client, org, role):
    own, other = make_plan(org), make_plan(org, org.community2)
    response = _get(client, org.user(role))
    assert set(_ids(response)) == set(own.items.values_list("pk", flat=True))
    assert [p["plan_id"] for p in response.context["plans"]] == [own.pk]
    # asking for the other community's plan shows its own still, never the other's
    asked = _get(client, org.user(role), community=org.community2.pk)
    assert set(_ids(asked)) == set(own.items.values_list("pk", flat=True))
    assert other.pk not in {p["plan_id"] for p in response.context["plans"]}
    # the community filter offers its own community only
    assert [c for c, _ in response.context["form"].fields["community"].choices if c] == [
        org.community.pk
    ]


def test_another_sub_district_sees_nothing(client, org, other_org):
    make_plan(org)
    response = _get(client, other_org.user(Role.OFFICE_STAFF), year="")
    assert response.context["page_obj"].paginator.count == 0
    assert response.context["plans"] == []
    assert sum(_counts(response).values()) == 0
    export = _get(client, other_org.user(Role.OFFICE_STAFF), EXPORT, year="")
    assert len(list(load_workbook(BytesIO(export.content)).active.values)) == 1


def test_a_user_without_a_role_is_refused(client, org):
    make_plan(org)
    client.force_login(UserFactory(sub_district=org.sd))
    assert client.get(URL).status_code == 403
    assert client.get(EXPORT).status_code == 403


def test_nav_entry_for_the_office_and_departments_not_for_communities(client, org):
    for role, shown in [
        (Role.OFFICE_STAFF, True),
        (Role.DEPT_ASSESSOR, True),
        (Role.LEADER, True),
        (Role.COMMUNITY_STAFF, False),
    ]:
        html = _get(client, org.user(role), reverse("home")).content.decode()
        assert (f'href="{URL}"' in html) is shown, role


# --- the export ---------------------------------------------------------------------------------


def test_export_has_labels_local_times_and_user_text_as_text(client, org):
    plan = make_plan(org)
    office = org.user(Role.OFFICE_STAFF)
    first = plan.items.get(position=1)
    PlanItem.objects.filter(pk=first.pk).update(
        state=PlanItemState.CLOSED,
        measures="=1+1",
        responsible=office,
        verified_by=office,
        verified_at=dt.datetime(2027, 3, 1, 16, 30, tzinfo=dt.UTC),
    )
    _milestone(first, days=-3, done=True)
    response = _get(client, office, EXPORT)
    assert "attachment" in response["Content-Disposition"]
    sheet = load_workbook(BytesIO(response.content)).active
    header = [c.value for c in sheet[1]]
    rows = [list(r) for r in sheet.iter_rows(min_row=2)]
    assert len(rows) == 3
    col = {name: i for i, name in enumerate(header)}
    with translation.override("zh-hans"):
        closed_label = str(PlanItemState.CLOSED.label)
        draft_label = str(PlanItemState.DRAFT.label)
        plan_label = str(PlanState(plan.state).label)
        assert header[col[translation.gettext("State")]] == translation.gettext("State")
        state_col = col[translation.gettext("State")]
        measures_col = col[translation.gettext("Rectification measures")]
        closed_col = col[translation.gettext("Closed at")]
    by_no = {r[2].value: r for r in rows}
    assert by_no[1][state_col].value == closed_label
    assert by_no[2][state_col].value == draft_label
    assert plan_label in [c.value for c in by_no[1]]
    assert "closed" not in [c.value for c in by_no[1]]
    # "=1+1" stays the community's text, not a formula
    cell = by_no[1][measures_col]
    assert cell.value == "=1+1"
    assert cell.data_type == "s"
    # 16:30 UTC is 00:30 the next day in Asia/Shanghai
    assert by_no[1][closed_col].value == "2027-03-02 00:30"
    assert str(office) in [c.value for c in by_no[1]]
    assert [c.value for c in by_no[1]][col[translation.gettext("Milestones reached")]] == 1


def test_export_follows_the_filters(client, org):
    plan = make_plan(org)
    _set_state(plan, [2], PlanItemState.CLOSED)
    response = _get(client, org.user(Role.OFFICE_STAFF), EXPORT, state="closed")
    rows = list(load_workbook(BytesIO(response.content)).active.values)[1:]
    assert [r[2] for r in rows] == [2]


# --- query counts -------------------------------------------------------------------------------


def _with_milestones(plan) -> None:
    for item in plan.items.all():
        _milestone(item, days=3)
        _milestone(item, days=-1, position=2)


@pytest.mark.parametrize("rows", [1, 50])
def test_ledger_queries(client, org, rows, django_assert_num_queries):
    _with_milestones(make_plan(org, problems=_problems(rows)))
    _get(client, org.user(Role.OFFICE_STAFF))  # warm the per-process caches
    # session, user, roles; filter choices, page count, page, state counts, community table;
    # sub-district (navbar), unread notifications; the session save (savepoint, update, release)
    with django_assert_num_queries(13):
        response = client.get(URL)
    assert len(response.context["page_obj"]) == rows


@pytest.mark.parametrize("rows", [1, 50])
def test_export_queries(client, org, rows, django_assert_num_queries):
    _with_milestones(make_plan(org, problems=_problems(rows)))
    _get(client, org.user(Role.OFFICE_STAFF), EXPORT)
    # session, user, roles; filter choices; every row in one query; the session save (3)
    with django_assert_num_queries(8):
        response = client.get(EXPORT)
    assert len(list(load_workbook(BytesIO(response.content)).active.values)) == rows + 1
