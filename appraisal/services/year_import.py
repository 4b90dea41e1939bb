"""A year bundle (files.bundle: bytes → a typed, checked bundle) written as the year of a
sub-district: one transaction and one audit row; it replaces a year not yet decided."""

from __future__ import annotations

from django.db import transaction

from core import workitems
from core.audit import audit_record
from core.models import SubDistrict, Unit, UnitKind

from ..models import (
    SCHEDULE_REPORTS,
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
    Schedule,
    Score,
    Vote,
    YearStatus,
)
from .bundle_input import BundleError, Parsed, _


def _schedule_for(required: int) -> str:
    for schedule, n in SCHEDULE_REPORTS.items():
        if n == required and schedule != Schedule.ONCE:
            return schedule
    return Schedule.CUSTOM


def _department_line(code: str) -> str:
    return code.lower() if code.lower() in {"lz", "zz", "xc"} else ""


@transaction.atomic
def import_bundle(parsed: Parsed, sub_district: SubDistrict, *, actor=None) -> dict[str, int]:
    """Write the bundle as the year of `sub_district`; replaces a year not yet decided."""
    existing = (
        AssessmentYear.objects.select_for_update()
        .filter(sub_district=sub_district, year=parsed.year)
        .first()
    )
    replaced = existing is not None
    if existing is not None:
        if existing.inputs_closed:
            # Art. 16: decided results change only through a correction, never by a new import.
            raise BundleError(
                "year",
                _("%(year)s is %(status)s; a decided or published year cannot be replaced")
                % {"year": parsed.year, "status": existing.get_status_display()},
            )
        report_ids = Report.objects.filter(year=existing).values("pk")
        workitems.delete_items(subject_model=Report, subject_ids=report_ids)
        existing.delete()

    year = AssessmentYear(
        sub_district=sub_district,
        year=parsed.year,
        status=YearStatus.YEAR_END,
        as_of=parsed.as_of,
        **parsed.settings,
    )
    year.save(force_insert=True)

    # Units: matched by code among the sub-district's units; created when new.
    known = {u.code: u for u in Unit.objects.filter(sub_district=sub_district)}
    by_name = {u.name: u for u in known.values()}
    unit_of: dict[str, Unit] = {}
    for i, item in enumerate(parsed.units):
        unit = known.get(item["code"])
        if unit is None:
            other = by_name.get(item["name"])
            if other is not None:
                raise BundleError(
                    f"units[{i}].name",
                    _("%(name)s is already the name of unit %(code)s")
                    % {"name": item["name"], "code": other.code},
                )
            unit = Unit.objects.create(
                sub_district=sub_district,
                kind=UnitKind.COMMUNITY,
                code=item["code"],
                name=item["name"],
                sort_order=i + 1,
            )
        elif unit.kind != UnitKind.COMMUNITY:
            raise BundleError(
                f"units[{i}].code",
                _("%(code)s is a unit of this sub-district that is not a community")
                % {"code": item["code"]},
            )
        unit_of[item["code"]] = unit
    AssessedUnit.objects.bulk_create(
        AssessedUnit(year=year, unit=unit_of[u["code"]], code=u["code"], name=u["name"])
        for u in parsed.units
    )

    departments = {
        u.name: u
        for u in Unit.objects.filter(
            sub_district=sub_district, kind__in=[UnitKind.DEPARTMENT, UnitKind.OFFICE]
        )
    }
    lines = {
        u.line: u for u in Unit.objects.filter(sub_district=sub_district, kind=UnitKind.DEPARTMENT)
    }
    office = Unit.objects.filter(sub_district=sub_district, kind=UnitKind.OFFICE).first()
    category_of: dict[str, Category] = {}
    for c in parsed.categories:
        lead = departments.get(c["department"]) or lines.get(_department_line(c["code"]))
        if lead is None and c["code"].upper() == "QT":
            lead = office
        category_of[c["code"]] = Category.objects.create(
            year=year,
            code=c["code"],
            name=c["name"],
            department=c["department"],
            lead_unit=lead,
            max_points=c["max_points"],
            sort_order=c["order"],
        )
    indicator_of: dict[str, Indicator] = {}
    for n, ind in enumerate(parsed.indicators):
        indicator_of[ind["code"]] = Indicator(
            year=year,
            category=category_of[ind["category"]],
            code=ind["code"],
            name=ind["name"],
            max_points=ind["max_points"],
            required_reports=ind["required_reports"],
            schedule=_schedule_for(ind["required_reports"]),
            sort_order=n,
        )
    Indicator.objects.bulk_create(indicator_of.values())

    Report.objects.bulk_create(
        (
            Report(
                year=year,
                unit=unit_of[r["unit"]],
                indicator=indicator_of[r["indicator"]],
                period=r["period"],
                due_at=r["due_at"],
                submitted_at=r["submitted_at"],
            )
            for r in parsed.reports
        ),
        batch_size=5000,
    )
    Score.objects.bulk_create(
        (
            Score(
                year=year,
                unit=unit_of[s["unit"]],
                indicator=indicator_of[s["indicator"]],
                department_score=s["department_score"],
                verified_score=s["verified_score"],
            )
            for s in parsed.scores
        ),
        batch_size=5000,
    )
    Adjustment.objects.bulk_create(
        Adjustment(
            year=year,
            unit=unit_of[a["unit"]],
            category=category_of[a["category"]],
            points=a["points"],
            reason=a["reason"],
            source=a["source"],
            date=a["date"],
            recorded_by=actor,
        )
        for a in parsed.adjustments
    )
    FraudFinding.objects.bulk_create(
        FraudFinding(
            year=year,
            unit=unit_of[f["unit"]],
            category=category_of[f["category"]],
            reason=f["reason"],
            state=FraudState.UPHELD,
            recorded_by=actor,
        )
        for f in parsed.fraud
    )
    BonusClaim.objects.bulk_create(
        BonusClaim(
            year=year,
            unit=unit_of[c["unit"]],
            level=c["level"],
            title=c["title"],
            declared_at=c["declared_at"],
            declare_by=c["declare_by"],
            status=c["status"],
            publicity_ends_at=c["publicity_ends_at"],
            sort_order=i,
        )
        for i, c in enumerate(parsed.claims)
    )
    Vote.objects.bulk_create(
        Vote(
            year=year,
            unit=unit_of[v["unit"]],
            kind=v["kind"],
            satisfied=v["satisfied"],
            basically=v["basically"],
            dissatisfied=v["dissatisfied"],
        )
        for v in parsed.votes
    )
    Comprehensive.objects.bulk_create(
        Comprehensive(year=year, unit=unit_of[c["unit"]], score=c["score"], advanced=c["advanced"])
        for c in parsed.comprehensive
    )
    FullMarksException.objects.bulk_create(
        FullMarksException(
            year=year, category=category_of[e["category"]], reason=e["reason"], recorded_by=actor
        )
        for e in parsed.exceptions
    )
    counts = {
        "units": len(parsed.units),
        "categories": len(parsed.categories),
        "indicators": len(parsed.indicators),
        "reports": len(parsed.reports),
        "scores": len(parsed.scores),
        "adjustments": len(parsed.adjustments),
        "fraud_findings": len(parsed.fraud),
        "bonus_claims": len(parsed.claims),
        "votes": len(parsed.votes),
        "comprehensive": len(parsed.comprehensive),
        "full_marks_exceptions": len(parsed.exceptions),
    }
    audit_record(
        event_type="appraisal.year_imported",
        actor=actor,
        job="" if actor else "import_year",
        subject=year,
        sub_district=sub_district,
        after={"year": parsed.year, "replaced": replaced, **counts},
    )
    return counts
