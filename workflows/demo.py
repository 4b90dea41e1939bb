"""Demo data for `seed_demo`: the previous year, assessed and published, with next year's
rectification plans of its 15 communities (Art. 20) — made through the real services, as the
Office, the departments, the joint team, the Leading Group and the communities would make it.

- the previous year's catalogue, reports, scores and inputs as appraisal.demo makes this year's
  (every report period is past: the late and missing ones become the letters' problems);
- its year-end process from start to publication (Art. 14–18): each community's self-evaluation
  (staff drafts, secretary submits), the joint team's verification of every category, the votes
  confirmed, the results run, the Leading Group's decision, the publication; the feedback
  letters generated then and there, so the plans' letter links work;
- the plans the publication starts, brought along so each role has something to see: c01's
  drafted and submitted (the Office's 待办), c02's accepted with its milestones in its 待办 and
  one of them reached, c03's returned by the Office with a comment on one item; the others are
  being drafted.

Idempotent: nothing happens once the sub-district has an assessment year for the previous year
(Asia/Shanghai), or without its Office, Leading Group or department users. Deterministic for a
given sub-district, year and day.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from appraisal.demo import _member, _points, _Seeder
from appraisal.models import (
    AssessedUnit,
    AssessmentYear,
    Category,
    CategoryVerification,
    Decision,
    Indicator,
    Score,
    SelfEvaluation,
    VoteKind,
    VoteRound,
)
from appraisal.selectors.year import periods_not_yet_due
from appraisal.services import ballots, selfeval, team
from appraisal.services import yearend as decide
from appraisal.services.inputs import comprehensive_save, votes_save
from core import evidence, workdays
from core.models import Role, UnitKind, WorkItem, WorkItemState
from rectification.models import RectificationPlan
from rectification.plans import drafting, tracking

from . import kinds, publication
from . import yearend as flow
from .flows.year_end import STEPS

# The communities whose plans are taken further than drafting (by code), and how far.
SUBMITTED, ACCEPTED, RETURNED = "c01", "c02", "c03"

OVERRIDE_REASON = "演示数据：上一年度的结果在演示中直接决定。"

# What a community writes for an item, by category (goal, measures, evidence expected).
DRAFTS = {
    "LZ": (
        "廉政风险防控台账按季更新，问题整改到位",
        "支委会专题研究，逐条对照整改；纪检委员每季度检查台账并签字。",
        "支委会记录、更新后的台账",
    ),
    "ZZ": (
        "组织生活按时开展，记录完整规范",
        "制定全年组织生活计划表，专人负责记录，每月底自查一次。",
        "会议记录、签到表、照片",
    ),
    "XC": (
        "意识形态阵地管理规范，信息按时报送",
        "落实宣传栏内容审核制度，明确信息员，按月报送宣传信息。",
        "审核登记表、宣传栏照片、报送记录",
    ),
    "QT": (
        "其他任务按时完成并报送",
        "建立任务清单，按节点推进并及时报送材料。",
        "任务清单、报送记录",
    ),
}
DEFAULT_DRAFT = DRAFTS["QT"]
MILESTONES = (("完成整改方案细化并报支委会", 30), ("整改到位并报送佐证材料", 90))


def seed_previous_year(sub_district) -> int:
    """Seed the previous year, published, and its communities' plans; returns the number of
    objects created (0 when the year exists already)."""
    now = timezone.now()
    number = workdays.local_date(now).year - 1
    if AssessmentYear.objects.filter(sub_district=sub_district, year=number).exists():
        return 0
    office = _member(sub_district, Role.OFFICE_STAFF)
    leader = _member(sub_district, Role.LEADER)
    if office is None or leader is None:
        return 0
    with evidence.removed_if_failed(), transaction.atomic():
        seeder = _PastYearSeeder(sub_district, office, number, now)
        created = seeder.run()
        year = _publish(seeder, leader)
        plans = list(
            RectificationPlan.objects.filter(sub_district=sub_district, year=number)
            .select_related("unit")
            .order_by("unit__code")
        )
        _plans_along(plans, office, leader)
        created += len(plans) + _published_documents(year)
    return created


class _PastYearSeeder(_Seeder):
    """appraisal.demo's seeder for a year that is over: its dates fall within that year, the
    departments scored every cell, every community was evaluated; no bonus claims (a claim
    still being decided would hold up the decision, Art. 6, 16)."""

    def _past(self, fraction: float) -> dt.date:
        start, end = dt.date(self.number, 1, 1), dt.date(self.number, 12, 31)
        return start + dt.timedelta(days=int((end - start).days * fraction))

    def _claims(self) -> None:
        return None

    def _votes_and_comprehensive(self) -> None:
        votes = []
        for assessed in self.units:
            for kind, ballots_cast in ((VoteKind.DEBRIEFING, 21), (VoteKind.DEMOCRATIC, 80)):
                total = ballots_cast + self.rng.randint(0, ballots_cast // 2)
                dissatisfied = self.rng.randint(0, max(1, total // 20))
                basically = self.rng.randint(0, total // 4)
                votes.append(
                    {
                        "unit_id": assessed.unit_id,
                        "kind": kind,
                        "satisfied": total - basically - dissatisfied,
                        "basically": basically,
                        "dissatisfied": dissatisfied,
                    }
                )
        votes_save(year_id=self.year.pk, acting_user=self.office, rows=votes)
        rows = [
            {
                "unit_id": assessed.unit_id,
                "score": str(Decimal(str(round(self.rng.uniform(78, 96), 1)))),
                "advanced": index in (0, 2),
            }
            for index, assessed in enumerate(self.units)
        ]
        comprehensive_save(year_id=self.year.pk, acting_user=self.office, rows=rows)


def _publish(seeder: _PastYearSeeder, leader) -> AssessmentYear:
    """The year-end process from its start to publication, as tests/workflows/test_plan_flow's
    publish() drives it, with plausible values (no returns)."""
    sd, office, year, now = seeder.sd, seeder.office, seeder.year, seeder.now
    lead = {c.code: c.lead_unit for c in Category.objects.filter(year=year).select_related()}
    people = {
        code: (
            _member(sd, Role.DEPT_ASSESSOR, unit)
            if unit is not None and unit.kind == UnitKind.DEPARTMENT
            else None
        )
        or office
        for code, unit in lead.items()
    }
    cats = {c.code: c for c in Category.objects.filter(year=year)}
    due = {s: now + dt.timedelta(days=20 + i) for i, s in enumerate(STEPS)}
    flow.year_end_start(
        year_id=year.pk,
        acting_user=office,
        due=due,
        leader_id=office.pk,
        members=[(people[code].pk, cat.pk) for code, cat in cats.items()],
    )
    _selfevals(seeder)
    _verify(seeder, people)
    (vote_round,) = VoteRound.objects.filter(year=year)
    empty = ballots.empty_votes(ballots.tally_rows(year))
    ballots.votes_confirm(round_id=vote_round.pk, acting_user=office, accept_empty=empty)
    with transaction.atomic():
        flow.complete_own_step(year=year, kind=kinds.WI_RESULTS, acting_user=office)
    reason = OVERRIDE_REASON if periods_not_yet_due(year, now=timezone.now()).count else None
    decide.decision_approve(
        decision_id=Decision.objects.get(year=year, round=1).pk,
        acting_user=leader,
        expected_version=0,
        override_reason=reason,
    )
    year, run = publication.year_end_publish(year_id=year.pk, acting_user=office)
    # The documents job, here and now rather than in the background (each call is one batch;
    # the run's own queued job finds it done and stops).
    communities = AssessedUnit.objects.filter(year=year).count()
    for start in range(0, max(communities, 1), publication.LETTERS_PER_JOB):
        publication.documents_generate(run.pk, start, queue_next=False)
    return year


def _selfevals(seeder: _PastYearSeeder) -> None:
    """Each community's self-evaluation (Art. 15): its staff drafts and hands it over, its
    secretary submits; the process moves on with the last."""
    indicators = list(Indicator.objects.filter(year=seeder.year).order_by("code"))
    for assessed in seeder.units:
        staff = _member(seeder.sd, Role.COMMUNITY_STAFF, assessed.unit)
        secretary = _member(seeder.sd, Role.COMMUNITY_SECRETARY, assessed.unit)
        if staff is None or secretary is None:
            continue
        row = SelfEvaluation.objects.get(year=seeder.year, unit=assessed.unit, round=1)
        selfeval.selfeval_save(
            selfeval_id=row.pk,
            acting_user=staff,
            report=f"{assessed.unit.name}{seeder.number}年度党建工作专题报告：全年围绕考核细则"
            "逐项落实，存在的不足已列入下一年度整改。",
            scores={
                ind.pk: (str(_self_score(seeder, ind)), "按要求完成，台账齐全。")
                for ind in indicators
            },
            expected_version=row.version,
        )
        selfeval.selfeval_to_secretary(
            selfeval_id=row.pk, acting_user=staff, expected_version=row.version + 1
        )
        selfeval.selfeval_submit(
            selfeval_id=row.pk, acting_user=secretary, expected_version=row.version + 2
        )


def _self_score(seeder: _PastYearSeeder, ind) -> Decimal:
    return _points(float(ind.max_points) * seeder.rng.uniform(0.9, 1.0), ind.max_points)


def _verify(seeder: _PastYearSeeder, people: dict) -> None:
    """The joint team verifies every category (Art. 14): the department's score where it gave
    one, its own value elsewhere, a comment where it finds less than claimed; never full marks
    in every cell of a category (Art. 4's cap)."""
    ranges = {"steady": (0.85, 0.97), "average": (0.75, 0.93), "weak": (0.6, 0.85)}
    for v in CategoryVerification.objects.filter(year=seeder.year, state="open").select_related(
        "category"
    ):
        item = WorkItem.objects.get(kind=kinds.WI_VERIFY, state=WorkItemState.OPEN, subject_id=v.pk)
        member = people[v.category.code]
        flow.task_claim(item_id=item.pk, acting_user=member)
        scores = {
            (s.unit_id, s.indicator_id): s.department_score
            for s in Score.objects.filter(year=seeder.year, indicator__category=v.category)
        }
        cells = []
        for ind in v.category.indicators.order_by("code"):
            for assessed in seeder.units:
                value = scores.get((assessed.unit_id, ind.pk))
                comment = ""
                if value is None:
                    low, high = ranges[seeder.profile[assessed.unit_id]]
                    value = _points(
                        float(ind.max_points) * seeder.rng.uniform(low, high), ind.max_points
                    )
                if value >= ind.max_points:
                    value = ind.max_points - Decimal("0.5")
                if seeder.rng.random() < 0.04 and value >= 1:
                    value -= Decimal("0.5")
                    comment = "核实发现佐证材料与台账记录不一致，核减0.5分。"
                cells.append(team.VerifiedCell(assessed.unit_id, ind.pk, str(value), comment))
        team.verification_save(
            verification_id=v.pk, acting_user=member, cells=cells, expected_version=v.version
        )
        team.verification_signoff(
            verification_id=v.pk, acting_user=seeder.office, expected_version=v.version + 1
        )


def _published_documents(year) -> int:
    from django.contrib.contenttypes.models import ContentType

    from core.documents.models import StoredDocument

    return StoredDocument.objects.filter(
        owner_type=ContentType.objects.get_for_model(year), owner_id=year.pk
    ).count()


# --- the plans (Art. 20) ------------------------------------------------------------------------


def _draft_all(plan: RectificationPlan, staff, responsible) -> None:
    """The community's staff drafts every item of its plan, the secretary responsible."""
    today = workdays.local_date(timezone.now())
    for n, item in enumerate(plan.items.order_by("position")):
        goal, measures, expected = DRAFTS.get(item.category_code, DEFAULT_DRAFT)
        drafting.plan_item_save(
            item_id=item.pk,
            acting_user=staff,
            goal=goal,
            measures=measures,
            evidence_expected=expected,
            responsible_id=responsible.pk,
            milestones=[(title, today + dt.timedelta(days=days + n)) for title, days in MILESTONES],
            expected_updated=None,
        )


def _plans_along(plans: list[RectificationPlan], office, leader) -> None:
    for plan in plans:
        code = plan.unit.code
        if code not in (SUBMITTED, ACCEPTED, RETURNED):
            continue  # being drafted
        staff = _member(plan.unit.sub_district, Role.COMMUNITY_STAFF, plan.unit)
        secretary = _member(plan.unit.sub_district, Role.COMMUNITY_SECRETARY, plan.unit)
        if staff is None or secretary is None or not plan.items.exists():
            continue
        _draft_all(plan, staff, secretary)
        drafting.plan_submit(plan_id=plan.pk, acting_user=secretary, expected_round=1)
        if code == SUBMITTED:
            continue  # in the Office's 待办
        if code == RETURNED:
            first = plan.items.order_by("position").first()
            drafting.plan_review(
                plan_id=plan.pk,
                acting_user=office,
                decision=drafting.RETURN,
                comments={first.pk: "整改目标不够具体，请写明可检查的标准和完成时限。"},
                reason="请按意见修改后重新报送。",
                expected_round=1,
            )
            continue
        drafting.plan_review(
            plan_id=plan.pk,
            acting_user=office,
            decision=drafting.ACCEPT,
            comments={},
            reason="整改计划目标明确、措施具体，提交领导小组审定。",
            expected_round=1,
        )
        drafting.plan_accept(
            plan_id=plan.pk,
            acting_user=leader,
            decision=drafting.ACCEPT,
            reason="同意，按计划推进。",
            expected_round=1,
        )
        # Its first milestone reached: the community reports progress on the first item.
        item = plan.items.order_by("position").first()
        milestone = item.milestones.order_by("position").first()
        tracking.progress_report(
            item_id=item.pk,
            acting_user=staff,
            progress="已召开支委会专题研究，整改方案已细化到人、到时间节点。",
            next_steps="按方案逐项整改，月底前报送佐证材料。",
            milestone_id=milestone.pk,
        )
