# ruff: noqa: F811  (the year fixtures are imported from tests.appraisal.conftest)
"""Next year's rectification plans (Art. 20) driven in code through the real services, for 15
communities: the year is published, every community has a plan with one item per problem of
its feedback letter and a draft task in its 待办; the plans are drafted and submitted; the
Office returns one with comments on two items, one community adds an item of its own; the
Leading Group accepts them all; then a year of milestones — one reached late, one extended,
one escalated to a notice — and the items are closed out (one returned first)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from appraisal.documents.facts import year_facts
from appraisal.documents.letters import problems
from appraisal.models import AssessedUnit, Category, Decision, VoteRound
from appraisal.services import ballots
from appraisal.services import yearend as decide
from core.models import Role, UnitKind, WorkItem, WorkItemState
from rectification.models import (
    PlanState,
    RectificationPlan,
)
from tests.appraisal.conftest import planning_year, year  # noqa: F401  (fixtures)
from tests.factories import UnitFactory, make_member
from tests.workflows.test_yearend_flow import EARLY, _finish_selfevals, _verify_all
from workflows import kinds, publication
from workflows import yearend as flow
from workflows.flows.plan import PlanFlow
from workflows.flows.year_end import STEPS
from workflows.models import PlanProcess
from workflows.plans import plans_start, process_of

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


def test_publication_opens_a_plan_per_community_with_one_item_per_fed_back_problem(org15, year):
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
    # started again (a retry), nothing is made twice
    with transaction.atomic():
        assert plans_start(year=year, acting_user=org15.user(Role.OFFICE_STAFF)) == 0
    assert plans.count() == COMMUNITIES
    assert PlanProcess.objects.filter(flow_class=PlanFlow).count() == COMMUNITIES
