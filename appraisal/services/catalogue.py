"""The indicator catalogue (Art. 4, 5): indicators added, changed and deleted while the year is
planned, and the whole catalogue replaced from checked rows (files.catalogue). The rules are
domain.catalogue's."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _

from core import access
from core.errors import Conflict

from ..domain import catalogue as catalogue_rules
from ..models import SCHEDULE_REPORTS, AssessmentYear, Category, Indicator, Schedule, YearStatus
from .common import audit, clean_text, guard_open, lock_year, parse_points


def _check_catalogue(year: AssessmentYear) -> None:
    cats = list(Category.objects.filter(year=year))
    if not cats:
        raise ValidationError(_("The catalogue has no categories."))
    _check_maxima(c.max_points for c in cats)
    if not Indicator.objects.filter(year=year).exists():
        raise ValidationError(_("The catalogue has no indicators."))


def _check_maxima(maxima) -> None:
    total = catalogue_rules.maxima_total(maxima)
    if total is not None:
        raise ValidationError(
            _("The category maxima add up to %(total)s, not 100 (Art. 4).") % {"total": total}
        )


CATALOGUE_FIELDS = (
    "category_id",
    "code",
    "name",
    "description",
    "max_points",
    "evidence_required",
    "schedule",
    "due_date",
)


def _check_indicator(year: AssessmentYear, values: dict, pk: int | None) -> dict:
    category = Category.objects.filter(year=year, pk=values.get("category_id")).first()
    if category is None:
        raise ValidationError(_("Choose a category of this year."))
    code = clean_text(values.get("code", ""), label=_("Code"), max_length=20)
    if Indicator.objects.filter(year=year, code=code).exclude(pk=pk).exists():
        raise ValidationError(_("The code %(code)s is taken.") % {"code": code})
    points = parse_points(
        values.get("max_points"),
        label=_("Maximum points"),
        low=Decimal(0),
        high=category.max_points,
    )
    schedule = values.get("schedule") or Schedule.NONE
    if schedule not in Schedule.values or schedule == Schedule.CUSTOM:
        raise ValidationError(_("Choose a reporting schedule."))
    # Art. 7: a periodic report is due at the end of its period, whatever the form sent.
    due_date = values.get("due_date") if schedule == Schedule.ONCE else None
    if catalogue_rules.due_date_problem(schedule, due_date, year.year):
        raise ValidationError(_("A one-off report needs a due date within the year."))
    return {
        "category": category,
        "code": code,
        "name": clean_text(values.get("name", ""), label=_("Name"), max_length=200),
        "description": clean_text(
            values.get("description", ""), label=_("Description"), required=False
        ),
        "max_points": points,
        "evidence_required": bool(values.get("evidence_required")),
        "schedule": schedule,
        "due_date": due_date,
        "required_reports": SCHEDULE_REPORTS.get(schedule, 0),
    }


@transaction.atomic
def indicator_save(*, year_id: int, acting_user, values: dict, pk: int | None = None) -> Indicator:
    """Add or change an indicator of the catalogue (Art. 5) while the year is being planned."""
    year = lock_year(year_id, acting_user)
    access.require_action(acting_user, year, "edit_catalogue")
    guard_open(year)
    if year.status != YearStatus.PLANNING:
        raise Conflict(_("The catalogue is fixed once the year has started."))
    clean = _check_indicator(year, values, pk)
    if pk is None:
        indicator = Indicator.objects.create(year=year, **clean)
        before = None
    else:
        indicator = Indicator.objects.filter(year=year, pk=pk).first()
        if indicator is None:
            raise Http404
        before = {k: getattr(indicator, k) for k in clean if k != "category"}
        before_category = indicator.category_id
        for key, value in clean.items():
            setattr(indicator, key, value)
        if before_category == indicator.category_id and before == {
            k: getattr(indicator, k) for k in before
        }:
            return indicator  # saved unchanged: nothing to store, nothing to audit
        indicator.save(update_fields=list(clean))
    after = {k: getattr(indicator, k) for k in clean if k != "category"}
    after["category"] = indicator.category.code
    audit(
        "appraisal.indicator_saved",
        actor=acting_user,
        subject=indicator,
        year=year,
        before=before,
        after=after,
    )
    return indicator


@transaction.atomic
def indicator_delete(*, year_id: int, acting_user, pk: int) -> None:
    year = lock_year(year_id, acting_user)
    access.require_action(acting_user, year, "edit_catalogue")
    guard_open(year)
    if year.status != YearStatus.PLANNING:
        raise Conflict(_("The catalogue is fixed once the year has started."))
    indicator = Indicator.objects.filter(year=year, pk=pk).first()
    if indicator is None:
        raise Http404
    audit(
        "appraisal.indicator_deleted",
        actor=acting_user,
        subject=indicator,
        year=year,
        before={"code": indicator.code, "name": indicator.name},
    )
    indicator.delete()


def _catalogue_open(year_id: int, acting_user) -> AssessmentYear:
    year = lock_year(year_id, acting_user)
    access.require_action(acting_user, year, "edit_catalogue")
    guard_open(year)
    if year.status != YearStatus.PLANNING:
        # Its report tasks exist already (the same message as indicator_save).
        raise Conflict(_("The catalogue is fixed once the year has started."))
    return year


@transaction.atomic
def catalogue_import_check(*, year_id: int, acting_user) -> AssessmentYear:
    """Whether the user may replace the year's catalogue now (404, 403, 409), before a file is
    read; catalogue_replace checks again under the lock."""
    return _catalogue_open(year_id, acting_user)


@transaction.atomic
def catalogue_replace(
    *, year_id: int, acting_user, categories: Sequence[dict], indicators: Sequence[dict], source=""
) -> dict[str, int]:
    """Replace the year's categories and indicators (Art. 4, 5) with checked rows (files.catalogue):
    categories {code, name, department, lead_unit, max_points}, indicators {code, category (its
    code), name, description, max_points, evidence_required, schedule, due_date}."""
    year = _catalogue_open(year_id, acting_user)
    # Typed text under the one policy (core.validation), whichever way the rows came in.
    categories = [
        {
            **c,
            "name": clean_text(c["name"], label=_("Name"), max_length=100),
            "department": clean_text(c["department"], label=_("Lead department"), max_length=100),
        }
        for c in categories
    ]
    indicators = [
        {
            **i,
            "name": clean_text(i["name"], label=_("Name"), max_length=200),
            "description": clean_text(
                i["description"], label=_("Description"), max_length=5000, required=False
            ),
        }
        for i in indicators
    ]
    _check_maxima(c["max_points"] for c in categories)
    maxima = {c["code"]: c["max_points"] for c in categories}
    for item in indicators:
        if item["category"] not in maxima or catalogue_rules.over_category(
            item["max_points"], maxima[item["category"]]
        ):
            raise ValidationError(
                _("%(points)s is more than the maximum of category %(code)s (%(max)s).")
                % {
                    "points": item["max_points"],
                    "code": item["category"],
                    "max": maxima.get(item["category"]),
                }
            )
        if catalogue_rules.due_date_problem(item["schedule"], item["due_date"], year.year):
            raise ValidationError(_("A one-off report needs a due date within the year."))
    before = {
        "categories": Category.objects.filter(year=year).count(),
        "indicators": Indicator.objects.filter(year=year).count(),
    }
    Indicator.objects.filter(year=year).delete()
    Category.objects.filter(year=year).delete()
    created: dict[str, Category] = {}
    for order, item in enumerate(categories):
        created[item["code"]] = Category.objects.create(year=year, sort_order=order, **item)
    Indicator.objects.bulk_create(
        Indicator(
            year=year,
            sort_order=order,
            required_reports=SCHEDULE_REPORTS[item["schedule"]],
            **{**item, "category": created[item["category"]]},
        )
        for order, item in enumerate(indicators)
    )
    counts = {"categories": len(categories), "indicators": len(indicators)}
    audit(
        "appraisal.catalogue_imported",
        actor=acting_user,
        subject=year,
        year=year,
        before=before,
        after={**counts, "source": source},
    )
    return counts
