"""The communities' self-evaluation (自查自评, Art. 15): opened by the year-end process per
community and round, drafted by the community's staff (经办人), submitted by its Party secretary
(书记), who may send it back with a comment. Submitted after its due time it is accepted and
marked late (Art. 12). Submitting finishes the process step (core.steps)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, F, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, TransitionNotAllowed

from core import access, evidence, steps
from core.errors import Conflict
from core.models import Evidence, Role

from ..models import (
    AssessmentYear,
    Indicator,
    Report,
    SelfEvaluation,
    SelfEvaluationState,
    SelfScore,
    YearStatus,
)
from .common import MAX_REASON, assessed_unit, audit, clean_text, parse_points, with_files

STEP_SUBMITTED = "selfeval.submitted"


# --- opening (called by the orchestration) ------------------------------------------------------


def _reports_note(filed: int, required: int, late: int, last) -> str:
    """The line a note starts with: what the community filed for the indicator (Art. 12)."""
    if not required:
        return ""
    if not filed:
        return _("No report filed (%(required)s required).") % {"required": required}
    text = _(
        "%(filed)s of %(required)s reports filed, %(late)s of them late; last filed on %(last)s."
    )
    return text % {
        "filed": filed,
        "required": required,
        "late": late,
        "last": timezone.localtime(last).strftime("%Y-%m-%d"),
    }


def _prefill_notes(year: AssessmentYear, unit_id: int, indicators) -> dict[int, str]:
    """One note per indicator, from the unit's reports of the year (one grouped query)."""
    rows = (
        Report.objects.filter(year=year, unit_id=unit_id)
        .values("indicator_id")
        .annotate(
            filed=Count("pk", filter=Q(submitted_at__isnull=False)),
            late=Count("pk", filter=Q(submitted_at__gt=F("due_at"))),
            last=Max("submitted_at"),
        )
    )
    by_indicator = {r["indicator_id"]: r for r in rows}
    notes = {}
    for ind in indicators:
        r = by_indicator.get(ind.pk, {})
        notes[ind.pk] = _reports_note(
            r.get("filed", 0), ind.required_reports, r.get("late", 0), r.get("last")
        )
    return notes


def attachments_of(selfeval: SelfEvaluation) -> list[Evidence]:
    """The special report's attachments, in the order they came."""
    return list(
        Evidence.objects.filter(
            subject_type=ContentType.objects.get_for_model(SelfEvaluation),
            subject_id=selfeval.pk,
        ).order_by("id")
    )


@with_files
def selfeval_open(*, year, unit_id: int, due_at, round: int) -> SelfEvaluation:
    """A community's self-evaluation opens (idempotent per year, unit and round). Round 1 starts
    with a note per indicator on the reports the community filed; a later round starts from the
    previous round's report, attachments, scores and notes, which stay as they were."""
    year = year if isinstance(year, AssessmentYear) else AssessmentYear.objects.get(pk=year)
    existing = SelfEvaluation.objects.filter(year=year, unit_id=unit_id, round=round).first()
    if existing is not None:
        return existing
    assessed_unit(year, unit_id)
    previous = (
        SelfEvaluation.objects.filter(year=year, unit_id=unit_id, round__lt=round)
        .order_by("-round")
        .first()
    )
    row = SelfEvaluation.objects.create(
        year=year,
        unit_id=unit_id,
        round=round,
        due_at=due_at,
        report=previous.report if previous else "",
    )
    indicators = list(Indicator.objects.filter(year=year).order_by("sort_order", "code"))
    if previous is not None:
        kept = {s.indicator_id: s for s in previous.scores.all()}
        SelfScore.objects.bulk_create(
            SelfScore(
                selfeval=row,
                indicator=ind,
                score=kept[ind.pk].score if ind.pk in kept else None,
                note=kept[ind.pk].note if ind.pk in kept else "",
            )
            for ind in indicators
        )
        for original in attachments_of(previous):
            try:
                evidence.store_copy(original, subject=row, user=original.uploaded_by)
            except (Conflict, OSError):
                # A file whose bytes are gone or changed is not carried over: the community
                # attaches it again; the previous round keeps its record.
                continue
    else:
        notes = _prefill_notes(year, unit_id, indicators)
        SelfScore.objects.bulk_create(
            SelfScore(selfeval=row, indicator=ind, note=notes[ind.pk]) for ind in indicators
        )
    return row


# --- the community's steps ------------------------------------------------------------------


def _lock(selfeval_id: int, acting_user, expected_version) -> SelfEvaluation:
    row = (
        SelfEvaluation.objects.select_for_update(of=("self",))
        .select_related("year", "unit")
        .filter(pk=selfeval_id, year__sub_district_id=acting_user.sub_district_id)
        .first()
    )
    if row is None or not is_community_member(acting_user, row):
        raise PermissionDenied
    if row.year.status != YearStatus.YEAR_END:
        raise Conflict(
            _("The self-evaluation is done during the year-end appraisal. Nothing was changed."),
            url=row.get_absolute_url(),
        )
    if expected_version is None or int(expected_version) != row.version:
        raise Conflict(
            _(
                "Someone changed this self-evaluation since the page was opened. Nothing was "
                "changed."
            ),
            url=row.get_absolute_url(),
        )
    return row


def is_community_member(user, selfeval: SelfEvaluation) -> bool:
    return access.has_role(
        user, Role.COMMUNITY_STAFF, Role.COMMUNITY_SECRETARY, unit=selfeval.unit_id
    )


def is_staff(user, selfeval: SelfEvaluation) -> bool:
    return access.has_role(user, Role.COMMUNITY_STAFF, unit=selfeval.unit_id)


def is_secretary(user, selfeval: SelfEvaluation) -> bool:
    return access.has_role(user, Role.COMMUNITY_SECRETARY, unit=selfeval.unit_id)


def _require_state(row: SelfEvaluation, *states: str) -> None:
    if row.state not in states:
        raise Conflict(
            _("This self-evaluation is %(state)s: that is not possible now. Nothing was changed.")
            % {"state": row.get_state_display()},
            url=row.get_absolute_url(),
        )


def _transition(row: SelfEvaluation, name: str, fields: list[str]) -> None:
    try:
        getattr(row, name)()
        row.version += 1
        row.save(update_fields=["state", "version", *fields])
    except (TransitionNotAllowed, ConcurrentTransition):
        raise Conflict(
            _("Someone changed this self-evaluation meanwhile. Nothing was changed."),
            url=row.get_absolute_url(),
        ) from None


def _require_complete(row: SelfEvaluation) -> None:
    """Every indicator of the catalogue has a self-score, and the special report has text or an
    attachment (Art. 15)."""
    missing = list(
        Indicator.objects.filter(year=row.year)
        .exclude(pk__in=row.scores.filter(score__isnull=False).values("indicator_id"))
        .order_by("sort_order", "code")
        .values_list("name", flat=True)
    )
    errors = []
    if missing:
        errors.append(
            _("Give a self-score for every indicator; missing: %(names)s.")
            % {"names": "、".join(missing)}
        )
    if not row.report.strip() and not attachments_of(row):
        errors.append(_("Write the special report or attach it."))
    if errors:
        raise ValidationError(errors)


def _cell(score: Decimal | None, note: str) -> dict:
    return {"score": None if score is None else str(score), "note": note}


@with_files
def selfeval_save(
    *,
    selfeval_id: int,
    acting_user,
    report: str,
    scores: Mapping[int, tuple[str, str]],
    expected_version,
    files: Sequence = (),
    remove_files: Iterable[int] = (),
) -> bool:
    """Save the draft: the special report, attachments added or removed, and the self-score and
    note of each indicator given (score "" clears it). Staff or secretary of the community, while
    it is a draft. An unchanged save changes and records nothing; returns whether it changed."""
    row = _lock(selfeval_id, acting_user, expected_version)
    _require_state(row, SelfEvaluationState.DRAFT)
    errors: dict[str, list[str]] = {}
    try:
        report = clean_text(report, label=_("Special report"), required=False)
    except ValidationError as exc:
        errors["report"] = exc.messages
    indicators = {i.pk: i for i in Indicator.objects.filter(year=row.year)}
    existing = {s.indicator_id: s for s in row.scores.all()}
    changed: dict[int, tuple[Decimal | None, str]] = {}
    for indicator_id, (raw, note) in scores.items():
        ind = indicators.get(int(indicator_id))
        if ind is None:
            raise ValidationError(_("Choose an indicator of this year's catalogue."))
        raw = str(raw if raw is not None else "").strip()
        try:
            value = (
                parse_points(raw, label=ind.name, low=Decimal("0"), high=ind.max_points)
                if raw
                else None
            )
        except ValidationError as exc:
            errors[f"s-{ind.pk}"] = exc.messages
            continue
        try:
            note = clean_text(
                note, label=f"{ind.name} · {_('Note')}", max_length=MAX_REASON, required=False
            )
        except ValidationError as exc:
            errors[f"n-{ind.pk}"] = exc.messages
            continue
        current = existing.get(ind.pk)
        if current is None or current.score != value or current.note != note:
            changed[ind.pk] = (value, note)
    if errors:
        raise ValidationError(errors)
    checked = evidence.check_uploads(files)
    attached = attachments_of(row)
    remove = {int(pk) for pk in remove_files}
    removed = [e for e in attached if e.pk in remove]
    evidence.check_file_count(len(checked), len(attached) - len(removed))
    report_changed = report != row.report
    if not (changed or report_changed or checked or removed):
        return False

    before: dict = {}
    after: dict = {}
    if report_changed:
        before["report"], after["report"] = row.report, report
        row.report = report
    if changed:
        codes = {pk: indicators[pk].code for pk in changed}
        before["scores"] = {
            codes[pk]: _cell(existing[pk].score, existing[pk].note)
            for pk in changed
            if pk in existing
        }
        after["scores"] = {codes[pk]: _cell(*changed[pk]) for pk in changed}
        updates, creates = [], []
        for pk, (value, note) in changed.items():
            if pk in existing:
                existing[pk].score, existing[pk].note = value, note
                updates.append(existing[pk])
            else:
                creates.append(SelfScore(selfeval=row, indicator_id=pk, score=value, note=note))
        SelfScore.objects.bulk_update(updates, ["score", "note"])
        SelfScore.objects.bulk_create(creates)
    if removed:
        before["files"] = [{"name": e.original_name, "sha256": e.sha256} for e in removed]
        paths = [evidence.path_of(e) for e in removed]
        Evidence.objects.filter(pk__in=[e.pk for e in removed]).delete()
        transaction.on_commit(lambda: [p.unlink(missing_ok=True) for p in paths])
    if checked:
        after["files"] = [
            {"name": e.original_name, "sha256": e.sha256, "size": e.size}
            for e in (
                evidence.store(
                    c, subject=row, sub_district_id=row.year.sub_district_id, user=acting_user
                )
                for c in checked
            )
        ]
    row.version += 1
    row.save(update_fields=["report", "version"])
    audit(
        "appraisal.selfeval_saved",
        actor=acting_user,
        subject=row,
        year=row.year,
        before=before,
        after={"round": row.round, **after},
    )
    return True


@transaction.atomic
def selfeval_to_secretary(*, selfeval_id: int, acting_user, expected_version) -> SelfEvaluation:
    """提交书记审核: the community's staff hands the complete draft to its Party secretary."""
    row = _lock(selfeval_id, acting_user, expected_version)
    if not is_staff(acting_user, row):
        raise PermissionDenied
    _require_state(row, SelfEvaluationState.DRAFT)
    _require_complete(row)
    _transition(row, "to_secretary", [])
    audit(
        "appraisal.selfeval_to_secretary",
        actor=acting_user,
        subject=row,
        year=row.year,
        before={"state": SelfEvaluationState.DRAFT},
        after={"state": row.state, "round": row.round},
    )
    return row


@transaction.atomic
def selfeval_send_back(
    *, selfeval_id: int, acting_user, comment: str, expected_version
) -> SelfEvaluation:
    """退回: the Party secretary returns the self-evaluation to the staff with a comment."""
    row = _lock(selfeval_id, acting_user, expected_version)
    if not is_secretary(acting_user, row):
        raise PermissionDenied
    _require_state(row, SelfEvaluationState.WITH_SECRETARY)
    comment = clean_text(comment, label=_("Comment"), max_length=MAX_REASON)
    row.returned_comment = comment
    _transition(row, "send_back", ["returned_comment"])
    audit(
        "appraisal.selfeval_sent_back",
        actor=acting_user,
        subject=row,
        year=row.year,
        before={"state": SelfEvaluationState.WITH_SECRETARY},
        after={"state": row.state, "round": row.round, "returned_comment": comment},
    )
    return row


@transaction.atomic
def selfeval_submit(*, selfeval_id: int, acting_user, expected_version) -> SelfEvaluation:
    """提交: the Party secretary submits the self-evaluation (from her review, or a draft she
    wrote herself); after its due time it is accepted and marked late (Art. 12). The process
    step is finished in the same transaction."""
    row = _lock(selfeval_id, acting_user, expected_version)
    if not is_secretary(acting_user, row):
        raise PermissionDenied
    before = row.state
    _require_state(row, SelfEvaluationState.DRAFT, SelfEvaluationState.WITH_SECRETARY)
    _require_complete(row)
    now = timezone.now()
    row.submitted_at = now
    row.submitted_by = acting_user
    row.late = now > row.due_at
    _transition(row, "submit", ["submitted_at", "submitted_by", "late"])
    audit(
        "appraisal.selfeval_submitted",
        actor=acting_user,
        subject=row,
        year=row.year,
        before={"state": before},
        after={
            "state": row.state,
            "round": row.round,
            "due_at": row.due_at,
            "submitted_at": now,
            "late": row.late,
        },
    )
    steps.done(subject=row, step=STEP_SUBMITTED, acting_user=acting_user)
    return row
