"""Write services of the assessment year. One transaction each; one audit row per change.

Every write checks the year's inputs are open — not yet decided, or decided with a correction the
Leading Group approved still open (Art. 16) — the user's right (403) and the
input (ValidationError with a Chinese message, shown on the form, never a 500).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import wraps

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django_fsm import can_proceed

from core import access, evidence, workdays, workitems
from core.audit import audit_record
from core.errors import Conflict
from core.middleware import current_ip
from core.models import Unit, UnitKind, WorkItem
from core.notifications import notify
from core.validation import clean_text as _clean_text

from . import policies
from .domain import settings as settings_rules
from .domain.model import MAX_BALLOTS
from .models import (
    OPEN_CORRECTION_STATES,
    SCHEDULE_REPORTS,
    Adjustment,
    AssessedUnit,
    AssessmentYear,
    BonusClaim,
    Category,
    ClaimState,
    Comprehensive,
    Correction,
    CorrectionState,
    FraudFinding,
    FullMarksException,
    Indicator,
    Report,
    Schedule,
    Score,
    SpotCheck,
    Vote,
    VoteKind,
    YearStatus,
    full_marks_allow_decision,
    no_open_correction,
)

WI_REPORT = "report.submit"  # a community must file a periodic report (Art. 7, 8)
WI_CLAIM_REVIEW = "claim.review"  # the Office reviews a bonus claim (Art. 6)
WI_CLAIM_DECIDE = "claim.decide"  # the Leading Group decides a bonus claim
WI_FRAUD_DECIDE = "fraud.decide"  # the Leading Group decides a fraud finding (Art. 19)
WI_CORRECTION = "correction.approve"  # the Leading Group approves a correction
MAX_TEXT = 20000
MAX_REASON = 5000

# Art. 4: the four categories and who leads them (code, name, line of the lead department).
DEFAULT_CATEGORIES = (
    ("LZ", "党风廉政建设", "lz", Decimal("25.00")),
    ("ZZ", "组织建设", "zz", Decimal("40.00")),
    ("XC", "宣传意识形态", "xc", Decimal("20.00")),
    ("QT", "其他任务", "", Decimal("15.00")),
)


# ---------------------------------------------------------------- guards and helpers


def _with_files(fn):
    """One transaction; evidence files written inside it are removed if it does not commit."""

    @wraps(fn)
    def wrapper(*args, **kwargs):
        with evidence.removed_if_failed(), transaction.atomic():
            return fn(*args, **kwargs)

    return wrapper


def writable(year: AssessmentYear) -> bool:
    """Open for input: not yet decided, or decided with an approved correction still open
    (Art. 16: the decided results change only through a correction)."""
    if not year.inputs_closed:
        return True
    return Correction.objects.filter(year=year, state=CorrectionState.APPROVED).exists()


def guard_open(year: AssessmentYear) -> None:
    if not writable(year):
        raise Conflict(
            _(
                "The results of %(year)s are %(status)s: its inputs are closed. A change needs a "
                "correction approved by the Leading Group."
            )
            % {"year": year.year, "status": year.get_status_display()}
        )


def _lock_year(year_id: int, user) -> AssessmentYear:
    year = access.get_visible_or_404(user, AssessmentYear.objects.select_for_update(), pk=year_id)
    return year


def _require(cond: bool) -> None:
    if not cond:
        raise PermissionDenied


def clean_text(value: str, *, label: str, max_length: int = MAX_TEXT, required=True) -> str:
    """Typed text under the product's one policy (core.validation): NUL refused, length capped."""
    return _clean_text(value, label=label, max_length=max_length, required=required)


def parse_points(value, *, label: str, low=None, high=None) -> Decimal:
    """A decimal with at most 2 places within [low, high]; a Chinese message otherwise."""
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError(
            _("%(field)s: “%(value)s” is not a number.") % {"field": label, "value": value}
        ) from None
    if not number.is_finite() or number.as_tuple().exponent < -2:
        raise ValidationError(_("%(field)s: at most 2 decimal places.") % {"field": label})
    if (low is not None and number < low) or (high is not None and number > high):
        raise ValidationError(
            _("%(field)s must lie between %(low)s and %(high)s.")
            % {"field": label, "low": low, "high": high}
        )
    return number


def _audit(event_type, *, actor, subject, year, before=None, after=None, job: str = ""):
    audit_record(
        event_type=event_type,
        actor=actor,
        job=job,
        subject=subject,
        sub_district=year.sub_district_id,
        before=before,
        after=after,
        ip=current_ip(),
    )


def _office_unit(year: AssessmentYear) -> Unit | None:
    return Unit.objects.filter(sub_district_id=year.sub_district_id, kind=UnitKind.OFFICE).first()


def _ask(desk: str, year: AssessmentYear, *, kind: str, subject, title: str, url: str) -> None:
    """Put a decision without a deadline into the inbox (待办) of the Office or the Leading Group
    (`desk`: a UnitKind) of the year's sub-district."""
    unit = Unit.objects.filter(sub_district_id=year.sub_district_id, kind=desk).first()
    if unit is not None:
        workitems.open_item(
            kind=kind,
            subject=subject,
            owner_unit_id=unit.pk,
            sub_district_id=year.sub_district_id,
            title=title,
            url=url,
            due_at=None,
        )


def _store_files(checked, *, subject, year: AssessmentYear, user) -> list[dict]:
    """Store the checked evidence files on the subject; what the audit row records of them."""
    stored = [
        evidence.store(c, subject=subject, sub_district_id=year.sub_district_id, user=user)
        for c in checked
    ]
    return [{"name": e.original_name, "sha256": e.sha256, "size": e.size} for e in stored]


# ---------------------------------------------------------------- the year


def settings_snapshot(year: AssessmentYear) -> dict:
    from .bundle import export_settings

    return export_settings(year)


@transaction.atomic
def year_create(*, acting_user, number: int, copy_from: AssessmentYear | None = None):
    """A new year in planning: a copy of an earlier year's settings and catalogue (R5.1), or the
    four categories of Art. 4 with their lead departments."""
    _require(policies.is_office(acting_user))
    sub_district_id = access.sub_district_id(acting_user)
    if not 2000 <= number <= 2100:
        raise ValidationError(_("%(value)s is not a plausible year.") % {"value": number})
    if AssessmentYear.objects.filter(sub_district_id=sub_district_id, year=number).exists():
        raise ValidationError(_("The year %(year)s exists already.") % {"year": number})
    year = AssessmentYear(sub_district_id=sub_district_id, year=number)
    if copy_from is not None:
        if copy_from.sub_district_id != sub_district_id:
            raise PermissionDenied
        for field in SETTING_FIELDS:
            setattr(year, field, getattr(copy_from, field))
        if copy_from.claim_declare_by:
            try:
                year.claim_declare_by = copy_from.claim_declare_by.replace(year=number)
            except ValueError:  # 29 February
                year.claim_declare_by = copy_from.claim_declare_by.replace(year=number, day=28)
        check_settings(year)
    year.save()
    if copy_from is not None:
        mapping = {}
        for cat in Category.objects.filter(year=copy_from):
            old = cat.pk
            cat.pk = None
            cat.year = year
            cat.save()
            mapping[old] = cat
        indicators = []
        for ind in Indicator.objects.filter(year=copy_from):
            ind.pk = None
            ind.year = year
            ind.category = mapping[ind.category_id]
            if ind.due_date:
                try:
                    ind.due_date = ind.due_date.replace(year=number)
                except ValueError:
                    ind.due_date = ind.due_date.replace(year=number, day=28)
            indicators.append(ind)
        Indicator.objects.bulk_create(indicators)
    else:
        lines = {
            u.line: u
            for u in Unit.objects.filter(sub_district_id=sub_district_id, kind=UnitKind.DEPARTMENT)
        }
        office = _office_unit(year)
        for order, (code, name, line, points) in enumerate(DEFAULT_CATEGORIES):
            lead = lines.get(line) if line else office
            Category.objects.create(
                year=year,
                code=code,
                name=name,
                department=lead.name if lead else "",
                lead_unit=lead,
                max_points=points,
                sort_order=order,
            )
    _audit(
        "appraisal.year_created",
        actor=acting_user,
        subject=year,
        year=year,
        after={"year": number, "copied_from": copy_from.year if copy_from else None},
    )
    return year


SETTING_FIELDS = (
    "performance_weight",
    "satisfaction_weight",
    "full_marks_ratio",
    "bonus_cap",
    "bonus_district",
    "bonus_city",
    "bonus_province",
    "bonus_national",
    "vote_satisfied",
    "vote_basically",
    "vote_dissatisfied",
    "debriefing_weight",
    "democratic_weight",
    "rank_bonus",
    "bottom_penalty",
    "grade_bands",
    "claim_declare_by",
    "publicity_working_days",
)
LIST_SETTINGS = ("rank_bonus", "bottom_penalty", "grade_bands")


def settings_messages(values: dict, *, year_number: int | None) -> dict[str, list[str]]:
    """The problems domain.settings finds in `values` (model names), translated, by field."""
    out: dict[str, list[str]] = {}
    for problem in settings_rules.check_settings(values, year=year_number):
        text = _(problem.message) % problem.params
        if problem.index is not None:
            text = _("Entry %(n)s: %(problem)s") % {"n": problem.index + 1, "problem": text}
        out.setdefault(problem.field, []).append(text)
    return out


def check_settings(year: AssessmentYear) -> None:
    """Every setting of the year within its range (domain.settings), or a ValidationError whose
    messages name the setting."""
    values = {f: getattr(year, f) for f in SETTING_FIELDS}
    problems = settings_messages(values, year_number=year.year)
    if problems:
        raise ValidationError(
            [
                f"{AssessmentYear._meta.get_field(field).verbose_name}: {text}"
                for field, texts in problems.items()
                for text in texts
            ]
        )


@transaction.atomic
def year_update_settings(*, year_id: int, acting_user, values: dict) -> AssessmentYear:
    """Every setting of scoring.md, editable until the results are published."""
    year = _lock_year(year_id, acting_user)
    access.require_action(acting_user, year, "edit_settings")
    guard_open(year)
    before = {f: getattr(year, f) for f in SETTING_FIELDS}
    for field, value in values.items():
        if field not in SETTING_FIELDS:
            raise ValueError(field)
        setattr(year, field, value)
    check_settings(year)
    year.save(update_fields=list(values))
    after = {f: getattr(year, f) for f in SETTING_FIELDS}
    changed = {f for f in SETTING_FIELDS if before[f] != after[f]}
    if changed:
        _audit(
            "appraisal.settings_changed",
            actor=acting_user,
            subject=year,
            year=year,
            before={f: before[f] for f in sorted(changed)},
            after={f: after[f] for f in sorted(changed)},
        )
    return year


# ---------------------------------------------------------------- the year's transitions
# One service per transition of AssessmentYear.status (models.py): lock, check, transition,
# save(update_fields=…), one audit row.

YEAR_EVENTS = {
    YearStatus.IN_PROGRESS: "year.started",
    YearStatus.YEAR_END: "year.year_end_opened",
    YearStatus.DECIDED: "year.decided",
    YearStatus.PUBLISHED: "year.published",
    YearStatus.CLOSED: "year.closed",
}


def _year_for_transition(year_id, acting_user, expected_status) -> AssessmentYear:
    year = _lock_year(year_id, acting_user)
    if expected_status is not None and expected_status != year.status:
        raise _year_moved_on(year)
    return year


def _transition(
    year, method, *, acting_user, fields, extra=None, before_extra=None, **kwargs
) -> None:
    """Apply one transition of the year (refused with 409 when the model says it cannot proceed),
    save the fields it changed and write its one audit row."""
    before = year.status
    if not can_proceed(method):
        if not no_open_correction(year):
            raise Conflict(_("Close the open correction first."))
        raise Conflict(
            _("The year cannot move on from “%(status)s”.") % {"status": year.get_status_display()}
        )
    method(**kwargs)
    year.save(update_fields=["status", *fields])
    _audit(
        YEAR_EVENTS[year.status],
        actor=acting_user,
        subject=year,
        year=year,
        before={"status": before, **(before_extra or {})},
        after={"status": year.status, **(extra or {})},
    )


@transaction.atomic
def year_start(*, year_id: int, acting_user, now=None, expected_status=None) -> AssessmentYear:
    """规划 → 进行中: the catalogue is fixed, the assessed communities and their report tasks set
    (Art. 5–8)."""
    now = now or timezone.now()
    year = _year_for_transition(year_id, acting_user, expected_status)
    access.require_action(acting_user, year, "advance")
    if year.status != YearStatus.PLANNING:
        raise _year_moved_on(year)
    _check_catalogue(year)
    extra = start_year(year, now=now)
    _transition(year, year.start, acting_user=acting_user, fields=[], extra=extra)
    return year


@transaction.atomic
def year_open_year_end(
    *, year_id: int, acting_user, now=None, expected_status=None
) -> AssessmentYear:
    """进行中 → 年末考核 (Art. 14, 15). Reports of periods still to fall due keep counting when
    filed on time; the year page lists them in its checklist."""
    year = _year_for_transition(year_id, acting_user, expected_status)
    access.require_action(acting_user, year, "advance")
    _transition(year, year.open_year_end, acting_user=acting_user, fields=[])
    return year


@transaction.atomic
def year_decide(
    *,
    year_id: int,
    acting_user,
    now=None,
    expected_status=None,
    override_reason: str | None = None,
) -> AssessmentYear:
    """年末考核 → 已决定 (Art. 16): the results are fixed as of now. Refused while a category
    breaks the full-marks cap without an exception (Art. 4) or a correction is open; refused while
    report periods are not yet due — deciding would count them as missing (Art. 12) — unless the
    Office overrides with a reason, which the audit row keeps."""
    from .checklist import periods_not_yet_due

    now = now or timezone.now()
    year = _year_for_transition(year_id, acting_user, expected_status)
    access.require_action(acting_user, year, "advance")
    if year.status != YearStatus.YEAR_END:
        raise _year_moved_on(year)
    not_due = periods_not_yet_due(year, now=now)
    override = None
    if not_due.count:
        if not (override_reason or "").strip():
            raise Conflict(
                _(
                    "%(n)s report periods are not yet due (the last on %(date)s): deciding now "
                    "would count them as missing (Art. 12). Wait until they are due, or decide "
                    "anyway with a reason."
                )
                % {"n": not_due.count, "date": not_due.last_due}
            )
        override = {
            "reason": clean_text(override_reason, label=_("Reason"), max_length=MAX_REASON),
            "periods_not_yet_due": not_due.count,
        }
    year.as_of = now
    if no_open_correction(year) and not full_marks_allow_decision(year):
        codes = ", ".join(
            c.category for c in year._decision_check[1].full_marks if c.blocks_finalisation
        )
        raise Conflict(
            _(
                "Results cannot be finalised while categories %(codes)s break the full-marks "
                "cap without an exception of the Leading Group (Art. 4)."
            )
            % {"codes": codes}
        )
    extra = {"as_of": now.isoformat()}
    if override:
        extra["override"] = override
    _transition(year, year.decide, acting_user=acting_user, fields=["as_of"], extra=extra)
    return year


@transaction.atomic
def year_publish(*, year_id: int, acting_user, now=None, expected_status=None) -> AssessmentYear:
    """已决定 → 已公布 (Art. 16, 17), by the Office or the Leading Group: what is published is
    stored as version 1, which pages outside the Office read."""
    now = now or timezone.now()
    year = _year_for_transition(year_id, acting_user, expected_status)
    _require(policies.is_leader(acting_user) or policies.is_office(acting_user))
    _transition(
        year,
        year.publish,
        at=now,
        acting_user=acting_user,
        fields=["published_at"],
        extra={"published_at": now.isoformat()},
    )
    from .versions import version_write

    version_write(year=year, acting_user=acting_user, now=now)
    return year


@transaction.atomic
def year_close(*, year_id: int, acting_user, now=None, expected_status=None) -> AssessmentYear:
    """已公布 → 已归档: the year is archived."""
    year = _year_for_transition(year_id, acting_user, expected_status)
    access.require_action(acting_user, year, "advance")
    _transition(year, year.close, acting_user=acting_user, fields=[])
    return year


YEAR_TRANSITIONS = {
    YearStatus.PLANNING: year_start,
    YearStatus.IN_PROGRESS: year_open_year_end,
    YearStatus.YEAR_END: year_decide,
    YearStatus.DECIDED: year_publish,
    YearStatus.PUBLISHED: year_close,
}


def next_status(year: AssessmentYear) -> str | None:
    """The status the year's one forward transition leads to (None once closed)."""
    for t in year.get_all_status_transitions():
        if t.source == year.status:
            return t.target
    return None


def year_advance(
    *, year_id: int, acting_user, now=None, expected_status=None, override_reason=None
) -> AssessmentYear:
    """The year page's one button: the transition out of the status the page showed."""
    year = access.get_visible_or_404(acting_user, AssessmentYear.objects.all(), pk=year_id)
    status = expected_status if expected_status is not None else year.status
    service = YEAR_TRANSITIONS.get(status)
    if service is None:
        if expected_status is not None and expected_status != year.status:
            raise _year_moved_on(year)
        raise Conflict(_("The year is closed."))
    kwargs = {"override_reason": override_reason} if service is year_decide else {}
    return service(
        year_id=year_id, acting_user=acting_user, now=now, expected_status=status, **kwargs
    )


def _year_moved_on(year: AssessmentYear) -> Conflict:
    msgid = gettext_noop(
        "The year moved on after the page was opened: it is now “%(status)s”. Nothing was done."
    )
    message = _(msgid) % {"status": year.get_status_display()}
    with translation.override("en"):
        english = _(msgid) % {"status": year.get_status_display()}
    return Conflict(message, url=reverse("appraisal:year", args=[year.year]), english=english)


def _check_catalogue(year: AssessmentYear) -> None:
    cats = list(Category.objects.filter(year=year))
    if not cats:
        raise ValidationError(_("The catalogue has no categories."))
    total = sum((c.max_points for c in cats), Decimal(0))
    if total != 100:
        raise ValidationError(
            _("The category maxima add up to %(total)s, not 100 (Art. 4).") % {"total": total}
        )
    if not Indicator.objects.filter(year=year).exists():
        raise ValidationError(_("The catalogue has no indicators."))


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
    due_date = values.get("due_date")
    if schedule == Schedule.ONCE:
        if due_date is None or due_date.year != year.year:
            raise ValidationError(_("A one-off report needs a due date within the year."))
    else:
        due_date = None
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
    year = _lock_year(year_id, acting_user)
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
        indicator.save()
    after = {k: getattr(indicator, k) for k in clean if k != "category"}
    after["category"] = indicator.category.code
    _audit(
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
    year = _lock_year(year_id, acting_user)
    access.require_action(acting_user, year, "edit_catalogue")
    guard_open(year)
    if year.status != YearStatus.PLANNING:
        raise Conflict(_("The catalogue is fixed once the year has started."))
    indicator = Indicator.objects.filter(year=year, pk=pk).first()
    if indicator is None:
        raise Http404
    _audit(
        "appraisal.indicator_deleted",
        actor=acting_user,
        subject=indicator,
        year=year,
        before={"code": indicator.code, "name": indicator.name},
    )
    indicator.delete()


def period_due_dates(indicator: Indicator, number: int) -> list[dt.date]:
    """The due date of each period: the last day of the month / quarter / year, or the
    indicator's own date for a one-off report (Art. 7)."""
    return [due for _opens, due in periods(indicator, number)]


def periods(indicator: Indicator, number: int) -> list[tuple[dt.date, dt.date]]:
    """(first day, due date) of each reporting period: a month, a quarter, the year; a one-off
    report is open from the start of the year until its own date."""
    last = lambda m: dt.date(number, m, calendar.monthrange(number, m)[1])  # noqa: E731
    if indicator.schedule == Schedule.MONTHLY:
        return [(dt.date(number, m, 1), last(m)) for m in range(1, 13)]
    if indicator.schedule == Schedule.QUARTERLY:
        return [(dt.date(number, m - 2, 1), last(m)) for m in (3, 6, 9, 12)]
    if indicator.schedule == Schedule.ANNUAL:
        return [(dt.date(number, 1, 1), dt.date(number, 12, 31))]
    if indicator.schedule == Schedule.ONCE:
        return [(dt.date(number, 1, 1), indicator.due_date or dt.date(number, 3, 31))]
    return []


def start_year(year: AssessmentYear, *, now: dt.datetime) -> dict:
    """Fix the assessed communities and give each its reports (Art. 7, 8), in bulk. A report's
    task enters the community's inbox when its period begins (the deadline sweep opens the later
    ones: open_report_items)."""
    communities = list(
        Unit.objects.filter(
            sub_district_id=year.sub_district_id, kind=UnitKind.COMMUNITY, is_active=True
        ).order_by("sort_order", "code")
    )
    AssessedUnit.objects.filter(year=year).delete()
    AssessedUnit.objects.bulk_create(
        AssessedUnit(year=year, unit=u, code=u.code, name=u.name) for u in communities
    )
    reports = []
    for ind in Indicator.objects.filter(year=year).order_by("code"):
        spans = periods(ind, year.year)
        if ind.schedule != Schedule.CUSTOM:
            ind.required_reports = len(spans)
            ind.save(update_fields=["required_reports"])
        for unit in communities:
            for period, (opens, due) in enumerate(spans, start=1):
                reports.append(
                    Report(
                        year=year,
                        unit=unit,
                        indicator=ind,
                        period=period,
                        opens_at=workdays.start_of_day(opens),
                        due_at=workdays.end_of_day(due),
                    )
                )
    Report.objects.bulk_create(reports, batch_size=2000, ignore_conflicts=True)
    # The year is in progress from now on (the caller saves the status with this transaction).
    opened = _open_report_items(now, None, year_ids=[year.pk])
    return {"units": len(communities), "reports": len(reports), "tasks_opened": opened}


def open_report_items(now: dt.datetime, batch: int) -> int:
    """Deadline sweep hook: open the inbox task of every report whose period has begun, of the
    years in progress (at most `batch` per call). Set-based; idempotent."""
    return _open_report_items(now, batch)


def _open_report_items(now, batch, *, year_ids=None) -> int:
    ct = ContentType.objects.get_for_model(Report)
    due = Report.objects.filter(opens_at__lte=now, task_opened=False, submitted_at__isnull=True)
    if year_ids is None:
        due = due.filter(year__status__in=[YearStatus.IN_PROGRESS, YearStatus.YEAR_END])
    else:
        due = due.filter(year_id__in=year_ids)
    with transaction.atomic():
        rows = (
            due.select_related("indicator", "year")
            .order_by("pk")
            .select_for_update(of=("self",), skip_locked=True)
        )
        if batch is not None:
            rows = rows[:batch]
        rows = list(rows)
        WorkItem.objects.bulk_create(
            (
                WorkItem(
                    kind=WI_REPORT,
                    subject_type=ct,
                    subject_id=r.pk,
                    owner_unit_id=r.unit_id,
                    sub_district_id=r.year.sub_district_id,
                    title=_report_title(r)[:250],
                    reference=r.indicator.code[:40],
                    url=reverse("appraisal:report", args=[r.pk]),
                    due_at=r.due_at,
                )
                for r in rows
            ),
            batch_size=2000,
            ignore_conflicts=True,
        )
        Report.objects.filter(pk__in=[r.pk for r in rows]).update(task_opened=True)
    return len(rows)


def _report_title(report: Report) -> str:
    if report.indicator.required_reports > 1:
        return _("Report: %(name)s (period %(n)s)") % {
            "name": report.indicator.name,
            "n": report.period,
        }
    return _("Report: %(name)s") % {"name": report.indicator.name}


# ---------------------------------------------------------------- reports (Art. 7, 8, 12)


@_with_files
def report_submit(*, report_id: int, acting_user, text: str, files: Sequence = ()) -> Report:
    """File a periodic report. A late one is accepted and kept, marked 逾期 and excluded from
    scoring (Art. 12)."""
    report = access.get_visible_or_404(
        acting_user,
        Report.objects.select_for_update(of=("self",)).select_related("year", "indicator"),
        pk=report_id,
    )
    access.require_action(acting_user, report, "submit")
    guard_open(report.year)
    if report.year.status not in (YearStatus.IN_PROGRESS, YearStatus.YEAR_END):
        raise Conflict(_("Reports are filed while the year is in progress."))
    if report.submitted_at is not None:
        raise Conflict(_("This report has been filed already."))
    text = clean_text(text, label=_("Report"))
    checked = evidence.check_uploads(files)
    if report.indicator.evidence_required and not checked:
        raise ValidationError(_("This indicator requires evidence: attach at least one file."))
    now = timezone.now()
    report.text = text
    report.submitted_at = now
    report.submitted_by = acting_user
    report.save(update_fields=["text", "submitted_at", "submitted_by"])
    files = _store_files(checked, subject=report, year=report.year, user=acting_user)
    workitems.close_items(subject=report, kinds=[WI_REPORT])
    _audit(
        "appraisal.report_submitted",
        actor=acting_user,
        subject=report,
        year=report.year,
        after={
            "indicator": report.indicator.code,
            "period": report.period,
            "due_at": report.due_at,
            "submitted_at": now,
            "late": report.late,
            "text": text,
            "files": files,
        },
    )
    return report


# ---------------------------------------------------------------- department scoring


@dataclass(frozen=True)
class CellInput:
    unit_id: int
    indicator_id: int
    score: str  # "" clears the score
    comment: str = ""


@transaction.atomic
def scores_save(*, year_id: int, category_id: int, acting_user, cells: Sequence[CellInput]):
    """Save a department's grid: only its own category, every value in [0, max_points]."""
    year = _lock_year(year_id, acting_user)
    category = Category.objects.filter(year=year, pk=category_id).first()
    if category is None:
        raise PermissionDenied
    _require(policies.can_score(acting_user, category))
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
    year = _lock_year(year_id, acting_user)
    category = Category.objects.filter(year=year, pk=category_id).first()
    if category is None:
        raise PermissionDenied
    _require(policies.is_office(acting_user))
    guard_open(year)
    if year.status != YearStatus.YEAR_END and not year.inputs_closed:
        raise Conflict(_("The joint team's values are entered during the year-end appraisal."))
    return _save_grid(year, category, acting_user, cells, field="verified_score")


def _save_grid(year, category, acting_user, cells, *, field: str) -> int:
    indicators = {i.pk: i for i in Indicator.objects.filter(category=category)}
    units = set(AssessedUnit.objects.filter(year=year).values_list("unit_id", flat=True))
    existing = {
        (s.unit_id, s.indicator_id): s
        for s in Score.objects.select_for_update().filter(year=year, indicator__category=category)
    }
    verified = field == "verified_score"
    now = timezone.now()
    changes, errors = [], []
    for cell in cells:
        ind = indicators.get(cell.indicator_id)
        if ind is None or cell.unit_id not in units:
            raise PermissionDenied
        try:
            value = (
                None
                if str(cell.score).strip() == ""
                else parse_points(cell.score, label=ind.code, low=Decimal(0), high=ind.max_points)
            )
            comment = clean_text(
                cell.comment, label=_("Comment"), max_length=MAX_REASON, required=False
            )
        except ValidationError as exc:
            errors.extend(exc.messages)
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
        score.save()
    if errors:
        raise ValidationError(errors)
    if changes:
        _audit(
            "appraisal.verified_scores_saved" if verified else "appraisal.scores_saved",
            actor=acting_user,
            subject=category,
            year=year,
            after={"category": category.code, "changes": changes},
        )
    return len(changes)


# ---------------------------------------------------------------- adjustments, spot checks


def _category_for_writer(year, category_id, acting_user) -> Category:
    category = Category.objects.filter(year=year, pk=category_id).first()
    if category is None:
        raise ValidationError(_("Choose a category of this year."))
    _require(policies.can_score(acting_user, category) or policies.is_office(acting_user))
    return category


def _assessed(year, unit_id) -> Unit:
    assessed = (
        AssessedUnit.objects.filter(year=year, unit_id=unit_id).select_related("unit").first()
    )
    if assessed is None:
        raise ValidationError(_("Choose a community assessed this year."))
    return assessed.unit


@transaction.atomic
def adjustment_add(
    *, year_id, acting_user, unit_id, category_id, points, reason, source, date
) -> Adjustment:
    """An in-year addition or deduction (加扣分, Art. 10) with reason, source and date."""
    year = _lock_year(year_id, acting_user)
    category = _category_for_writer(year, category_id, acting_user)
    guard_open(year)
    unit = _assessed(year, unit_id)
    points = parse_points(
        points, label=_("Points"), low=-category.max_points, high=category.max_points
    )
    if points == 0:
        raise ValidationError(_("An adjustment of 0 points changes nothing."))
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
    _audit(
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


@transaction.atomic
def spot_check_add(
    *, year_id, acting_user, unit_id, category_id, indicator_id, date, findings
) -> SpotCheck:
    year = _lock_year(year_id, acting_user)
    category = _category_for_writer(year, category_id, acting_user)
    guard_open(year)
    unit = _assessed(year, unit_id)
    indicator = None
    if indicator_id:
        indicator = Indicator.objects.filter(category=category, pk=indicator_id).first()
        if indicator is None:
            raise ValidationError(_("The indicator is not of this category."))
    check = SpotCheck.objects.create(
        year=year,
        unit=unit,
        category=category,
        indicator=indicator,
        date=date,
        findings=clean_text(findings, label=_("Findings"), max_length=MAX_TEXT),
        recorded_by=acting_user,
    )
    _audit(
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


# ---------------------------------------------------------------- fraud (Art. 19)


@_with_files
def fraud_record(*, year_id, acting_user, unit_id, category_id, reason, files=()) -> FraudFinding:
    """The Office records a finding with evidence; the Leading Group decides it."""
    year = _lock_year(year_id, acting_user)
    _require(policies.is_office(acting_user))
    guard_open(year)
    category = Category.objects.filter(year=year, pk=category_id).first()
    if category is None:
        raise ValidationError(_("Choose a category of this year."))
    unit = _assessed(year, unit_id)
    checked = evidence.check_uploads(files)
    finding = FraudFinding.objects.create(
        year=year,
        unit=unit,
        category=category,
        reason=clean_text(reason, label=_("Reason"), max_length=MAX_REASON),
        recorded_by=acting_user,
    )
    files = _store_files(checked, subject=finding, year=year, user=acting_user)
    _ask(
        UnitKind.LEADING_GROUP,
        year,
        kind=WI_FRAUD_DECIDE,
        subject=finding,
        title=_("Decide a fraud finding: %(unit)s, %(cat)s")
        % {"unit": unit.name, "cat": category.name},
        url=reverse("appraisal:fraud", args=[year.year, finding.pk]),
    )
    _audit(
        "appraisal.fraud_recorded",
        actor=acting_user,
        subject=finding,
        year=year,
        after={
            "unit": unit.code,
            "category": category.code,
            "reason": finding.reason,
            "files": files,
        },
    )
    return finding


@transaction.atomic
def fraud_decide(*, finding_id, acting_user, uphold: bool, note: str) -> FraudFinding:
    finding = access.get_visible_or_404(
        acting_user,
        FraudFinding.objects.select_for_update(of=("self",)).select_related("year"),
        pk=finding_id,
    )
    access.require_action(acting_user, finding, "decide")
    guard_open(finding.year)
    transition = finding.uphold if uphold else finding.reject
    if not can_proceed(transition):
        raise Conflict(_("This finding has been decided already."))
    note = clean_text(note, label=_("Decision note"), max_length=MAX_REASON, required=not uphold)
    transition()
    finding.decided_by = acting_user
    finding.decided_at = timezone.now()
    finding.decision_note = note
    finding.save()
    workitems.close_items(subject=finding)
    _audit(
        "appraisal.fraud_upheld" if uphold else "appraisal.fraud_rejected",
        actor=acting_user,
        subject=finding,
        year=finding.year,
        after={"state": finding.state, "note": note},
    )
    return finding


# ---------------------------------------------------------------- bonus claims (Art. 6)


@_with_files
def claim_declare(*, year_id, acting_user, unit_id, level, title, description, files=()):
    """A community declares a bonus item. After the deadline it is recorded and excluded."""
    year = _lock_year(year_id, acting_user)
    _require(access.has_role(acting_user, *policies.COMMUNITY_ROLES, unit=unit_id))
    guard_open(year)
    if year.claim_declare_by is None:
        raise Conflict(_("The Office has not set this year's declaration deadline yet."))
    if year.status not in (YearStatus.IN_PROGRESS, YearStatus.YEAR_END):
        raise Conflict(_("Bonus items are declared while the year is in progress."))
    unit = _assessed(year, unit_id)
    from .models import BonusLevel

    if level not in BonusLevel.values:
        raise ValidationError(_("Choose a level."))
    checked = evidence.check_uploads(files)
    if not checked:
        raise ValidationError(_("Attach the evidence of the honour (Art. 6)."))
    now = timezone.now()
    claim = BonusClaim.objects.create(
        year=year,
        unit=unit,
        level=level,
        title=clean_text(title, label=_("Title"), max_length=200),
        description=clean_text(description, label=_("Description"), required=False),
        declared_at=now,
        declare_by=year.claim_declare_by,
        declared_by=acting_user,
        sort_order=BonusClaim.objects.filter(year=year).count(),
    )
    files = _store_files(checked, subject=claim, year=year, user=acting_user)
    _ask(
        UnitKind.OFFICE,
        year,
        kind=WI_CLAIM_REVIEW,
        subject=claim,
        title=_("Review a bonus claim: %(unit)s, %(title)s")
        % {"unit": unit.name, "title": claim.title},
        url=reverse("appraisal:claim", args=[claim.pk]),
    )
    _audit(
        "appraisal.claim_declared",
        actor=acting_user,
        subject=claim,
        year=year,
        after={
            "unit": unit.code,
            "level": level,
            "title": claim.title,
            "declared_at": now,
            "declare_by": claim.declare_by,
            "late": claim.late,
            "files": files,
        },
    )
    return claim


def _lock_claim(claim_id, acting_user) -> BonusClaim:
    return access.get_visible_or_404(
        acting_user,
        BonusClaim.objects.select_for_update(of=("self",)).select_related("year", "unit"),
        pk=claim_id,
    )


@transaction.atomic
def claim_review(*, claim_id, acting_user, forward: bool, note: str) -> BonusClaim:
    """The Office forwards a claim to the Leading Group, or rejects it with a reason."""
    claim = _lock_claim(claim_id, acting_user)
    access.require_action(acting_user, claim, "review")
    guard_open(claim.year)
    transition = claim.review if forward else claim.reject
    if not can_proceed(transition):
        raise Conflict(_("This claim is not waiting for the Office's review."))
    note = clean_text(note, label=_("Review note"), max_length=MAX_REASON, required=not forward)
    transition()
    claim.review_note = note
    claim.save()
    workitems.close_items(subject=claim, kinds=[WI_CLAIM_REVIEW])
    if forward:
        _ask(
            UnitKind.LEADING_GROUP,
            claim.year,
            kind=WI_CLAIM_DECIDE,
            subject=claim,
            title=_("Decide a bonus claim: %(unit)s, %(title)s")
            % {"unit": claim.unit.name, "title": claim.title},
            url=reverse("appraisal:claim", args=[claim.pk]),
        )
    if not forward:
        _notify_claim(claim, "claim_rejected")
    _audit(
        "appraisal.claim_reviewed" if forward else "appraisal.claim_rejected",
        actor=acting_user,
        subject=claim,
        year=claim.year,
        after={"status": claim.status, "note": note},
    )
    return claim


@transaction.atomic
def claim_decide(
    *, claim_id, acting_user, approve: bool, note: str, now: dt.datetime | None = None
) -> BonusClaim:
    """The Leading Group approves (publicity starts: 通报展示) or rejects a reviewed claim."""
    now = now or timezone.now()
    claim = _lock_claim(claim_id, acting_user)
    access.require_action(acting_user, claim, "decide")
    guard_open(claim.year)
    transition = claim.approve if approve else claim.reject
    if claim.status != ClaimState.OFFICE_REVIEWED or not can_proceed(transition):
        raise Conflict(_("This claim is not waiting for the Leading Group's decision."))
    note = clean_text(note, label=_("Decision note"), max_length=MAX_REASON, required=not approve)
    transition()
    claim.decision_note = note
    if approve:
        try:
            last = workdays.add_workdays(
                workdays.local_date(now), claim.year.publicity_working_days
            )
        except workdays.CalendarYearUnknown as exc:
            raise ValidationError(str(exc)) from exc
        claim.publicity_ends_at = workdays.end_of_day(last)
    claim.save()
    workitems.close_items(subject=claim)
    _notify_claim(claim, "claim_approved" if approve else "claim_rejected")
    _audit(
        "appraisal.claim_approved" if approve else "appraisal.claim_rejected",
        actor=acting_user,
        subject=claim,
        year=claim.year,
        after={"status": claim.status, "note": note, "publicity_ends_at": claim.publicity_ends_at},
    )
    return claim


def _notify_claim(claim: BonusClaim, verb: str) -> None:
    notify(
        sub_district_id=claim.year.sub_district_id,
        unit_id=claim.unit_id,
        verb=verb,
        title=claim.title,
        url=reverse("appraisal:claim", args=[claim.pk]),
        subject=claim,
    )


# ---------------------------------------------------------------- votes, comprehensive, exceptions


@transaction.atomic
def votes_save(*, year_id, acting_user, rows: Sequence[dict]) -> int:
    """rows: {unit_id, kind, satisfied, basically, dissatisfied} (whole numbers ≥ 0)."""
    year = _lock_year(year_id, acting_user)
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
            vote.save()
            changes.append({"unit": units[row["unit_id"]], "kind": row["kind"], **counts})
    if changes:
        _audit("appraisal.votes_saved", actor=acting_user, subject=year, year=year, after=changes)
    return len(changes)


@transaction.atomic
def comprehensive_save(*, year_id, acting_user, rows: Sequence[dict]) -> int:
    """rows: {unit_id, score ("" = none), advanced} — the comprehensive evaluation (Art. 17)."""
    year = _lock_year(year_id, acting_user)
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
            current.save()
        changes.append({"unit": code, "score": score, "advanced": advanced})
    if changes:
        _audit(
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
    year = _lock_year(year_id, acting_user)
    access.require_action(acting_user, year, "decide")
    guard_open(year)
    category = Category.objects.filter(year=year, pk=category_id).first()
    if category is None:
        raise ValidationError(_("Choose a category of this year."))
    reason = clean_text(reason, label=_("Reason"), max_length=MAX_REASON)
    exc, _created = FullMarksException.objects.update_or_create(
        year=year, category=category, defaults={"reason": reason, "recorded_by": acting_user}
    )
    _audit(
        "appraisal.full_marks_exception",
        actor=acting_user,
        subject=exc,
        year=year,
        after={"category": category.code, "reason": reason},
    )
    return exc


# ---------------------------------------------------------------- corrections of a published year


@transaction.atomic
def correction_request(*, year_id, acting_user, reason) -> Correction:
    year = _lock_year(year_id, acting_user)
    _require(policies.is_office(acting_user))
    if not year.inputs_closed:
        raise Conflict(_("Only a decided year needs a correction; this one is still open."))
    if Correction.objects.filter(year=year, state__in=OPEN_CORRECTION_STATES).exists():
        raise Conflict(_("A correction of this year is already open."))
    correction = Correction.objects.create(
        year=year,
        reason=clean_text(reason, label=_("Reason"), max_length=MAX_REASON),
        requested_by=acting_user,
    )
    _ask(
        UnitKind.LEADING_GROUP,
        year,
        kind=WI_CORRECTION,
        subject=correction,
        title=_("Approve a correction of %(year)s") % {"year": year.year},
        url=reverse("appraisal:year", args=[year.year]),
    )
    _audit(
        "appraisal.correction_requested",
        actor=acting_user,
        subject=correction,
        year=year,
        after={"reason": correction.reason},
    )
    return correction


@transaction.atomic
def correction_decide(*, correction_id, acting_user, approve: bool, note: str) -> Correction:
    correction = Correction.objects.select_for_update().select_related("year").get(pk=correction_id)
    year = correction.year
    if not access.in_sub_district(acting_user, year.sub_district_id):
        raise PermissionDenied
    access.require_action(acting_user, year, "approve_correction")
    if correction.state != CorrectionState.REQUESTED:
        raise Conflict(_("This correction has been decided already."))
    correction.state = CorrectionState.APPROVED if approve else CorrectionState.REFUSED
    correction.decided_by = acting_user
    correction.decided_at = timezone.now()
    correction.decision_note = clean_text(
        note, label=_("Decision note"), max_length=MAX_REASON, required=not approve
    )
    correction.save()
    workitems.close_items(subject=correction)
    _audit(
        "appraisal.correction_approved" if approve else "appraisal.correction_refused",
        actor=acting_user,
        subject=correction,
        year=year,
        after={"note": correction.decision_note},
    )
    return correction


@transaction.atomic
def correction_close(*, correction_id, acting_user) -> Correction:
    """The Office closes an applied correction: the year is frozen again."""
    correction = Correction.objects.select_for_update().select_related("year").get(pk=correction_id)
    if not access.in_sub_district(acting_user, correction.year.sub_district_id):
        raise PermissionDenied
    _require(policies.is_office(acting_user))
    if correction.state != CorrectionState.APPROVED:
        raise Conflict(_("Only an approved correction can be closed."))
    from .versions import current_version, figures_changed

    # Art. 16: changed figures are published only as a new version (versions.py), never
    # left to differ silently from what was published.
    if current_version(correction.year) is not None and figures_changed(correction.year):
        raise Conflict(
            _(
                "The figures differ from the published version: close the correction for "
                "republication, or undo the changes first."
            )
        )
    correction.state = CorrectionState.CLOSED
    correction.closed_at = timezone.now()
    correction.save()
    _audit(
        "appraisal.correction_closed",
        actor=acting_user,
        subject=correction,
        year=correction.year,
        after={"state": correction.state},
    )
    return correction
