"""The year-end appraisal as a viewflow process (Art. 14–18): the artifact is the assessment year.

    start ─▶ self-evaluation, one task per community (Art. 15) ─▶ join
          ─▶ verification, one group task per category for the joint team (Art. 14) ─▶ join
          ─▶ votes (the Office closes the satisfaction evaluation, Art. 15), unless already closed
          ─▶ results (the Office runs them; the full-marks check blocks, Art. 4)
          ─▶ decision (the Leading Group, Art. 16) ─┬▶ publish (the Office) ─▶ interviews of the
                                                    │   bottom units (Art. 18) ─▶ end
                                                    └▶ back to a named earlier step with a reason

The flow orchestrates; the apps' services decide and write (house style). Each human step is a
`workflows.nodes.Step`: its opener calls the app's `*_open` service and names the unit whose 待办
receives the work. A step is finished by the app's service (core.steps.done), and
workflows.yearend completes the task.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from viewflow import this
from viewflow.workflow import lock
from viewflow.workflow.base import Flow
from viewflow.workflow.nodes import End, If, Join, StartHandle, Switch

from core import workdays
from core.models import Unit, UnitKind

from ..kinds import (
    WI_DECISION,
    WI_INTERVIEW,
    WI_PUBLISH,
    WI_RESULTS,
    WI_SELFEVAL,
    WI_VERIFY,
    WI_VOTES,
)
from ..models import YearEndProcess
from ..nodes import Opened, SplitEach, Step

# The steps whose due time the Office sets when it starts the process (in this order).
STEPS = ("selfeval", "verify", "votes", "results", "decision", "publish", "interview")

# A step reopened after its due time (a return by the Leading Group, or a late stage) gets this
# many working days from the moment it reopens.
REWORK_WORKDAYS = 5


def _year(activation):
    from appraisal.models import AssessmentYear

    return AssessmentYear.objects.get(pk=activation.process.artifact_object_id)


def _unit_of(year, kind: str) -> Unit | None:
    return Unit.objects.filter(sub_district_id=year.sub_district_id, kind=kind).first()


class YearEndFlow(Flow):
    process_class = YearEndProcess
    lock_impl = lock.select_for_update_lock
    process_title = "年末考核"  # viewflow's own label; our pages name the process themselves

    start = StartHandle(this.begin).Next(this.split_selfeval)

    split_selfeval = SplitEach(this.selfeval_items).Each(this.self_evaluate)
    self_evaluate = Step(kind=WI_SELFEVAL, opener=this.open_selfeval).Next(this.join_selfeval)
    join_selfeval = Join().Next(this.split_verify)

    split_verify = SplitEach(this.verify_items).Each(this.verify)
    verify = Step(kind=WI_VERIFY, opener=this.open_verify, group=True).Next(this.join_verify)
    join_verify = Join().Next(this.votes_needed)

    votes_needed = If(this.need_votes).Then(this.votes).Else(this.results)
    votes = Step(kind=WI_VOTES, opener=this.open_votes).Next(this.results)
    results = Step(kind=WI_RESULTS, opener=this.open_results).Next(this.decide)
    decide = Step(kind=WI_DECISION, opener=this.open_decision).Next(this.route)
    route = (
        Switch()
        .Case(this.publish, this.approved)
        .Case(this.split_selfeval, this.back_to_selfeval)
        .Case(this.split_verify, this.back_to_verify)
        .Case(this.votes, this.back_to_votes)
    )
    publish = Step(kind=WI_PUBLISH, opener=this.open_publish).Next(this.any_interviews)
    any_interviews = If(this.has_bottom_units).Then(this.split_interviews).Else(this.end)
    split_interviews = SplitEach(this.interview_items).Each(this.interview)
    interview = Step(kind=WI_INTERVIEW, opener=this.open_interview).Next(this.join_interviews)
    join_interviews = Join().Next(this.end)
    end = End()

    # --- start ---------------------------------------------------------------------------------

    def begin(self, activation, *, year, acting_user, due: dict[str, datetime]):
        """Called by workflows.yearend.year_end_start inside its transaction."""
        process = activation.process
        process.artifact = year
        due_at = {step: due[step].isoformat() for step in STEPS}
        if due.get("plan") is not None:
            # Art. 20: when the rectification plans made at publication are due
            # (workflows.plans.plan_due; empty: a number of working days after publication).
            due_at["plan"] = due["plan"].isoformat()
        process.data = {
            "due": due_at,
            "rounds": {},
            "rework": None,
            "votes_confirmed": False,
            "decision": None,
            "started_by": acting_user.pk,
        }
        activation.task.owner = acting_user
        return process

    # --- helpers -------------------------------------------------------------------------------

    def _due(self, activation, step: str) -> datetime:
        """The step's due time as the Office set it; a step (re)opened after it, or within a
        day of it, gets REWORK_WORKDAYS working days from now."""
        due = datetime.fromisoformat(activation.process.data["due"][step])
        now = timezone.now()
        if due <= now + timedelta(days=1):
            last, _approx = workdays.add_workdays_or_weekdays(
                workdays.local_date(now), REWORK_WORKDAYS
            )
            due = workdays.end_of_day(last)
        return due

    def _round(self, activation, key: str) -> int:
        """1 the first time a step opens for `key` (a unit, a category), then 2, 3 … ."""
        rounds = activation.process.data.setdefault("rounds", {})
        rounds[key] = rounds.get(key, 0) + 1
        activation.process.save(update_fields=["data"])
        return rounds[key]

    def _rework(self, activation, step: str):
        rework = activation.process.data.get("rework")
        return rework if rework and rework.get("step") == step else None

    # --- self-evaluation (Art. 15) --------------------------------------------------------------

    def selfeval_items(self, activation):
        from appraisal.models import AssessedUnit

        year = _year(activation)
        rework = self._rework(activation, "selfeval")
        units = AssessedUnit.objects.filter(year=year).order_by("code")
        if rework:
            units = units.filter(unit_id__in=rework["units"])
        return [{"unit_id": u.unit_id, "returned": bool(rework)} for u in units]

    def open_selfeval(self, activation) -> Opened:
        from appraisal.services.selfeval import selfeval_open

        year = _year(activation)
        unit_id = activation.task.data["unit_id"]
        row = selfeval_open(
            year=year,
            unit_id=unit_id,
            due_at=self._due(activation, "selfeval"),
            round=self._round(activation, f"selfeval:{unit_id}"),
        )
        unit = Unit.objects.get(pk=unit_id)
        return Opened(
            subject=row,
            owner_unit_id=unit_id,
            sub_district_id=year.sub_district_id,
            title=_("%(year)s self-evaluation: %(unit)s")
            % {"year": year.year, "unit": unit.short_name or unit.name},
            due_at=row.due_at,
        )

    # --- verification (Art. 14) ----------------------------------------------------------------

    def verify_items(self, activation):
        year = _year(activation)
        rework = self._rework(activation, "verify")
        categories = year.categories.order_by("sort_order", "code")
        if rework:
            categories = categories.filter(pk__in=rework["categories"])
        # A return to the self-evaluation reopens every category: the self-scores changed.
        returned = bool(rework or self._rework(activation, "selfeval"))
        return [{"category_id": c.pk, "returned": returned} for c in categories]

    def open_verify(self, activation) -> Opened:
        from appraisal.services.team import verification_open

        year = _year(activation)
        category = year.categories.get(pk=activation.task.data["category_id"])
        row = verification_open(
            year=year,
            category_id=category.pk,
            due_at=self._due(activation, "verify"),
            round=self._round(activation, f"verify:{category.pk}"),
        )
        owner = category.lead_unit_id or _unit_of(year, UnitKind.OFFICE).pk
        return Opened(
            subject=row,
            owner_unit_id=owner,
            sub_district_id=year.sub_district_id,
            title=_("%(year)s joint-team verification: %(category)s")
            % {"year": year.year, "category": category.name},
            due_at=row.due_at,
        )

    # --- votes (Art. 15) -----------------------------------------------------------------------

    def need_votes(self, activation) -> bool:
        data = activation.process.data
        return not data.get("votes_confirmed") or bool(self._rework(activation, "votes"))

    def open_votes(self, activation) -> Opened:
        from appraisal.services.ballots import votes_round_open

        year = _year(activation)
        row = votes_round_open(
            year=year,
            due_at=self._due(activation, "votes"),
            round=self._round(activation, "votes"),
        )
        return Opened(
            subject=row,
            owner_unit_id=_unit_of(year, UnitKind.OFFICE).pk,
            sub_district_id=year.sub_district_id,
            title=_("%(year)s satisfaction evaluation: close the votes") % {"year": year.year},
            due_at=row.due_at,
        )

    # --- results and decision (Art. 4, 16) -----------------------------------------------------

    def open_results(self, activation) -> Opened:
        from django.urls import reverse

        year = _year(activation)
        # The rework, if any, is done once the Office runs the results again.
        activation.process.data["rework"] = None
        activation.process.save(update_fields=["data"])
        return Opened(
            subject=year,
            owner_unit_id=_unit_of(year, UnitKind.OFFICE).pk,
            sub_district_id=year.sub_district_id,
            title=_("%(year)s results: run them for the Leading Group") % {"year": year.year},
            due_at=self._due(activation, "results"),
            url=reverse("yearend_results", args=[year.year]),
        )

    def open_decision(self, activation) -> Opened:
        from appraisal.services.yearend import decision_open

        year = _year(activation)
        row = decision_open(
            year=year,
            due_at=self._due(activation, "decision"),
            round=self._round(activation, "decision"),
        )
        return Opened(
            subject=row,
            owner_unit_id=_unit_of(year, UnitKind.LEADING_GROUP).pk,
            sub_district_id=year.sub_district_id,
            title=_("%(year)s results: the Leading Group's decision") % {"year": year.year},
            due_at=row.due_at,
        )

    def approved(self, activation) -> bool:
        return activation.process.data.get("decision") == "approved"

    def back_to_selfeval(self, activation) -> bool:
        return bool(self._rework(activation, "selfeval"))

    def back_to_verify(self, activation) -> bool:
        return bool(self._rework(activation, "verify"))

    def back_to_votes(self, activation) -> bool:
        return bool(self._rework(activation, "votes"))

    # --- publication and interviews (Art. 16–18) -----------------------------------------------

    def open_publish(self, activation) -> Opened:
        from django.urls import reverse

        year = _year(activation)
        return Opened(
            subject=year,
            owner_unit_id=_unit_of(year, UnitKind.OFFICE).pk,
            sub_district_id=year.sub_district_id,
            title=_("%(year)s results: publish them") % {"year": year.year},
            due_at=self._due(activation, "publish"),
            url=reverse("yearend_publish", args=[year.year]),
        )

    def interview_items(self, activation):
        return [{"unit_id": unit_id} for unit_id in activation.process.data.get("bottom", [])]

    def has_bottom_units(self, activation) -> bool:
        return bool(activation.process.data.get("bottom"))

    def open_interview(self, activation) -> Opened:
        from appraisal.services.yearend import interview_open

        year = _year(activation)
        unit = Unit.objects.get(pk=activation.task.data["unit_id"])
        row = interview_open(year=year, unit_id=unit.pk, due_at=self._due(activation, "interview"))
        return Opened(
            subject=row,
            owner_unit_id=_unit_of(year, UnitKind.OFFICE).pk,
            sub_district_id=year.sub_district_id,
            title=_("%(year)s interview of a bottom-ranked community: %(unit)s")
            % {"year": year.year, "unit": unit.short_name or unit.name},
            due_at=row.due_at,
        )
