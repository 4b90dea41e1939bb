"""The notification centre: each person sees and opens only their own notifications."""

import pytest
from django.urls import reverse

from core.models import Notification, Role
from rectification import services
from tests.rectification.conftest import notice_input

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued_to_c01(org, django_capture_on_commit_callbacks):
    office = org.user(Role.OFFICE_STAFF)
    # delivery is queued after the commit: run those callbacks as a real commit would
    with django_capture_on_commit_callbacks(execute=True):
        draft = services.notice_create(
            acting_user=office, data=notice_input(org), target_id=org.community.pk
        )
        notice = services.notice_issue(notice_id=draft.pk, acting_user=office)
    return notice


def test_issuing_notifies_each_person_of_the_community(org, issued_to_c01):
    people = set(
        Notification.objects.filter(verb="notice.issued").values_list("recipient_user", flat=True)
    )
    assert people == {org.user(Role.COMMUNITY_STAFF).pk, org.user(Role.COMMUNITY_SECRETARY).pk}
    # in-app delivery ran after the commit (django-q2 runs inline in tests)
    assert not Notification.objects.filter(delivered_at__isnull=True).exists()


def test_unread_count_in_the_navigation_and_reading(client, org, issued_to_c01):
    staff = org.user(Role.COMMUNITY_STAFF)
    client.force_login(staff)
    page = client.get(reverse("home")).content.decode()
    assert 'data-testid="unread-count">1<' in page
    note = Notification.objects.get(recipient_user=staff)
    # opening it marks it read and leads to the case
    response = client.get(reverse("notification_open", args=[note.pk]))
    assert response.status_code == 302
    assert response.url == reverse("notice_detail", args=[issued_to_c01.pk])
    note.refresh_from_db()
    assert note.read_at is not None
    assert 'data-testid="unread-count"' not in client.get(reverse("home")).content.decode()
    # the secretary's copy is still unread
    assert (
        Notification.objects.get(recipient_user=org.user(Role.COMMUNITY_SECRETARY)).read_at is None
    )


def test_nobody_opens_someone_elses_notification(client, org, other_org, issued_to_c01):
    note = Notification.objects.get(recipient_user=org.user(Role.COMMUNITY_STAFF))
    for user in [
        org.user(Role.COMMUNITY_SECRETARY),
        org.user(Role.OFFICE_STAFF),
        org.user(Role.AUDITOR),
        other_org.user(Role.COMMUNITY_STAFF),
    ]:
        client.force_login(user)
        assert client.get(reverse("notification_open", args=[note.pk])).status_code == 404
    note.refresh_from_db()
    assert note.read_at is None


def test_list_shows_only_ones_own_and_mark_all_read(client, org, issued_to_c01):
    staff = org.user(Role.COMMUNITY_STAFF)
    client.force_login(org.user(Role.OFFICE_STAFF))
    assert len(client.get(reverse("notifications")).context["page_obj"]) == 0
    client.force_login(staff)
    assert len(client.get(reverse("notifications")).context["page_obj"]) == 1
    client.post(reverse("notifications_read_all"))
    assert not Notification.objects.filter(recipient_user=staff, read_at__isnull=True).exists()
    assert Notification.objects.filter(
        recipient_user=org.user(Role.COMMUNITY_SECRETARY), read_at__isnull=True
    ).exists()


def test_each_person_chooses_how_to_get_e_mail(client, org):
    from core.models import AuditEvent

    staff = org.user(Role.COMMUNITY_STAFF)
    client.force_login(staff)
    response = client.post(
        reverse("account"), {"email": "c01@example.org", "email_notifications": "digest"}
    )
    assert response.status_code == 302
    staff.refresh_from_db()
    assert (staff.email, staff.email_notifications) == ("c01@example.org", "digest")
    event = AuditEvent.objects.get(event_type="account.notification_settings")
    assert event.before["email_notifications"] == "immediate"
    # a bad address is refused and nothing changes
    client.post(reverse("account"), {"email": "not-an-address", "email_notifications": "off"})
    staff.refresh_from_db()
    assert staff.email_notifications == "digest"
