"""Accounts (ASVS L2): passwords of at least 12 characters, not common, not like the account's
own name, and no composition rules; sessions end 12 hours after log-in however active."""

import time

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse

from core.models import Role
from core.session_lifetime import LOGIN_AT_KEY
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def change_password(client, new: str):
    return client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )


@pytest.mark.parametrize(
    "weak",
    [
        "Qz7!kp-Wd3x",  # 11 characters, however mixed
        "password1234",  # on the common-password list
        "qwertyuiop12",  # on the common-password list
    ],
)
def test_the_password_change_refuses_a_weak_password(client, org, weak):
    # given a community staff member
    user = org.user(Role.COMMUNITY_STAFF)
    client.force_login(user)
    # when they choose a password that is too short or common
    response = change_password(client, weak)
    # then the form says no and the old password still works
    assert response.status_code == 200
    assert response.context["form"].errors
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_a_password_like_the_accounts_own_name_is_refused(client, org):
    user = org.user(Role.COMMUNITY_STAFF)
    user.email = "zhangsanfeng@example.org"
    user.save(update_fields=["email"])
    client.force_login(user)
    response = change_password(client, "zhangsanfeng1")
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


@pytest.mark.parametrize(
    "long_enough",
    [
        "plum river at dusk",  # lower case and spaces only: no composition rules
        "830291746530",  # digits only, 12 of them, not a common one
    ],
)
def test_a_long_uncommon_password_of_any_characters_is_accepted(client, org, long_enough):
    user = org.user(Role.COMMUNITY_STAFF)
    client.force_login(user)
    response = change_password(client, long_enough)
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(long_enough)


def test_a_password_change_is_audited_and_keeps_the_user_logged_in(client, org):
    from core.models import AuditEvent

    user = org.user(Role.COMMUNITY_STAFF)
    client.force_login(user)
    response = change_password(client, "plum river at dusk")
    assert response.status_code == 302
    assert response.url == reverse("password_change_done")
    event = AuditEvent.objects.get(event_type="auth.password_change")
    assert (event.actor_id, str(event.subject_id)) == (user.pk, str(user.pk))
    # the session follows the new password (no log-out by the change itself)
    assert client.get(reverse("account")).status_code == 200
    user.refresh_from_db()
    assert user.check_password("plum river at dusk")


def test_the_demo_password_would_be_refused_by_the_policy():
    # seed_demo sets it with set_password (bypassing the validators), and runs only with DEBUG
    # on (test_commands: test_seed_demo_refuses_without_debug, ..._builds_the_demo_sub_district)
    with pytest.raises(ValidationError):
        validate_password("demo12345")


# --- Absolute session lifetime ------------------------------------------------------------------


def test_logging_in_records_when(client, org):
    user = org.user(Role.OFFICE_STAFF)
    client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert client.session[SESSION_KEY] == str(user.pk)
    assert isinstance(client.session[LOGIN_AT_KEY], int)


def logged_in_since(client, user, seconds_ago: int) -> None:
    client.force_login(user)
    session = client.session
    session[LOGIN_AT_KEY] = int(time.time()) - seconds_ago
    session.save()


def test_an_active_session_ends_twelve_hours_after_log_in(client, org, settings):
    # given the default absolute lifetime, and a user who logged in 12 hours and a second ago
    assert settings.SESSION_ABSOLUTE_SECONDS == 12 * 60 * 60
    logged_in_since(client, org.user(Role.OFFICE_STAFF), 12 * 60 * 60 + 1)
    # when they open a page (the idle expiry alone would let them in)
    response = client.get(reverse("inbox"))
    # then they are sent to log in again, and stay logged out
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    assert SESSION_KEY not in client.session
    assert client.get(reverse("home")).status_code == 302


def test_a_session_younger_than_the_limit_goes_on(client, org, settings):
    settings.SESSION_ABSOLUTE_SECONDS = 3600
    logged_in_since(client, org.user(Role.OFFICE_STAFF), 3500)
    assert client.get(reverse("home")).status_code == 200
    settings.SESSION_ABSOLUTE_SECONDS = 3000
    assert client.get(reverse("home")).status_code == 302


def test_a_posted_form_after_the_limit_changes_nothing(client, org):
    # given an expired session
    user = org.user(Role.COMMUNITY_STAFF)
    logged_in_since(client, user, 13 * 60 * 60)
    # when a form is posted
    response = client.post(
        reverse("account"), {"email": "new@example.org", "email_notifications": "off"}
    )
    # then it goes to the log-in page and nothing is saved
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.email_notifications != "off"
