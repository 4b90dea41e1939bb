# ruff: noqa: F811  (the year fixtures are imported from tests.appraisal.conftest)
"""When the rectification plans are due (Art. 20): the Office may name the day on the year-end
start form (after the publication's due date); publication then makes every community's plan
due at the end of that day (Asia/Shanghai). Left empty, the plans are due a number of working
days after publication."""

from __future__ import annotations

import datetime as dt
import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from appraisal.models import AssessedUnit, Category, Decision, VoteRound
from appraisal.services import ballots
from appraisal.services import yearend as decide
from core import workdays
from core.models import AuditEvent, Role
from rectification.models import RectificationPlan
from tests.appraisal.conftest import planning_year, year  # noqa: F401  (fixtures)
from tests.factories import make_member
from tests.workflows.test_yearend_double_submit import _start_data
from tests.workflows.test_yearend_flow import _finish_selfevals, _verify_all
from workflows import kinds, publication
from workflows import yearend as flow
from workflows.flows.year_end import STEPS
from workflows.plans import PLAN_DUE_WORKDAYS, plan_due

pytestmark = pytest.mark.django_db

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def _form(client, org, year) -> tuple[str, dict]:
    make_member(org.dept_zz, Role.DEPT_ASSESSOR, "A-zz")
    make_member(org.dept_xc, Role.DEPT_ASSESSOR, "A-xc")
    client.force_login(org.user(Role.OFFICE_STAFF))
    url = reverse("yearend_start", args=[year.year])
    html = client.get(url).content.decode()
    data = _start_data(html)
    for tag in re.findall(r'<input[^>]*type="checkbox"[^>]*>', html):
        name = re.search(r'name="([^"]+)"', tag).group(1)
        value = re.search(r'value="([^"]+)"', tag).group(1)
        data[name] = [value] if not isinstance(data.get(name), list) else [*data[name], value]
    return url, data


def _errors(response) -> list[str]:
    return re.findall(r"invalid-feedback[^>]*>([^<]+)", response.content.decode())


def test_the_start_form_offers_the_plans_due_date_empty(client, org, year):
    url, data = _form(client, org, year)
    html = client.get(url).content.decode()
    assert "整改方案报送截止" in html or "Rectification plans due" in html
    assert data["due_plan"] == ""  # optional: nothing proposed


def test_a_plans_due_date_is_stored_as_the_end_of_that_day(client, org, year):
    url, data = _form(client, org, year)
    publish = dt.date.fromisoformat(data["due_publish"])
    day = publish + timedelta(days=3)
    data["due_plan"] = day.isoformat()
    response = client.post(url, data)
    assert response.status_code == 302, _errors(response)
    process = flow.process_of(year)
    stored = dt.datetime.fromisoformat(process.data["due"]["plan"])
    assert stored == dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=SHANGHAI)
    assert stored == workdays.end_of_day(day)
    # the steps' due times are as they were, and the audit row names the plans' too
    assert set(process.data["due"]) == {*STEPS, "plan"}
    event = AuditEvent.objects.get(event_type="yearend.started")
    assert event.after["due"]["plan"] == process.data["due"]["plan"]


def test_left_empty_nothing_is_stored(client, org, year):
    url, data = _form(client, org, year)
    response = client.post(url, data)
    assert response.status_code == 302, _errors(response)
    assert "plan" not in flow.process_of(year).data["due"]


@pytest.mark.parametrize(
    "shift, message",
    [
        (0, "after the publication"),  # the same day as the publication
        (-1, "after the publication"),
    ],
)
def test_a_plans_due_date_not_after_the_publication_is_refused(client, org, year, shift, message):
    url, data = _form(client, org, year)
    publish = dt.date.fromisoformat(data["due_publish"])
    data["due_plan"] = (publish + timedelta(days=shift)).isoformat()
    events = AuditEvent.objects.count()
    response = client.post(url, data)
    assert response.status_code == 400
    errors = " ".join(_errors(response))
    assert message in errors or "公布" in errors, errors
    assert data["due_publish"] in errors  # it names the publication's date
    assert flow.process_of(year) is None
    assert AuditEvent.objects.count() == events


def test_a_plans_due_date_in_the_past_or_unreadable_or_missing_is_refused(client, org, year):
    url, data = _form(client, org, year)
    for value in ((timezone.localdate() - timedelta(days=1)).isoformat(), "2026-02-30", "soon"):
        response = client.post(url, {**data, "due_plan": value})
        assert response.status_code == 400, value
        assert _errors(response), value
    missing = {k: v for k, v in data.items() if k != "due_plan"}
    response = client.post(url, missing)
    assert response.status_code == 400
    assert any("missing" in e or "不完整" in e for e in _errors(response)), _errors(response)
    assert flow.process_of(year) is None


def test_the_service_refuses_a_plans_due_time_not_after_the_publication(org, year):
    office = org.user(Role.OFFICE_STAFF)
    cats = {c.code: c for c in Category.objects.filter(year=year)}
    due = {s: timezone.now() + timedelta(days=20 + i) for i, s in enumerate(STEPS)}
    with pytest.raises(ValidationError):
        flow.year_end_start(
            year_id=year.pk,
            acting_user=office,
            due={**due, "plan": due["publish"]},
            leader_id=office.pk,
            members=[(office.pk, cats[c].pk) for c in cats],
        )
    assert flow.process_of(year) is None


def _people(org):
    office = org.user(Role.OFFICE_STAFF)
    return {
        "LZ": org.user(Role.DEPT_ASSESSOR),
        "ZZ": make_member(org.dept_zz, Role.DEPT_ASSESSOR, "A-zz"),
        "XC": make_member(org.dept_xc, Role.DEPT_ASSESSOR, "A-xc"),
        "QT": office,
        "leader": office,
    }


def _to_publication(org, year, due):
    """The year driven through its real services from the start to publication."""
    office = org.user(Role.OFFICE_STAFF)
    people = _people(org)
    cats = {c.code: c for c in Category.objects.filter(year=year)}
    flow.year_end_start(
        year_id=year.pk,
        acting_user=office,
        due=due,
        leader_id=office.pk,
        members=[(people[c].pk, cats[c].pk) for c in ("LZ", "ZZ", "XC", "QT")],
    )
    _finish_selfevals(org, year)
    _verify_all(people, year)
    (vote_round,) = VoteRound.objects.filter(year=year)
    empty = ballots.empty_votes(ballots.tally_rows(year))
    ballots.votes_confirm(round_id=vote_round.pk, acting_user=office, accept_empty=empty)
    with transaction.atomic():
        flow.complete_own_step(year=year, kind=kinds.WI_RESULTS, acting_user=office)
    decide.decision_approve(
        decision_id=Decision.objects.get(year=year, round=1).pk,
        acting_user=org.user(Role.LEADER),
        expected_version=0,
        override_reason="测试：提前决定",
    )
    publication.year_end_publish(year_id=year.pk, acting_user=office)


def test_publication_makes_the_plans_due_when_the_office_said(org, year, monkeypatch):
    monkeypatch.setattr(publication, "_queue_job", lambda run_id, start: None)
    due = {s: timezone.now() + timedelta(days=20 + i) for i, s in enumerate(STEPS)}
    day = workdays.local_date(due["publish"]) + timedelta(days=10)
    _to_publication(org, year, {**due, "plan": workdays.end_of_day(day)})
    plans = RectificationPlan.objects.filter(year=year.year)
    assert plans.count() == AssessedUnit.objects.filter(year=year).count() > 0
    assert {p.due_at for p in plans} == {workdays.end_of_day(day)}
    assert plans.first().due_at.astimezone(SHANGHAI).time() == dt.time(23, 59, 59)


def test_without_a_setting_the_plans_are_due_working_days_after_publication(org, year, monkeypatch):
    monkeypatch.setattr(publication, "_queue_job", lambda run_id, start: None)
    due = {s: timezone.now() + timedelta(days=20 + i) for i, s in enumerate(STEPS)}
    _to_publication(org, year, due)
    last, _approx = workdays.add_workdays_or_weekdays(
        workdays.local_date(timezone.now()), PLAN_DUE_WORKDAYS
    )
    assert set(
        RectificationPlan.objects.filter(year=year.year).values_list("due_at", flat=True)
    ) == {workdays.end_of_day(last)}


def test_a_setting_already_past_at_publication_falls_back_to_working_days():
    now = timezone.now()
    past = {"due": {"plan": (now - timedelta(hours=1)).isoformat()}}
    last, _approx = workdays.add_workdays_or_weekdays(workdays.local_date(now), PLAN_DUE_WORKDAYS)
    assert plan_due(past, now) == workdays.end_of_day(last)
    future = now + timedelta(days=30)
    assert plan_due({"due": {"plan": future.isoformat()}}, now) == future
    assert plan_due(None, now) == workdays.end_of_day(last)
