"""Every edit form of the product, loaded with stored values and submitted unchanged as a browser
would, changes nothing: no field of the object moves and no audit row is written.

The forms are read from the rendered page and submitted through tests.formsubmit, which applies
the browser's value sanitization: an `<input type=date>` whose value is not ISO opens empty and
submits "". This is how a deadline, the bonus declaration deadline and an interview date were
silently erased; a test posting a hand-written dictionary cannot see that class of bug.

When a new edit form is added, add its case here (the list at the bottom names each one).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import models
from django.urls import reverse
from django.utils import timezone

from appraisal import services as appraisal_services
from appraisal.models import (
    AssessedUnit,
    Comprehensive,
    Indicator,
    Schedule,
    Score,
    Vote,
    VoteKind,
)
from core.models import AuditEvent, CalendarYear, Role
from core.workdays import SHANGHAI
from rectification import services as notice_services
from rectification.models import Notice
from tests.appraisal.conftest import planning_year, year  # noqa: F401 (fixtures)
from tests.formsubmit import form_posting_to
from tests.rectification.conftest import issued, notice_input  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


def snapshot(*objects: models.Model) -> list[dict]:
    """Every concrete field of each object, as stored (reloaded from the database)."""
    out = []
    for obj in objects:
        fresh = type(obj).objects.get(pk=obj.pk)
        out.append({f.attname: f.value_from_object(fresh) for f in fresh._meta.concrete_fields})
    return out


def rows_of(model, **filters) -> list[dict]:
    return [
        {f.attname: f.value_from_object(o) for f in o._meta.concrete_fields}
        for o in model.objects.filter(**filters).order_by("pk")
    ]


def submit_unchanged(client, *, page: str, action: str | None = None, button: str | None = None):
    """GET the page, then POST its form exactly as the browser would send it untouched."""
    response = client.get(page)
    assert response.status_code == 200, response.status_code
    form = form_posting_to(response.content.decode(), action or page, page=page)
    data = form.data(button=button)
    return client.post(form.action or page, data), data


def assert_round_trip(client, *, page, state, action=None, button=None):
    before_state, before_audit = state(), AuditEvent.objects.count()
    response, data = submit_unchanged(client, page=page, action=action, button=button)
    assert response.status_code in (200, 302, 303), response.status_code
    assert state() == before_state, f"saving {page} unchanged changed it (posted {data})"
    assert AuditEvent.objects.count() == before_audit, "an unchanged save wrote an audit row"
    return data


# --- core -----------------------------------------------------------------------------------------


def test_account_notification_settings(client, org):
    user = org.user(Role.COMMUNITY_STAFF)
    user.email, user.email_notifications = "c01@example.org", "digest"
    user.save()
    client.force_login(user)
    assert_round_trip(client, page=reverse("account"), state=lambda: snapshot(user))


def test_calendar_year(client, org, django_user_model):
    admin = django_user_model.objects.create_superuser("root", password="x-Root-12345-y")
    stored = CalendarYear.objects.create(year=2027, complete=True, source="国务院办公厅通知")
    client.force_login(admin)
    data = assert_round_trip(
        client,
        page=reverse("calendar") + "?year=2027",
        action=reverse("calendar_year_save"),
        state=lambda: snapshot(stored),
    )
    assert data["complete"] == ["on"]


# --- rectification (Art. 11) ----------------------------------------------------------------------


def test_draft_with_date_deadlines(client, org):
    office = org.user(Role.OFFICE_STAFF)
    draft = notice_services.notice_create(
        acting_user=office,
        data=notice_input(
            org,
            reply_due=notice_services.Deadline(date=dt.date(2026, 6, 30)),
            measures_due=notice_services.Deadline(date=dt.date(2026, 7, 31)),
        ),
        target_id=org.community.pk,
    )
    client.force_login(office)
    data = assert_round_trip(
        client, page=reverse("notice_edit", args=[draft.pk]), state=lambda: snapshot(draft)
    )
    assert data["reply_due_date"] == ["2026-06-30"]


def test_escalated_draft_keeps_its_date_deadline(client, org):
    office = org.user(Role.OFFICE_STAFF)
    draft = notice_services.notice_create(
        acting_user=office,
        data=notice_input(
            org,
            reply_due=notice_services.Deadline(date=timezone.localdate() + dt.timedelta(days=40)),
            measures_due=notice_services.Deadline(
                date=timezone.localdate() + dt.timedelta(days=80)
            ),
        ),
        target_id=org.community.pk,
    )
    notice_services.notice_issue(notice_id=draft.pk, acting_user=office)
    successor = notice_services.notice_escalate(
        notice_id=draft.pk, acting_user=office, reason="逾期"
    )
    assert successor.reply_due_date is not None
    client.force_login(office)
    assert_round_trip(
        client,
        page=reverse("notice_edit", args=[successor.pk]),
        state=lambda: snapshot(successor),
    )


def test_interview_record_reopened(client, org, issued):  # noqa: F811
    office = org.user(Role.OFFICE_STAFF)
    notice_services.notice_record_interview(
        notice_id=issued.pk,
        acting_user=office,
        date=dt.date(2026, 12, 4),
        place="街道会议室",
        attendees="书记、经办人",
        summary="谈话提醒。",
    )
    client.force_login(office)
    data = assert_round_trip(
        client,
        page=reverse("notice_detail", args=[issued.pk]),
        action=reverse("notice_interview", args=[issued.pk]),
        state=lambda: snapshot(Notice.objects.get(pk=issued.pk)),
    )
    assert data["date"] == ["2026-12-04"]


# --- appraisal (Art. 5, 6, 10, 14) ----------------------------------------------------------------


def test_year_settings_keep_the_bonus_declaration_deadline(client, org, planning_year):  # noqa: F811
    office = org.user(Role.OFFICE_STAFF)
    appraisal_services.year_update_settings(
        year_id=planning_year.pk,
        acting_user=office,
        values={"claim_declare_by": dt.datetime(2026, 6, 30, 23, 59, 59, tzinfo=SHANGHAI)},
    )
    client.force_login(office)
    data = assert_round_trip(
        client,
        page=reverse("appraisal:year_settings", args=[planning_year.year]),
        state=lambda: snapshot(planning_year),
    )
    assert data["claim_declare_by"] == ["2026-06-30T23:59:59"]


def test_one_off_indicator_keeps_its_due_date(client, org, planning_year):  # noqa: F811
    indicator = Indicator.objects.get(year=planning_year, code="LZ-02")
    indicator.schedule, indicator.due_date = Schedule.ONCE, dt.date(planning_year.year, 9, 30)
    indicator.description, indicator.required_reports = "第一行\n第二行", 1
    indicator.save()
    client.force_login(org.user(Role.OFFICE_STAFF))
    assert_round_trip(
        client,
        page=reverse("appraisal:indicator_edit", args=[planning_year.year, indicator.pk]),
        state=lambda: snapshot(indicator),
    )


def test_department_scoring_grid(client, org, year):  # noqa: F811
    assessor = org.user(Role.DEPT_ASSESSOR)  # of 纪检监察室: category LZ
    lz = year.categories.get(code="LZ") if hasattr(year, "categories") else None
    category_id = lz.pk if lz else Indicator.objects.get(year=year, code="LZ-02").category_id
    ind = Indicator.objects.get(year=year, code="LZ-02")
    appraisal_services.scores_save(
        year_id=year.pk,
        category_id=category_id,
        acting_user=assessor,
        cells=[
            appraisal_services.CellInput(
                unit_id=org.community.pk, indicator_id=ind.pk, score="18.50", comment="记录较全"
            )
        ],
    )
    client.force_login(assessor)
    assert_round_trip(
        client,
        page=reverse("appraisal:scoring", args=[year.year, "LZ"]),
        state=lambda: rows_of(Score, year=year),
    )


def test_votes_and_comprehensive(client, org, year):  # noqa: F811
    office = org.user(Role.OFFICE_STAFF)
    units = list(AssessedUnit.objects.filter(year=year).order_by("code"))
    appraisal_services.votes_save(
        year_id=year.pk,
        acting_user=office,
        rows=[
            {
                "unit_id": u.unit_id,
                "kind": kind,
                "satisfied": 40,
                "basically": 15,
                "dissatisfied": 5,
            }
            for u in units[:1]  # the second community has no ballots yet (无选票)
            for kind in VoteKind.values
        ],
    )
    appraisal_services.comprehensive_save(
        year_id=year.pk,
        acting_user=office,
        rows=[
            {"unit_id": units[0].unit_id, "score": "92.50", "advanced": True},
            {"unit_id": units[1].unit_id, "score": "88.00", "advanced": False},
        ],
    )
    client.force_login(office)
    assert_round_trip(
        client,
        page=reverse("appraisal:inputs", args=[year.year]),
        state=lambda: (rows_of(Vote, year=year), rows_of(Comprehensive, year=year)),
    )
    assert Comprehensive.objects.get(year=year, unit_id=units[0].unit_id).score == Decimal("92.50")
