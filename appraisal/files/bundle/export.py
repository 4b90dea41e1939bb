"""The year's inputs in the bundle format (../shared/spec/year-bundle.md): importing an export
back gives the same results, and the same bytes when exported again (results.versions hashes
them)."""

from __future__ import annotations

from decimal import Decimal

from ...models import (
    Adjustment,
    AssessedUnit,
    AssessmentYear,
    BonusClaim,
    Category,
    Comprehensive,
    FraudFinding,
    FraudState,
    FullMarksException,
    Indicator,
    Report,
    Score,
    Vote,
)
from ...results.document import dec, iso
from .fields import FORMAT, LEVEL_FIELDS, VOTE_FIELDS


def export_settings(year: AssessmentYear) -> dict:
    """The year's scoring settings as the bundle writes them (also printed on the results page)."""
    return {
        "performance_weight": dec(year.performance_weight),
        "satisfaction_weight": dec(year.satisfaction_weight),
        "full_marks_ratio": dec(year.full_marks_ratio),
        "bonus_cap": dec(year.bonus_cap),
        "bonus_points": {k: dec(getattr(year, f)) for k, f in LEVEL_FIELDS.items()},
        "vote_values": {k: dec(getattr(year, f)) for k, f in VOTE_FIELDS.items()},
        "debriefing_weight": dec(year.debriefing_weight),
        "democratic_weight": dec(year.democratic_weight),
        "rank_bonus": [dec(Decimal(v)) for v in year.rank_bonus],
        "bottom_penalty": [dec(Decimal(v)) for v in year.bottom_penalty],
        "grade_bands": [
            {"grade": b["grade"], "min": dec(Decimal(b["min"]))} for b in year.grade_bands
        ],
    }


def export_bundle(year: AssessmentYear) -> dict:
    """The year's inputs in the bundle format (importing it back gives the same results)."""
    units = list(AssessedUnit.objects.filter(year=year).order_by("code"))
    code_of = {u.unit_id: u.code for u in units}
    categories = list(Category.objects.filter(year=year).order_by("sort_order", "code"))
    cat_code = {c.pk: c.code for c in categories}
    indicators = list(Indicator.objects.filter(year=year).order_by("code"))
    ind_code = {i.pk: i.code for i in indicators}

    def unit_rows(queryset, *fields):
        for row in queryset.values_list("unit_id", *fields):
            if row[0] in code_of:
                yield (code_of[row[0]], *row[1:])

    reports = sorted(
        unit_rows(
            Report.objects.filter(year=year), "indicator_id", "period", "due_at", "submitted_at"
        ),
        key=lambda r: (r[0], ind_code[r[1]], r[2]),
    )
    scores = sorted(
        unit_rows(
            Score.objects.filter(year=year), "indicator_id", "department_score", "verified_score"
        ),
        key=lambda r: (r[0], ind_code[r[1]]),
    )
    return {
        "format": FORMAT,
        "year": year.year,
        "as_of": iso(year.as_of),
        "settings": export_settings(year),
        "units": [{"code": u.code, "name": u.name} for u in units],
        "categories": [
            {
                "code": c.code,
                "name": c.name,
                "department": c.department,
                "max_points": dec(c.max_points),
            }
            for c in categories
        ],
        "indicators": [
            {
                "code": i.code,
                "category": cat_code[i.category_id],
                "name": i.name,
                "max_points": dec(i.max_points),
                "required_reports": i.required_reports,
            }
            for i in indicators
        ],
        "reports": [
            {
                "unit": u,
                "indicator": ind_code[i],
                "period": p,
                "due_at": iso(due),
                "submitted_at": iso(sub),
            }
            for u, i, p, due, sub in reports
        ],
        "scores": [
            {
                "unit": u,
                "indicator": ind_code[i],
                "department_score": dec(d),
                "verified_score": dec(v),
            }
            for u, i, d, v in scores
        ],
        "adjustments": [
            {
                "unit": u,
                "category": cat_code[c],
                "points": dec(p),
                "reason": r,
                "source": s,
                "date": d.isoformat(),
            }
            for u, c, p, r, s, d in unit_rows(
                Adjustment.objects.filter(year=year, withdrawn_at__isnull=True).order_by(
                    "date", "id"
                ),
                "category_id",
                "points",
                "reason",
                "source",
                "date",
            )
        ],
        "fraud_findings": [
            {"unit": u, "category": cat_code[c], "reason": r}
            for u, c, r in unit_rows(
                FraudFinding.objects.filter(year=year, state=FraudState.UPHELD).order_by("id"),
                "category_id",
                "reason",
            )
        ],
        "bonus_claims": [
            {
                "unit": u,
                "level": lv,
                "title": t,
                "declared_at": iso(da),
                "declare_by": iso(db),
                "status": st,
                "publicity_ends_at": iso(pe),
            }
            for u, lv, t, da, db, st, pe in unit_rows(
                BonusClaim.objects.filter(year=year).order_by("sort_order", "id"),
                "level",
                "title",
                "declared_at",
                "declare_by",
                "status",
                "publicity_ends_at",
            )
        ],
        "votes": [
            {"unit": u, "kind": k, "satisfied": s, "basically": b, "dissatisfied": d}
            for u, k, s, b, d in sorted(
                unit_rows(
                    Vote.objects.filter(year=year), "kind", "satisfied", "basically", "dissatisfied"
                )
            )
        ],
        "comprehensive": [
            {"unit": u, "score": dec(s), "advanced": a}
            for u, s, a in sorted(
                unit_rows(Comprehensive.objects.filter(year=year), "score", "advanced")
            )
        ],
        "full_marks_exceptions": [
            {"category": c, "reason": r}
            for c, r in FullMarksException.objects.filter(year=year)
            .order_by("category__code")
            .values_list("category__code", "reason")
        ],
    }
