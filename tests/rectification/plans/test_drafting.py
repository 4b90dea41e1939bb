"""Drafting, review and acceptance of a rectification plan (Art. 20): the services, and the plan
process moved on by each of them (the work items of the 待办)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from core import workdays
from core.errors import Conflict
from core.models import AuditEvent, Notification, Role, WorkItem, WorkItemState
from rectification.models import Milestone, PlanItem, PlanItemOrigin, PlanItemState, PlanState
from rectification.plans import drafting
from rectification.plans.drafting import (
    item_fingerprint,
    plan_accept,
    plan_item_add,
    plan_item_remove,
    plan_item_save,
    plan_review,
    plan_submit,
)
from rectification.plans.kinds import WI_MILESTONE
from tests.factories import make_member
from workflows.kinds import WI_PLAN_ACCEPT, WI_PLAN_DRAFT, WI_PLAN_REVIEW

pytestmark = pytest.mark.django_db


def today() -> dt.date:
    return workdays.local_date(timezone.now())


def days(n: int) -> dt.date:
    return today() + dt.timedelta(days=n)


def fill(item, user, *, milestones=None, **over):
    item.refresh_from_db()
    values = {
        "goal": "台账齐全",
        "measures": "每月补记谈话记录",
        "evidence_expected": "谈话记录本",
        "responsible_id": user.pk,
        "milestones": milestones or [("补齐记录", days(30)), ("复查", days(60))],
        "expected_updated": item_fingerprint(item),
    }
    values.update(over)
    return plan_item_save(item_id=item.pk, acting_user=user, **values)


def fill_all(plan, user):
    for item in plan.items.order_by("position"):
        fill(item, user)


def open_items(plan, kind):
    return WorkItem.objects.filter(
        subject_type=ContentType.objects.get_for_model(plan),
        subject_id=plan.pk,
        kind=kind,
        state=WorkItemState.OPEN,
    )


def audits(event_type):
    return AuditEvent.objects.filter(event_type=event_type)


def submitted(plan, org):
    fill_all(plan, org.user(Role.COMMUNITY_STAFF))
    return plan_submit(
        plan_id=plan.pk, acting_user=org.user(Role.COMMUNITY_SECRETARY), expected_round=plan.round
    )


def reviewed(plan, org):
    submitted(plan, org)
    return plan_review(
        plan_id=plan.pk,
        acting_user=org.user(Role.OFFICE_STAFF),
        decision="accept",
        comments={},
        reason="",
    )


# --- drafting -----------------------------------------------------------------------------


def test_save_stores_the_item_and_its_milestones_by_date(org, plan):
    # given
    staff = org.user(Role.COMMUNITY_STAFF)
    item = plan.items.get(position=1)
    # when
    changed = fill(item, staff, milestones=[("复查", days(60)), ("补齐记录", days(30))])
    # then
    assert changed
    item.refresh_from_db()
    assert (item.goal, item.measures, item.responsible_id) == (
        "台账齐全",
        "每月补记谈话记录",
        staff.pk,
    )
    rows = list(item.milestones.order_by("position").values_list("title", "due_date", "due_at"))
    assert rows == [
        ("补齐记录", days(30), workdays.end_of_day(days(30))),
        ("复查", days(60), workdays.end_of_day(days(60))),
    ]
    assert audits("plan.item_saved").count() == 1


def test_saved_unchanged_writes_nothing(org, plan):
    staff = org.user(Role.COMMUNITY_STAFF)
    item = plan.items.get(position=1)
    fill(item, staff)
    item.refresh_from_db()
    stamp = item.updated_at
    ids = list(item.milestones.values_list("pk", flat=True))
    # when
    changed = fill(item, staff)
    # then
    assert not changed
    item.refresh_from_db()
    assert item.updated_at == stamp
    assert list(item.milestones.values_list("pk", flat=True)) == ids
    assert audits("plan.item_saved").count() == 1


def test_save_from_a_stale_page_is_a_conflict_and_changes_nothing(org, plan):
    staff = org.user(Role.COMMUNITY_STAFF)
    item = plan.items.get(position=1)
    old = item_fingerprint(item)
    fill(item, staff)
    with pytest.raises(Conflict):
        fill(item, staff, goal="另一个目标", expected_updated=old)
    item.refresh_from_db()
    assert item.goal == "台账齐全"
    assert audits("plan.item_saved").count() == 1


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"goal": "  "}, "goal"),
        ({"measures": ""}, "measures"),
        ({"milestones": [("x", None)]}, "milestones"),
        ({"goal": "a\x00b"}, "goal"),
    ],
)
def test_save_refuses_bad_input_naming_the_field(org, plan, over, field):
    item = plan.items.get(position=1)
    with pytest.raises(ValidationError) as exc:
        fill(item, org.user(Role.COMMUNITY_STAFF), **over)
    assert field in exc.value.message_dict
    assert not audits("plan.item_saved").exists()


def test_milestones_are_one_to_ten_after_today_within_two_years(org, plan):
    staff = org.user(Role.COMMUNITY_STAFF)
    item = plan.items.get(position=1)
    # empty list: the fill() helper's default is used for a falsy value, so pass it directly
    with pytest.raises(ValidationError, match="请至少填写一个整改节点"):
        plan_item_save(
            item_id=item.pk,
            acting_user=staff,
            goal="g",
            measures="m",
            evidence_expected="",
            responsible_id=staff.pk,
            milestones=[],
            expected_updated=None,
        )
    for bad in (
        [("今天", today())],
        [("太远", days(800))],
        [(" ", days(10))],
        [(f"m{n}", days(10 + n)) for n in range(11)],
    ):
        with pytest.raises(ValidationError):
            fill(item, staff, milestones=bad)
    assert not Milestone.objects.filter(item=item).exists()
    fill(item, staff, milestones=[(f"m{n}", days(10 + n)) for n in range(10)])
    assert item.milestones.count() == 10


def test_validation_messages_in_either_language(org, plan):
    item = plan.items.get(position=1)
    with translation.override("zh-hans"), pytest.raises(ValidationError) as exc:
        fill(item, org.user(Role.COMMUNITY_STAFF), goal="")
    with translation.override("en"), pytest.raises(ValidationError) as exc_en:
        fill(item, org.user(Role.COMMUNITY_STAFF), goal="")
    assert exc.value.message_dict["goal"] and exc_en.value.message_dict["goal"]
    assert "required" in exc_en.value.message_dict["goal"][0]


def test_responsible_must_be_an_active_person_of_the_community(org, plan):
    item = plan.items.get(position=1)
    staff = org.user(Role.COMMUNITY_STAFF)
    other = make_member(org.community2, Role.COMMUNITY_STAFF)
    gone = make_member(org.community, Role.COMMUNITY_STAFF)
    gone.is_active = False
    gone.save()
    for person in (org.user(Role.OFFICE_STAFF), other, gone):
        with pytest.raises(ValidationError) as exc:
            fill(item, staff, responsible_id=person.pk)
        assert "responsible" in exc.value.message_dict
    assert fill(item, staff, responsible_id=org.user(Role.COMMUNITY_SECRETARY).pk)


@pytest.mark.parametrize("role", [Role.OFFICE_STAFF, Role.AUDITOR, Role.LEADER, Role.DEPT_ASSESSOR])
def test_only_the_community_drafts(org, plan, role):
    item = plan.items.get(position=1)
    with pytest.raises(PermissionDenied):
        fill(item, org.user(role), responsible_id=org.user(Role.COMMUNITY_STAFF).pk)


def test_another_community_cannot_draft(org, plan):
    stranger = make_member(org.community2, Role.COMMUNITY_SECRETARY)
    with pytest.raises(PermissionDenied):
        fill(plan.items.get(position=1), stranger, responsible_id=stranger.pk)


def test_add_and_remove_an_own_item(org, plan):
    staff = org.user(Role.COMMUNITY_STAFF)
    kwargs = {
        "goal": "g",
        "measures": "m",
        "evidence_expected": "",
        "responsible_id": staff.pk,
        "milestones": [("m1", days(5))],
    }
    a = plan_item_add(plan_id=plan.pk, acting_user=staff, problem="自查发现：档案不全", **kwargs)
    b = plan_item_add(plan_id=plan.pk, acting_user=staff, problem="自查发现：制度未上墙", **kwargs)
    assert (a.position, b.position) == (4, 5)
    assert a.origin == PlanItemOrigin.OWN and a.source_kind == "own"
    assert a.milestones.count() == 1
    # when
    plan_item_remove(item_id=a.pk, acting_user=staff)
    # then
    assert not PlanItem.objects.filter(pk=a.pk).exists()
    b.refresh_from_db()
    assert b.position == 4
    assert audits("plan.item_added").count() == 2
    assert audits("plan.item_removed").count() == 1
    # removing it again (a second click)
    with pytest.raises(Conflict):
        plan_item_remove(item_id=a.pk, acting_user=staff)


def test_add_twice_with_one_token_adds_once(org, plan):
    import uuid

    staff = org.user(Role.COMMUNITY_STAFF)
    token = uuid.uuid4()
    kwargs = {
        "problem": "p",
        "goal": "g",
        "measures": "m",
        "evidence_expected": "",
        "responsible_id": staff.pk,
        "milestones": [("m1", days(5))],
        "token": token,
    }
    plan_item_add(plan_id=plan.pk, acting_user=staff, **kwargs)
    with pytest.raises(Conflict):
        plan_item_add(plan_id=plan.pk, acting_user=staff, **kwargs)
    assert plan.items.count() == 4


def test_add_needs_a_problem(org, plan):
    staff = org.user(Role.COMMUNITY_STAFF)
    with pytest.raises(ValidationError) as exc:
        plan_item_add(
            plan_id=plan.pk,
            acting_user=staff,
            problem=" ",
            goal="",
            measures="m",
            evidence_expected="",
            responsible_id=staff.pk,
            milestones=[("m1", days(5))],
        )
    assert {"problem", "goal"} <= set(exc.value.message_dict)
    assert plan.items.count() == 3


def test_a_fed_back_problem_cannot_be_removed(org, plan):
    with pytest.raises(ValidationError):
        plan_item_remove(
            item_id=plan.items.get(position=1).pk, acting_user=org.user(Role.COMMUNITY_STAFF)
        )
    assert plan.items.count() == 3


# --- submitting ----------------------------------------------------------------------------


def test_submit_lists_the_incomplete_items(org, plan):
    fill(plan.items.get(position=2), org.user(Role.COMMUNITY_STAFF))
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        plan_submit(
            plan_id=plan.pk, acting_user=org.user(Role.COMMUNITY_SECRETARY), expected_round=1
        )
    assert "item 1、3" in exc.value.messages[0]
    plan.refresh_from_db()
    assert plan.state == PlanState.DRAFTING
    assert open_items(plan, WI_PLAN_DRAFT).count() == 1


def test_staff_cannot_submit(org, plan):
    fill_all(plan, org.user(Role.COMMUNITY_STAFF))
    with pytest.raises(PermissionDenied):
        plan_submit(plan_id=plan.pk, acting_user=org.user(Role.COMMUNITY_STAFF), expected_round=1)


def test_submit_moves_the_process_to_the_office(org, plan):
    assert open_items(plan, WI_PLAN_DRAFT).count() == 1
    # when
    plan = submitted(plan, org)
    # then
    plan.refresh_from_db()
    assert plan.state == PlanState.SUBMITTED
    assert plan.submitted_by == org.user(Role.COMMUNITY_SECRETARY)
    assert plan.submitted_at is not None
    assert not open_items(plan, WI_PLAN_DRAFT).exists()
    review = open_items(plan, WI_PLAN_REVIEW).get()
    assert review.owner_unit_id == org.office.pk
    assert Notification.objects.filter(
        verb="plan.submitted", recipient_unit=org.office, subject_id=plan.pk
    ).exists()
    assert audits("plan.submitted").count() == 1


def test_a_second_submit_is_a_conflict_and_changes_nothing(org, plan):
    plan = submitted(plan, org)
    count = AuditEvent.objects.count()
    with pytest.raises(Conflict):
        plan_submit(
            plan_id=plan.pk, acting_user=org.user(Role.COMMUNITY_SECRETARY), expected_round=1
        )
    assert AuditEvent.objects.count() == count
    assert open_items(plan, WI_PLAN_REVIEW).count() == 1


def test_submit_of_an_older_round_is_a_conflict(org, plan):
    fill_all(plan, org.user(Role.COMMUNITY_STAFF))
    with pytest.raises(Conflict):
        plan_submit(
            plan_id=plan.pk, acting_user=org.user(Role.COMMUNITY_SECRETARY), expected_round=7
        )
    plan.refresh_from_db()
    assert plan.state == PlanState.DRAFTING


# --- the Office's review -------------------------------------------------------------------


def test_office_returns_with_a_comment_per_item(org, plan):
    plan = submitted(plan, org)
    one, two, three = plan.items.order_by("position")
    # when
    plan = plan_review(
        plan_id=plan.pk,
        acting_user=org.user(Role.OFFICE_STAFF),
        decision="return",
        comments={one.pk: "目标不具体", two.pk: "  ", three.pk: "节点太晚"},
        reason="",
    )
    # then
    assert plan.state == PlanState.DRAFTING
    assert plan.return_level == "office"
    assert plan.returned_by == org.user(Role.OFFICE_STAFF)
    assert plan.round == 2  # the draft step reopened
    rework = dict(plan.items.values_list("position", "needs_rework"))
    assert rework == {1: True, 2: False, 3: True}
    assert plan.items.get(position=3).review_comment == "节点太晚"
    assert not open_items(plan, WI_PLAN_REVIEW).exists()
    draft = open_items(plan, WI_PLAN_DRAFT).get()
    assert draft.owner_unit_id == org.community.pk and draft.returned
    event = audits("plan.returned").get()
    assert event.after["comments"] == {"1": "目标不具体", "3": "节点太晚"}
    assert Notification.objects.filter(verb="plan.returned", recipient_unit=org.community).exists()


def test_a_return_needs_a_comment_or_a_reason(org, plan):
    plan = submitted(plan, org)
    with pytest.raises(ValidationError):
        plan_review(
            plan_id=plan.pk,
            acting_user=org.user(Role.OFFICE_STAFF),
            decision="return",
            comments={},
            reason="  ",
        )
    plan.refresh_from_db()
    assert plan.state == PlanState.SUBMITTED
    assert open_items(plan, WI_PLAN_REVIEW).count() == 1


def test_rework_flag_stays_until_resubmitted(org, plan):
    plan = submitted(plan, org)
    one = plan.items.get(position=1)
    plan_review(
        plan_id=plan.pk,
        acting_user=org.user(Role.OFFICE_STAFF),
        decision="return",
        comments={one.pk: "目标不具体"},
        reason="请修改",
    )
    fill(one, org.user(Role.COMMUNITY_STAFF), goal="年底前台账100%齐全")
    one.refresh_from_db()
    assert one.needs_rework
    # when
    plan_submit(plan_id=plan.pk, acting_user=org.user(Role.COMMUNITY_SECRETARY), expected_round=2)
    # then
    one.refresh_from_db()
    assert not one.needs_rework
    assert one.review_comment == "目标不具体"  # kept as history
    assert open_items(plan, WI_PLAN_REVIEW).count() == 1


def test_office_passes_it_to_the_leading_group(org, plan):
    plan = reviewed(plan, org)
    plan.refresh_from_db()
    assert plan.state == PlanState.REVIEWED
    assert plan.reviewed_by == org.user(Role.OFFICE_STAFF)
    assert not open_items(plan, WI_PLAN_REVIEW).exists()
    assert open_items(plan, WI_PLAN_ACCEPT).get().owner_unit_id == org.leading_group.pk
    assert Notification.objects.filter(
        verb="plan.reviewed", recipient_unit=org.leading_group
    ).exists()


def test_review_twice_is_a_conflict(org, plan):
    plan = reviewed(plan, org)
    count = AuditEvent.objects.count()
    with pytest.raises(Conflict):
        plan_review(
            plan_id=plan.pk,
            acting_user=org.user(Role.OFFICE_STAFF),
            decision="accept",
            comments={},
            reason="",
        )
    assert AuditEvent.objects.count() == count


@pytest.mark.parametrize("role", [Role.COMMUNITY_SECRETARY, Role.AUDITOR, Role.LEADER])
def test_only_the_office_reviews(org, plan, role):
    plan = submitted(plan, org)
    with pytest.raises(PermissionDenied):
        plan_review(
            plan_id=plan.pk, acting_user=org.user(role), decision="accept", comments={}, reason=""
        )


def test_review_with_an_unknown_decision_is_an_error(org, plan):
    plan = submitted(plan, org)
    with pytest.raises(ValidationError):
        plan_review(
            plan_id=plan.pk,
            acting_user=org.user(Role.OFFICE_STAFF),
            decision="maybe",
            comments={},
            reason="",
        )


# --- the Leading Group's acceptance --------------------------------------------------------


def test_acceptance_starts_every_item_and_opens_the_milestones(org, plan):
    plan = reviewed(plan, org)
    # when
    plan = plan_accept(
        plan_id=plan.pk, acting_user=org.user(Role.LEADER), decision="accept", reason=""
    )
    # then
    plan.refresh_from_db()
    assert plan.state == PlanState.ACCEPTED
    assert plan.accepted_by == org.user(Role.LEADER)
    assert set(plan.items.values_list("state", flat=True)) == {PlanItemState.IN_PROGRESS}
    assert not open_items(plan, WI_PLAN_ACCEPT).exists()
    milestones = Milestone.objects.filter(item__plan=plan)
    assert milestones.count() == 6
    items = WorkItem.objects.filter(kind=WI_MILESTONE, state=WorkItemState.OPEN)
    assert items.count() == 6
    for m in milestones:
        wi = items.get(subject_id=m.pk)
        assert wi.due_at == m.due_at == workdays.end_of_day(m.due_date)
        assert wi.owner_unit_id == org.community.pk
        assert wi.url == m.get_absolute_url()
        assert m.title in wi.title
    assert Notification.objects.filter(verb="plan.accepted", recipient_unit=org.community).exists()
    assert audits("plan.accepted").get().after["milestones"] == 6


def test_leading_group_returns_with_a_reason(org, plan):
    plan = reviewed(plan, org)
    plan = plan_accept(
        plan_id=plan.pk, acting_user=org.user(Role.LEADER), decision="return", reason="措施不够有力"
    )
    assert plan.state == PlanState.DRAFTING
    assert (plan.return_level, plan.return_reason) == ("leading_group", "措施不够有力")
    assert open_items(plan, WI_PLAN_DRAFT).get().returned
    assert not WorkItem.objects.filter(kind=WI_MILESTONE).exists()
    assert not plan.items.filter(needs_rework=True).exists()


def test_leading_group_return_needs_a_reason(org, plan):
    plan = reviewed(plan, org)
    with pytest.raises(ValidationError):
        plan_accept(
            plan_id=plan.pk, acting_user=org.user(Role.LEADER), decision="return", reason=""
        )
    plan.refresh_from_db()
    assert plan.state == PlanState.REVIEWED


def test_accept_twice_is_a_conflict_and_opens_nothing_twice(org, plan):
    plan = reviewed(plan, org)
    plan_accept(plan_id=plan.pk, acting_user=org.user(Role.LEADER), decision="accept", reason="")
    with pytest.raises(Conflict):
        plan_accept(
            plan_id=plan.pk, acting_user=org.user(Role.LEADER), decision="accept", reason=""
        )
    assert WorkItem.objects.filter(kind=WI_MILESTONE).count() == 6
    assert audits("plan.accepted").count() == 1


@pytest.mark.parametrize("role", [Role.OFFICE_STAFF, Role.AUDITOR, Role.COMMUNITY_SECRETARY])
def test_only_the_leading_group_accepts(org, plan, role):
    plan = reviewed(plan, org)
    with pytest.raises(PermissionDenied):
        plan_accept(plan_id=plan.pk, acting_user=org.user(role), decision="accept", reason="")


def test_milestone_title_names_the_item(org, plan):
    item = plan.items.get(position=1)
    m = Milestone(item=item, title="补齐记录")
    with translation.override("en"):
        assert drafting.milestone_title(m, item).startswith("Rectification milestone: 补齐记录")
