"""Notifications of a notice say who did what to which case (Art. 11), each kind by its own label.

Asserted in English (the msgids): the installation's language is set to English for these tests;
the Chinese is in the branch's msgid list until the catalogue is merged.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from core import audit_events
from core.models import Notification, Role
from rectification import services
from rectification.models import Notice
from tests.rectification.conftest import notice_input

pytestmark = pytest.mark.django_db

MEASURES = [services.MeasureInput("补齐会议记录", "张三", dt.date(2026, 12, 31))]


@pytest.fixture
def english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def _titles(unit, verb: str) -> list[str]:
    """The distinct texts the unit's people received for the kind, oldest first."""
    rows = Notification.objects.filter(recipient_unit=unit, verb=verb).order_by("id")
    return list(dict.fromkeys(rows.values_list("title", flat=True)))


def _ref(notice: Notice) -> str:
    notice.refresh_from_db()
    return f"{notice.number} “{notice.subject}”"


def test_a_new_notice_is_received_not_the_offices_new_notice_button(org, english, issued):
    # then the community's notification has its own label, not the button's "New notice"
    assert audit_events.notification_label("notice.issued") == "New notice received"
    assert audit_events.notification_label("notice.issued") != "New notice"
    # and says who issued what to whom
    assert _titles(org.community, "notice.issued") == [
        f"{org.office.name} issued Rectification contact sheet {_ref(issued)} to "
        f"{org.community.name}"
    ]


def test_each_step_of_the_case_says_who_did_what_to_which_case(org, english, issued):
    office, staff = org.user(Role.OFFICE_STAFF), org.user(Role.COMMUNITY_STAFF)
    office_unit, community, ref = org.office.name, org.community.name, _ref(issued)
    # when the community replies, the Office returns it, the community replies again
    services.notice_reply(notice_id=issued.pk, acting_user=staff, text="已查明原因")
    services.notice_return(notice_id=issued.pk, acting_user=office, reason="请补充")
    services.notice_reply(notice_id=issued.pk, acting_user=staff, text="已补充原因")
    # then the Office read a first and a second submission, not two identical entries
    assert _titles(org.office, "notice.replied") == [
        f"{community} submitted the reply to {ref}",
        f"{community} submitted the reply to {ref} again (submission 2)",
    ]
    assert _titles(org.community, "notice.reply_returned") == [
        f"{office_unit} returned the reply of {community} to {ref} for rework"
    ]
    # when the measures go in, come back, go in again and are verified
    services.notice_submit_measures(notice_id=issued.pk, acting_user=staff, measures=MEASURES)
    services.notice_return(notice_id=issued.pk, acting_user=office, reason="不具体")
    services.notice_submit_measures(notice_id=issued.pk, acting_user=staff, measures=MEASURES)
    services.notice_verify(notice_id=issued.pk, acting_user=office)
    assert _titles(org.office, "notice.measures_submitted") == [
        f"{community} submitted the rectification measures of {ref}",
        f"{community} submitted the rectification measures of {ref} again (submission 2)",
    ]
    assert _titles(org.community, "notice.measures_returned") == [
        f"{office_unit} returned the rectification measures of {community} for {ref} for rework"
    ]
    assert _titles(org.community, "notice.verified") == [
        f"{office_unit} verified and closed {ref} of {community}"
    ]


def test_a_withdrawal_names_the_issuer_and_the_case(org, english, issued):
    services.notice_withdraw(
        notice_id=issued.pk, acting_user=org.user(Role.OFFICE_STAFF), reason="误发"
    )
    assert _titles(org.community, "notice.withdrawn") == [
        f"{org.office.name} withdrew {_ref(issued)} addressed to {org.community.name}"
    ]


def test_an_escalation_names_the_issuer_and_the_case(org, english, issued):
    office = org.user(Role.OFFICE_STAFF)
    draft = services.notice_escalate(notice_id=issued.pk, acting_user=office, reason="逾期未答复")
    # the community is told when the escalation takes effect: the next notice is issued
    assert _titles(org.community, "notice.escalated") == []
    services.notice_issue(notice_id=draft.pk, acting_user=office)
    assert _titles(org.community, "notice.escalated") == [
        f"{org.office.name} escalated {_ref(issued)} of {org.community.name}"
    ]


@pytest.mark.parametrize(("grant", "verb"), [(True, "granted"), (False, "refused")])
def test_an_extension_request_and_its_decision_name_both_sides(org, english, issued, grant, verb):
    asked = timezone.localtime(issued.current_due_at + dt.timedelta(days=7)).date()
    services.extension_request(
        notice_id=issued.pk,
        acting_user=org.user(Role.COMMUNITY_STAFF),
        new_date=asked,
        reason="需要补充材料",
    )
    services.extension_decide(
        notice_id=issued.pk, acting_user=org.user(Role.OFFICE_STAFF), grant=grant, reason="可以"
    )
    ref, community = _ref(issued), org.community.name
    assert _titles(org.office, "notice.extension_requested") == [
        f"{community} asked for more time on {ref}"
    ]
    assert _titles(org.community, f"notice.extension_{verb}") == [
        f"{org.office.name} {verb} the extension {community} asked for on {ref}"
    ]


def test_the_notification_centre_shows_the_sentence_and_the_kind(client, org, english, issued):
    # when the community opens its notifications
    client.force_login(org.user(Role.COMMUNITY_STAFF))
    page = client.get(reverse("notifications"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    # then it reads who did what to which case, and the kind by its own label
    assert f"{org.office.name} issued Rectification contact sheet" in page
    assert "New notice received" in page


def test_the_text_is_in_the_installations_language_not_the_actors(org, settings):
    # given a Chinese installation and an Office worker browsing in English
    settings.LANGUAGE_CODE = "zh-hans"
    office = org.user(Role.OFFICE_STAFF)
    with translation.override("en"):
        draft = services.notice_create(
            acting_user=office, data=notice_input(org), target_id=org.community.pk
        )
        services.notice_issue(notice_id=draft.pk, acting_user=office)
    # then the community's notification names the kind in Chinese
    [title] = _titles(org.community, "notice.issued")
    assert "整改联系单" in title and "Rectification contact sheet" not in title


def test_every_notice_notification_kind_has_a_label_of_its_own(english):
    # no notification kind borrows a button's or an audit step's wording
    kinds = {
        k: str(e.label)
        for k, e in audit_events.notification_kinds.registered().items()
        if k.startswith("notice.")
    }
    steps = {str(e.label) for e in audit_events.events.registered().values()}
    assert len(set(kinds.values())) == len(kinds)
    assert not set(kinds.values()) & (steps | {"New notice"}), kinds


def test_an_escalated_draft_left_to_the_office_names_the_community_and_the_subject(org, english):
    # given a draft without a number yet (the calendar could not count its deadline)
    draft = services.notice_create(
        acting_user=org.user(Role.OFFICE_STAFF), data=notice_input(org), target_id=org.community.pk
    )
    text = services.notification_text(draft, "notice.escalation_draft")
    assert text == (
        f"The escalated Rectification contact sheet “{draft.subject}” for {org.community.name} "
        "is drafted: the Office issues it"
    )
