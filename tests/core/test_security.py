"""Security baseline: CSP without inline code, session idle expiry, CSRF, headers."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from core.models import Role

pytestmark = pytest.mark.django_db
TEMPLATES = Path(settings.BASE_DIR) / "templates"


def test_pages_carry_a_strict_content_security_policy(client, org):
    client.force_login(org.user(Role.OFFICE_STAFF))
    response = client.get(reverse("home"))
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_templates_have_no_inline_scripts_styles_or_remote_assets():
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        for tag in re.findall(r"<script\b[^>]*>", text):
            if "src=" not in tag:
                offenders.append(f"{path.name}: inline script {tag}")
        if re.search(r"\sstyle=\"", text) or "<style" in text:
            offenders.append(f"{path.name}: inline style")
        if re.search(r"(src|href)=\"(https?:)?//", text):
            offenders.append(f"{path.name}: remote asset")
        if re.search(r"\son[a-z]+=\"", text):
            offenders.append(f"{path.name}: inline event handler")
    assert offenders == []


def test_session_expires_after_eight_idle_hours_and_each_request_renews_it(client, org):
    client.force_login(org.user(Role.COMMUNITY_STAFF))
    client.get(reverse("home"))
    session = client.session
    assert session.get_expiry_age() == 8 * 60 * 60
    first = session.get_expiry_date()
    client.get(reverse("home"))
    assert client.session.get_expiry_date() >= first


def test_login_form_requires_csrf(org):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post(
        reverse("login"), {"username": org.user(Role.OFFICE_STAFF).username, "password": "x"}
    )
    assert response.status_code == 403


def test_logout_is_post_only(client, org):
    client.force_login(org.user(Role.OFFICE_STAFF))
    assert client.get(reverse("logout")).status_code == 405
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_pages_are_chinese_first_with_english_selectable(client, org):
    client.force_login(org.user(Role.OFFICE_STAFF))
    assert "工作日历" in client.get(reverse("calendar")).content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert "Working-day calendar" in client.get(reverse("calendar")).content.decode()


def _no_store(response) -> bool:
    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    return {"private", "no-store"} <= directives


@pytest.mark.parametrize("name", ["home", "calendar", "notifications"])
def test_logged_in_pages_are_never_stored_by_a_cache(client, org, name):
    client.force_login(org.user(Role.COMMUNITY_STAFF))
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize("name", ["calendar_template", "ledger_export"])
def test_exports_are_never_stored_by_a_cache(client, org, name):
    client.force_login(org.user(Role.OFFICE_STAFF))
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert _no_store(response)


def test_an_error_page_of_a_logged_in_user_is_not_stored_either(client, org):
    client.force_login(org.user(Role.COMMUNITY_STAFF))
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert _no_store(response)
