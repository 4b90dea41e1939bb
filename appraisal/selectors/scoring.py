"""Reads of the scoring pages: the scoring grid, the categories a user writes additions for,
the assessed units, the adjustments and spot checks a user sees."""

from __future__ import annotations

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet

from .. import domain, policies
from ..models import (
    Adjustment,
    AssessedUnit,
    AssessmentYear,
    Category,
    Indicator,
    Report,
    Score,
    SpotCheck,
)


def reports_waiting_for_score(reports: QuerySet) -> QuerySet:
    """Of `reports`, those filed on time (Art. 12: late and missing reports are no basis for
    scoring) whose community has no department score for the indicator given since it was
    filed. The one definition of "waiting for scoring": the home pages and the year's checklist
    both count it."""
    scored = Score.objects.filter(
        unit_id=OuterRef("unit_id"),
        indicator_id=OuterRef("indicator_id"),
        department_score__isnull=False,
    ).filter(Q(scored_at__isnull=True) | Q(scored_at__gte=OuterRef("submitted_at")))
    return reports.filter(submitted_at__lte=F("due_at")).filter(~Exists(scored))


def writer_categories(user, year) -> list[Category]:
    cats = Category.objects.filter(year=year).order_by("sort_order")
    if policies.is_office(user):
        return list(cats)
    return [c for c in cats if policies.can_score(user, c)]


def unit_choices(year) -> list[tuple[int, str]]:
    return list(AssessedUnit.objects.filter(year=year).values_list("unit_id", "name"))


def scoring_grid(
    year: AssessmentYear,
    category: Category,
    units: list[AssessedUnit],
    indicators: list[Indicator],
    *,
    now,
    closed: bool = False,
) -> tuple[list, dict[int, int]]:
    """The scoring grid of one category: per community, per indicator, its score, its on-time,
    late and not-yet-due reports, the §1 cap they allow (domain.report_cap, the rule the results
    apply) and what of the score counts under it, and per indicator how many communities had a
    report due so far. Three queries. Once the year is decided (`closed`) nothing is "not yet
    due" (scoring.md §1: every required period is treated as due)."""
    not_due = Q(pk__in=[]) if closed else Q(submitted_at__isnull=True, due_at__gte=now)
    scores = {
        (s.unit_id, s.indicator_id): s
        for s in Score.objects.filter(year=year, indicator__category=category)
    }
    stats = {
        (r["unit_id"], r["indicator_id"]): r
        for r in Report.objects.filter(year=year, indicator__category=category)
        .values("unit_id", "indicator_id")
        .annotate(
            n=Count("id"),
            on_time=Count("id", filter=Q(submitted_at__lte=F("due_at"))),
            late=Count("id", filter=Q(submitted_at__gt=F("due_at"))),
            not_due=Count("id", filter=not_due),
        )
        .order_by()
    }
    due_so_far = {
        r["indicator_id"]: r["n"]
        for r in Report.objects.filter(year=year, indicator__category=category, due_at__lt=now)
        .values("indicator_id")
        .annotate(n=Count("unit_id", distinct=True))
        .order_by()
    }
    rows = []
    for unit in units:
        cells = []
        for ind in indicators:
            stat = stats.get(
                (unit.unit_id, ind.pk), {"n": 0, "on_time": 0, "late": 0, "not_due": 0}
            )
            required = ind.required_reports
            cap = domain.report_cap(ind.max_points, stat["on_time"], required)
            score = scores.get((unit.unit_id, ind.pk))
            # What the results take (§1): the joint team's value where present, capped.
            value = None
            if score is not None:
                value = (
                    score.verified_score
                    if score.verified_score is not None
                    else score.department_score
                )
            not_yet = min(stat["not_due"], max(required - stat["on_time"], 0))
            cells.append(
                {
                    "indicator": ind,
                    "score": score,
                    "on_time": stat["on_time"],
                    "late": stat["late"],
                    "not_due": not_yet,
                    # late or never filed although due: these lower the cap (Art. 12)
                    "short": max(required - stat["on_time"] - not_yet, 0),
                    "required": required,
                    "cap": cap,
                    "over_cap": value is not None and value > cap,
                    "counted": min(value, cap) if value is not None else None,
                }
            )
        rows.append((unit, cells))
    return rows, due_so_far


SHOWN = 500  # the most recent additions and spot checks a page lists


def adjustments_and_checks(year: AssessmentYear, categories) -> tuple:
    """The year's most recent additions and deductions and spot checks (Art. 10) in the given
    categories (those the user sees: policies.visible_categories), newest first."""
    adjustments = (
        Adjustment.objects.filter(year=year, category__in=categories)
        .select_related("unit", "category", "recorded_by", "withdrawn_by")
        .order_by("-date", "-id")
    )
    checks = (
        SpotCheck.objects.filter(year=year, category__in=categories)
        .select_related("year", "unit", "category", "indicator", "recorded_by", "notice")
        .order_by("-date", "-id")
    )
    return adjustments[:SHOWN], checks[:SHOWN]
