"""The year-end inputs: satisfaction tallies (scoring.md §4), the comprehensive evaluation
(Art. 17) and the Leading Group's full-marks exceptions (Art. 4)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core import access
from core.errors import Conflict

from ..domain.model import MAX_BALLOTS
from ..models import (
    AssessedUnit,
    AssessmentYear,
    Category,
    Comprehensive,
    FullMarksException,
    Vote,
    VoteKind,
)
from .common import MAX_REASON, audit, clean_text, guard_open, lock_year, parse_points


@transaction.atomic
def votes_save(*, year_id, acting_user, rows: Sequence[dict]) -> int:
    """rows: {unit_id, kind, satisfied, basically, dissatisfied} (whole numbers ≥ 0)."""
    year = lock_year(year_id, acting_user)
    access.require_action(acting_user, year, "inputs")
    guard_open(year)
    units = dict(AssessedUnit.objects.filter(year=year).values_list("unit_id", "code"))
    changes = []
    for row in rows:
        if row["unit_id"] not in units or row["kind"] not in VoteKind.values:
            raise ValidationError(_("Unknown community or vote kind."))
        counts = {}
        for key in ("satisfied", "basically", "dissatisfied"):
            try:
                counts[key] = int(str(row.get(key, 0)).strip() or 0)
            except ValueError:
                raise ValidationError(
                    _("%(unit)s: “%(value)s” is not a whole number.")
                    % {"unit": units[row["unit_id"]], "value": str(row.get(key))[:40]}
                ) from None
            if counts[key] < 0:
                raise ValidationError(
                    _("%(unit)s: a vote count cannot be negative.")
                    % {"unit": units[row["unit_id"]]}
                )
            if counts[key] > MAX_BALLOTS:
                raise ValidationError(
                    _("%(unit)s: a vote count cannot exceed %(max)s.")
                    % {"unit": units[row["unit_id"]], "max": MAX_BALLOTS}
                )
        vote = Vote.objects.filter(year=year, unit_id=row["unit_id"], kind=row["kind"]).first()
        if vote is None and not any(counts.values()):
            continue  # no ballots yet and none entered: the page saved as it was (无选票)
        created = vote is None
        if created:
            vote = Vote(year=year, unit_id=row["unit_id"], kind=row["kind"])
        before = {k: getattr(vote, k) for k in counts}
        if created or before != counts:
            for k, v in counts.items():
                setattr(vote, k, v)
            vote.save(update_fields=None if created else list(counts))
            changes.append({"unit": units[row["unit_id"]], "kind": row["kind"], **counts})
    if changes:
        audit("appraisal.votes_saved", actor=acting_user, subject=year, year=year, after=changes)
    return len(changes)


@transaction.atomic
def comprehensive_import_check(*, year_id, acting_user) -> tuple[AssessmentYear, list]:
    """Whether the user may import the comprehensive evaluation now (404, 403, 409), before a
    file is read: the year and its assessed communities, to match the file's codes against."""
    year = lock_year(year_id, acting_user)
    access.require_action(acting_user, year, "inputs")
    guard_open(year)
    assessed = list(AssessedUnit.objects.filter(year=year).select_related("unit"))
    if not assessed:
        raise Conflict(
            _("%(year)s has no assessed communities yet: they are fixed when the year starts.")
            % {"year": year.year}
        )
    return year, assessed


@transaction.atomic
def comprehensive_save(*, year_id, acting_user, rows: Sequence[dict]) -> int:
    """rows: {unit_id, score ("" = none), advanced} — the comprehensive evaluation (Art. 17)."""
    year = lock_year(year_id, acting_user)
    access.require_action(acting_user, year, "inputs")
    guard_open(year)
    units = dict(AssessedUnit.objects.filter(year=year).values_list("unit_id", "code"))
    existing = {c.unit_id: c for c in Comprehensive.objects.filter(year=year)}
    changes = []
    for row in rows:
        if row["unit_id"] not in units:
            raise ValidationError(_("Unknown community."))
        code = units[row["unit_id"]]
        raw = str(row.get("score", "")).strip()
        current = existing.get(row["unit_id"])
        if not raw:
            if current is not None:
                current.delete()
                changes.append({"unit": code, "score": None})
            continue
        score = parse_points(raw, label=code, low=Decimal(0), high=Decimal(100))
        advanced = bool(row.get("advanced"))
        if current is None:
            Comprehensive.objects.create(
                year=year, unit_id=row["unit_id"], score=score, advanced=advanced
            )
        elif current.score == score and current.advanced == advanced:
            continue
        else:
            current.score, current.advanced = score, advanced
            current.save(update_fields=["score", "advanced"])
        changes.append({"unit": code, "score": score, "advanced": advanced})
    if changes:
        audit(
            "appraisal.comprehensive_saved",
            actor=acting_user,
            subject=year,
            year=year,
            after=changes,
        )
    return len(changes)


@transaction.atomic
def full_marks_exception_record(*, year_id, acting_user, category_id, reason) -> FullMarksException:
    """The Leading Group allows a category more full marks than the cap (Art. 4), with a reason."""
    year = lock_year(year_id, acting_user)
    access.require_action(acting_user, year, "decide")
    guard_open(year)
    category = Category.objects.filter(year=year, pk=category_id).first()
    if category is None:
        raise ValidationError(_("Choose a category of this year."))
    reason = clean_text(reason, label=_("Reason"), max_length=MAX_REASON)
    exc, _created = FullMarksException.objects.update_or_create(
        year=year, category=category, defaults={"reason": reason, "recorded_by": acting_user}
    )
    audit(
        "appraisal.full_marks_exception",
        actor=acting_user,
        subject=exc,
        year=year,
        after={"category": category.code, "reason": reason},
    )
    return exc


@transaction.atomic
def inputs_save(
    *, year_id, acting_user, votes: Sequence[dict], comprehensive: Sequence[dict]
) -> int:
    """The inputs page in one go: the satisfaction tallies and the comprehensive evaluation are
    saved together or not at all (a wrong score keeps the votes of the same submit unsaved)."""
    changed = votes_save(year_id=year_id, acting_user=acting_user, rows=votes)
    return changed + comprehensive_save(
        year_id=year_id, acting_user=acting_user, rows=comprehensive
    )
