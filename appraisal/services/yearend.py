"""The Leading Group's decision (Art. 16) and what follows for the bottom units (Art. 18), as
steps of the year-end process: the orchestration opens them (decision_open, interview_open);
these services decide and write, and tell the orchestration through core.steps when a step is
done."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import steps
from core.errors import Conflict
from rectification import services as notices
from rectification.models import NoticeKind

from .. import policies
from ..models import (
    AssessedUnit,
    AssessmentYear,
    Category,
    Decision,
    DecisionState,
    Interview,
    InterviewState,
)
from .common import MAX_REASON, audit, clean_text, office_unit
from .year import year_decide

MAX_RECORD = 20_000
RETURN_STEPS = ("selfeval", "verify", "votes")
# Art. 18: the bottom units' 督办单 get the notices' usual deadlines (the demo's and the form's
# defaults): a written reply in 5 working days, the measures in 15.
BOTTOM_REPLY_WORKDAYS = 5
BOTTOM_MEASURES_WORKDAYS = 15


def _year(year) -> AssessmentYear:
    return year if isinstance(year, AssessmentYear) else AssessmentYear.objects.get(pk=year)


def decision_open(*, year, due_at, round) -> Decision:
    """The Leading Group's decision task opens (called by the orchestration; idempotent)."""
    decision, _created = Decision.objects.get_or_create(
        year=_year(year), round=round, defaults={"due_at": due_at}
    )
    return decision


def _lock_decision(decision_id, acting_user, expected_version) -> Decision:
    decision = (
        Decision.objects.select_for_update()
        .select_related("year")
        .filter(pk=decision_id, year__sub_district_id=acting_user.sub_district_id)
        .first()
    )
    if decision is None:
        raise PermissionDenied
    if not policies.is_leader(acting_user):
        raise PermissionDenied
    url = decision.get_absolute_url()
    if decision.state != DecisionState.OPEN:
        raise Conflict(_("The Leading Group has decided this round already."), url=url)
    if expected_version is not None and expected_version != decision.version:
        raise Conflict(
            _("The decision page changed since it was opened. Nothing was done."), url=url
        )
    return decision


@transaction.atomic
def decision_approve(
    *, decision_id: int, acting_user, expected_version: int | None, override_reason=None
) -> Decision:
    """批准: the results are fixed as of now (年末考核 → 已决定, Art. 16). The year's own checks
    apply (the full-marks cap, undecided claims and findings, periods not yet due)."""
    decision = _lock_decision(decision_id, acting_user, expected_version)
    year = year_decide(
        year_id=decision.year_id,
        acting_user=acting_user,
        expected_status="year_end",
        override_reason=override_reason,
    )
    decision.state = DecisionState.APPROVED
    decision.decided_at = year.as_of
    decision.decided_by = acting_user
    decision.version += 1
    decision.save(update_fields=["state", "decided_at", "decided_by", "version"])
    audit(
        "appraisal.decision_approved",
        actor=acting_user,
        subject=decision,
        year=year,
        after={"round": decision.round, "as_of": year.as_of.isoformat()},
    )
    steps.done(subject=decision, step="decision.approved", acting_user=acting_user)
    return decision


def clean_target(year: AssessmentYear, target: dict) -> dict:
    """The step a return names, checked against the year (ValidationError in Chinese)."""
    step = (target or {}).get("step")
    if step not in RETURN_STEPS:
        raise ValidationError(_("Choose the step the results go back to."))
    if step == "selfeval":
        ids = sorted({int(i) for i in target.get("units") or []})
        known = set(
            AssessedUnit.objects.filter(year=year, unit_id__in=ids).values_list(
                "unit_id", flat=True
            )
        )
        if not ids:
            raise ValidationError(_("Choose the communities whose self-evaluation is redone."))
        if known != set(ids):
            raise ValidationError(_("Choose communities assessed this year."))
        return {"step": step, "units": ids}
    if step == "verify":
        ids = sorted({int(i) for i in target.get("categories") or []})
        known = set(Category.objects.filter(year=year, pk__in=ids).values_list("pk", flat=True))
        if not ids:
            raise ValidationError(_("Choose the categories the joint team verifies again."))
        if known != set(ids):
            raise ValidationError(_("Choose categories of this year."))
        return {"step": step, "categories": ids}
    return {"step": step}


@transaction.atomic
def decision_return(
    *, decision_id: int, acting_user, target: dict, reason: str, expected_version: int | None
) -> Decision:
    """退回: the process goes back to a named earlier step (the self-evaluation of named
    communities, the verification of named categories, or the votes), with a reason; what was
    entered is kept and shown as the previous round."""
    decision = _lock_decision(decision_id, acting_user, expected_version)
    year = decision.year
    if year.status != "year_end":
        raise Conflict(_("The year moved on: nothing can be returned now."))
    target = clean_target(year, target)
    reason = clean_text(reason, label=_("Reason"), max_length=MAX_REASON)
    decision.state = DecisionState.RETURNED
    decision.decided_at = timezone.now()
    decision.decided_by = acting_user
    decision.return_target = target
    decision.reason = reason
    decision.version += 1
    decision.save(
        update_fields=["state", "decided_at", "decided_by", "return_target", "reason", "version"]
    )
    audit(
        "appraisal.decision_returned",
        actor=acting_user,
        subject=decision,
        year=year,
        after={"round": decision.round, "target": target, "reason": reason},
    )
    steps.done(subject=decision, step="decision.returned", acting_user=acting_user, target=target)
    return decision


# --- the bottom units (Art. 18) -------------------------------------------------------------------


def bottom_units(*, computed) -> list[int]:
    """The units in the penalised bottom positions (scoring.md §6: bottom position ≤ the length
    of the year's bottom penalty list), ties included (a shared position is shared)."""
    results = computed.results
    positions = results.settings.penalised_positions
    codes = [u.unit_id for u in results.units if u.bottom_position <= positions]  # unit codes
    return sorted(
        AssessedUnit.objects.filter(year=computed.year, code__in=codes).values_list(
            "unit_id", flat=True
        )
    )


def interview_open(*, year, unit_id: int, due_at) -> Interview:
    """The Office's interview task opens for a bottom unit (called by the orchestration)."""
    interview, _created = Interview.objects.get_or_create(
        year=_year(year), unit_id=unit_id, defaults={"due_at": due_at}
    )
    return interview


@transaction.atomic
def interview_record(
    *,
    interview_id: int,
    acting_user,
    held_on: dt.date,
    participants: str,
    content: str,
    expected_version: int | None,
) -> Interview:
    """约谈 recorded by the Office: when, who took part, what was said and required."""
    interview = (
        Interview.objects.select_for_update()
        .select_related("year", "unit")
        .filter(pk=interview_id, year__sub_district_id=acting_user.sub_district_id)
        .first()
    )
    if interview is None or not policies.is_office(acting_user):
        raise PermissionDenied
    url = interview.get_absolute_url()
    if interview.state == InterviewState.RECORDED:
        raise Conflict(_("This interview was recorded already."), url=url)
    if expected_version is not None and expected_version != interview.version:
        raise Conflict(_("The interview changed since the page was opened."), url=url)
    today = timezone.localdate()
    errors = {}
    if held_on is None:
        errors["held_on"] = _("Give the date of the interview.")
    elif held_on > today or held_on.year < interview.year.year:
        errors["held_on"] = _(
            "The interview is held after the assessment year and not later than today."
        )
    try:
        participants = clean_text(participants, label=_("Participants"), max_length=MAX_REASON)
    except ValidationError as exc:
        errors["participants"] = exc.messages[0]
    try:
        content = clean_text(content, label=_("Content"), max_length=MAX_RECORD)
    except ValidationError as exc:
        errors["content"] = exc.messages[0]
    if errors:
        raise ValidationError(errors)
    interview.held_on = held_on
    interview.participants = participants
    interview.content = content
    interview.state = InterviewState.RECORDED
    interview.recorded_by = acting_user
    interview.recorded_at = timezone.now()
    interview.version += 1
    interview.save(
        update_fields=[
            "held_on",
            "participants",
            "content",
            "state",
            "recorded_by",
            "recorded_at",
            "version",
        ]
    )
    audit(
        "appraisal.interview_recorded",
        actor=acting_user,
        subject=interview,
        year=interview.year,
        after={"unit": interview.unit.code, "held_on": held_on.isoformat()},
    )
    steps.done(subject=interview, step="interview.recorded", acting_user=acting_user)
    return interview


@transaction.atomic
def bottom_unit_notices_raise(*, year_id: int, acting_user, interviews) -> list:
    """Art. 18: each bottom unit is ordered to rectify — a 督办单 from the Office, issued at once
    with the usual deadlines, linked to its interview. Idempotent: an interview that has its
    notice raises none again."""
    year = AssessmentYear.objects.get(pk=year_id)
    office = office_unit(year)
    raised = []
    for interview in interviews:
        interview = (
            Interview.objects.select_for_update().select_related("unit").get(pk=interview.pk)
        )
        if interview.notice_id is not None:
            continue
        data = notices.NoticeInput(
            kind=NoticeKind.SUPERVISION,
            issuing_unit_id=office.pk,
            subject=f"{year.year}年度党建工作责任制考核排名末位整改督办",
            problem=(
                f"{interview.unit.name}在{year.year}年度党建工作责任制考核中排名末位。"
                "请对照考核结果书面反馈中指出的问题，逐项提出整改措施，按期书面答复（第十八条）。"
            ),
            basis="《街道党建工作责任制考核办法》第十八条",
            reply_due=notices.Deadline(workdays=BOTTOM_REPLY_WORKDAYS),
            measures_due=notices.Deadline(workdays=BOTTOM_MEASURES_WORKDAYS),
        )
        (notice,) = notices.notice_bulk_issue(
            acting_user=acting_user, data=data, target_ids=[interview.unit_id]
        )
        interview.notice = notice
        interview.save(update_fields=["notice"])
        audit(
            "appraisal.bottom_notice_raised",
            actor=acting_user,
            subject=interview,
            year=year,
            after={"unit": interview.unit.code, "notice": notice.pk, "number": notice.number},
        )
        raised.append(notice)
    return raised
