"""Reads of the periodic reports: each report's state as the list shows it (Art. 12)."""

from __future__ import annotations

from django.db.models import F, Q
from django.utils.translation import gettext_lazy

from ..models import Report

REPORT_STATES = [
    ("pending", gettext_lazy("Not yet due")),
    ("on_time", gettext_lazy("On time")),
    ("late", gettext_lazy("Late — excluded")),
    ("missing", gettext_lazy("Missing — excluded")),
]


def report_state(report: Report, now) -> str:
    if report.submitted_at is None:
        return "missing" if report.due_at < now else "pending"
    return "late" if report.submitted_at > report.due_at else "on_time"


def state_q(state: str, now) -> Q:
    return {
        "pending": Q(submitted_at__isnull=True, due_at__gte=now),
        "missing": Q(submitted_at__isnull=True, due_at__lt=now),
        "late": Q(submitted_at__gt=F("due_at")),
        "on_time": Q(submitted_at__lte=F("due_at")),
    }[state]
