"""The working-day calendar is national (one table moves every sub-district's deadlines): only an
installation administrator changes it; its changes are installation-level audit events every
sub-district's Office and auditors read; its page names nobody of another sub-district."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from core import services
from core.models import AuditEvent, CalendarDay, CalendarYear, DayKind, Role, User
from tests.core.test_calendar_views import ROWS_2027, calendar_state, xlsx_file

pytestmark = pytest.mark.django_db

SUB_DISTRICT_KEEPERS = [Role.OFFICE_STAFF, Role.ADMIN]


@pytest.fixture
def root(db):
    return User.objects.create_superuser(
        "root", password="x-Root-12345-y", display_name="安装管理员甲"
    )


def zh(text: str) -> str:
    with translation.override("zh-hans"):
        return gettext(text)


@pytest.mark.parametrize("role", SUB_DISTRICT_KEEPERS)
def test_the_office_and_the_subdistrict_admin_read_but_cannot_change_it(client, org, role):
    # given an entered day, and A's Office or A's administrator
    day = CalendarDay.objects.create(date=date(2027, 1, 1), kind=DayKind.HOLIDAY, name="元旦")
    client.force_login(org.user(role))
    before = calendar_state()
    # when they open the page
    page = client.get(reverse("calendar"), {"year": 2027})
    body = page.content.decode()
    # then they read it, with no form to change it
    assert page.status_code == 200 and "元旦" in body
    for name in ("calendar_day_save", "calendar_year_save", "calendar_import"):
        assert reverse(name) not in body
    assert reverse("calendar_day_delete", args=[day.pk]) not in body
    # when they post each change anyway
    responses = [
        client.post(reverse("calendar_day_save"), {"date": "2027-01-04", "kind": "holiday"}),
        client.post(reverse("calendar_year_save"), {"year": "2027", "complete": "on"}),
        client.post(reverse("calendar_import"), {"file": xlsx_file(ROWS_2027)}),
        client.post(reverse("calendar_day_delete", args=[day.pk])),
    ]
    # then each is a 403 saying why, and nothing changed
    assert [r.status_code for r in responses] == [403, 403, 403, 403]
    message = zh("Only an installation administrator can change the working-day calendar.")
    assert all(message in r.content.decode() for r in responses)
    assert calendar_state() == before


def test_the_services_refuse_the_office_too(org):
    office = org.user(Role.OFFICE_STAFF)
    with pytest.raises(PermissionDenied):
        services.calendar_day_set(acting_user=office, day=date(2027, 1, 1), kind="holiday")
    with pytest.raises(PermissionDenied):
        services.calendar_year_set(acting_user=office, year=2027, complete=True)
    assert not CalendarDay.objects.exists() and not CalendarYear.objects.exists()


def test_an_installation_administrator_changes_it_as_an_installation_level_event(client, org, root):
    # given a superuser (even one recorded in a sub-district)
    root.sub_district = org.sd
    root.save(update_fields=["sub_district"])
    client.force_login(root)
    # when they open the page, enter a day, mark the year and remove the day
    body = client.get(reverse("calendar"), {"year": 2027}).content.decode()
    saved = client.post(
        reverse("calendar_day_save"), {"date": "2027-01-01", "kind": "holiday", "name": "元旦"}
    )
    year = client.post(reverse("calendar_year_save"), {"year": "2027", "complete": "on"})
    day = CalendarDay.objects.get(date=date(2027, 1, 1))
    removed = client.post(reverse("calendar_day_delete", args=[day.pk]))
    imported = client.post(reverse("calendar_import"), {"file": xlsx_file(ROWS_2027)})
    # then the forms were offered and every change went through
    assert f'action="{reverse("calendar_day_save")}"' in body
    assert [r.status_code for r in (saved, year, removed, imported)] == [302] * 4
    assert CalendarYear.objects.get(year=2027).complete
    assert CalendarDay.objects.count() == 3
    # and each change is one audit row of no sub-district, naming the superuser
    events = AuditEvent.objects.filter(event_type__startswith="calendar.")
    assert events.count() == 6
    assert set(events.values_list("sub_district_id", "actor_id")) == {(None, root.pk)}


@pytest.mark.parametrize("role", [Role.OFFICE_STAFF, Role.AUDITOR, Role.ADMIN])
def test_every_subdistricts_readers_see_the_calendars_changes(client, org, other_org, root, role):
    # given a change of the calendar by the installation administrator
    services.calendar_day_set(acting_user=root, day=date(2027, 1, 1), kind="holiday", name="元旦")
    event = AuditEvent.objects.get(event_type="calendar.day_set")
    for sub_district in (org, other_org):
        # when each sub-district's reader opens the audit trail and the event
        client.force_login(sub_district.user(role))
        listed = client.get(reverse("audit_list")).content.decode()
        detail = client.get(reverse("audit_detail", args=[event.pk]))
        # then they see it
        assert reverse("audit_detail", args=[event.pk]) in listed
        assert detail.status_code == 200


def test_installation_level_events_other_than_the_calendar_stay_hidden(client, org, root):
    # given an installation-level event that is not the calendar's (a failed log-in of nobody)
    client.post(reverse("login"), {"username": "nobody-at-all", "password": "whatever-1234"})
    event = AuditEvent.objects.get(event_type="auth.login_failed")
    assert event.sub_district_id is None
    # when A's Office reads the audit trail
    client.force_login(org.user(Role.OFFICE_STAFF))
    listed = client.get(reverse("audit_list")).content.decode()
    # then it is not there
    assert "nobody-at-all" not in listed
    assert client.get(reverse("audit_detail", args=[event.pk])).status_code == 404


def test_the_page_names_nobody_of_another_subdistrict(client, org, other_org, root):
    # given a day changed by the installation administrator, one changed (before the calendar
    # became national) by B's Office, and one by A's Office
    CalendarDay.objects.create(date=date(2027, 1, 1), kind=DayKind.HOLIDAY, updated_by=root)
    b_office = other_org.user(Role.OFFICE_STAFF)
    CalendarDay.objects.create(date=date(2027, 1, 2), kind=DayKind.HOLIDAY, updated_by=b_office)
    a_office = org.user(Role.OFFICE_STAFF)
    CalendarDay.objects.create(date=date(2027, 1, 3), kind=DayKind.HOLIDAY, updated_by=a_office)
    # when A's auditor opens the page
    client.force_login(org.user(Role.AUDITOR))
    body = client.get(reverse("calendar"), {"year": 2027}).content.decode()
    # then A's Office is named, B's person and the superuser are not: a label stands in
    assert str(a_office) in body
    assert str(b_office) not in body and b_office.username not in body
    assert str(root) not in body
    assert zh("Installation administrator") in body
    # and B's own reader sees B's person named
    client.force_login(other_org.user(Role.AUDITOR))
    assert str(b_office) in client.get(reverse("calendar"), {"year": 2027}).content.decode()
