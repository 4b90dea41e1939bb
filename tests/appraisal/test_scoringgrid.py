"""The scoring grid as a department uses it (scoring.md §1, Art. 12): a refused grid keeps what was
typed and names the community and the indicator, nothing of it saved; a score above the report cap
shows what counts; periods not yet due are told apart from missed ones."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from appraisal.models import AssessedUnit, Indicator, Report, Score
from core.models import AuditEvent, Role
from tests.appraisal.pageform import post_data

pytestmark = pytest.mark.django_db


def _grid(client, org, year):
    client.force_login(org.user(Role.DEPT_ASSESSOR))
    url = reverse("appraisal:scoring", args=[year.year, "LZ"])
    return url, post_data(client.get(url).content.decode(), containing="s-")


def _reports(year, unit, *, due_days, on_time=()):
    """LZ-01's four quarterly reports of `unit` due `due_days` from now; `on_time` periods filed."""
    now = timezone.now()
    for period, days in enumerate(due_days, start=1):
        report = Report.objects.get(year=year, unit=unit, indicator__code="LZ-01", period=period)
        report.due_at = now + dt.timedelta(days=days)
        report.submitted_at = report.due_at - dt.timedelta(hours=1) if period in on_time else None
        report.save()


def test_refused_grid_keeps_typed_values_names_the_community_and_saves_nothing(client, org, year):
    url, data = _grid(client, org, year)
    lz1 = Indicator.objects.get(year=year, code="LZ-01")
    lz2 = Indicator.objects.get(year=year, code="LZ-02")
    c1, c2 = org.community.pk, org.community2.pk
    name2 = AssessedUnit.objects.get(year=year, unit_id=c2).name
    data[f"s-{c1}-{lz2.pk}"] = ["18.50"]  # good
    data[f"c-{c1}-{lz2.pk}"] = ["台账齐全"]  # good
    data[f"s-{c2}-{lz1.pk}"] = ["5.01"]  # above LZ-01's maximum 5.00
    events = AuditEvent.objects.count()
    response = client.post(url, data)
    assert response.status_code == 400
    body = response.content.decode()
    # the message names the community and the indicator
    assert f"{name2} · LZ-01" in body and "5.00" in body
    # every typed value is back in its box, the refused one marked
    assert re.search(rf'name="s-{c1}-{lz2.pk}" value="18.50"', body)
    assert "台账齐全</textarea>" in body
    bad = re.search(rf'<input class="[^"]*is-invalid[^"]*"[^>]*name="s-{c2}-{lz1.pk}"', body)
    assert bad and 'value="5.01"' in body[bad.start() : bad.start() + 400]
    assert body.count("is-invalid") == 1
    # all or nothing
    assert not Score.objects.filter(year=year).exists()
    assert AuditEvent.objects.count() == events


def test_score_inputs_do_not_step_with_arrow_keys(client, org, year):
    client.force_login(org.user(Role.DEPT_ASSESSOR))
    body = client.get(reverse("appraisal:scoring", args=[year.year, "LZ"])).content.decode()
    inputs = re.findall(r'<input[^>]*name="s-[^>]*>', body)
    assert inputs and all('type="text"' in i and 'inputmode="decimal"' in i for i in inputs)
    # the comment is out of the Tab order; the page says how to open it
    assert 'tabindex="-1"' in body and "Shift+F2" in body


def test_score_above_the_cap_shows_what_counts_with_a_legend(client, org, year):
    # LZ-01 (5.00, quarterly): one of three due reports on time, the fourth not yet due
    _reports(year, org.community, due_days=(-200, -100, -10, 30), on_time=(1,))
    url, data = _grid(client, org, year)
    lz1 = Indicator.objects.get(year=year, code="LZ-01")
    data[f"s-{org.community.pk}-{lz1.pk}"] = ["3.00"]
    assert client.post(url, data).status_code == 302
    body = client.get(url).content.decode()
    assert 'data-testid="legend"' in body
    counted = re.findall(r'data-testid="counted">([^<]*)<', body)
    # cap = 5.00 × 1 / 4 = 1.25: the score 3.00 counts 1.25
    assert [c.split()[-1] for c in counted] == ["1.25"]


def test_periods_not_yet_due_are_not_shown_as_missed(client, org, year):
    _reports(year, org.community, due_days=(-200, -100, -10, 30), on_time=(1,))
    _reports(year, org.community2, due_days=(10, 20, 30, 40))
    client.force_login(org.user(Role.DEPT_ASSESSOR))
    body = client.get(reverse("appraisal:scoring", args=[year.year, "LZ"])).content.decode()
    badges = re.findall(r'data-testid="not-due">([^<]*)<', body)
    # c01: one period still open; c02: none due yet — not the same as missed (not red)
    assert len(badges) == 2
    assert "1" in badges[0]
    assert not re.search(r"\d", badges[1])
    ratios = re.findall(r'<div class="text-nowrap( text-danger)?" title="[^"]*">(\d/\d)', body)
    assert ratios == [(" text-danger", "1/4"), ("", "0/4")]


def test_saved_value_unchanged_after_refusal_of_another_cell(client, org, year):
    url, data = _grid(client, org, year)
    lz2 = Indicator.objects.get(year=year, code="LZ-02")
    data[f"s-{org.community.pk}-{lz2.pk}"] = ["10.00"]
    assert client.post(url, data).status_code == 302
    url, data = _grid(client, org, year)
    data[f"s-{org.community.pk}-{lz2.pk}"] = ["12.00"]
    data[f"s-{org.community2.pk}-{lz2.pk}"] = ["abc"]
    assert client.post(url, data).status_code == 400
    score = Score.objects.get(unit=org.community, indicator=lz2)
    assert score.department_score == Decimal("10.00")
