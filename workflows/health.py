"""Health of the deadline engine: the last sweeps, failed tasks and the backlog (issue 4)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from core.models import SweepRun, WorkItem, WorkItemState


@dataclass(frozen=True)
class Health:
    now: datetime
    last_ok: SweepRun | None
    last_run: SweepRun | None
    stale: bool  # no successful sweep within three intervals: the cluster is probably down
    backlog: int  # past due for more than two intervals without an overdue event
    failures: list

    @property
    def healthy(self) -> bool:
        return not self.stale and self.backlog == 0


def interval() -> timedelta:
    return timedelta(minutes=settings.DEADLINE_SWEEP_MINUTES)


def health(now: datetime | None = None, *, failures: int = 10) -> Health:
    from django_q.models import Failure

    now = now or timezone.now()
    last_ok = SweepRun.objects.filter(ok=True).order_by("-started_at").first()
    last_run = SweepRun.objects.order_by("-started_at").first()
    stale = last_ok is None or last_ok.started_at < now - 3 * interval()
    backlog = WorkItem.objects.filter(
        state=WorkItemState.OPEN, overdue_at__isnull=True, due_at__lt=now - 2 * interval()
    ).count()
    failed = list(
        Failure.objects.order_by("-stopped").values("name", "func", "stopped", "result")[:failures]
    )
    return Health(now, last_ok, last_run, stale, backlog, failed)


# The banner on every Office page asks only "is the last good sweep recent?"; keep the answer
# 30 seconds per process so pages do not pay a query each.
_banner_cache: dict[str, tuple[float, bool]] = {}


def forget() -> None:
    _banner_cache.clear()


def sweep_is_stale(now: datetime | None = None) -> bool:
    cached = _banner_cache.get("stale")
    if cached is not None and time.monotonic() - cached[0] < 30:
        return cached[1]
    now = now or timezone.now()
    last = (
        SweepRun.objects.filter(ok=True)
        .order_by("-started_at")
        .values_list("started_at", flat=True)
        .first()
    )
    stale = last is None or last < now - 3 * interval()
    _banner_cache["stale"] = (time.monotonic(), stale)
    return stale
