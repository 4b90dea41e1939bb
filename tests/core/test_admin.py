"""The admin: a sub-district administrator manages only their own sub-district; audited."""

import pytest
from django.urls import reverse

from core.models import AuditEvent, Role, RoleAssignment, Unit, UnitKind, User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "role",
    [
        Role.OFFICE_STAFF,
        Role.DEPT_ASSESSOR,
        Role.LEADER,
        Role.AUDITOR,
        Role.COMMUNITY_STAFF,
        Role.COMMUNITY_SECRETARY,
    ],
)
def test_only_administrators_enter_the_admin(client, org, role):
    client.force_login(org.user(role))
    response = client.get(reverse("admin:index"))
    # Django's admin sends anyone without access to its own log-in page.
    assert response.status_code == 302
    assert reverse("admin:login") in response.url


def test_subdistrict_admin_sees_only_own_units_and_users(client, org, other_org):
    # given A's administrator
    client.force_login(org.user(Role.ADMIN))
    # when they list units and users
    units = client.get(reverse("admin:core_unit_changelist")).content.decode()
    users = client.get(reverse("admin:core_user_changelist")).content.decode()
    # then only A's appear
    assert "A-c01" in units and "B-c01" not in units
    assert "A-office" in users and "B-office" not in users
    # and B's objects are unreachable by id
    response = client.get(reverse("admin:core_unit_change", args=[other_org.community.pk]))
    assert response.status_code == 302  # "doesn't exist" redirect to the admin index
    autocomplete = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "core", "model_name": "roleassignment", "field_name": "unit", "term": "c01"},
    ).json()
    names = {r["text"] for r in autocomplete["results"]}
    assert "A-c01" in names and "B-c01" not in names


def test_subdistrict_admin_creates_unit_in_own_subdistrict_with_audit(client, org):
    client.force_login(org.user(Role.ADMIN))
    response = client.post(
        reverse("admin:core_unit_add"),
        {
            "kind": UnitKind.COMMUNITY,
            "line": "",
            "name": "新建社区党委",
            "short_name": "",
            "code": "new-c",
            "sort_order": "50",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    unit = Unit.objects.get(code="new-c")
    assert unit.sub_district == org.sd
    event = AuditEvent.objects.get(event_type="admin.unit.add")
    assert event.actor == org.user(Role.ADMIN)
    assert event.sub_district_id == org.sd.pk
    assert event.after["name"] == "新建社区党委"


def _user_form(username: str, unit, role: str, display_name: str = "") -> dict:
    """The admin's user change form with one new role assignment."""
    return {
        "username": username,
        "display_name": display_name,
        "email": "",
        "phone": "",
        "is_active": "on",
        "role_assignments-TOTAL_FORMS": "1",
        "role_assignments-INITIAL_FORMS": "0",
        "role_assignments-MIN_NUM_FORMS": "0",
        "role_assignments-MAX_NUM_FORMS": "1000",
        "role_assignments-0-unit": str(unit.pk),
        "role_assignments-0-role": role,
    }


def test_role_in_other_subdistricts_unit_is_refused(client, org, other_org):
    # given A's admin editing one of A's users
    admin_user = org.user(Role.ADMIN)
    target = UserFactory(sub_district=org.sd, username="newcomer")
    client.force_login(admin_user)
    url = reverse("admin:core_user_change", args=[target.pk])
    form = _user_form("newcomer", other_org.community, Role.COMMUNITY_STAFF, "新人")
    # when they try to give a role in B's community
    response = client.post(url, form)
    # then the form is refused and nothing is written
    assert response.status_code == 200
    assert not RoleAssignment.objects.filter(user=target).exists()
    # and a role in A's own community works, audited
    form["role_assignments-0-unit"] = str(org.community.pk)
    response = client.post(url, form)
    assert response.status_code == 302
    assert RoleAssignment.objects.filter(user=target, unit=org.community).exists()
    assert AuditEvent.objects.filter(event_type="admin.roleassignment.add").count() == 1


def test_role_must_fit_the_unit_kind(client, org):
    client.force_login(org.user(Role.ADMIN))
    target = UserFactory(sub_district=org.sd, username="wrongkind")
    form = _user_form("wrongkind", org.office, Role.COMMUNITY_SECRETARY)
    response = client.post(reverse("admin:core_user_change", args=[target.pk]), form)
    assert response.status_code == 200
    assert "不能在" in response.content.decode()
    assert not RoleAssignment.objects.filter(user=target).exists()


def test_subdistrict_admin_adds_user_into_own_subdistrict(client, org):
    client.force_login(org.user(Role.ADMIN))
    response = client.post(
        reverse("admin:core_user_add"),
        {
            "username": "fresh",
            "display_name": "新用户",
            "password1": "Long-enough-pass-9",
            "password2": "Long-enough-pass-9",
            "usable_password": "true",
            "role_assignments-TOTAL_FORMS": "0",
            "role_assignments-INITIAL_FORMS": "0",
            "role_assignments-MIN_NUM_FORMS": "0",
            "role_assignments-MAX_NUM_FORMS": "1000",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    user = User.objects.get(username="fresh")
    assert user.sub_district == org.sd
    assert not user.is_superuser
    assert AuditEvent.objects.filter(event_type="admin.user.add", subject_id=str(user.pk)).exists()


def test_superuser_sees_every_subdistrict(client, org, other_org):
    root = User.objects.create_superuser("root", password="x-Root-12345")
    client.force_login(root)
    units = client.get(reverse("admin:core_unit_changelist")).content.decode()
    assert "A-c01" in units and "B-c01" in units


def test_subdistrict_admin_turns_on_automatic_escalation_but_cannot_rename(client, org):
    from core.models import SubDistrict

    client.force_login(org.user(Role.ADMIN))
    url = reverse("admin:core_subdistrict_change", args=[org.sd.pk])
    response = client.post(url, {"name": "改名街道", "auto_escalate": "on"})
    assert response.status_code == 302, response.content.decode()[:2000]
    sd = SubDistrict.objects.get(pk=org.sd.pk)
    assert sd.auto_escalate and sd.name == org.sd.name
    assert AuditEvent.objects.filter(event_type="admin.subdistrict.change").exists()
