"""The case timeline on a 375 px phone, as the Office and as the community (Art. 11): each step
an action with its actor (person and unit) and time; the draft history only for the issuer."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.utils import timezone, translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from core import audit_events
from core.models import User
from rectification import services
from rectification.models import Notice

from .test_roles import PageProblems, log_in, no_horizontal_scroll

pytestmark = pytest.mark.browser


def _zh(text: str, **values) -> str:
    with translation.override("zh-hans"):
        return gettext(text) % values if values else gettext(text)


def _label(key: str) -> str:
    with translation.override("zh-hans"):
        return audit_events.label(key)


def _returned_and_resubmitted(notice: Notice) -> None:
    """The community's measures go back once and come in again (a second submission)."""
    office, staff = User.objects.get(username="office"), User.objects.get(username="c04")
    services.notice_return(notice_id=notice.pk, acting_user=office, reason="措施不够具体")
    services.notice_submit_measures(
        notice_id=notice.pk,
        acting_user=staff,
        measures=[
            services.MeasureInput(
                "每月5日前更新宣传栏并拍照留档", "社区宣传委员", dt.date.today() + dt.timedelta(10)
            )
        ],
    )


@pytest.mark.parametrize(("username", "sees_draft"), [("office", True), ("c04", False)])
def test_the_timeline_on_a_phone(new_context, demo, screenshot_dir: Path, username, sees_draft):
    # given c04's demo case with measures, returned once and handed in again
    notice = Notice.objects.get(target__code="c04", state="measures_submitted")
    _returned_and_resubmitted(notice)
    phone = new_context(viewport={"width": 375, "height": 812}).new_page()
    problems = PageProblems(phone)
    # when the user opens the case on a phone
    log_in(phone, demo, username)
    phone.goto(f"{demo}/notices/{notice.pk}/")
    timeline = phone.get_by_test_id("timeline")
    steps = timeline.get_by_test_id("timeline-step")
    # then the draft history is there for the Office only
    drafted = timeline.locator('[data-event="notice.create"]')
    expect(drafted).to_have_count(1 if sees_draft else 0)
    expect(steps.first.get_by_test_id("action")).to_have_text(
        _label("notice.create") if sees_draft else _label("notice.issue")
    )
    # each step: the action, the person with their unit, the local time
    office_actor = _zh("%(person)s (%(unit)s)", person="办公室 陈敏", unit="领导小组办公室")
    issued = timeline.locator('[data-event="notice.issue"]')
    expect(issued.get_by_test_id("action")).to_have_text(_label("notice.issue"))
    expect(issued.get_by_test_id("actor")).to_have_text(office_actor)
    expect(issued.get_by_test_id("time")).to_have_text(
        timezone.localtime(notice.issued_at).strftime("%Y-%m-%d %H:%M")
    )
    again = timeline.locator('[data-event="notice.measures"]').last
    expect(again.get_by_test_id("action")).to_have_text(
        _zh("%(action)s (submission %(n)s)", action=_label("notice.measures"), n=2)
    )
    expect(again.get_by_test_id("actor")).to_have_text(
        _zh("%(person)s (%(unit)s)", person="东湖社区 刘经办", unit="东湖社区党委")
    )
    no_horizontal_scroll(phone, 375)
    timeline.scroll_into_view_if_needed()
    phone.screenshot(path=str(screenshot_dir / f"timeline-{username}-375.png"), full_page=True)
    timeline.screenshot(path=str(screenshot_dir / f"timeline-{username}-375-steps.png"))
    assert problems.errors == []
