"""The working-day calendar pages: who reads, who edits, the xlsx import and the Office warning.

The calendar is national: every member reads it, only installation administrators (superusers)
change it (tests/core/test_calendar_national.py: the Office and sub-district admins are refused).
"""

import html
import re
from datetime import date
from io import BytesIO

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from core import services
from core.models import AuditEvent, CalendarDay, CalendarYear, DayKind, Role

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Every role of a sub-district reads the calendar and none changes it.
NON_EDITORS = list(Role.values)
# Who is warned on the home page that a year's holidays are missing.
WARNED = [Role.OFFICE_STAFF, Role.ADMIN]
HEADER = ["日期", "类型", "名称", "备注"]
ROWS_2027 = [
    ["2027-01-01", "放假", "元旦", ""],
    [date(2027, 2, 6), "上班", "春节", "调休上班"],
    ["2027-02-08", "放假", "春节", ""],
]


def xlsx_file(rows, header=HEADER, name="calendar.xlsx") -> SimpleUploadedFile:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=XLSX)


def alerts(response, level: str) -> list[str]:
    """The text of the page's message alerts of one Bootstrap level ('danger', 'success')."""
    body = response.content.decode()
    pattern = rf'<div class="alert alert-{level}" role="alert">(.*?)</div>'
    return [html.unescape(text).strip() for text in re.findall(pattern, body, re.S)]


def mentions_number(text: str, number: int) -> bool:
    return re.search(rf"(?<!\d){number}(?!\d)", text) is not None


def calendar_state() -> tuple:
    return (
        list(CalendarDay.objects.order_by("date").values_list("date", "kind", "name", "note")),
        list(CalendarYear.objects.order_by("year").values_list("year", "complete", "source")),
        AuditEvent.objects.count(),
    )


def post_import(client, upload):
    return client.post(reverse("calendar_import"), {"file": upload}, follow=True)


# --- The calendar page ----------------------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role.values))
def test_every_role_can_read_the_calendar_page(client, org, role):
    # given an office-entered day of 2027
    CalendarDay.objects.create(date=date(2027, 1, 1), kind=DayKind.HOLIDAY, name="元旦测试")
    # when a member of any role opens the calendar page for 2027
    client.force_login(org.user(role))
    response = client.get(reverse("calendar"), {"year": 2027})
    # then they can read it, entries included
    assert response.status_code == 200
    assert "元旦测试" in response.content.decode()


@pytest.fixture
def root(db):
    """An installation administrator: the only one who changes the national calendar."""
    from core.models import User

    return User.objects.create_superuser("root", password="x-Root-12345-y")


def test_the_installation_admin_sees_the_edit_forms(client, root):
    # given an installation administrator
    client.force_login(root)
    # when they open the calendar page
    body = client.get(reverse("calendar")).content.decode()
    # then the forms to enter a day, a year's status and an import are there
    assert f'action="{reverse("calendar_day_save")}"' in body
    assert f'action="{reverse("calendar_year_save")}"' in body
    assert f'action="{reverse("calendar_import")}"' in body
    assert reverse("calendar_template") in body


@pytest.mark.parametrize("role", NON_EDITORS)
def test_other_roles_see_no_edit_forms(client, org, role):
    # given an entered day (which an editor could remove) and a reader of another role
    day = CalendarDay.objects.create(date=date(2027, 1, 1), kind=DayKind.HOLIDAY)
    client.force_login(org.user(role))
    # when they open the calendar page for that year
    body = client.get(reverse("calendar"), {"year": 2027}).content.decode()
    # then no form to change the calendar is offered
    assert reverse("calendar_day_save") not in body
    assert reverse("calendar_year_save") not in body
    assert reverse("calendar_import") not in body
    assert reverse("calendar_day_delete", args=[day.pk]) not in body


def test_anonymous_visitor_is_sent_to_log_in(client, db):
    # given nobody logged in
    # when the calendar page is opened and a day is posted
    page = client.get(reverse("calendar"))
    post = client.post(reverse("calendar_day_save"), {"date": "2027-01-01", "kind": "holiday"})
    # then both redirect to the login page and nothing is saved
    assert page.status_code == 302
    assert post.status_code == 302
    assert not CalendarDay.objects.exists()


# --- Editing: the installation administrator -----------------------------------------------------


def test_editor_enters_a_day(client, root):
    # given the installation administrator
    user = root
    client.force_login(user)
    # when they enter New Year's Day 2027 as a holiday
    response = client.post(
        reverse("calendar_day_save"),
        {"date": "2027-01-01", "kind": "holiday", "name": "元旦", "note": "国办通知"},
    )
    # then it is saved, with one audit row naming them
    assert response.status_code == 302
    day = CalendarDay.objects.get(date=date(2027, 1, 1))
    assert (day.kind, day.name, day.note, day.updated_by) == ("holiday", "元旦", "国办通知", user)
    events = list(AuditEvent.objects.filter(event_type="calendar.day_set"))
    assert len(events) == 1
    assert events[0].actor == user
    assert events[0].subject_id == str(day.pk)


def test_keeper_changes_an_entered_day(client, root):
    # given an entered day
    client.force_login(root)
    client.post(reverse("calendar_day_save"), {"date": "2027-01-09", "kind": "holiday"})
    # when the installation administrator saves the same date as a working day
    client.post(
        reverse("calendar_day_save"), {"date": "2027-01-09", "kind": "workday", "name": "调休"}
    )
    # then the one row is changed and each save wrote one audit row, the second with a before
    assert CalendarDay.objects.count() == 1
    assert CalendarDay.objects.get().kind == DayKind.WORKDAY
    events = list(AuditEvent.objects.filter(event_type="calendar.day_set").order_by("id"))
    assert len(events) == 2
    assert events[0].before is None
    assert events[1].before["kind"] == "holiday"
    assert events[1].after["kind"] == "workday"


def test_keeper_entry_with_an_unknown_kind_is_refused(client, root):
    # given the installation administrator
    client.force_login(root)
    before = calendar_state()
    # when a day is posted with a kind that does not exist
    response = client.post(
        reverse("calendar_day_save"), {"date": "2027-01-01", "kind": "party"}, follow=True
    )
    # then nothing is saved and an error is shown
    assert calendar_state() == before
    assert alerts(response, "danger")


def test_keeper_marks_a_year_complete(client, root):
    # given the installation administrator
    client.force_login(root)
    # when they mark 2027 as completely entered
    response = client.post(
        reverse("calendar_year_save"),
        {"year": "2027", "complete": "on", "source": "国办发明电〔2026〕"},
    )
    # then the year is complete and one audit row records it
    assert response.status_code == 302
    year = CalendarYear.objects.get(year=2027)
    assert (year.complete, year.source, year.updated_by) == (True, "国办发明电〔2026〕", root)
    assert AuditEvent.objects.filter(event_type="calendar.year_set").count() == 1


def test_keeper_unmarks_a_year(client, root):
    # given 2027 marked complete by the installation administrator
    client.force_login(root)
    client.post(reverse("calendar_year_save"), {"year": "2027", "complete": "on"})
    # when the box is saved unticked
    client.post(reverse("calendar_year_save"), {"year": "2027"})
    # then the year is no longer complete, and both saves are audited
    assert CalendarYear.objects.get(year=2027).complete is False
    assert AuditEvent.objects.filter(event_type="calendar.year_set").count() == 2


def test_keeper_removes_a_day(client, root):
    # given an entered day
    day = CalendarDay.objects.create(date=date(2027, 1, 1), kind=DayKind.HOLIDAY, name="元旦")
    client.force_login(root)
    # when the installation administrator removes it
    response = client.post(reverse("calendar_day_delete", args=[day.pk]))
    # then it is gone and one audit row keeps what it was
    assert response.status_code == 302
    assert not CalendarDay.objects.exists()
    event = AuditEvent.objects.get(event_type="calendar.day_delete")
    assert event.actor == root
    assert event.before["name"] == "元旦"


def test_removing_a_day_that_does_not_exist_is_404(client, root):
    # given the installation administrator and no entered days
    client.force_login(root)
    before = calendar_state()
    # when a removal is posted for a missing id
    response = client.post(reverse("calendar_day_delete", args=[999999]))
    # then it is not found and nothing is audited
    assert response.status_code == 404
    assert calendar_state() == before


def test_calendar_writes_need_post(client, root):
    # given the installation administrator and an entered day
    day = CalendarDay.objects.create(date=date(2027, 1, 1), kind=DayKind.HOLIDAY)
    client.force_login(root)
    # when the write URLs are fetched with GET
    responses = [
        client.get(reverse("calendar_day_save")),
        client.get(reverse("calendar_year_save")),
        client.get(reverse("calendar_import")),
        client.get(reverse("calendar_day_delete", args=[day.pk])),
    ]
    # then each is refused and the day is still there
    assert [r.status_code for r in responses] == [405, 405, 405, 405]
    assert CalendarDay.objects.filter(pk=day.pk).exists()


# --- Editing: everyone else is refused ------------------------------------------------------------


@pytest.mark.parametrize("role", NON_EDITORS)
def test_other_roles_cannot_change_the_calendar(client, org, role):
    # given an entered day and a member of a role that does not keep the calendar
    day = CalendarDay.objects.create(date=date(2027, 1, 1), kind=DayKind.HOLIDAY, name="元旦")
    client.force_login(org.user(role))
    before = calendar_state()
    # when they post each kind of change
    responses = [
        client.post(
            reverse("calendar_day_save"), {"date": "2027-01-04", "kind": "holiday", "name": "x"}
        ),
        client.post(reverse("calendar_year_save"), {"year": "2027", "complete": "on"}),
        client.post(reverse("calendar_import"), {"file": xlsx_file(ROWS_2027)}),
        client.post(reverse("calendar_day_delete", args=[day.pk])),
    ]
    # then every one is forbidden and nothing changed, not even the audit trail
    assert [r.status_code for r in responses] == [403, 403, 403, 403]
    assert calendar_state() == before


def test_other_roles_are_refused_by_the_services_too(org):
    # given a community member calling the write services directly
    user = org.user(Role.COMMUNITY_STAFF)
    # when they try to change the calendar
    # then each service refuses
    with pytest.raises(PermissionDenied):
        services.calendar_day_set(acting_user=user, day=date(2027, 1, 1), kind="holiday")
    with pytest.raises(PermissionDenied):
        services.calendar_year_set(acting_user=user, year=2027, complete=True)
    with pytest.raises(PermissionDenied):
        services.calendar_import_rows(acting_user=user, rows=[("2027-01-01", "放假", "", "")])
    assert not CalendarDay.objects.exists()
    assert not CalendarYear.objects.exists()


# --- xlsx import ----------------------------------------------------------------------------------


def test_keeper_imports_a_valid_workbook(client, root):
    # given the installation administrator and a workbook of three 2027 days
    client.force_login(root)
    # when it is imported
    response = post_import(client, xlsx_file(ROWS_2027))
    # then all three are saved as written, one audit row each, and success is reported
    assert response.status_code == 200
    assert list(
        CalendarDay.objects.order_by("date").values_list("date", "kind", "name", "note")
    ) == [
        (date(2027, 1, 1), "holiday", "元旦", ""),
        (date(2027, 2, 6), "workday", "春节", "调休上班"),
        (date(2027, 2, 8), "holiday", "春节", ""),
    ]
    assert AuditEvent.objects.filter(event_type="calendar.day_set", actor=root).count() == 3
    assert alerts(response, "success")
    assert not alerts(response, "danger")


@pytest.mark.parametrize(
    ("bad_row", "row_number", "shown_value"),
    [
        (["2027-13-45", "放假", "坏日期", ""], 3, "2027-13-45"),
        (["2027-02-07", "加班", "坏类型", ""], 3, None),
    ],
    ids=["bad-date", "bad-kind"],
)
def test_a_workbook_with_one_bad_row_imports_nothing(
    client, root, bad_row, row_number, shown_value
):
    # given a workbook whose second data row (sheet row 3) is wrong
    client.force_login(root)
    rows = [ROWS_2027[0], bad_row, ROWS_2027[2]]
    before = calendar_state()
    # when it is imported
    response = post_import(client, xlsx_file(rows))
    # then nothing at all is saved, not even the good rows
    assert calendar_state() == before
    # and the page shows an error naming the bad row (and the bad value, when it has one)
    errors = alerts(response, "danger")
    row_errors = [e for e in errors if mentions_number(e, row_number)]
    assert row_errors, errors
    if shown_value:
        assert any(shown_value in e for e in row_errors)
    assert not alerts(response, "success")


def test_a_workbook_with_the_same_date_twice_imports_nothing(client, root):
    # given a workbook listing 2027-01-01 twice
    client.force_login(root)
    rows = [ROWS_2027[0], ["2027-01-01", "上班", "", ""]]
    before = calendar_state()
    # when it is imported
    response = post_import(client, xlsx_file(rows))
    # then nothing is saved and the error names the date
    assert calendar_state() == before
    assert any("2027-01-01" in e for e in alerts(response, "danger"))


def test_a_file_that_is_not_an_xlsx_workbook_is_refused(client, root):
    # given the installation administrator
    client.force_login(root)
    before = calendar_state()
    # when a CSV file and a text file renamed to .xlsx are uploaded
    csv = SimpleUploadedFile("calendar.csv", b"2027-01-01,holiday\n", content_type="text/csv")
    fake = SimpleUploadedFile("calendar.xlsx", b"2027-01-01,holiday\n", content_type=XLSX)
    responses = [post_import(client, csv), post_import(client, fake)]
    # then nothing is saved and each gets an error about the file type
    assert calendar_state() == before
    for response in responses:
        errors = alerts(response, "danger")
        assert any("xlsx" in e.lower() for e in errors), errors
        assert not alerts(response, "success")


def test_a_workbook_over_the_limits_is_a_message_on_the_calendar_page(client, root):
    # given the installation administrator and a workbook that inflates past the limits
    from tests import spreadsheet_files

    client.force_login(root)
    before = calendar_state()
    bomb = SimpleUploadedFile("calendar.xlsx", spreadsheet_files.bomb(), content_type=XLSX)
    # when it is uploaded
    response = post_import(client, bomb)
    # then the calendar page again, with its import form and the refusal on it; nothing saved
    assert response.redirect_chain == [(reverse("calendar"), 302)]
    assert response.status_code == 200
    assert alerts(response, "danger") and not alerts(response, "success")
    assert 'type="file"' in response.content.decode()
    assert calendar_state() == before


def test_an_empty_workbook_is_refused(client, root):
    # given a workbook with only the header row
    client.force_login(root)
    before = calendar_state()
    # when it is imported
    response = post_import(client, xlsx_file([]))
    # then nothing is saved and an error is shown
    assert calendar_state() == before
    assert alerts(response, "danger")


def test_reimporting_the_same_workbook_changes_nothing(client, root):
    # given a workbook already imported once
    client.force_login(root)
    post_import(client, xlsx_file(ROWS_2027))
    before = calendar_state()
    # when the same rows are imported again
    response = post_import(client, xlsx_file(ROWS_2027))
    # then no row and no audit event is written, and the 3 unchanged rows are reported
    assert calendar_state() == before
    success = alerts(response, "success")
    assert len(success) == 1
    assert mentions_number(success[0], 3)
    assert not alerts(response, "danger")


def test_reimport_counts_new_changed_and_unchanged_rows(root):
    # given the three 2027 days imported once
    services.calendar_import_xlsx(acting_user=root, file=xlsx_file(ROWS_2027))
    audit_before = AuditEvent.objects.count()
    # when a workbook with one changed row, one new row and the rest unchanged is imported
    rows = [
        ROWS_2027[0],
        [date(2027, 2, 6), "放假", "春节", "改为放假"],
        ROWS_2027[2],
        ["2027-02-20", "上班", "春节", "调休上班"],
    ]
    result = services.calendar_import_xlsx(acting_user=root, file=xlsx_file(rows))
    # then it reports 1 new, 1 changed, 2 unchanged and audits only the two changes
    assert (result.created, result.updated, result.unchanged) == (1, 1, 2)
    assert AuditEvent.objects.count() == audit_before + 2
    assert CalendarDay.objects.get(date=date(2027, 2, 6)).kind == DayKind.HOLIDAY


def test_template_download_is_an_xlsx_the_importer_accepts(client, root):
    # given the installation administrator
    client.force_login(root)
    # when the template is downloaded
    response = client.get(reverse("calendar_template"))
    # then it is an xlsx attachment with a header row and an example row
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert response["Content-Disposition"].startswith("attachment;")
    assert ".xlsx" in response["Content-Disposition"]
    sheet = load_workbook(BytesIO(response.content)).worksheets[0]
    assert sheet.max_row >= 2
    # and uploading it back unchanged imports its example row
    upload = SimpleUploadedFile("template.xlsx", response.content, content_type=XLSX)
    imported = post_import(client, upload)
    assert alerts(imported, "success")
    assert not alerts(imported, "danger")
    assert CalendarDay.objects.count() == sheet.max_row - 1
    assert AuditEvent.objects.filter(event_type="calendar.day_set").count() == (
        CalendarDay.objects.count()
    )


# --- The Office's warning on the home page --------------------------------------------------------


@pytest.fixture
def today_in_2026(monkeypatch):
    monkeypatch.setattr("workflows.views.home._today", lambda: date(2026, 11, 27))


@pytest.mark.parametrize("role", WARNED)
def test_home_warns_the_office_that_next_year_has_no_data(client, org, today_in_2026, role):
    # given today is in 2026 and nobody has entered 2027
    client.force_login(org.user(role))
    # when the Office opens the home page
    body = client.get(reverse("home")).content.decode()
    # then it warns about 2027 and links to the calendar page for it
    match = re.search(r'<div[^>]*data-testid="calendar-warning"[^>]*>(.*?)</div>', body, re.S)
    assert match is not None
    assert "2027" in match.group(1)
    assert f"{reverse('calendar')}?year=2027" in match.group(1)


def test_home_warning_stays_while_2027_is_incomplete(client, org, today_in_2026):
    # given 2027 days entered but the year not marked complete
    CalendarDay.objects.create(date=date(2027, 1, 1), kind=DayKind.HOLIDAY)
    CalendarYear.objects.create(year=2027, complete=False)
    client.force_login(org.user(Role.OFFICE_STAFF))
    # when the Office opens the home page
    body = client.get(reverse("home")).content.decode()
    # then the warning is still there
    assert 'data-testid="calendar-warning"' in body


def test_home_warning_goes_once_2027_is_complete(client, org, root, today_in_2026):
    # given the installation administrator marked 2027 complete through the calendar page
    client.force_login(root)
    client.post(reverse("calendar_year_save"), {"year": "2027", "complete": "on"})
    client.force_login(org.user(Role.OFFICE_STAFF))
    # when the Office opens the home page
    body = client.get(reverse("home")).content.decode()
    # then there is no warning
    assert 'data-testid="calendar-warning"' not in body


def test_home_has_no_warning_when_both_years_are_known(client, org, monkeypatch):
    # given today is in 2025 (2025 and 2026 are both in the built-in calendar)
    monkeypatch.setattr("workflows.views.home._today", lambda: date(2025, 6, 1))
    client.force_login(org.user(Role.OFFICE_STAFF))
    # when the Office opens the home page
    body = client.get(reverse("home")).content.decode()
    # then there is no warning
    assert 'data-testid="calendar-warning"' not in body


@pytest.mark.parametrize("role", [Role.COMMUNITY_STAFF, Role.COMMUNITY_SECRETARY])
def test_community_never_sees_the_calendar_warning(client, org, today_in_2026, role):
    # given today is in 2026 and 2027 is missing
    client.force_login(org.user(role))
    # when a community member opens the home page
    response = client.get(reverse("home"))
    # then the Office's warning is not shown to them
    assert response.status_code == 200
    assert 'data-testid="calendar-warning"' not in response.content.decode()
