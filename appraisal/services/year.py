"""The assessment year: created (from an earlier year's settings and catalogue, or the four
categories of Art. 4), its settings (scoring.md), and its transitions — one service each, with
save(update_fields=…) and one audit row."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django_fsm import can_proceed

from core import access, workitems
from core.errors import Conflict
from core.models import Unit, UnitKind

from .. import policies
from ..domain import settings as settings_rules
from ..kinds import WI_REPORT
from ..models import (
    AssessmentYear,
    Category,
    Indicator,
    Report,
    YearStatus,
    full_marks_allow_decision,
    no_open_correction,
)
from ..selectors.year import periods_not_yet_due, undecided
from .catalogue import _check_catalogue
from .common import MAX_REASON, audit, clean_text, guard_open, lock_year, office_unit, require
from .reports import start_year

# Art. 4: the four categories and who leads them (code, name, line of the lead department).
DEFAULT_CATEGORIES = (
    ("LZ", "党风廉政建设", "lz", Decimal("25.00")),
    ("ZZ", "组织建设", "zz", Decimal("40.00")),
    ("XC", "宣传意识形态", "xc", Decimal("20.00")),
    ("QT", "其他任务", "", Decimal("15.00")),
)


@transaction.atomic
def year_create(*, acting_user, number: int, copy_from: AssessmentYear | None = None):
    """A new year in planning: a copy of an earlier year's settings and catalogue (R5.1), or the
    four categories of Art. 4 with their lead departments."""
    require(policies.is_office(acting_user))
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
    year.save(force_insert=True)
    if copy_from is not None:
        mapping = {}
        for cat in Category.objects.filter(year=copy_from):
            old = cat.pk
            cat.pk = None
            cat.year = year
            cat.save(force_insert=True)
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
        office = office_unit(year)
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
    audit(
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
    """Every setting of scoring.md, editable until the results are decided (then only through an
    approved correction, Art. 16)."""
    year = lock_year(year_id, acting_user)
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
        audit(
            "appraisal.settings_changed",
            actor=acting_user,
            subject=year,
            year=year,
            before={f: before[f] for f in sorted(changed)},
            after={f: after[f] for f in sorted(changed)},
        )
    return year


YEAR_EVENTS = {
    YearStatus.IN_PROGRESS: "year.started",
    YearStatus.YEAR_END: "year.year_end_opened",
    YearStatus.DECIDED: "year.decided",
    YearStatus.PUBLISHED: "year.published",
    YearStatus.CLOSED: "year.closed",
}


def _year_for_transition(year_id, acting_user, expected_status) -> AssessmentYear:
    year = lock_year(year_id, acting_user)
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
    audit(
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
    if year.catalogue_approved_at is None:
        # Art. 5: the departments draft, the Office approves the whole catalogue first.
        raise ValidationError(
            _("The Office has not approved the catalogue: the year cannot start yet (Art. 5).")
        )
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
    now = now or timezone.now()
    year = _year_for_transition(year_id, acting_user, expected_status)
    # Art. 16: the Leading Group decides (its task in the year-end process); the Office's right
    # stays for the services that predate the process (imports, tests of the rules).
    if not (
        access.can_act(acting_user, year, "decide") or access.can_act(acting_user, year, "advance")
    ):
        raise PermissionDenied
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
    waiting = undecided(year)
    if waiting.claims or waiting.findings:
        what = []
        if waiting.claims:
            what.append(_("bonus claims: %(n)s") % {"n": waiting.claims})
        if waiting.findings:
            what.append(_("fraud findings: %(n)s") % {"n": waiting.findings})
        raise Conflict(
            _("Not decided yet — %(what)s. They are decided before the results (Art. 6, 16, 19).")
            % {"what": "; ".join(what)}
        )
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
    # Reports can no longer be filed (Art. 12, 16): their tasks leave the communities' inboxes
    # and the sweep's reminders.
    workitems.cancel_items(
        subject_model=Report,
        subject_ids=Report.objects.filter(year=year).values("pk"),
        kinds=[WI_REPORT],
    )
    return year


@transaction.atomic
def year_publish(*, year_id: int, acting_user, now=None, expected_status=None) -> AssessmentYear:
    """已决定 → 已公布 (Art. 16, 17), by the Office or the Leading Group: what is published is
    stored as version 1, which pages outside the Office read."""
    now = now or timezone.now()
    year = _year_for_transition(year_id, acting_user, expected_status)
    require(policies.is_leader(acting_user) or policies.is_office(acting_user))
    _transition(
        year,
        year.publish,
        at=now,
        acting_user=acting_user,
        fields=["published_at"],
        extra={"published_at": now.isoformat()},
    )
    from .publication import version_write

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
    return Conflict(message, url=reverse("appraisal:year", args=[year.year]))
