"""Health of the deadline engine: the last sweeps, failed tasks and the backlog (Art. 11)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from core.models import SubDistrict, SweepRun, WorkItem, WorkItemState


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


def _backlog(now: datetime):
    return WorkItem.objects.filter(
        state=WorkItemState.OPEN, overdue_at__isnull=True, due_at__lt=now - 2 * interval()
    )


def health(
    now: datetime | None = None, *, failures: int = 10, sub_district_id: int | None = None
) -> Health:
    """The engine's health; with sub_district_id, the backlog of that sub-district only (the
    sweep itself and failed tasks are the installation's: pass failures=0 to leave them out)."""
    from django_q.models import Failure

    now = now or timezone.now()
    last_ok = SweepRun.objects.filter(ok=True).order_by("-started_at").first()
    last_run = SweepRun.objects.order_by("-started_at").first()
    stale = last_ok is None or last_ok.started_at < now - 3 * interval()
    items = _backlog(now)
    if sub_district_id is not None:
        items = items.filter(sub_district_id=sub_district_id)
    backlog = items.count()
    failed = (
        list(
            Failure.objects.order_by("-stopped").values("name", "func", "stopped", "result")[
                :failures
            ]
        )
        if failures
        else []
    )
    return Health(now, last_ok, last_run, stale, backlog, failed)


def backlog_by_sub_district(now: datetime) -> list[tuple[SubDistrict, int]]:
    """Every sub-district with its backlog (installation administrators' view), one query."""
    counts = dict(
        _backlog(now)
        .values("sub_district_id")
        .annotate(n=Count("id"))
        .values_list("sub_district_id", "n")
    )
    return [(sd, counts.get(sd.pk, 0)) for sd in SubDistrict.objects.order_by("name")]


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
