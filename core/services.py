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


# --- account -------------------------------------------------------------------------------------


def account_settings_save(*, acting_user, email: str, email_notifications: bool) -> bool:
    """Change one's own e-mail address and notification choice; False if nothing changed
    (nothing is stored or audited then)."""
    before = {"email": acting_user.email, "email_notifications": acting_user.email_notifications}
    after = {"email": email, "email_notifications": email_notifications}
    if before == after:
        return False
    with transaction.atomic():
        acting_user.email, acting_user.email_notifications = email, email_notifications
        acting_user.save(update_fields=["email", "email_notifications"])
        audit_record(
            event_type="account.notification_settings",
            actor=acting_user,
            subject=acting_user,
            before=before,
            after=after,
            ip=current_ip(),
        )
    return True


def password_change(*, acting_user, new_password: str) -> None:
    """Set one's own new password (already validated by the form), audited in the same write."""
    with transaction.atomic():
        acting_user.set_password(new_password)
        acting_user.save(update_fields=["password"])
        audit_record(
            event_type="auth.password_change",
            actor=acting_user,
            subject=acting_user,
            ip=current_ip(),
        )


# --- working-day calendar -----------------------------------------------------------------------


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


# What an edit of a calendar day changes (an insert writes the whole row).
CALENDAR_DAY_FIELDS = ["kind", "name", "note", "updated_by", "updated_at"]


def _calendar_day_set(acting_user, day, kind, name, note) -> CalendarDay:
    with transaction.atomic():
        existing = CalendarDay.objects.select_for_update().filter(date=day).first()
        before = model_snapshot(existing) if existing else None
        obj = existing or CalendarDay(date=day)
        obj.kind, obj.name, obj.note, obj.updated_by = kind, name.strip(), note.strip(), acting_user
        obj.full_clean(validate_unique=False)  # the unique date is settled by the database
        obj.save(update_fields=CALENDAR_DAY_FIELDS if existing else None)
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
        obj.save(update_fields=["complete", "source", "updated_by", "updated_at"])
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
# The calendar sheet, read by header (core.spreadsheets): a column is found by its Chinese header
# whatever follows it in brackets, so "日期 (Date)" of the template and a plain "日期" both read.
CALENDAR_SHEET = "calendar"
COLUMNS = (
    spreadsheets.Column(
        "date", "日期", "日期，如 2027-01-01", "The date, e.g. 2027-01-01", "2027-01-01", 14
    ),
    spreadsheets.Column(
        "kind",
        "类型",
        "放假，或 上班（调休补班）",
        "放假 (a holiday) or 上班 (a make-up working day)",
        "放假",
        22,
    ),
    spreadsheets.Column(
        "name", "名称", "节日名称（可空）", "The holiday's name (optional)", "元旦"
    ),
    spreadsheets.Column("note", "备注", "备注（可空）", "A note (optional)", "", 30),
)
IMPORT_HEADERS = ["日期 (Date)", "类型 (Kind: 放假/上班)", "名称 (Holiday)", "备注 (Note)"]


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)


class CalendarImportError(spreadsheets.SheetErrors):
    pass


def _kind(value) -> str:
    kind = KIND_WORDS.get(spreadsheets.text(value).lower())
    if kind is None:
        raise spreadsheets.Bad(_("the kind must be 放假 (holiday) or 上班 (working day)."))
    return kind


def _required_date(value) -> dt.date:
    day = spreadsheets.date(value)
    if day is None:
        raise spreadsheets.Bad(_("this cell is required."))
    return day


@_moves_lights
def calendar_import_rows(*, acting_user, rows: list[tuple]) -> ImportResult:
    """Import (date, kind, name, note) rows, numbered as a sheet numbers them (row 2 on): all or
    nothing, one audit row per changed day."""
    _require_calendar_editor(acting_user)
    keys = [c.key for c in COLUMNS]
    sheet_rows = []
    for number, row in enumerate(rows, start=2):
        values = dict(zip(keys, [*row, None, None, None, None][:4], strict=True))
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values.values()):
            continue
        sheet_rows.append(spreadsheets.SheetRow(number, values))
    return _import_sheet_rows(acting_user, CALENDAR_SHEET, sheet_rows)


def _import_sheet_rows(acting_user, sheet: str, rows: list[spreadsheets.SheetRow]) -> ImportResult:
    """Check every row (each problem named by sheet, row and column), then import or refuse."""
    messages = spreadsheets.Messages()
    columns = spreadsheets.by_key(COLUMNS)
    parsed: dict[dt.date, tuple[str, str, str]] = {}
    for row in rows:
        day, kind, name, note = (
            spreadsheets.get(messages, sheet, row, columns[key], convert, **kwargs)
            for key, convert, kwargs in (
                ("date", _required_date, {}),
                ("kind", _kind, {}),
                ("name", spreadsheets.text, {"required": False, "max_length": 40}),
                ("note", spreadsheets.text, {"required": False, "max_length": 200}),
            )
        )
        if spreadsheets.INVALID in (day, kind, name, note):
            continue
        if day in parsed:
            messages.cell(
                sheet,
                row.number,
                columns["date"].header,
                _("%(date)s appears twice.") % {"date": day},
            )
            continue
        parsed[day] = (kind, name, note)
    if len(parsed) > MAX_IMPORT_ROWS:
        messages.add(_("At most %(max)s rows can be imported at once.") % {"max": MAX_IMPORT_ROWS})
    messages.raise_if_any(CalendarImportError)
    if not parsed:
        raise CalendarImportError([_("The file has no rows to import.")])
    try:
        return _calendar_import(acting_user, parsed, ImportResult())
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
            obj.save(update_fields=CALENDAR_DAY_FIELDS if before is not None else None)
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


def _old_headers_read(rows):
    """Workbooks made from the earlier template head their columns "日期 Date", "类型 Kind
    (放假/上班)": such a header reads as the column it begins with."""
    rows = iter(rows)
    for number, values in rows:
        if any(v is not None for v in values):
            renamed = []
            for value in values:
                text = str(value).strip() if isinstance(value, str) else None
                known = next(
                    (c.header for c in COLUMNS if text and text.startswith(c.header + " ")), None
                )
                renamed.append(known or value)
            yield number, tuple(renamed)
            break
        yield number, values
    yield from rows


@_moves_lights
def calendar_import_xlsx(*, acting_user, file) -> ImportResult:
    """Import calendar days from the first sheet of an xlsx file, its columns found by their
    headers (core.spreadsheets: size limits, formulas refused, messages naming sheet, row and
    column)."""
    _require_calendar_editor(acting_user)
    messages = spreadsheets.Messages()
    try:
        with spreadsheets.open_workbook(file) as workbook:
            sheet = workbook.sheetnames[0] if workbook.sheetnames else CALENDAR_SHEET
            rows = spreadsheets.read_sheet(
                _old_headers_read(workbook.rows(0)),
                sheet,
                COLUMNS,
                messages,
                max_rows=MAX_IMPORT_ROWS,
            )
    except spreadsheets.NotAWorkbook as exc:
        raise CalendarImportError([exc.message]) from exc
    messages.raise_if_any(CalendarImportError)
    return _import_sheet_rows(acting_user, sheet, rows)


def calendar_template_xlsx() -> bytes:
    """An example workbook to fill in (2027 New Year as a sample row), with a notes sheet."""
    workbook = spreadsheets.new_workbook()
    sheet = workbook.create_sheet(CALENDAR_SHEET)
    spreadsheets.append(sheet, IMPORT_HEADERS)
    spreadsheets.append(sheet, [dt.date(2027, 1, 1), "放假", "元旦", ""])
    sheet.cell(row=2, column=1).number_format = "yyyy-mm-dd"
    for index, column in enumerate(COLUMNS):
        sheet.column_dimensions["ABCD"[index]].width = column.width
    spreadsheets.notes(
        workbook,
        ["工作日历导入模板 Working-day calendar import template"],
        [(CALENDAR_SHEET, COLUMNS)],
    )
    return spreadsheets.to_bytes(workbook)
