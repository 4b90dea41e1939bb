"""Delivery of notifications (issue 4, item 6): in-app once, e-mail immediately or in a daily
digest at 08:30 local time, each exactly once whatever the number of task runs or failures."""

from __future__ import annotations

import smtplib

import pytest
from django.core import mail
from django.db import transaction

from core.models import DigestSent, Notification, Role
from core.notifications import notify
from tests.workflows.conftest import at
from workflows import tasks
from workflows.tasks import deliver_notifications, send_digests

pytestmark = pytest.mark.usefixtures("engine_settings")


@pytest.fixture
def people(org):
    """The community's staff member wants e-mail at once; its secretary wants none."""
    staff = org.user(Role.COMMUNITY_STAFF)
    staff.email, staff.email_notifications = "staff@example.org", "immediate"
    staff.save()
    secretary = org.user(Role.COMMUNITY_SECRETARY)
    secretary.email, secretary.email_notifications = "secretary@example.org", "off"
    secretary.save()
    return staff, secretary


def tell_community(org, title: str = "联系单 2026-联-001 三会一课记录不全") -> list[int]:
    """One message to the community: one notification per person (staff and secretary)."""
    with transaction.atomic():
        return notify(
            sub_district_id=org.sd.pk,
            unit_id=org.community.pk,
            verb="deadline.reminder_1",
            title=title,
            url="/notices/1/",
        )


def test_delivery_marks_each_notification_delivered_once(org, people, clock):
    # given
    ids = tell_community(org)
    assert len(ids) == 2

    # when
    first = deliver_notifications(ids)
    delivered_at = set(Notification.objects.filter(pk__in=ids).values_list("delivered_at"))
    clock.set(at(2, 11))
    second = deliver_notifications(ids)

    # then
    assert (first, second) == (2, 0)
    assert delivered_at == {(at(2, 10),)}
    assert set(Notification.objects.filter(pk__in=ids).values_list("delivered_at")) == {
        (at(2, 10),)
    }


def test_committing_the_cause_queues_the_delivery(org, people, django_capture_on_commit_callbacks):
    # given / when: a notification written in a transaction
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        ids = tell_community(org)
        # then: nothing is delivered before the commit
        assert not Notification.objects.filter(pk__in=ids, delivered_at__isnull=False).exists()
        assert mail.outbox == []

    # then: after the commit the task ran (inline in tests) and delivered
    assert len(callbacks) == 1
    assert not Notification.objects.filter(pk__in=ids, delivered_at__isnull=True).exists()
    assert [m.to for m in mail.outbox] == [["staff@example.org"]]


def test_an_immediate_user_gets_one_mail_per_notification_even_if_the_task_runs_twice(org, people):
    # given: two notifications for each person
    staff, secretary = people
    ids = tell_community(org, "第一条") + tell_community(org, "第二条")

    # when: the task runs twice (a retry, or a second cluster)
    deliver_notifications(ids)
    deliver_notifications(ids)

    # then: two mails, both to the staff member, one per notification
    assert sorted(m.to[0] for m in mail.outbox) == ["staff@example.org"] * 2
    assert sorted(m.subject.rsplit("] ", 1)[1] for m in mail.outbox) == ["第一条", "第二条"]
    assert all("/notices/1/" in m.body for m in mail.outbox)
    assert not Notification.objects.filter(recipient_user=staff, emailed_at__isnull=True).exists()
    # the secretary ('off') gets none and her notifications stay unmailed
    assert not Notification.objects.filter(recipient_user=secretary, emailed_at__isnull=False)


def test_a_failed_send_is_retried_and_sent_once(org, people, monkeypatch):
    # given: the mail server fails once
    staff, _ = people
    mail_server_fails_once(monkeypatch)
    ids = tell_community(org)

    # when: the first attempt fails (the task raises, so django-q2 retries it)
    with pytest.raises(smtplib.SMTPServerDisconnected):
        deliver_notifications(ids)

    # then: in-app delivery happened, the e-mail is still owed
    note = Notification.objects.get(pk__in=ids, recipient_user=staff)
    assert note.delivered_at is not None and note.emailed_at is None
    assert mail.outbox == []

    # when: the retry, and one more run
    deliver_notifications(ids)
    deliver_notifications(ids)

    # then
    note.refresh_from_db()
    assert note.emailed_at is not None
    assert [m.to for m in mail.outbox] == [["staff@example.org"]]


def test_people_who_chose_no_email_or_have_no_address_get_none(org, people):
    # given: nobody wants immediate e-mail with an address
    staff, _ = people
    staff.email = ""
    staff.save()
    ids = tell_community(org)

    # when
    deliver_notifications(ids)

    # then
    assert mail.outbox == []
    assert not Notification.objects.filter(pk__in=ids, emailed_at__isnull=False).exists()
    assert not Notification.objects.filter(pk__in=ids, delivered_at__isnull=True).exists()


def mail_server_fails_once(monkeypatch) -> None:
    """The next send_mail of the delivery tasks raises, as a dropped SMTP connection would."""
    real_send_mail = tasks.send_mail
    failures = {"left": 1}

    def flaky_send_mail(**kwargs):
        if failures["left"]:
            failures["left"] -= 1
            raise smtplib.SMTPServerDisconnected("connection unexpectedly closed")
        return real_send_mail(**kwargs)

    monkeypatch.setattr(tasks, "send_mail", flaky_send_mail)


@pytest.fixture
def digest_reader(people):
    """The secretary switches to the daily digest."""
    _, secretary = people
    secretary.email_notifications = "digest"
    secretary.save()
    return secretary


def test_the_daily_digest_goes_out_once_a_day_from_0830(org, people, digest_reader, clock):
    # given: two notifications on Monday morning, delivered in-app (no immediate mail for her)
    clock.set(at(2, 7, 0))
    ids = tell_community(org, "消息甲") + tell_community(org, "消息乙")
    deliver_notifications(ids)
    mail.outbox.clear()  # the staff member's immediate mails

    # when: before 08:30
    clock.set(at(2, 8, 29))
    early = send_digests()
    # then: nothing
    assert early == 0 and mail.outbox == []
    assert not DigestSent.objects.exists()

    # when: at 08:30
    clock.set(at(2, 8, 30))
    sent = send_digests()
    # then: one digest listing both
    assert sent == 1
    (digest,) = mail.outbox
    assert digest.to == ["secretary@example.org"]
    assert "消息甲" in digest.body and "消息乙" in digest.body
    assert "(2)" in digest.subject
    assert DigestSent.objects.get(user=digest_reader).count == 2
    assert not Notification.objects.filter(recipient_user=digest_reader, emailed_at__isnull=True)

    # when: more arrives during the day, and the task runs again (every 5 minutes)
    clock.set(at(2, 10, 0))
    tell_community(org, "消息丙")
    clock.set(at(2, 10, 5))
    again = send_digests()
    clock.set(at(2, 17, 0))
    later = send_digests()
    # then: nothing more that day
    assert again == later == 0
    assert len(mail.outbox) == 1

    # when: the next morning, before and at 08:30
    clock.set(at(3, 8, 0))
    assert send_digests() == 0
    clock.set(at(3, 8, 35))
    next_day = send_digests()
    # then: one digest with only what arrived since
    assert next_day == 1
    digest = mail.outbox[-1]
    assert digest.to == ["secretary@example.org"]
    assert "消息丙" in digest.body
    assert "消息甲" not in digest.body and "消息乙" not in digest.body

    # when: the day after, nothing new has arrived
    clock.set(at(4, 9, 0))
    # then: no empty digest
    assert send_digests() == 0
    assert len(mail.outbox) == 2
    assert DigestSent.objects.filter(user=digest_reader).count() == 2


def test_a_digest_that_fails_to_send_is_sent_by_the_next_run(
    org, people, digest_reader, clock, monkeypatch
):
    # given: a notification, and a mail server that fails once
    clock.set(at(2, 7, 0))
    tell_community(org, "消息甲")
    mail_server_fails_once(monkeypatch)
    clock.set(at(2, 8, 30))

    # when
    with pytest.raises(smtplib.SMTPServerDisconnected):
        send_digests()
    # then: no ledger row, nothing marked
    assert not DigestSent.objects.exists()
    assert not Notification.objects.filter(emailed_at__isnull=False).exists()

    # when: the next run (5 minutes later), and one more
    clock.set(at(2, 8, 35))
    assert send_digests() == 1
    assert send_digests() == 0

    # then
    assert [m.to for m in mail.outbox] == [["secretary@example.org"]]


def test_immediate_and_off_users_get_no_digest(org, people, clock):
    # given: the staff member (immediate) was mailed; the secretary (off) was not
    clock.set(at(2, 7, 0))
    ids = tell_community(org)
    deliver_notifications(ids)
    mail.outbox.clear()

    # when
    clock.set(at(2, 9, 0))
    sent = send_digests()

    # then
    assert sent == 0 and mail.outbox == []


def test_a_failed_immediate_mail_is_sent_later_by_the_periodic_jobs(
    org, people, clock, monkeypatch
):
    from django.conf import settings
    from django.utils.module_loading import import_string

    from workflows.schedules import declared

    # given: the mail server fails once, so the delivery task fails. django-q2 acknowledges a
    # failed task when ack_failures is set: that task is not delivered again.
    assert settings.Q_CLUSTER.get("ack_failures")
    mail_server_fails_once(monkeypatch)
    ids = tell_community(org)
    with pytest.raises(smtplib.SMTPServerDisconnected):
        deliver_notifications(ids)

    # when: every periodic job runs, over the next day
    for moment in (at(2, 10, 5), at(2, 12, 0), at(3, 9, 0)):
        clock.set(moment)
        for spec in declared():
            if spec.name != "workflow-timers":  # viewflow's timers: nothing to do with mail
                import_string(spec.func)()

    # then: the staff member has had the mail
    assert [m.to for m in mail.outbox] == [["staff@example.org"]]
