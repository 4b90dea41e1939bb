"""Write services of core: each is one transaction with one audit row per change."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from . import access, spreadsheets, workitems
from .audit import audit_record, model_snapshot
from .middleware import current_ip
from .models import CalendarDay, CalendarYear, DayKind

MAX_IMPORT_ROWS = 2000


def _moves_lights(service):
    """A calendar change may move the "due soon" limit of the lights: forget it once committed."""

    @functools.wraps(service)
    def wrapper(*args, **kwargs):
        result = service(*args, **kwargs)
        transaction.on_commit(workitems.forget_thresholds)
        return result

    return wrapper


def _require_calendar_editor(user) -> None:
    # The calendar is one national table that moves every sub-district's deadlines.
    if not access.can_edit_calendar(user):
        raise PermissionDenied(
            _("Only an installation administrator can change the working-day calendar.")
        )


@_moves_lights
def calendar_day_set(
    *, acting_user, day: dt.date, kind: str, name: str = "", note: str = ""
) -> CalendarDay:
    """Enter or change one day of the calendar (a holiday or a make-up working day)."""
    _require_calendar_editor(acting_user)
    if kind not in DayKind.values:
        raise ValidationError({"kind": _("Unknown kind of day.")})
    try:
        return _calendar_day_set(acting_user, day, kind, name, note)
    except IntegrityError:
        # Someone entered the same new date at the same moment; their row exists now: update it.
        return _calendar_day_set(acting_user, day, kind, name, note)


def _calendar_day_set(acting_user, day, kind, name, note) -> CalendarDay:
    with transaction.atomic():
        existing = CalendarDay.objects.select_for_update().filter(date=day).first()
        before = model_snapshot(existing) if existing else None
        obj = existing or CalendarDay(date=day)
        obj.kind, obj.name, obj.note, obj.updated_by = kind, name.strip(), note.strip(), acting_user
        obj.full_clean(validate_unique=False)  # the unique date is settled by the database
        obj.save()
        audit_record(
            event_type="calendar.day_set",
            actor=acting_user,
            subject=obj,
            before=before,
            after=model_snapshot(obj),
            ip=current_ip(),
            installation_level=True,
        )
    return obj


@_moves_lights
def calendar_day_delete(*, acting_user, day_id: int) -> None:
    """Remove an override; the day falls back to the built-in calendar."""
    _require_calendar_editor(acting_user)
    with transaction.atomic():
        obj = CalendarDay.objects.select_for_update().get(pk=day_id)
        audit_record(
            event_type="calendar.day_delete",
            actor=acting_user,
            subject=obj,
            before=model_snapshot(obj),
            ip=current_ip(),
            installation_level=True,
        )
        obj.delete()


@_moves_lights
def calendar_year_set(*, acting_user, year: int, complete: bool, source: str = "") -> CalendarYear:
    """Mark a year's arrangement as fully entered (or not), so deadlines may use it."""
    _require_calendar_editor(acting_user)
    if not 2000 <= year <= 2100:
        raise ValidationError({"year": _("The year must be between 2000 and 2100.")})
    with transaction.atomic():
        obj, created = CalendarYear.objects.select_for_update().get_or_create(year=year)
        before = None if created else model_snapshot(obj)
        if not created and (obj.complete, obj.source) == (complete, source.strip()):
            return obj  # saved unchanged: nothing to store, nothing to audit
        obj.complete, obj.source, obj.updated_by = complete, source.strip(), acting_user
        obj.save()
        audit_record(
            event_type="calendar.year_set",
            actor=acting_user,
            subject=obj,
            before=before,
            after=model_snapshot(obj),
            ip=current_ip(),
            installation_level=True,
        )
    return obj


# --- xlsx import --------------------------------------------------------------------------------

KIND_WORDS = {
    "放假": DayKind.HOLIDAY,
    "休息": DayKind.HOLIDAY,
    "假日": DayKind.HOLIDAY,
    "holiday": DayKind.HOLIDAY,
    "上班": DayKind.WORKDAY,
    "补班": DayKind.WORKDAY,
    "调休上班": DayKind.WORKDAY,
    "工作日": DayKind.WORKDAY,
    "workday": DayKind.WORKDAY,
}
IMPORT_HEADERS = ["日期 Date", "类型 Kind (放假/上班)", "名称 Holiday", "备注 Note"]


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)


class CalendarImportError(ValidationError):
    pass


def _parse_date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value or "").strip().replace("/", "-").replace(".", "-")
    for fmt in ("%Y-%m-%d", "%Y年%m月%d日"):
        try:
            return dt.datetime.strptime(text, fmt).date()  # noqa: DTZ007 (a date, no time)
        except ValueError:
            continue
    raise ValueError(text)


@_moves_lights
def calendar_import_rows(*, acting_user, rows: list[tuple]) -> ImportResult:
    """Import (date, kind, name, note) rows: all or nothing, one audit row per changed day."""
    _require_calendar_editor(acting_user)
    result = ImportResult()
    parsed: dict[dt.date, tuple[str, str, str]] = {}
    for number, row in enumerate(rows, start=2):
        cells = list(row) + [None] * 4
        raw_date, raw_kind, name, note = cells[:4]
        if all(c in (None, "") for c in cells[:4]):
            continue
        try:
            day = _parse_date(raw_date)
        except ValueError:
            result.errors.append(
                _("Row %(row)s: “%(value)s” is not a date (write 2027-01-01).")
                % {"row": number, "value": raw_date}
            )
            continue
        kind = KIND_WORDS.get(str(raw_kind or "").strip().lower())
        if kind is None:
            result.errors.append(
                _("Row %(row)s: the kind must be 放假 (holiday) or 上班 (working day).")
                % {"row": number}
            )
            continue
        if day in parsed:
            result.errors.append(
                _("Row %(row)s: %(date)s appears twice.") % {"row": number, "date": day}
            )
            continue
        parsed[day] = (kind, str(name or "").strip()[:40], str(note or "").strip()[:200])
    if len(parsed) > MAX_IMPORT_ROWS:
        result.errors.append(
            _("At most %(max)s rows can be imported at once.") % {"max": MAX_IMPORT_ROWS}
        )
    if result.errors:
        raise CalendarImportError(result.errors)
    if not parsed:
        raise CalendarImportError([_("The file has no rows to import.")])
    try:
        return _calendar_import(acting_user, parsed, result)
    except IntegrityError:
        # A day was entered by someone else meanwhile: import again over it.
        return _calendar_import(acting_user, parsed, ImportResult())


def _calendar_import(acting_user, parsed, result: ImportResult) -> ImportResult:
    with transaction.atomic():
        existing = {
            d.date: d for d in CalendarDay.objects.select_for_update().filter(date__in=list(parsed))
        }
        for day, (kind, name, note) in sorted(parsed.items()):
            obj = existing.get(day)
            if obj and (obj.kind, obj.name, obj.note) == (kind, name, note):
                result.unchanged += 1
                continue
            before = model_snapshot(obj) if obj else None
            if obj is None:
                obj = CalendarDay(date=day)
                result.created += 1
            else:
                result.updated += 1
            obj.kind, obj.name, obj.note, obj.updated_by = kind, name, note, acting_user
            obj.save()
            audit_record(
                event_type="calendar.day_set",
                actor=acting_user,
                subject=obj,
                before=before,
                after=model_snapshot(obj),
                ip=current_ip(),
                installation_level=True,
            )
    return result


def calendar_import_xlsx(*, acting_user, file) -> ImportResult:
    """Import calendar days from the first sheet of an xlsx file (header row first)."""
    _require_calendar_editor(acting_user)
    try:
        with spreadsheets.open_workbook(file, data_only=True) as workbook:
            rows = [values for _number, values in workbook.rows(0, min_row=2, max_col=4)]
    except spreadsheets.NotAWorkbook as exc:
        raise CalendarImportError([exc.message]) from exc
    if len(rows) > MAX_IMPORT_ROWS * 2:
        raise CalendarImportError(
            [_("At most %(max)s rows can be imported at once.") % {"max": MAX_IMPORT_ROWS}]
        )
    return calendar_import_rows(acting_user=acting_user, rows=rows)


def calendar_template_xlsx() -> bytes:
    """An example workbook to fill in (2027 New Year as a sample row)."""
    workbook = spreadsheets.new_workbook()
    sheet = workbook.create_sheet("calendar")
    spreadsheets.append(sheet, IMPORT_HEADERS)
    spreadsheets.append(sheet, [dt.date(2027, 1, 1), "放假", "元旦", ""])
    for column, width in zip("ABCD", (14, 22, 14, 30), strict=True):
        sheet.column_dimensions[column].width = width
    return spreadsheets.to_bytes(workbook)
