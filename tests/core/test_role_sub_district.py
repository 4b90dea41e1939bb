"""A role is held only in a unit of the user's own sub-district: in the admin's add form as in
its change form, in the database whatever writes the row, and even a wrong row forced past the
guard carries nothing of one sub-district to a person of another."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from core.models import AuditEvent, Notification, Role, RoleAssignment, User
from core.notifications import notify, recipients
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

GUARD_TRIGGERS = {
    "sqlite": [
        "DROP TRIGGER core_roleassignment_same_sub_district_insert",
        "DROP TRIGGER core_roleassignment_same_sub_district_update",
        "DROP TRIGGER core_user_roles_stay",
    ],
    "postgresql": [
        "DROP TRIGGER core_roleassignment_same_sub_district ON core_roleassignment",
        "DROP TRIGGER core_user_roles_stay ON core_user",
    ],
}


def force_cross_role(user, unit, role=Role.COMMUNITY_STAFF) -> RoleAssignment:
    """Write a wrong row as a careless script would, past every guard: the triggers are dropped
    inside the test's transaction (both databases roll the DDL back with the test)."""
    with connection.cursor() as cursor:
        for statement in GUARD_TRIGGERS[connection.vendor]:
            cursor.execute(statement)
    (row,) = RoleAssignment.objects.bulk_create([RoleAssignment(user=user, unit=unit, role=role)])
    return row


def add_user_form(username: str, unit, role: str, sub_district=None) -> dict:
    data = {
        "username": username,
        "display_name": "跨街道新人",
        "password1": "Long-enough-pass-9",
        "password2": "Long-enough-pass-9",
        "usable_password": "true",
        "role_assignments-TOTAL_FORMS": "1",
        "role_assignments-INITIAL_FORMS": "0",
        "role_assignments-MIN_NUM_FORMS": "0",
        "role_assignments-MAX_NUM_FORMS": "1000",
        "role_assignments-0-unit": str(unit.pk),
        "role_assignments-0-role": role,
    }
    if sub_district is not None:
        data["sub_district"] = str(sub_district.pk)
    return data


# --- The admin's add form -------------------------------------------------------------------------


def test_subdistrict_admin_cannot_add_a_user_with_a_role_in_another_subdistrict(
    client, org, other_org
):
    # given A's administrator on the admin's "add user" page
    client.force_login(org.user(Role.ADMIN))
    audit_before = AuditEvent.objects.count()
    # when they add a user with an inline role in B's community
    response = client.post(
        reverse("admin:core_user_add"),
        add_user_form("crosser", other_org.community, Role.COMMUNITY_STAFF),
    )
    # then the form is shown again with an error, and nothing is written
    assert response.status_code == 200
    assert response.context["errors"]
    assert not User.objects.filter(username="crosser").exists()
    assert not RoleAssignment.objects.filter(unit=other_org.community, user__username="crosser")
    assert AuditEvent.objects.count() == audit_before


def test_superuser_cannot_add_a_user_of_one_subdistrict_with_a_role_in_another(
    client, org, other_org
):
    # given a superuser, who may pick any sub-district and any unit
    client.force_login(User.objects.create_superuser("root", password="x-Root-12345-y"))
    # when they add a user of A with a role in B's community
    response = client.post(
        reverse("admin:core_user_add"),
        add_user_form("crosser", other_org.community, Role.COMMUNITY_STAFF, org.sd),
    )
    # then the same error as the change form gives, and nothing is written
    assert response.status_code == 200
    assert "该单位与用户不属于同一街道" in response.content.decode()
    assert not User.objects.filter(username="crosser").exists()
    assert not RoleAssignment.objects.filter(unit=other_org.community).exclude(
        user__sub_district=other_org.sd
    )


def test_the_add_form_still_accepts_a_role_in_the_users_own_subdistrict(client, org):
    client.force_login(org.user(Role.ADMIN))
    response = client.post(
        reverse("admin:core_user_add"),
        add_user_form("newcomer", org.community, Role.COMMUNITY_STAFF),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    user = User.objects.get(username="newcomer")
    assert user.sub_district == org.sd
    assert RoleAssignment.objects.filter(user=user, unit=org.community).exists()


# --- The database guard ---------------------------------------------------------------------------


def test_the_database_refuses_a_cross_subdistrict_role_written_past_clean(org, other_org):
    # given a user of B
    outsider = UserFactory(sub_district=other_org.sd)
    # when a role in A's community is written without clean(): a bulk insert, a plain save
    # then the database refuses each, and no row exists
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleAssignment.objects.bulk_create(
            [RoleAssignment(user=outsider, unit=org.community, role=Role.COMMUNITY_STAFF)]
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleAssignment(user=outsider, unit=org.community, role=Role.COMMUNITY_STAFF).save()
    assert not RoleAssignment.objects.filter(user=outsider).exists()


def test_the_database_refuses_moving_a_role_or_its_holder_across(org, other_org):
    # given A's community staff member, holding a role in A's community
    member = org.user(Role.COMMUNITY_STAFF)
    row = RoleAssignment.objects.get(user=member, unit=org.community)
    # when the row is pointed at B's unit, or the person moved to B, by an update
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleAssignment.objects.filter(pk=row.pk).update(unit=other_org.community)
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=member.pk).update(sub_district=other_org.sd)
    with pytest.raises(IntegrityError), transaction.atomic():
        type(org.community).objects.filter(pk=org.community.pk).update(sub_district=other_org.sd)
    # then nothing moved
    row.refresh_from_db()
    member.refresh_from_db()
    assert row.unit_id == org.community.pk and member.sub_district_id == org.sd.pk


def test_moving_a_user_with_roles_in_the_admin_is_a_form_error(client, org, other_org):
    # given a superuser editing A's community staff member
    client.force_login(User.objects.create_superuser("root", password="x-Root-12345-y"))
    member = org.user(Role.COMMUNITY_STAFF)
    row = RoleAssignment.objects.get(user=member)
    # when they move the person to B, keeping the role in A's community
    response = client.post(
        reverse("admin:core_user_change", args=[member.pk]),
        {
            "username": member.username,
            "display_name": member.display_name,
            "email": "",
            "phone": "",
            "sub_district": str(other_org.sd.pk),
            "is_active": "on",
            "role_assignments-TOTAL_FORMS": "1",
            "role_assignments-INITIAL_FORMS": "1",
            "role_assignments-MIN_NUM_FORMS": "0",
            "role_assignments-MAX_NUM_FORMS": "1000",
            "role_assignments-0-id": str(row.pk),
            "role_assignments-0-user": str(member.pk),
            "role_assignments-0-unit": str(org.community.pk),
            "role_assignments-0-role": Role.COMMUNITY_STAFF,
        },
    )
    # then a form error, never a 500, and the person stays in A
    assert response.status_code == 200
    member.refresh_from_db()
    assert member.sub_district_id == org.sd.pk


# --- A wrong row forced past the guard carries nothing across -------------------------------------


def test_a_forced_cross_role_receives_none_of_the_units_notifications(org, other_org):
    # given a person of B holding, by a forced row, a role in A's community
    outsider = UserFactory(sub_district=other_org.sd, email="b@example.org")
    force_cross_role(outsider, org.community)
    # when A's community is notified (both ways notifications are written)
    with transaction.atomic():
        ids = notify(
            sub_district_id=org.sd.pk,
            unit_id=org.community.pk,
            verb="test.cross",
            title="A 的联系单",
        )
    # then A's own people receive it and the outsider does not
    assert outsider.pk not in recipients([org.community.pk]).get(org.community.pk, [])
    rows = Notification.objects.filter(pk__in=ids)
    receivers = set(rows.values_list("recipient_user", flat=True))
    assert org.user(Role.COMMUNITY_STAFF).pk in receivers
    assert outsider.pk not in receivers


def test_the_unit_page_lists_only_people_of_its_own_subdistrict(client, org, other_org):
    # given a person of B forced into A's community
    outsider = UserFactory(sub_district=other_org.sd, display_name="乙街道的人")
    force_cross_role(outsider, org.community)
    # when A's Office opens the community's page
    client.force_login(org.user(Role.OFFICE_STAFF))
    body = client.get(reverse("unit_detail", args=[org.community.pk])).content.decode()
    # then A's people are listed and the outsider is not
    assert org.user(Role.COMMUNITY_STAFF).display_name in body
    assert "乙街道的人" not in body


def test_sqlite_triggers_lost_to_a_table_rebuild_come_back_after_migrate(org, other_org):
    # given SQLite rebuilt the role table (an AlterField) and lost its triggers
    from core.role_guard import SQLITE_TRIGGERS, ensure_triggers

    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL keeps triggers through ALTER TABLE")
    with connection.cursor() as cursor:
        for statement in GUARD_TRIGGERS["sqlite"]:
            cursor.execute(statement)
    # when post_migrate ensures them
    created = ensure_triggers(connection)
    # then they are back and refuse a cross row again
    assert set(created) == set(SQLITE_TRIGGERS) - {"core_unit_roles_stay"}
    outsider = UserFactory(sub_district=other_org.sd)
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleAssignment.objects.create(user=outsider, unit=org.community, role=Role.COMMUNITY_STAFF)
