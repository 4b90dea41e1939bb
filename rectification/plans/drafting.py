"""Drafting, review and acceptance of a rectification plan (Art. 20): the plan process's human
steps (workflows.flows.plan). The community drafts (per item: goal, measures, milestones,
responsible person, evidence expected; items of its own), its secretary submits; the Office
passes the plan on or returns it with a comment per item; the Leading Group accepts it or
returns it. Each step finished reports itself to the orchestration (core.steps).

An item is saved whole (goal, measures, responsible person and 1–10 milestones): a saved item
is a complete one, and submitting checks the items never saved. An item returned for rework
keeps `needs_rework` until the plan is submitted again; the page shows it as reworked once it
was saved after the return (its updated_at later than the plan's returned_at)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, TransitionNotAllowed

from core import access, steps, submissions, workdays, workitems
from core.audit import audit_record
from core.errors import Conflict
from core.models import RoleAssignment, Unit, UnitKind
from core.notifications import notify
from core.validation import clean_text

from ..models import (
    Milestone,
    PlanItem,
    PlanItemOrigin,
    PlanItemSource,
    PlanState,
    RectificationPlan,
)
from . import steps as plan_steps
from .creation import next_position
from .kinds import WI_MILESTONE
from .policies import COMMUNITY_ROLES

P = PlanState
MAX_PROBLEM = 5000
MAX_GOAL = 5000
MAX_MEASURES = 10000
MAX_EVIDENCE = 5000
MAX_COMMENT = 5000
MAX_MILESTONES = 10
MAX_MILESTONE_TITLE = 300
# Milestones fall in next year's work: not more than about two years ahead.
MAX_MILESTONE_DAYS = 731
ACCEPT, RETURN = "accept", "return"


# --- opening (called by the orchestration) ------------------------------------------------------


@transaction.atomic
def plan_draft_open(*, plan_id: int, due_at: dt.datetime, round: int) -> RectificationPlan:
    """The draft step opens (first, or again after a return): its due time and round."""
    plan = RectificationPlan.objects.select_for_update().get(pk=plan_id)
    plan.due_at = due_at
    plan.round = round
    plan.save(update_fields=["due_at", "round", "updated_at"])
    return plan


# --- helpers ------------------------------------------------------------------------------------


def item_fingerprint(item: PlanItem) -> str:
    """What an item's edit form acts on (its last change): a form older than that is stale."""
    return item.updated_at.isoformat()


def _lock_plan(plan_id: int, acting_user) -> RectificationPlan:
    plan = (
        RectificationPlan.objects.select_for_update(of=("self",))
        .select_related("unit")
        .filter(pk=plan_id, sub_district_id=access.sub_district_id(acting_user))
        .first()
    )
    if plan is None or not access.can_see(acting_user, plan):
        raise PermissionDenied
    return plan


def _require(acting_user, plan: RectificationPlan, action: str) -> None:
    if not access.can_act(acting_user, plan, action):
        raise PermissionDenied(_("Your role does not allow this action on this plan."))


def _require_state(plan: RectificationPlan, *states: str) -> None:
    if plan.state not in states:
        raise Conflict(
            _("This plan is now “%(state)s”: that is not possible now. Nothing was changed.")
            % {"state": plan.get_state_display()},
            url=plan.get_absolute_url(),
        )


def _require_round(plan: RectificationPlan, expected_round) -> None:
    if expected_round is not None and int(expected_round) != plan.round:
        raise Conflict(
            _(
                "This plan was returned and submitted again since the page was opened. Nothing "
                "was changed."
            ),
            url=plan.get_absolute_url(),
        )


def _transition(plan: RectificationPlan, name: str, fields: list[str]) -> None:
    try:
        getattr(plan, name)()
        plan.save(update_fields=["state", "updated_at", *fields])
    except (TransitionNotAllowed, ConcurrentTransition):
        raise Conflict(
            _("Someone acted on this plan a moment ago. Nothing was changed."),
            url=plan.get_absolute_url(),
        ) from None


def _unit_of(plan: RectificationPlan, kind: str) -> int | None:
    return (
        Unit.objects.filter(sub_district_id=plan.sub_district_id, kind=kind, is_active=True)
        .values_list("pk", flat=True)
        .first()
    )


def _notify_unit(plan: RectificationPlan, unit_id: int | None, verb: str, title: str) -> None:
    if unit_id is None:
        return
    notify(
        sub_district_id=plan.sub_district_id,
        unit_id=unit_id,
        verb=verb,
        title=title,
        url=plan.get_absolute_url(),
        subject=plan,
    )


def _unit_name(plan: RectificationPlan) -> str:
    return plan.unit.short_name or plan.unit.name


def _audit(event_type: str, acting_user, plan: RectificationPlan, **payload) -> None:
    audit_record(
        event_type=event_type,
        actor=acting_user,
        subject=plan,
        sub_district=plan.sub_district_id,
        **payload,
    )


def community_members(unit_id: int):
    """The active people holding a community role in the unit: who may be named responsible."""
    from django.contrib.auth import get_user_model

    return (
        get_user_model()
        .objects.filter(
            is_active=True,
            pk__in=RoleAssignment.objects.filter(unit_id=unit_id, role__in=COMMUNITY_ROLES).values(
                "user_id"
            ),
        )
        .order_by("display_name", "username")
    )


def _responsible(plan: RectificationPlan, responsible_id) -> int:
    try:
        pk = int(responsible_id)
    except (TypeError, ValueError):
        pk = None
    if pk is None or not community_members(plan.unit_id).filter(pk=pk).exists():
        raise ValidationError(
            {"responsible": _("Name a person of the community as the responsible person.")}
        )
    return pk


def _milestones(
    milestones: Sequence[tuple[str, dt.date]], today: dt.date
) -> list[tuple[str, dt.date]]:
    """1–10 milestones, each a title and a date after today and within two years; by date."""
    if not milestones:
        raise ValidationError({"milestones": _("Give at least one milestone with its date.")})
    if len(milestones) > MAX_MILESTONES:
        raise ValidationError(
            {"milestones": _("At most %(n)s milestones per item.") % {"n": MAX_MILESTONES}}
        )
    last = today + dt.timedelta(days=MAX_MILESTONE_DAYS)
    out = []
    for n, (title, day) in enumerate(milestones, start=1):
        label = _("Milestone %(n)s") % {"n": n}
        title = clean_text(title, label=label, max_length=MAX_MILESTONE_TITLE)
        if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
            raise ValidationError({"milestones": _("%(field)s needs a date.") % {"field": label}})
        if day <= today:
            raise ValidationError(
                {"milestones": _("%(field)s: the date must be after today.") % {"field": label}}
            )
        if day > last:
            raise ValidationError(
                {
                    "milestones": _("%(field)s: the date must be within two years.")
                    % {"field": label}
                }
            )
        out.append((title, day))
    return sorted(out, key=lambda m: m[1])


def _clean_fields(plan, *, goal, measures, evidence_expected, responsible_id, milestones) -> dict:
    """The item's fields as they are to be stored, or one ValidationError naming every field."""
    errors: dict[str, list[str]] = {}
    values: dict = {}
    for name, value, label, limit, required in (
        ("goal", goal, _("Rectification goal"), MAX_GOAL, True),
        ("measures", measures, _("Rectification measures"), MAX_MEASURES, True),
        ("evidence_expected", evidence_expected, _("Evidence expected"), MAX_EVIDENCE, False),
    ):
        try:
            values[name] = clean_text(value, label=label, max_length=limit, required=required)
        except ValidationError as exc:
            errors[name] = exc.messages
    for name, check in (
        ("responsible_id", lambda: _responsible(plan, responsible_id)),
        ("milestones", lambda: _milestones(milestones, workdays.local_date(timezone.now()))),
    ):
        try:
            values[name] = check()
        except ValidationError as exc:
            field = "responsible" if name == "responsible_id" else name
            if not hasattr(exc, "error_dict"):
                errors.setdefault(field, []).extend(exc.messages)
                continue
            for key, messages in exc.message_dict.items():
                errors.setdefault(key if key != "__all__" else field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    return values


def _milestone_rows(item: PlanItem) -> list[tuple[str, dt.date]]:
    return [(m.title, m.due_date) for m in item.milestones.order_by("position")]


def _set_milestones(item: PlanItem, rows: list[tuple[str, dt.date]]) -> None:
    """Replace a draft item's milestones (nothing refers to them before acceptance)."""
    item.milestones.all().delete()
    Milestone.objects.bulk_create(
        Milestone(
            item=item,
            position=n,
            title=title,
            due_date=day,
            due_at=workdays.end_of_day(day),
            planned_date=day,
        )
        for n, (title, day) in enumerate(rows, start=1)
    )


def _snapshot(item: PlanItem, milestones) -> dict:
    return {
        "goal": item.goal,
        "measures": item.measures,
        "evidence_expected": item.evidence_expected,
        "responsible": item.responsible_id,
        "milestones": [[t, d.isoformat()] for t, d in milestones],
    }


def _lock_draft_item(item_id: int, acting_user) -> tuple[PlanItem, RectificationPlan]:
    plan_id = (
        PlanItem.objects.filter(
            pk=item_id, plan__sub_district_id=access.sub_district_id(acting_user)
        )
        .values_list("plan_id", flat=True)
        .first()
    )
    if plan_id is None:
        raise Conflict(_("This item is no longer in the plan. Nothing was changed."))
    plan = _lock_plan(plan_id, acting_user)
    _require(acting_user, plan, "draft")
    _require_state(plan, P.DRAFTING)
    item = PlanItem.objects.select_for_update().filter(pk=item_id, plan=plan).first()
    if item is None:
        raise Conflict(_("This item is no longer in the plan. Nothing was changed."))
    return item, plan


# --- the community drafts -----------------------------------------------------------------------


@transaction.atomic
def plan_item_save(
    *,
    item_id: int,
    acting_user,
    goal: str,
    measures: str,
    evidence_expected: str,
    responsible_id: int | None,
    milestones: Sequence[tuple[str, dt.date]],
    expected_updated: str | None,
) -> bool:
    """Save an item of the draft: goal, measures, evidence expected, responsible person and its
    milestones (which replace the earlier ones). The community's staff or secretary, while the
    plan is drafted. Unchanged, it changes and records nothing; returns whether it changed."""
    item, plan = _lock_draft_item(item_id, acting_user)
    if expected_updated is not None and expected_updated != item_fingerprint(item):
        raise Conflict(
            _("Someone changed this item since the page was opened. Nothing was changed."),
            url=plan.get_absolute_url(),
        )
    values = _clean_fields(
        plan,
        goal=goal,
        measures=measures,
        evidence_expected=evidence_expected,
        responsible_id=responsible_id,
        milestones=milestones,
    )
    current = _milestone_rows(item)
    before = _snapshot(item, current)
    new_rows = values.pop("milestones")
    fields = [k for k, v in values.items() if getattr(item, k) != v]
    if not fields and new_rows == current:
        return False
    for k in fields:
        setattr(item, k, values[k])
    if new_rows != current:
        _set_milestones(item, new_rows)
    item.save(update_fields=[*fields, "updated_at"])
    after = _snapshot(item, new_rows)
    audit_record(
        event_type="plan.item_saved",
        actor=acting_user,
        subject=item,
        sub_district=plan.sub_district_id,
        before={k: v for k, v in before.items() if v != after[k]},
        after={"position": item.position, **{k: v for k, v in after.items() if v != before[k]}},
    )
    return True


@transaction.atomic
def plan_item_add(
    *,
    plan_id: int,
    acting_user,
    problem: str,
    goal: str,
    measures: str,
    evidence_expected: str,
    responsible_id: int | None,
    milestones: Sequence[tuple[str, dt.date]],
    token: uuid.UUID | None = None,
) -> PlanItem:
    """An item of the community's own (a problem it found itself), at the end of the plan; the
    form's one-time token keeps a double click from adding it twice (409)."""
    plan = _lock_plan(plan_id, acting_user)
    _require(acting_user, plan, "draft")
    _require_state(plan, P.DRAFTING)
    errors = {}
    try:
        problem = clean_text(problem, label=_("Problem"), max_length=MAX_PROBLEM)
    except ValidationError as exc:
        errors["problem"] = exc.messages
    try:
        values = _clean_fields(
            plan,
            goal=goal,
            measures=measures,
            evidence_expected=evidence_expected,
            responsible_id=responsible_id,
            milestones=milestones,
        )
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    if token is not None:
        submissions.submission_claim(
            token=token, acting_user=acting_user, url=plan.get_absolute_url()
        )
    rows = values.pop("milestones")
    item = PlanItem.objects.create(
        plan=plan,
        position=next_position(plan),
        origin=PlanItemOrigin.OWN,
        source_kind=PlanItemSource.OWN,
        problem=problem,
        **values,
    )
    _set_milestones(item, rows)
    audit_record(
        event_type="plan.item_added",
        actor=acting_user,
        subject=item,
        sub_district=plan.sub_district_id,
        after={"position": item.position, "problem": problem, **_snapshot(item, rows)},
    )
    return item


@transaction.atomic
def plan_item_remove(*, item_id: int, acting_user) -> None:
    """Remove an item the community added itself, while the plan is drafted; the items after it
    move up one number. Fed-back problems cannot be removed (Art. 20)."""
    item, plan = _lock_draft_item(item_id, acting_user)
    if item.origin != PlanItemOrigin.OWN:
        raise ValidationError(_("A problem fed back to the community cannot be removed."))
    before = {
        "position": item.position,
        "problem": item.problem,
        **_snapshot(item, _milestone_rows(item)),
    }
    item.milestones.all().delete()
    item.delete()
    # One at a time, in order: each number is free when the next item takes it.
    for later in plan.items.filter(position__gt=before["position"]).order_by("position"):
        later.position -= 1
        later.save(update_fields=["position"])
    _audit("plan.item_removed", acting_user, plan, before=before)


def _incomplete(plan: RectificationPlan) -> list[int]:
    """The numbers of the items without goal, measures, responsible person or a milestone."""
    return [
        item.position
        for item in plan.items.prefetch_related("milestones").order_by("position")
        if not (
            item.goal.strip()
            and item.measures.strip()
            and item.responsible_id
            and item.milestones.all()
        )
    ]


@transaction.atomic
def plan_submit(*, plan_id: int, acting_user, expected_round: int | None) -> RectificationPlan:
    """提交: the community's secretary submits the complete plan to the Office (Art. 20); the
    draft step is done. The last review's comments stay on the items as history."""
    plan = _lock_plan(plan_id, acting_user)
    _require(acting_user, plan, "submit")
    _require_state(plan, P.DRAFTING)
    _require_round(plan, expected_round)
    missing = _incomplete(plan)
    if not plan.items.exists():
        raise ValidationError(_("The plan has no item."))
    if missing:
        raise ValidationError(
            _(
                "Every item needs its goal, measures, responsible person and at least one "
                "milestone; incomplete: item %(numbers)s."
            )
            % {"numbers": "、".join(str(n) for n in missing)}
        )
    now = timezone.now()
    plan.submitted_at = now
    plan.submitted_by = acting_user
    _transition(plan, "submit", ["submitted_at", "submitted_by"])
    # The rework asked for is done with this submission; the comment stays as history.
    plan.items.filter(needs_rework=True).update(needs_rework=False, updated_at=now)
    _audit(
        "plan.submitted",
        acting_user,
        plan,
        before={"state": P.DRAFTING},
        after={"state": plan.state, "round": plan.round, "submitted_at": now},
    )
    _notify_unit(
        plan,
        _unit_of(plan, UnitKind.OFFICE),
        "plan.submitted",
        _("Rectification plan of %(unit)s (%(year)s) submitted for review")
        % {"unit": _unit_name(plan), "year": plan.year},
    )
    steps.done(subject=plan, step=plan_steps.STEP_SUBMITTED, acting_user=acting_user)
    return plan


# --- the Office reviews, the Leading Group accepts -----------------------------------------------


def _clean_comments(plan: RectificationPlan, comments: Mapping) -> dict[int, str]:
    """The non-empty comments by item id; an id not of this plan is an error."""
    ids = set(plan.items.values_list("pk", flat=True))
    out = {}
    for raw_id, text in comments.items():
        try:
            item_id = int(raw_id)
        except (TypeError, ValueError):
            item_id = None
        if item_id not in ids:
            raise Conflict(
                _("An item commented on is no longer in the plan. Nothing was changed."),
                url=plan.get_absolute_url(),
            )
        text = clean_text(text, label=_("Comment"), max_length=MAX_COMMENT, required=False)
        if text:
            out[item_id] = text
    return out


def _return(
    plan: RectificationPlan,
    acting_user,
    *,
    level: str,
    comments: dict[int, str],
    reason: str,
    step: str,
) -> RectificationPlan:
    """Send the plan back to the community: the items commented on are to be reworked."""
    if not comments and not reason:
        raise ValidationError(
            _("Say why the plan is returned: a comment on an item to rework, or a reason.")
        )
    now = timezone.now()
    before_state = plan.state
    items = list(plan.items.order_by("position"))
    for item in items:
        item.needs_rework = item.pk in comments
        if item.pk in comments:
            item.review_comment = comments[item.pk]
        # Forms opened before the return are stale: they did not show the comment.
        item.updated_at = now
    PlanItem.objects.bulk_update(items, ["needs_rework", "review_comment", "updated_at"])
    plan.returned_at = now
    plan.returned_by = acting_user
    plan.return_level = level
    plan.return_reason = reason
    _transition(plan, "send_back", ["returned_at", "returned_by", "return_level", "return_reason"])
    positions = {i.pk: i.position for i in items}
    _audit(
        "plan.returned",
        acting_user,
        plan,
        before={"state": before_state},
        after={
            "state": plan.state,
            "round": plan.round,
            "level": level,
            "reason": reason,
            "comments": {str(positions[pk]): text for pk, text in comments.items()},
        },
    )
    _notify_unit(
        plan,
        plan.unit_id,
        "plan.returned",
        _("Your rectification plan (%(year)s) was returned for rework") % {"year": plan.year},
    )
    steps.done(subject=plan, step=step, acting_user=acting_user)
    plan.refresh_from_db()  # the draft step reopened: its round and due time
    return plan


@transaction.atomic
def plan_review(
    *,
    plan_id: int,
    acting_user,
    decision: str,
    comments: Mapping[int, str],
    reason: str,
    expected_round: int | None = None,
) -> RectificationPlan:
    """审核: the Office passes the submitted plan on to the Leading Group, or returns it to the
    community with a comment per item to rework and/or a reason (Art. 20)."""
    plan = _lock_plan(plan_id, acting_user)
    _require(acting_user, plan, "review")
    _require_state(plan, P.SUBMITTED)
    _require_round(plan, expected_round)
    reason = clean_text(reason, label=_("Reason"), max_length=MAX_COMMENT, required=False)
    comments = _clean_comments(plan, comments)
    if decision == RETURN:
        return _return(
            plan,
            acting_user,
            level="office",
            comments=comments,
            reason=reason,
            step=plan_steps.STEP_OFFICE_RETURNED,
        )
    if decision != ACCEPT:
        raise ValidationError(_("Choose to pass the plan on or to return it."))
    if comments:
        raise ValidationError(
            _("Comments on items go with a return: clear them to pass the plan on.")
        )
    now = timezone.now()
    plan.reviewed_at = now
    plan.reviewed_by = acting_user
    plan.office_opinion = reason
    _transition(plan, "office_accept", ["reviewed_at", "reviewed_by", "office_opinion"])
    _audit(
        "plan.office_accepted",
        acting_user,
        plan,
        before={"state": P.SUBMITTED},
        after={"state": plan.state, "round": plan.round, "reason": reason},
    )
    _notify_unit(
        plan,
        _unit_of(plan, UnitKind.LEADING_GROUP),
        "plan.reviewed",
        _("Rectification plan of %(unit)s (%(year)s) for acceptance")
        % {"unit": _unit_name(plan), "year": plan.year},
    )
    steps.done(subject=plan, step=plan_steps.STEP_OFFICE_ACCEPTED, acting_user=acting_user)
    return plan


def milestone_title(milestone: Milestone, item: PlanItem) -> str:
    return _("Rectification milestone: %(title)s (%(problem)s)") % {
        "title": milestone.title,
        "problem": Truncator(item.problem).chars(30),
    }


@transaction.atomic
def plan_accept(
    *,
    plan_id: int,
    acting_user,
    decision: str,
    reason: str,
    expected_round: int | None = None,
) -> RectificationPlan:
    """审定: the Leading Group accepts the plan (every item is then carried out and each
    milestone is in the community's 待办 with its due time), or returns it (Art. 20)."""
    plan = _lock_plan(plan_id, acting_user)
    _require(acting_user, plan, "accept")
    _require_state(plan, P.REVIEWED)
    _require_round(plan, expected_round)
    reason = clean_text(reason, label=_("Reason"), max_length=MAX_COMMENT, required=False)
    if decision == RETURN:
        return _return(
            plan,
            acting_user,
            level="leading_group",
            comments={},
            reason=reason,
            step=plan_steps.STEP_LG_RETURNED,
        )
    if decision != ACCEPT:
        raise ValidationError(_("Choose to accept the plan or to return it."))
    now = timezone.now()
    plan.accepted_at = now
    plan.accepted_by = acting_user
    _transition(plan, "accept", ["accepted_at", "accepted_by"])
    items = list(plan.items.select_for_update().order_by("position"))
    milestones = list(
        Milestone.objects.filter(item__plan=plan).order_by("item__position", "position")
    )
    by_item = {i.pk: i for i in items}
    try:
        for item in items:
            item.start()
            item.needs_rework = False
            item.save(update_fields=["state", "needs_rework", "updated_at"])
    except (TransitionNotAllowed, ConcurrentTransition):
        raise Conflict(
            _("An item of this plan is already being carried out. Nothing was changed."),
            url=plan.get_absolute_url(),
        ) from None
    milestone_type = ContentType.objects.get_for_model(Milestone)
    for m in milestones:
        m.item = by_item[m.item_id]
    workitems.open_items(
        workitems.NewItem(
            kind=WI_MILESTONE,
            subject_type=milestone_type,
            subject_id=m.pk,
            owner_unit_id=plan.unit_id,
            sub_district_id=plan.sub_district_id,
            title=milestone_title(m, m.item),
            url=m.get_absolute_url(),
            due_at=m.due_at,
        )
        for m in milestones
    )
    _audit(
        "plan.accepted",
        acting_user,
        plan,
        before={"state": P.REVIEWED},
        after={
            "state": plan.state,
            "round": plan.round,
            "reason": reason,
            "items": len(items),
            "milestones": len(milestones),
        },
    )
    _notify_unit(
        plan,
        plan.unit_id,
        "plan.accepted",
        _("Your rectification plan (%(year)s) was accepted: carry it out") % {"year": plan.year},
    )
    steps.done(subject=plan, step=plan_steps.STEP_ACCEPTED, acting_user=acting_user)
    return plan
