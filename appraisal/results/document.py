"""The results as the documented JSON (year-bundle.md): what `appraisal_results` prints and a
published version stores."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, localcontext

from .. import domain
from .compute import SHANGHAI, Computed, memo


def dec(value: Decimal | None) -> str | None:
    """A decimal as the bundle writes it: a string with exactly 2 decimal places. Enough precision
    for any stored value: a setting saved before the settings had ranges (1e26) still prints, and
    the year page names it as out of range, instead of every page failing."""
    if value is None:
        return None
    with localcontext() as context:
        context.prec = 80
        return str(domain.q(value))


def iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(SHANGHAI).isoformat()


CLAIM_REASON = {
    domain.CLAIM_NOT_DECLARED: "late",
    domain.CLAIM_LATE: "late",
    domain.CLAIM_NOT_APPROVED: "not_approved",
    domain.CLAIM_PUBLICITY_OPEN: "publicity_not_ended",
}


def results_document(computed: Computed) -> dict:
    """Exactly the results structure of year-bundle.md."""
    res = computed.results
    penalised = res.settings.penalised_positions
    iso_due = memo(iso)  # few distinct due times, many exclusions
    units = []
    for unit in res.units:
        exclusions = [
            {
                "kind": "report",
                "indicator": ex.indicator,
                "period": ex.period,
                "due_at": iso_due(ex.due),
                "submitted_at": iso(ex.submitted),
            }
            for cat in unit.categories
            for ind in cat.indicators
            if ind.exclusions
            for ex in ind.exclusions
        ]
        exclusions.sort(key=lambda e: (e["indicator"], e["period"] or 0))
        claims = sorted(
            ((computed.claim_index[c.claim.ref], c) for c in unit.claims_not_counted),
            key=lambda pair: pair[0],
        )
        exclusions += [
            {"kind": "bonus", "claim": index, "reason": CLAIM_REASON[c.reasons[0]]}
            for index, c in claims
        ]
        given = unit.unit_id in computed.comprehensive_given
        units.append(
            {
                "unit": unit.unit_id,
                "categories": {c.code: dec(c.score) for c in unit.categories},
                "bonus": dec(unit.bonus),
                "performance": dec(unit.performance),
                "debriefing": dec(unit.debriefing.score),
                "democratic": dec(unit.democratic.score),
                "satisfaction": dec(unit.satisfaction),
                "total": dec(unit.total),
                "rank": unit.rank,
                "bottom_position": unit.bottom_position,
                "comprehensive_adjustment": dec(unit.comprehensive_adjustment),
                "adjusted_comprehensive": dec(unit.adjusted) if given else None,
                "grade": unit.grade if given else None,
                "excellence_veto": unit.bottom_position <= penalised,
                "advanced_withdrawn": unit.flags.advanced_withdrawn,
                "exclusions": exclusions,
            }
        )
    violations = [
        {
            "category": check.category,
            "full_marks_units": list(check.full_marks_units),
            "allowed": check.allowed,
            "exception": check.exception_reason is not None,
        }
        for check in res.full_marks
        if check.breaks_cap
    ]
    return {
        "year": computed.year.year,
        "as_of": iso(res.as_of),
        "finalisable": res.can_finalise,
        "cap_violations": violations,
        "units": units,
    }
