"""Department scoring (scoring.md §1, Art. 16): a lead department's grid, the joint team's verified
values, and the in-year additions, deductions and spot checks (Art. 10)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import Conflict
from rectification import services as notices

from .. import policies
from ..models import Adjustment, AssessedUnit, Category, Indicator, Score, SpotCheck, YearStatus
from .common import (
    MAX_REASON,
    MAX_TEXT,
    assessed_unit,
    audit,
    category_for_writer,
    clean_text,
    guard_open,
    lock_year,
    parse_points,
    require,
)


@dataclass(frozen=True)
class CellInput:
    unit_id: int
    indicator_id: int
    score: str  # "" clears the score
    comment: str = ""


@transaction.atomic
def scores_save(*, year_id: int, category_id: int, acting_user, cells: Sequence[CellInput]):
    """Save a department's grid: only its own category, every value in [0, max_points]."""
    year = lock_year(year_id, acting_user)
    category = Category.objects.filter(year=year, pk=category_id).first()
    if category is None:
        raise PermissionDenied
    require(policies.can_score(acting_user, category))
    guard_open(year)
    if year.status == YearStatus.PLANNING:
        raise Conflict(_("Scoring starts when the year is in progress."))
    return _save_grid(year, category, acting_user, cells, field="department_score")


@transaction.atomic
def verified_scores_save(
    *, year_id: int, category_id: int, acting_user, cells: Sequence[CellInput]
) -> int:
    """The joint team's verified values (联合考核组核定, Art. 16), entered by the Office at the
    year-end appraisal: where given, a verified value replaces the department's (scoring.md §1)."""
    year = lock_year(year_id, acting_user)
    category = Category.objects.filter(year=year, pk=category_id).first()
    if category is None:
        raise PermissionDenied
    require(policies.is_office(acting_user))
    guard_open(year)
    if year.status != YearStatus.YEAR_END and not year.inputs_closed:
        raise Conflict(_("The joint team's values are entered during the year-end appraisal."))
    from ..models import CategoryVerification

    verification = (
        CategoryVerification.objects.filter(year=year, category=category).order_by("-round").first()
    )
    if year.status == YearStatus.YEAR_END and verification is not None:
        # Art. 14: once the process runs, the joint team enters its values in its own task.
        raise Conflict(
            _("The joint team enters its values in its verification task of this category."),
            url=verification.get_absolute_url(),
        )
    return _save_grid(year, category, acting_user, cells, field="verified_score")


def _save_grid(year, category, acting_user, cells, *, field: str) -> int:
    indicators = {i.pk: i for i in Indicator.objects.filter(category=category)}
    units = dict(AssessedUnit.objects.filter(year=year).values_list("unit_id", "name"))
    existing = {
        (s.unit_id, s.indicator_id): s
        for s in Score.objects.select_for_update().filter(year=year, indicator__category=category)
    }
    verified = field == "verified_score"
    now = timezone.now()
    prefix = "v" if verified else "s"
    changes, errors = [], {}
    for cell in cells:
        ind = indicators.get(cell.indicator_id)
        if ind is None or cell.unit_id not in units:
            raise PermissionDenied
        # A refusal names the community and the indicator, keyed by the cell's input name so
        # that the page marks the cell (the whole grid is saved or nothing is).
        label = f"{units[cell.unit_id]} · {ind.code}"
        key = f"{cell.unit_id}-{ind.pk}"
        try:
            value = (
                None
                if str(cell.score).strip() == ""
                else parse_points(cell.score, label=label, low=Decimal(0), high=ind.max_points)
            )
        except ValidationError as exc:
            errors[f"{prefix}-{key}"] = exc.messages
            continue
        try:
            comment = clean_text(
                cell.comment,
                label=f"{label} · {_('Comment')}",
                max_length=MAX_REASON,
                required=False,
            )
        except ValidationError as exc:
            errors[f"c-{key}"] = exc.messages
            continue
        score = existing.get((cell.unit_id, ind.pk))
        if verified:
            comment = score.comment if score is not None else ""  # the department's comment
        if score is None:
            if value is None and not comment:
                continue
            score = Score(year=year, unit_id=cell.unit_id, indicator=ind)
        elif getattr(score, field) == value and score.comment == comment:
            continue
        before = getattr(score, field)
        changes.append(
            {
                "unit": cell.unit_id,
                "indicator": ind.code,
                "before": str(before) if before is not None else None,
                "after": str(value) if value is not None else None,
                **({} if verified else {"comment": comment}),
            }
        )
        setattr(score, field, value)
        score.comment = comment
        if not verified:
            score.scored_by = acting_user
            score.scored_at = now
        if score.pk is None:
            score.save(force_insert=True)
        else:
            updated = (
                [field, "comment"] if verified else [field, "comment", "scored_by", "scored_at"]
            )
            score.save(update_fields=updated)
    if errors:
        raise ValidationError(errors)
    if changes:
        audit(
            "appraisal.verified_scores_saved" if verified else "appraisal.scores_saved",
            actor=acting_user,
            subject=category,
            year=year,
            after={"category": category.code, "changes": changes},
        )
    return len(changes)


@transaction.atomic
def adjustment_add(
    *, year_id, acting_user, unit_id, category_id, points, reason, source, date
) -> Adjustment:
    """An in-year addition or deduction (加扣分, Art. 10) with reason, source and date."""
    year = lock_year(year_id, acting_user)
    category = category_for_writer(year, category_id, acting_user)
    guard_open(year)
    unit = assessed_unit(year, unit_id)
    points = parse_points(
        points, label=_("Points"), low=-category.max_points, high=category.max_points
    )
    if points == 0:
        raise ValidationError(_("An adjustment of 0 points changes nothing."))
    _within_year(year, date)
    adj = Adjustment.objects.create(
        year=year,
        unit=unit,
        category=category,
        points=points,
        reason=clean_text(reason, label=_("Reason"), max_length=MAX_REASON),
        source=clean_text(source, label=_("Source"), max_length=100),
        date=date,
        recorded_by=acting_user,
    )
    audit(
        "appraisal.adjustment_added",
        actor=acting_user,
        subject=adj,
        year=year,
        after={
            "unit": unit.code,
            "category": category.code,
            "points": points,
            "reason": adj.reason,
            "source": adj.source,
            "date": date,
        },
    )
    return adj


def _within_year(year, date) -> None:
    """Art. 10: an addition, deduction or spot check belongs to the year it happened in."""
    if date is None or date.year != year.year:
        raise ValidationError(
            {
                "date": _(
                    "Date: %(date)s is not in the assessment year %(year)s; choose a date "
                    "from %(year)s-01-01 to %(year)s-12-31."
                )
                % {"date": date.isoformat() if date else "—", "year": year.year}
            }
        )


@transaction.atomic
def adjustment_withdraw(*, adjustment_id, acting_user, reason) -> Adjustment:
    """Withdraw a wrong addition or deduction (Art. 10) with a reason: it stays on record, struck
    through, and no longer counts in the scores or the results. Who may record one may withdraw
    it; a second withdrawal (a page left open) is a conflict."""
    adj = Adjustment.objects.select_for_update().filter(pk=adjustment_id).first()
    if adj is None:
        raise PermissionDenied
    year = lock_year(adj.year_id, acting_user)
    category_for_writer(year, adj.category_id, acting_user)
    guard_open(year)
    url = reverse("appraisal:adjustments", args=[year.year])
    if adj.withdrawn_at is not None:
        raise Conflict(
            _("This adjustment was already withdrawn on %(when)s.")
            % {"when": timezone.localtime(adj.withdrawn_at).strftime("%Y-%m-%d %H:%M")},
            url=url,
        )
    adj.withdrawal_reason = clean_text(
        reason, label=_("Reason for withdrawal"), max_length=MAX_REASON
    )
    adj.withdrawn_at = timezone.now()
    adj.withdrawn_by = acting_user
    adj.save(update_fields=["withdrawal_reason", "withdrawn_at", "withdrawn_by"])
    audit(
        "appraisal.adjustment_withdrawn",
        actor=acting_user,
        subject=adj,
        year=year,
        before={"state": "recorded"},
        after={
            "state": "withdrawn",
            "unit": adj.unit.code,
            "category": adj.category.code,
            "points": adj.points,
            "reason": adj.withdrawal_reason,
        },
    )
    return adj


@transaction.atomic
def spot_check_add(
    *, year_id, acting_user, unit_id, category_id, indicator_id, date, findings
) -> SpotCheck:
    year = lock_year(year_id, acting_user)
    category = category_for_writer(year, category_id, acting_user)
    guard_open(year)
    unit = assessed_unit(year, unit_id)
    indicator = None
    if indicator_id:
        indicator = Indicator.objects.filter(category=category, pk=indicator_id).first()
        if indicator is None:
            raise ValidationError(_("The indicator is not of this category."))
    _within_year(year, date)
    check = SpotCheck.objects.create(
        year=year,
        unit=unit,
        category=category,
        indicator=indicator,
        date=date,
        findings=clean_text(findings, label=_("Findings"), max_length=MAX_TEXT),
        recorded_by=acting_user,
    )
    audit(
        "appraisal.spot_check_recorded",
        actor=acting_user,
        subject=check,
        year=year,
        after={
            "unit": unit.code,
            "category": category.code,
            "indicator": indicator.code if indicator else None,
            "date": date,
            "findings": check.findings,
        },
    )
    return check


@transaction.atomic
def scoring_grid_save(
    *,
    year_id: int,
    category_id: int,
    acting_user,
    scores: Sequence[CellInput] | None = None,
    verified: Sequence[CellInput] | None = None,
) -> int:
    """The scoring page in one go: the department's scores and the joint team's verified values
    (the parts the page showed; None for a part it did not) saved together or not at all."""
    changed = 0
    if scores is not None:
        changed += scores_save(
            year_id=year_id, category_id=category_id, acting_user=acting_user, cells=scores
        )
    if verified is not None:
        changed += verified_scores_save(
            year_id=year_id, category_id=category_id, acting_user=acting_user, cells=verified
        )
    return changed


def spot_check_notice_conflict(check: SpotCheck) -> Conflict:
    """The answer to a second notice from the same spot check (409), linking to the first."""
    notice = check.notice
    return Conflict(
        _("A notice was already raised from this spot check: %(number)s.")
        % {"number": notice.number or _("draft")},
        url=reverse("notice_detail", args=[notice.pk]),
    )


@transaction.atomic
def spot_check_notice_raise(
    *, check_id: int, acting_user, token, data, issue_now: bool
) -> SpotCheck:
    """Raise the rectification notice of a spot check (Art. 10, 11) for the community checked,
    issued at once or as a draft, and link it to the check in the same transaction. A check
    that already raised one (a page left open, a second click) is a conflict."""
    check = (
        SpotCheck.objects.select_for_update()
        .select_related("year", "unit", "category")
        .filter(pk=check_id)
        .first()
    )
    if check is None:
        raise PermissionDenied
    year = lock_year(check.year_id, acting_user)
    require(policies.visible_categories(acting_user, year).filter(pk=check.category_id).exists())
    if check.notice_id is not None:
        raise spot_check_notice_conflict(check)
    (notice,) = notices.notice_new(
        acting_user=acting_user,
        token=token,
        data=data,
        target_ids=[check.unit_id],
        issue_now=issue_now,
    )
    check.notice = notice
    check.save(update_fields=["notice"])
    audit(
        "appraisal.spot_check_notice_raised",
        actor=acting_user,
        subject=check,
        year=year,
        after={"notice": notice.pk, "number": notice.number, "unit": check.unit.code},
    )
    return check
