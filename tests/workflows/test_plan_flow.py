# ruff: noqa: F811  (the year fixtures are imported from tests.appraisal.conftest)
"""Next year's rectification plans (Art. 20) driven in code through the real services, for 15
communities: the year is published, every community has a plan with one item per problem of
its feedback letter and a draft task in its 待办; the plans are drafted and submitted; the
Office returns one with comments on two items, one community adds an item of its own; the
Leading Group accepts them all; then a year of milestones — one reached late, one extended,
one escalated to a notice — and the items are closed out (one returned first)."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from appraisal.documents.facts import year_facts
from appraisal.documents.letters import problems
from appraisal.models import AssessedUnit, Category, Decision, VoteRound
from appraisal.services import ballots
from appraisal.services import yearend as decide
from core.models import CalendarYear, Role, UnitKind, WorkItem, WorkItemState
from rectification.models import (
    Milestone,
    PlanItem,
    PlanItemState,
    PlanState,
    RectificationPlan,
)
from rectification.plans import drafting, tracking
from rectification.services import notice_issue
from tests.appraisal.conftest import planning_year, year  # noqa: F401  (fixtures)
from tests.factories import UnitFactory, make_member
from tests.workflows.test_yearend_flow import EARLY, _finish_selfevals, _verify_all
from workflows import kinds, publication
from workflows import yearend as flow
from workflows.flows.plan import PlanFlow
from workflows.flows.year_end import STEPS
from workflows.models import PlanProcess
from workflows.plans import plans_start, process_of
from workflows.sweep import run_sweep

pytestmark = pytest.mark.django_db

COMMUNITIES = 15


@pytest.fixture
def org15(org):
    """Sub-district A with 15 communities (c01, c02 and 13 more) before its year is created."""
    for n in range(3, COMMUNITIES + 1):
        UnitFactory(
            sub_district=org.sd,
            kind=UnitKind.COMMUNITY,
            code=f"A-c{n:02d}",
            name=f"A-c{n:02d}",
        )
    return org


def _open(kind, **filters):
    return WorkItem.objects.filter(kind=kind, state=WorkItemState.OPEN, **filters)


def publish(org, year):
    """The year-end process from its start to publication, the short way (no returns)."""
    office = org.user(Role.OFFICE_STAFF)
    people = {
        "LZ": org.user(Role.DEPT_ASSESSOR),
        "ZZ": make_member(org.dept_zz, Role.DEPT_ASSESSOR, "A-zz"),
        "XC": make_member(org.dept_xc, Role.DEPT_ASSESSOR, "A-xc"),
        "QT": office,
        "leader": office,
    }
    cats = {c.code: c for c in Category.objects.filter(year=year)}
    due = {s: timezone.now() + timedelta(days=20 + i) for i, s in enumerate(STEPS)}
    flow.year_end_start(
        year_id=year.pk,
        acting_user=office,
        due=due,
        leader_id=office.pk,
        members=[(people[c].pk, cats[c].pk) for c in ("LZ", "ZZ", "XC", "QT")],
    )
    _finish_selfevals(org, year)
    _verify_all(people, year)
    (vote_round,) = VoteRound.objects.filter(year=year)
    empty = ballots.empty_votes(ballots.tally_rows(year))
    ballots.votes_confirm(round_id=vote_round.pk, acting_user=office, accept_empty=empty)
    with transaction.atomic():
        flow.complete_own_step(year=year, kind=kinds.WI_RESULTS, acting_user=office)
    decide.decision_approve(
        decision_id=Decision.objects.get(year=year, round=1).pk,
        acting_user=org.user(Role.LEADER),
        expected_version=0,
        override_reason=EARLY,
    )
    publication.year_end_publish(year_id=year.pk, acting_user=office)
    year.refresh_from_db()
    return year


def test_publication_opens_a_plan_per_community_with_one_item_per_fed_back_problem(
    org15, year, client
):
    # when the year is published
    year = publish(org15, year)

    # then every assessed community has a plan whose items are its letter's problems, in order
    facts = year_facts(year, draft=False)
    plans = RectificationPlan.objects.filter(year=year.year)
    assert plans.count() == COMMUNITIES == AssessedUnit.objects.filter(year=year).count()
    for unit in facts.computed.results.units:
        plan = plans.get(unit_id=facts.units[unit.unit_id].unit_id)
        expected = [p.text for p in problems(facts, unit)]
        assert expected, "every community of this year has problems (reports not filed)"
        assert list(plan.items.values_list("problem", flat=True)) == expected
        assert plan.state == PlanState.DRAFTING
        # its draft task is in the community's 待办, due when the plans are due
        item = _open(kinds.WI_PLAN_DRAFT, owner_unit_id=plan.unit_id).get()
        assert item.subject_id == plan.pk and item.due_at == plan.due_at
        assert process_of(plan) is not None
    # the year-end page says where the plans stand: the Office opens the ledger, a community
    # its own plan
    page = reverse("yearend_process", args=[year.year])
    client.force_login(org15.user(Role.OFFICE_STAFF))
    html = client.get(page).content.decode()
    assert 'data-testid="plans"' in html and f"{PlanState.DRAFTING.label} {COMMUNITIES}" in html
    assert f"{reverse('plan_ledger')}?year={year.year}" in html
    client.force_login(org15.user(Role.COMMUNITY_STAFF))
    own = plans.get(unit=org15.community)
    html = client.get(page).content.decode()
    assert f"{PlanState.DRAFTING.label} 1" in html and reverse("plan_detail", args=[own.pk]) in html
    # started again (a retry), nothing is made twice
    with transaction.atomic():
        assert plans_start(year=year, acting_user=org15.user(Role.OFFICE_STAFF)) == 0
    assert plans.count() == COMMUNITIES
    assert PlanProcess.objects.filter(flow_class=PlanFlow).count() == COMMUNITIES


def _draft(plan, secretary, *, start: dt.date) -> None:
    """The community drafts every item of its plan (two milestones each) — its secretary here,
    who is also the responsible person."""
    for n, item in enumerate(plan.items.order_by("position")):
        drafting.plan_item_save(
            item_id=item.pk,
            acting_user=secretary,
            goal=f"第{item.position}项问题整改到位",
            measures="完善台账，按月检查。",
            evidence_expected="会议记录、台账照片",
            responsible_id=secretary.pk,
            milestones=[
                ("完成整改方案细化", start + dt.timedelta(days=30 + n)),
                ("整改到位并报送佐证", start + dt.timedelta(days=90 + n)),
            ],
            expected_updated=None,
        )


def test_fifteen_plans_from_publication_to_close_out(org15, year, monkeypatch):
    year = publish(org15, year)
    office = org15.user(Role.OFFICE_STAFF)
    leader = org15.user(Role.LEADER)
    today = timezone.localdate()
    plans = list(RectificationPlan.objects.filter(year=year.year).select_related("unit"))
    secretaries = {
        p.pk: make_member(p.unit, Role.COMMUNITY_SECRETARY, f"sec2-{p.unit.code}") for p in plans
    }
    returned, adding = plans[0], plans[1]

    # every community drafts its plan; one adds an item of its own; all submit
    for plan in plans:
        _draft(plan, secretaries[plan.pk], start=today)
    own = drafting.plan_item_add(
        plan_id=adding.pk,
        acting_user=secretaries[adding.pk],
        problem="社区自查：党员活动室开放时间不固定。",
        goal="固定开放时间并公示",
        measures="制定开放制度，专人值守。",
        evidence_expected="制度文本、公示照片",
        responsible_id=secretaries[adding.pk].pk,
        milestones=[("制度上墙公示", today + dt.timedelta(days=45))],
    )
    assert own.origin == "own" and own.position == adding.items.count()
    for plan in plans:
        drafting.plan_submit(plan_id=plan.pk, acting_user=secretaries[plan.pk], expected_round=1)
    assert not _open(kinds.WI_PLAN_DRAFT).exists()
    assert _open(kinds.WI_PLAN_REVIEW, owner_unit=org15.office).count() == COMMUNITIES

    # the Office returns one plan with comments on two items, passes the others
    first, second = returned.items.order_by("position")[:2]
    drafting.plan_review(
        plan_id=returned.pk,
        acting_user=office,
        decision="return",
        comments={first.pk: "整改目标不够具体", second.pk: "节点时间过于宽松"},
        reason="",
    )
    for plan in plans[1:]:
        drafting.plan_review(
            plan_id=plan.pk, acting_user=office, decision="accept", comments={}, reason=""
        )
    returned.refresh_from_db()
    assert returned.state == PlanState.DRAFTING and returned.round == 2
    assert set(returned.items.filter(needs_rework=True).values_list("pk", flat=True)) == {
        first.pk,
        second.pk,
    }
    rework = _open(kinds.WI_PLAN_DRAFT).get()
    assert rework.subject_id == returned.pk and rework.returned
    # the community reworks the two items and submits again; the Office passes it
    for item in (first, second):
        item.refresh_from_db()
        drafting.plan_item_save(
            item_id=item.pk,
            acting_user=secretaries[returned.pk],
            goal=f"{item.goal}，年内检查合格率100%",
            measures=item.measures,
            evidence_expected=item.evidence_expected,
            responsible_id=secretaries[returned.pk].pk,
            milestones=[("完成整改", today + dt.timedelta(days=20))],
            expected_updated=None,
        )
    drafting.plan_submit(
        plan_id=returned.pk, acting_user=secretaries[returned.pk], expected_round=2
    )
    drafting.plan_review(
        plan_id=returned.pk, acting_user=office, decision="accept", comments={}, reason=""
    )
    assert _open(kinds.WI_PLAN_ACCEPT, owner_unit=org15.leading_group).count() == COMMUNITIES

    # the Leading Group accepts every plan (Art. 20): every milestone is in its community's 待办
    for plan in plans:
        drafting.plan_accept(plan_id=plan.pk, acting_user=leader, decision="accept", reason="")
    assert not _open(kinds.WI_PLAN_ACCEPT).exists()
    assert set(RectificationPlan.objects.values_list("state", flat=True)) == {PlanState.ACCEPTED}
    assert set(PlanItem.objects.values_list("state", flat=True)) == {PlanItemState.IN_PROGRESS}
    milestones = Milestone.objects.filter(item__plan__year=year.year)
    open_items = _open("plan.milestone")
    assert open_items.count() == milestones.count()
    for m in milestones.select_related("item__plan"):
        wi = open_items.get(subject_id=m.pk)
        assert wi.owner_unit_id == m.item.plan.unit_id and wi.due_at == m.due_at
    # each process waits in carry_out until its items are closed out
    for plan in plans:
        assert process_of(plan).task_set.filter(flow_task=PlanFlow.carry_out, status="NEW")

    # --- a year of milestones (推进表 → 对账销号) -----------------------------------------
    moment = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: moment)

    def at_day(days: int):
        """The clock `days` days after the plans were accepted (mid-morning local)."""
        nonlocal moment
        moment = timezone.make_aware(
            dt.datetime.combine(today + dt.timedelta(days=days), dt.time(10))
        )
        return moment

    def first_milestone(plan):
        return Milestone.objects.filter(item__plan=plan).order_by("item__position", "position")[0]

    late_plan, extended_plan, escalated_plan, closed_plan = plans[2], plans[3], plans[4], plans[5]
    late, extended, escalated = (
        first_milestone(late_plan),
        first_milestone(extended_plan),
        first_milestone(escalated_plan),
    )
    assert late.due_date == today + dt.timedelta(days=30)

    # before the due date, one community asks for more time and the Office grants it
    at_day(25)
    extension = tracking.milestone_extension_request(
        milestone_id=extended.pk,
        acting_user=secretaries[extended_plan.pk],
        requested_date=today + dt.timedelta(days=50),
        reason="需协调物业提供场地",
    )
    assert _open("plan.extension", owner_unit=org15.office).count() == 1
    tracking.milestone_extension_decide(
        extension_id=extension.pk, acting_user=office, grant=True, reason="同意"
    )
    extended.refresh_from_db()
    assert extended.due_date == today + dt.timedelta(days=50)
    assert extended.planned_date == today + dt.timedelta(days=30)
    assert _open("plan.milestone", subject_id=extended.pk).get().due_at == extended.due_at

    # the due date passes: the sweep records the missed milestones (the Office hears of them)
    at_day(35)
    run_sweep(now=moment)
    missed = _open("plan.milestone", subject_id=late.pk).get()
    assert missed.overdue_at is not None
    assert _open("plan.milestone", subject_id=extended.pk).get().overdue_at is None
    # one is reached late (the page and the audit say so) …
    tracking.progress_report(
        item_id=late.item_id,
        acting_user=secretaries[late_plan.pk],
        progress="整改方案细化完成，已报党建办。",
        next_steps="按节点推进",
        milestone_id=late.pk,
    )
    late.refresh_from_db()
    assert late.done_at and late.late
    assert not _open("plan.milestone", subject_id=late.pk).exists()
    # … one is escalated to a 整改联系单, which the Office issues to the community
    notice = tracking.milestone_escalate(
        milestone_id=escalated.pk, acting_user=office, expected_due_date=escalated.due_date
    )
    escalated.refresh_from_db()
    assert escalated.notice_id == notice.pk and notice.target_id == escalated_plan.unit_id
    # (its deadlines are counted in working days: next year's holidays are entered by then)
    CalendarYear.objects.get_or_create(year=moment.year, defaults={"complete": True})
    issued = notice_issue(notice_id=notice.pk, acting_user=office)
    assert issued.state == "issued" and issued.number

    # one community reaches every milestone and asks to close out each item; the Office returns
    # one close-out, then closes everything (销号): the plan is completed and its process ends
    at_day(40)
    secretary = secretaries[closed_plan.pk]
    items = list(closed_plan.items.order_by("position"))
    for item in items:
        for m in item.milestones.filter(done_at__isnull=True):
            tracking.progress_report(
                item_id=item.pk,
                acting_user=secretary,
                progress=f"{m.title}：已完成",
                next_steps="",
                milestone_id=m.pk,
            )
        tracking.close_request(
            item_id=item.pk,
            acting_user=secretary,
            summary="整改到位，佐证已上传",
            expected_state=None,
        )
    assert _open("plan.item_verify", owner_unit=org15.office).count() == len(items)
    tracking.item_return(item_id=items[0].pk, acting_user=office, reason="佐证材料不完整")
    items[0].refresh_from_db()
    assert items[0].state == PlanItemState.IN_PROGRESS and items[0].return_reason
    tracking.close_request(
        item_id=items[0].pk, acting_user=secretary, summary="已补充佐证", expected_state=None
    )
    for item in items:
        tracking.item_verify(item_id=item.pk, acting_user=office, comment="核验通过，予以销号")
    closed_plan.refresh_from_db()
    assert closed_plan.state == PlanState.COMPLETED and closed_plan.completed_at
    assert set(closed_plan.items.values_list("state", flat=True)) == {PlanItemState.CLOSED}
    assert process_of(closed_plan).status == "DONE"
    assert not _open("plan.item_verify").exists()
    # the other plans are still being carried out
    assert RectificationPlan.objects.filter(state=PlanState.ACCEPTED).count() == COMMUNITIES - 1
