# ruff: noqa: F811  (the year fixtures are imported from tests.appraisal.conftest)
"""A double-click on the Office's year-end forms: the second post of the start form, of the
results run and of the publication gets 409 and changes nothing."""

import re

import pytest
from django.urls import reverse

from core.models import AuditEvent, Role
from tests.appraisal.conftest import planning_year, year  # noqa: F401  (fixtures)
from tests.factories import make_member
from workflows.flows.year_end import STEPS

pytestmark = pytest.mark.django_db


def _start_data(html: str) -> dict:
    data = {}
    for name, value in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', html):
        data.setdefault(name, value)
    for tag in re.findall(r"<input[^>]*>", html):  # a field left empty is sent empty
        name = re.search(r'name="([^"]+)"', tag)
        if name and "value=" not in tag:
            data.setdefault(name.group(1), "")
    for name in re.findall(r'<select[^>]*name="([^"]+)"', html):
        data[name] = re.search(
            rf'<select[^>]*name="{name}".*?<option value="(\d+)"', html, re.S
        ).group(1)
    data.pop("csrfmiddlewaretoken", None)
    return data


def test_the_start_form_posted_twice(client, org, year):
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
    assert all(f"due_{s}" in data for s in STEPS)
    first = client.post(url, data)
    body = first.content.decode()
    assert first.status_code == 302, (
        data,
        re.findall(r"(?:alert|invalid-feedback)[^>]*>([^<]+)", body),
    )
    events = AuditEvent.objects.count()
    second = client.post(url, data)
    assert second.status_code == 409
    assert AuditEvent.objects.count() == events
