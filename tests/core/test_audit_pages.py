"""The audit trail, the audit detail and the notification centre show labels, never raw codes."""

from __future__ import annotations

import hashlib
import html
import re
from contextlib import contextmanager

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django.utils import translation

from core import audit_events
from core.audit import audit_record
from core.models import Role
from core.notifications import notify
from workflows.tasks import deliver_notifications

pytestmark = pytest.mark.django_db


def visible_text(page: str) -> str:
    """What a person reads: the page without its tags (attributes, scripts) and closed blocks."""
    page = re.sub(r"<(script|style|details)\b.*?</\1>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def raw_codes(text: str) -> set[str]:
    """Every key the product registers (audit event types and notification kinds) that the
    text contains."""
    entries = [*audit_events.registered().values()]
    entries += audit_events.notification_kinds.registered().values()
    keys = {e.key for e in entries if e.app != "tests"}
    found = set()
    for key in keys:
        pattern = re.escape(key).replace(r"\{n\}", r"\d+")
        if re.search(rf"(?<![\w.]){pattern}(?![\w.])", text):
            found.add(key)
    return found


def zh(label_of, key: str) -> str:
    with translation.override("zh-hans"):
        return label_of(key)


@contextmanager
def _forgotten(key: str):
    """A key no app registers any more: its old rows must still render."""
    entry = audit_events.registered()[key]
    audit_events.events.unregister(key)
    try:
        yield
    finally:
        audit_events.register(key, entry.label, entry.app)


def _record(org, event_type: str, **kwargs):
    with transaction.atomic():
        return audit_record(
            event_type=event_type,
            actor=org.user(Role.OFFICE_STAFF),
            subject=org.community,
            **kwargs,
        )


def test_the_audit_list_shows_labels_and_no_event_code(client, org):
    # given events of several apps, and one whose key is no longer registered
    for key in ("notice.verify", "appraisal.scores_saved", "calendar.day_set", "admin.unit.change"):
        _record(org, key)
    _record(org, "test.event")
    client.force_login(org.user(Role.AUDITOR))
    # when the auditor opens the trail
    with _forgotten("test.event"):
        page = client.get(reverse("audit_list")).content.decode()
    text = visible_text(page)
    # then each event reads as its label, the old one as a neutral label, none as its code
    for key in ("notice.verify", "appraisal.scores_saved", "calendar.day_set", "admin.unit.change"):
        assert zh(audit_events.label, key) in text
    assert zh(audit_events.label, "test.event.gone") in text  # the neutral label
    assert not raw_codes(text)
    assert "test.event" not in text
    assert "<code>" not in page.split("<tbody>")[1]


def test_the_audit_list_shows_local_times(client, org, monkeypatch):
    import datetime as dt

    from django.utils import timezone

    moment = dt.datetime(2026, 3, 2, 17, 30, 5, tzinfo=dt.UTC)
    monkeypatch.setattr(timezone, "now", lambda: moment)
    _record(org, "notice.verify")
    client.force_login(org.user(Role.AUDITOR))
    text = visible_text(client.get(reverse("audit_list")).content.decode())
    # 17:30 UTC is 01:30 the next day in Asia/Shanghai
    assert "2026-03-03 01:30:05" in text
    assert "2026-03-02 17:30:05" not in text


def test_the_audit_detail_is_a_table_of_labelled_fields_with_names(client, org, other_org):
    # given a score save naming units by id (one of another sub-district), times and booleans
    event = _record(
        org,
        "appraisal.scores_saved",
        before={"state": "issued", "reply_due_at": "2026-03-09T15:59:59Z", "late": False},
        after={
            "state": "replied",
            "reply_due_at": "2026-03-09T15:59:59Z",
            "late": True,
            "files": ["a.pdf", "b.pdf"],
            "changes": [
                {"unit": org.community2.pk, "indicator": "LZ-01", "before": None, "after": "4.50"},
                {"unit": other_org.community.pk, "indicator": "LZ-01", "after": "3.00"},
            ],
            "made_up_key": 3,
            "sub_district_id": org.sd.pk,
        },
    )
    client.force_login(org.user(Role.AUDITOR))
    response = client.get(reverse("audit_detail", args=[event.pk]))
    page = response.content.decode()
    text = visible_text(page)
    # then: a table of field | before | after
    assert 'data-testid="changes"' in page
    rows = {row.label: row for row in response.context["rows"]}
    english = client.get(reverse("audit_detail", args=[event.pk]), HTTP_ACCEPT_LANGUAGE="en")
    english_labels = [row.label for row in english.context["rows"]]
    # in one order on every database (PostgreSQL's jsonb reorders keys): the subject's (a unit's)
    # fields as declared, then the other keys by name
    assert english_labels == [
        "Sub-district",
        "Changes",
        "Files",
        "Late",
        "Made up key",
        "Reply due at",
        "State",
    ]
    # ids of units of the sub-district become their names; another sub-district's stays unnamed
    assert org.community2.name in text
    sub_district = next(r for r in english.context["rows"] if r.label == "Sub-district")
    assert sub_district.after.text == org.sd.name
    assert other_org.community.name not in text
    assert f"#{other_org.community.pk}" in text
    # times in Asia/Shanghai, booleans as 是/否, lists joined
    assert "2026-03-09 23:59:59" in text and "15:59:59" not in text
    late = rows[zh(lambda k: str(audit_events.field(k).label), "late")]
    assert (late.before.text, late.after.text, late.changed) == ("否", "是", True)
    assert "a.pdf、b.pdf" in text
    # never a Python dict, never the event's code
    assert "{'" not in page and "'unit':" not in page
    assert not raw_codes(text)
    assert zh(audit_events.label, "appraisal.scores_saved") in text


def test_only_auditors_get_the_raw_record_collapsed(client, org):
    event = _record(org, "notice.verify", after={"text": "已整改"})
    client.force_login(org.user(Role.AUDITOR))
    page = client.get(reverse("audit_detail", args=[event.pk])).content.decode()
    raw = re.search(r'<details[^>]*data-testid="raw-record".*?</details>', page, re.S)
    assert raw and "notice.verify" in raw.group(0) and "<details" in raw.group(0)
    assert " open" not in raw.group(0).split(">")[0]
    # its canonical line hashes to the row's hash: a complaint file can prove the row
    line = re.search(r'data-testid="canonical">(.*?)</pre>', raw.group(0), re.S).group(1)
    digest = hashlib.sha256(html.unescape(line).encode("utf-8")).hexdigest()
    assert digest == event.hash
    client.force_login(org.user(Role.OFFICE_STAFF))
    page = client.get(reverse("audit_detail", args=[event.pk])).content.decode()
    assert 'data-testid="raw-record"' not in page
    assert "notice.verify" not in visible_text(page)


@pytest.mark.parametrize("units", [1, 20])
def test_the_audit_detail_names_ids_in_a_fixed_number_of_queries(
    client, org, units, django_assert_num_queries
):
    from tests.factories import UnitFactory

    made = [UnitFactory(sub_district=org.sd) for _ in range(units)]
    event = _record(
        org,
        "appraisal.scores_saved",
        after={"changes": [{"unit": u.pk, "after": "1.00"} for u in made]},
    )
    client.force_login(org.user(Role.AUDITOR))
    client.get(reverse("home"))
    # the request's own (session, user, roles, sub-district, unread count, session save in a
    # savepoint: 3) + the event + one query for all the units named
    with django_assert_num_queries(10):
        response = client.get(reverse("audit_detail", args=[event.pk]))
    assert all(u.name in response.content.decode() for u in made)


def test_the_notification_centre_shows_labels_and_no_kind_code(client, org):
    # given notifications of every app, one of a day count only a setting names
    kinds = [
        "notice.extension_requested",
        "notice.extension_granted",
        "claim_approved",
        "results.republished",
        "deadline.reminder_3",
        "deadline.reminder_5",
    ]
    with transaction.atomic():
        for kind in kinds:
            notify(sub_district_id=org.sd.pk, unit_id=org.community.pk, verb=kind, title="标题")
    client.force_login(org.user(Role.COMMUNITY_STAFF))
    # when the community opens its notifications
    text = visible_text(client.get(reverse("notifications")).content.decode())
    # then every one reads as its label
    for kind in kinds:
        assert zh(audit_events.notification_label, kind) in text
    assert not raw_codes(text)
    assert "claim_approved" not in text


def test_a_notification_e_mail_names_its_kind(org, settings):
    settings.LANGUAGE_CODE = "en"
    staff = org.user(Role.COMMUNITY_STAFF)
    staff.email, staff.email_notifications = "staff@example.org", "immediate"
    staff.save(update_fields=["email", "email_notifications"])
    with transaction.atomic():
        ids = notify(
            sub_district_id=org.sd.pk,
            unit_id=org.community.pk,
            verb="notice.extension_granted",
            title="联系单 2026-联-001",
            url="/notices/1/",
        )
    mail.outbox.clear()
    deliver_notifications(ids)
    (message,) = mail.outbox
    assert message.body.startswith("Extension request granted：联系单 2026-联-001")
    assert "notice.extension_granted" not in message.body + message.subject


def test_the_trail_is_filtered_by_an_event_chosen_by_its_label(client, org):
    _record(org, "notice.verify")
    _record(org, "calendar.day_set")
    client.force_login(org.user(Role.AUDITOR))
    response = client.get(reverse("audit_list"), {"event_type": "notice.verify"})
    assert [e.event_type for e in response.context["page_obj"]] == ["notice.verify"]
    page = response.content.decode()
    # the choice reads as its label; the code is only the option's value
    label = zh(audit_events.label, "notice.verify")
    assert f'<option value="notice.verify" selected>{label}</option>' in page
    assert not raw_codes(visible_text(page))
