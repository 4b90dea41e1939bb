"""Fixtures of the deadline engine's tests: a clock that can be moved, and issued notices.

The week used throughout is 2026-03-02 (Monday) … 2026-03-06 (Friday), then Monday 2026-03-09:
plain working days without holidays, so "N working days" is easy to check by hand. Deadlines in
working days end at 23:59:59 Asia/Shanghai of their last day (core.workdays).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
from django.contrib.contenttypes.models import ContentType

from core.models import Role, WorkItem
from rectification import services
from rectification.models import Notice, NoticeKind
from tests.rectification.conftest import notice_input

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: int, hour: int = 10, minute: int = 0, *, month: int = 3) -> dt.datetime:
    """A local (Asia/Shanghai) moment in March 2026."""
    return dt.datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


def end_of(day: int) -> dt.datetime:
    """When a deadline falling on that March 2026 day ends."""
    return dt.datetime(2026, 3, day, 23, 59, 59, tzinfo=SHANGHAI)


@dataclass
class Clock:
    now: dt.datetime

    def set(self, moment: dt.datetime) -> dt.datetime:
        self.now = moment
        return moment


@pytest.fixture
def clock(monkeypatch) -> Clock:
    """timezone.now() returns clock.now (Monday 2026-03-02 10:00 local until moved)."""
    from django.utils import timezone

    pinned = Clock(at(2))
    monkeypatch.setattr(timezone, "now", lambda: pinned.now)
    return pinned


@pytest.fixture
def engine_settings(settings):
    """The documented defaults, whatever the environment says (used by the modules that need
    them: `pytestmark = pytest.mark.usefixtures("engine_settings")`)."""
    settings.DEADLINE_SWEEP_MINUTES = 5
    settings.DEADLINE_SWEEP_BATCH = 500
    settings.DEADLINE_REMINDER_DAYS = [3, 1, 0]
    settings.NOTIFICATION_DIGEST_AT = "08:30"


def issue(
    org,
    *,
    reply_workdays: int,
    kind: str = NoticeKind.CONTACT,
    target=None,
    subject: str = "三会一课记录不全",
) -> Notice:
    """The Office issues a notice now (clock time) through the notices service."""
    office = org.user(Role.OFFICE_STAFF)
    extra = {"interview_required": True} if kind == NoticeKind.OPINION else {}
    draft = services.notice_create(
        acting_user=office,
        data=notice_input(
            org,
            kind=kind,
            subject=subject,
            reply_due=services.Deadline(workdays=reply_workdays),
            measures_due=services.Deadline(workdays=reply_workdays + 5),
            **extra,
        ),
        target_id=(target or org.community).pk,
    )
    return services.notice_issue(notice_id=draft.pk, acting_user=office)


def reply_item(notice: Notice) -> WorkItem:
    return WorkItem.objects.get(
        kind=services.WI_REPLY,
        subject_type=ContentType.objects.get_for_model(Notice),
        subject_id=notice.pk,
    )
