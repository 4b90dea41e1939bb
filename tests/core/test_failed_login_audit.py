"""Failed log-ins for names nobody holds are installation-level audit events: recorded with no
sub-district, the typed name cleaned of control characters and cut to 150, and the address;
shown to installation administrators, never to a sub-district's Office."""

import pytest
from django.test import RequestFactory
from django.urls import reverse

from core.models import AuditEvent, Role, User
from core.signals import audit_login_failed

pytestmark = pytest.mark.django_db


@pytest.fixture
def root(db):
    return User.objects.create_superuser("root", password="x-Root-12345-y")


def fail_login(client, username: str):
    return client.post(reverse("login"), {"username": username, "password": "wrong-password-1"})


def test_a_failed_login_of_an_unknown_name_is_an_installation_level_event(client, org, root):
    # given nobody is called "ghost-user"
    # when someone tries to log in as them
    response = fail_login(client, "ghost-user")
    # then one installation-level row records the name and the address
    assert response.status_code == 200
    event = AuditEvent.objects.get(event_type="auth.login_failed")
    assert (event.sub_district_id, event.actor_id) == (None, None)
    assert event.actor_label == "ghost-user"
    assert event.ip == "127.0.0.1"
    # and the installation administrator sees it in the audit trail
    client.force_login(root)
    listed = client.get(reverse("audit_list"))
    assert listed.status_code == 200
    assert "ghost-user" in listed.content.decode()
    assert client.get(reverse("audit_detail", args=[event.pk])).status_code == 200


@pytest.mark.parametrize("role", [Role.OFFICE_STAFF, Role.AUDITOR, Role.ADMIN])
def test_a_subdistricts_readers_never_see_it(client, org, role):
    fail_login(client, "ghost-user")
    event = AuditEvent.objects.get(event_type="auth.login_failed")
    client.force_login(org.user(role))
    assert "ghost-user" not in client.get(reverse("audit_list")).content.decode()
    assert client.get(reverse("audit_detail", args=[event.pk])).status_code == 404


def test_a_failed_login_of_a_known_name_stays_in_its_subdistrict(client, org, root):
    # given A's Office member mistypes their password
    office = org.user(Role.OFFICE_STAFF)
    fail_login(client, office.username)
    event = AuditEvent.objects.get(event_type="auth.login_failed")
    # then the row is A's: A's Office reads it, the installation administrator does not
    assert event.sub_district_id == org.sd.pk
    client.force_login(office)
    assert client.get(reverse("audit_detail", args=[event.pk])).status_code == 200
    client.force_login(root)
    assert client.get(reverse("audit_detail", args=[event.pk])).status_code == 404


def test_the_typed_name_is_stripped_of_control_characters_and_cut(db):
    # given a name with a NUL, a bell, an escape and a newline, far too long (the log-in form
    # refuses a NUL, but any other caller of authenticate() sends what it got)
    typed = "ev\x00il\x07\x1b[31m\nname" + "x" * 400
    request = RequestFactory().post("/accounts/login/", REMOTE_ADDR="203.0.113.9")
    # when the audit receiver gets the failure (called directly: django-axes, the other
    # receiver of the signal, stores the raw name and fails on PostgreSQL's NUL refusal)
    audit_login_failed(
        sender=__name__, credentials={"username": typed, "password": "x"}, request=request
    )
    # then the row keeps the printable part, at most 150 characters, and the address
    event = AuditEvent.objects.get(event_type="auth.login_failed")
    assert event.actor_label.startswith("evil[31mname")
    assert len(event.actor_label) == 150
    assert all(ch.isprintable() for ch in event.actor_label)
    assert event.after == {"username": event.actor_label}
    assert event.ip == "203.0.113.9"
    assert event.sub_district_id is None


def test_a_nul_in_the_typed_name_is_refused_by_the_login_form_not_a_500(client, db):
    # PostgreSQL refuses NUL in text: the form stops it before authenticate() and any audit
    response = fail_login(client, "gh\x00ost")
    assert response.status_code == 200
    assert response.context["form"].errors
