"""A wrong role row (a person of B holding a role in A's unit, forced past the database guard)
never carries A's notifications to that person: not in-app, not by e-mail, not in a digest, and
not through the deadline sweep's set-based writer."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import transaction

from core.models import Notification, Role
from core.notifications import notify, notify_items
from tests.core.test_role_sub_district import force_cross_role
from tests.factories import UserFactory
from tests.workflows.conftest import at, issue, reply_item
from workflows.tasks import deliver_notifications, redeliver_pending, send_digests

pytestmark = pytest.mark.usefixtures("engine_settings")


@pytest.fixture
def outsider(org, other_org):
    """A person of B, wanting every e-mail, with a forced role in A's community."""
    person = UserFactory(
        sub_district=other_org.sd, email="outsider@example.org", email_notifications="immediate"
    )
    force_cross_role(person, org.community)
    return person


def forged_notification(org, person, title: str) -> Notification:
    """A row written for the outsider as a pre-guard bug or a raw insert would have."""
    (row,) = Notification.objects.bulk_create(
        [
            Notification(
                sub_district_id=org.sd.pk,
                recipient_unit=org.community,
                recipient_user=person,
                verb="test.cross",
                title=title,
            )
        ]
    )
    return Notification.objects.get(recipient_user=person, title=title) if row.pk is None else row


def test_no_email_reaches_a_person_of_another_subdistrict(org, outsider, clock):
    # given A's community is notified, and a notification row forged for the outsider
    with transaction.atomic():
        ids = notify(
            sub_district_id=org.sd.pk, unit_id=org.community.pk, verb="t", title="A 的联系单"
        )
    forged = forged_notification(org, outsider, "A 的伪造行")

    # when delivery runs, then the periodic redelivery a few minutes later
    deliver_notifications([*ids, forged.pk])
    clock.set(at(2, 10, 10))
    redeliver_pending()

    # then no mail goes to the outsider, and the forged row stays unmailed
    assert all("outsider@example.org" not in m.to for m in mail.outbox)
    assert not Notification.objects.filter(recipient_user=outsider, emailed_at__isnull=False)
    assert not Notification.objects.filter(pk__in=ids, recipient_user=outsider).exists()


def test_no_digest_reaches_a_person_of_another_subdistrict(org, outsider, clock):
    # given the outsider chose the digest and has a forged notification of A
    outsider.email_notifications = "digest"
    outsider.save(update_fields=["email_notifications"])
    clock.set(at(2, 7, 0))
    forged_notification(org, outsider, "A 的伪造行")

    # when the digest runs at 08:30
    clock.set(at(2, 8, 30))
    sent = send_digests()

    # then nothing is sent to them
    assert sent == 0
    assert mail.outbox == []


def test_the_sweeps_set_based_writer_skips_a_person_of_another_subdistrict(org, outsider):
    # given an issued notice with its reply work item in A's community
    notice = issue(org, reply_workdays=3)
    item = reply_item(notice)

    # when the sweep's writer notifies the community about it
    with transaction.atomic():
        ids = notify_items("deadline.reminder_3", [(item.pk, org.community.pk)])

    # then A's people get it and the outsider does not
    rows = Notification.objects.filter(pk__in=ids)
    receivers = set(rows.values_list("recipient_user", flat=True))
    assert org.user(Role.COMMUNITY_STAFF).pk in receivers
    assert outsider.pk not in receivers


def test_the_notification_centre_hides_a_forged_row_of_another_subdistrict(client, org, outsider):
    # given a forged row of A for the outsider
    forged = forged_notification(org, outsider, "A 的伪造行")
    client.force_login(outsider)
    # when they open the centre and the row
    body = client.get("/notifications/").content.decode()
    opened = client.get(f"/notifications/{forged.pk}/")
    # then it is not there
    assert "A 的伪造行" not in body
    assert opened.status_code == 404
