"""The indicator catalogue (Art. 4, 5): indicators added, changed and deleted while the year is
planned — by the Office, or by a lead department for the category it leads — the whole catalogue
replaced from checked rows (files.catalogue), a department's category replaced from its sheet
(files.category_sheet), and the Office's approval of the whole catalogue, without which the year
does not start. Any change after the approval withdraws it. The rules are domain.catalogue's."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from core import access
from core.errors import Conflict

from .. import policies
from ..domain import catalogue as catalogue_rules
from ..models import SCHEDULE_REPORTS, AssessmentYear, Category, Indicator, Schedule, YearStatus
from ..selectors.catalogue import catalogue_digest
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


def _check_indicator(year: AssessmentYear, values: dict, pk: int | None, acting_user) -> dict:
    category = Category.objects.filter(year=year, pk=values.get("category_id")).first()
    if category is None:
        raise ValidationError(_("Choose a category of this year."))
    if not policies.can_draft(acting_user, category):
        raise PermissionDenied  # Art. 5: a department drafts only the category it leads
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
    """Add or change an indicator of the catalogue (Art. 5) while the year is being planned: the
    Office any, a department those of the category it leads (moving one to another category
    included)."""
    year = _draft_open(year_id, acting_user)
    indicator = None
    if pk is not None:
        indicator = _own_indicator(year, acting_user, pk)
    clean = _check_indicator(year, values, pk, acting_user)
    if indicator is None:
        indicator = Indicator.objects.create(year=year, **clean)
        before = None
    else:
        before = {k: getattr(indicator, k) for k in clean if k != "category"}
        before_category = indicator.category_id
        for key, value in clean.items():
            setattr(indicator, key, value)
        # Saved unchanged: nothing to store, nothing to audit, the approval stands. Compared are
        # the fields the user enters (those the Office approves, selectors.catalogue), not
        # required_reports, which follows the schedule and is set again when the year starts.
        if before_category == indicator.category_id and all(
            before[k] == getattr(indicator, k) for k in before if k != "required_reports"
        ):
            return indicator
        indicator.save(update_fields=list(clean))
    after = {k: getattr(indicator, k) for k in clean if k != "category"}
    after["category"] = indicator.category.code
    after.update(_withdraw_approval(year))
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
    year = _draft_open(year_id, acting_user)
    indicator = _own_indicator(year, acting_user, pk)
    audit(
        "appraisal.indicator_deleted",
        actor=acting_user,
        subject=indicator,
        year=year,
        before={"code": indicator.code, "name": indicator.name},
        after=_withdraw_approval(year) or None,
    )
    indicator.delete()


def _draft_open(year_id: int, acting_user) -> AssessmentYear:
    """The year locked for a change of its catalogue by the Office or a lead department (Art. 5):
    only while it is planned."""
    year = lock_year(year_id, acting_user)
    access.require_action(acting_user, year, "draft_catalogue")
    guard_open(year)
    if year.status != YearStatus.PLANNING:
        raise Conflict(_("The catalogue is fixed once the year has started."))
    return year


def _own_indicator(year: AssessmentYear, acting_user, pk: int) -> Indicator:
    indicator = Indicator.objects.filter(year=year, pk=pk).select_related("category").first()
    if indicator is None:
        raise Http404
    if not policies.can_draft(acting_user, indicator.category):
        raise PermissionDenied
    return indicator


def _withdraw_approval(year: AssessmentYear) -> dict:
    """Art. 5: the Office approved the catalogue as it was; a change withdraws the approval (the
    change's audit row says so). Called with the year locked."""
    if year.catalogue_approved_at is None:
        return {}
    year.catalogue_approved_at = None
    year.catalogue_approved_by = None
    year.save(update_fields=["catalogue_approved_at", "catalogue_approved_by"])
    return {"approval_withdrawn": True}


@transaction.atomic
def catalogue_approve(*, year_id: int, acting_user, digest: str) -> AssessmentYear:
    """The Office approves the whole catalogue (Art. 5) as the page showed it (`digest`,
    selectors.catalogue): the year can then be started."""
    year = lock_year(year_id, acting_user)
    access.require_action(acting_user, year, "edit_catalogue")
    guard_open(year)
    if year.status != YearStatus.PLANNING:
        raise Conflict(_("The catalogue is fixed once the year has started."))
    if year.catalogue_approved_at is not None:
        raise Conflict(_("The catalogue is approved already. Nothing was done."))
    if digest != catalogue_digest(year):
        raise Conflict(
            _(
                "The catalogue changed after the page was opened. Nothing was done: look at it "
                "again before approving."
            )
        )
    _check_catalogue(year)
    for cat in Category.objects.filter(year=year):
        total = sum((i.max_points for i in cat.indicators.all()), Decimal(0))
        if catalogue_rules.over_category(total, cat.max_points):
            raise ValidationError(
                _("The indicators of %(code)s add up to %(total)s, more than %(max)s.")
                % {"code": cat.code, "total": total, "max": cat.max_points}
            )
    year.catalogue_approved_at = timezone.now()
    year.catalogue_approved_by = acting_user
    year.save(update_fields=["catalogue_approved_at", "catalogue_approved_by"])
    audit(
        "appraisal.catalogue_approved",
        actor=acting_user,
        subject=year,
        year=year,
        after={
            "categories": Category.objects.filter(year=year).count(),
            "indicators": Indicator.objects.filter(year=year).count(),
        },
    )
    return year


@transaction.atomic
def category_import_check(*, year_id: int, acting_user) -> tuple[AssessmentYear, list[Category]]:
    """Whether the user may replace the indicators of the categories they draft now (404, 403,
    409), before a file is read; and those categories."""
    year = _draft_open(year_id, acting_user)
    own = list(policies.draftable_categories(acting_user, year).order_by("sort_order", "code"))
    if not own:
        raise PermissionDenied
    return year, own


@transaction.atomic
def category_indicators_replace(
    *, year_id: int, acting_user, indicators: Sequence[dict], source=""
) -> dict[str, int]:
    """Replace the indicators of the categories the user drafts (Art. 5) with checked rows
    (files.category_sheet), all or nothing; the other categories are untouched."""
    year = _draft_open(year_id, acting_user)
    own = {c.code: c for c in policies.draftable_categories(acting_user, year)}
    taken = dict(
        Indicator.objects.filter(year=year)
        .exclude(category__in=own.values())
        .values_list("code", "category__code")
    )
    sums: dict[str, Decimal] = {}
    for item in indicators:
        category = own.get(item["category"])
        if category is None:
            raise PermissionDenied
        if item["code"] in taken:
            raise ValidationError(
                _("The code %(code)s is taken by an indicator of %(category)s.")
                % {"code": item["code"], "category": taken[item["code"]]}
            )
        sums[category.code] = sums.get(category.code, Decimal(0)) + item["max_points"]
        if catalogue_rules.due_date_problem(item["schedule"], item["due_date"], year.year):
            raise ValidationError(_("A one-off report needs a due date within the year."))
    for code, total in sums.items():
        if catalogue_rules.over_category(total, own[code].max_points):
            raise ValidationError(
                _("The indicators of %(code)s add up to %(total)s, more than %(max)s.")
                % {"code": code, "total": total, "max": own[code].max_points}
            )
    scope = Indicator.objects.filter(year=year, category__in=own.values())
    before = {"indicators": scope.count()}
    approved_digest = catalogue_digest(year) if year.catalogue_approved_at else None
    scope.delete()
    Indicator.objects.bulk_create(
        Indicator(
            year=year,
            sort_order=order,
            required_reports=SCHEDULE_REPORTS[item["schedule"]],
            **{
                **item,
                "name": clean_text(item["name"], label=_("Name"), max_length=200),
                "description": clean_text(
                    item["description"], label=_("Description"), max_length=5000, required=False
                ),
                "category": own[item["category"]],
            },
        )
        for order, item in enumerate(indicators)
    )
    after = {"categories": ", ".join(sorted(own)), "indicators": len(indicators), "source": source}
    # A sheet imported back as it was exported changes nothing the Office approved.
    if approved_digest is not None and catalogue_digest(year) != approved_digest:
        after.update(_withdraw_approval(year))
    audit(
        "appraisal.category_imported",
        actor=acting_user,
        subject=year,
        year=year,
        before=before,
        after=after,
    )
    return {"indicators": len(indicators)}


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
        after={**counts, "source": source, **_withdraw_approval(year)},
    )
    return counts
