"""No page promises a module "coming later": every module is live, so a placeholder in a
template or in a user-facing string of the code is a page that lies about what exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import reverse

from core.models import Role

ROOT = Path(__file__).resolve().parent.parent
APPS = ("config", "core", "rectification", "appraisal", "workflows")
PLACEHOLDERS = re.compile(
    r"coming with|coming soon|coming later|随考核模块上线|即将上线|敬请期待|app-soon", re.I
)


def _sources():
    yield from sorted((ROOT / "templates").rglob("*.html"))
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def test_no_template_or_code_string_promises_a_module_to_come():
    found = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for path in _sources()
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if PLACEHOLDERS.search(line)
    ]
    assert found == []


def test_the_scan_sees_a_placeholder():
    # The pattern catches both languages (so the test above can fail).
    assert PLACEHOLDERS.search("待领导小组审定事项：随考核模块上线")
    assert PLACEHOLDERS.search("Periodic reports: coming with the appraisal module")


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(Role.values))
def test_no_home_page_shows_a_placeholder(client, org, role):
    # The rendered page in Chinese too (a stale translation could still say it).
    client.force_login(org.user(role))
    body = client.get(reverse("home")).content.decode()
    assert not PLACEHOLDERS.search(body)
