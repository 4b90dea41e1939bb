"""The deadline interface: how a case type plugs into the deadline engine.

Anything with a due time and an owner is a `WorkItem` (core.workitems.open_item / close_items).
A case type registers its item kinds here, once, in its AppConfig.ready():

    deadlines.register(DeadlineKind(
        kind="notice.reply",
        label=_("Reply to a rectification notice"),
        also_notify=notice_issuer_units,      # the issuer hears of the overdue reply too
        on_overdue=propose_escalation,        # set-based: receives the batch's overdue rows
    ))

The sweep (workflows.sweep) then reminds, records overdue events and calls `on_overdue` for every
registered kind alike; the inbox lights and the dashboard read the same table. A periodic report
(appraisal, Art. 12) plugs in the same way: open_item(kind="report.submit", …) in its service and
register(DeadlineKind(kind="report.submit", label=…, open_due=…)) — with no on_overdue, since a
late report is simply excluded from scoring (Art. 12), and with open_due, which the sweep calls
first to open the tasks of the periods that have begun.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class OverdueRow:
    """One work item the sweep has just found overdue (values straight from its UPDATE)."""

    id: int
    kind: str
    sub_district_id: int
    owner_unit_id: int
    subject_type_id: int
    subject_id: int
    title: str
    url: str
    due_at: datetime


@dataclass(frozen=True)
class DeadlineKind:
    kind: str
    # What an item of this kind is called wherever it is listed (the inbox, the home pages): the
    # one label of the kind, translatable (gettext_lazy).
    label: str
    # Extra units to notify when an item is overdue: rows -> {item id: [unit ids]} (one query).
    also_notify: Callable[[list[OverdueRow]], dict[int, list[int]]] | None = None
    # What else happens when items become overdue (e.g. escalation proposals): returns a count.
    on_overdue: Callable[[list[OverdueRow], datetime], int] | None = None
    remind: bool = True
    # Items that open over time (a monthly report's task appears when its month begins): called by
    # every sweep before the reminders as open_due(now, batch_size) -> items opened, repeatedly
    # until it returns 0.
    open_due: Callable[[datetime, int], int] | None = None


_kinds: dict[str, DeadlineKind] = {}


class UnknownKind(ValueError):
    """A programming error: a work-item kind that no app registered (it would escape the sweep
    and have no label in the inbox)."""


def register(kind: DeadlineKind) -> None:
    _kinds[kind.kind] = kind


def unregister(kind: str) -> None:
    """For tests that register a kind of their own."""
    _kinds.pop(kind, None)


def require(kind: str) -> DeadlineKind:
    """The registered kind, or UnknownKind: core.workitems opens nothing of an unregistered kind."""
    spec = _kinds.get(kind)
    if spec is None:
        raise UnknownKind(f"Work-item kind {kind!r} is not registered (core.deadlines.register)")
    return spec


def get(kind: str) -> DeadlineKind | None:
    return _kinds.get(kind)


def registered() -> dict[str, DeadlineKind]:
    return dict(_kinds)


# What an item is called if its kind is no longer registered (an old row): never its code, which
# means nothing to a user.
FALLBACK_LABEL = _("Other task")


def label(kind: str) -> str:
    """What an item of this kind is called wherever it is listed (inbox, home page): the label the
    kind registered; a neutral "Other task" if nothing registers it (any more)."""
    spec = _kinds.get(kind)
    return str(spec.label if spec is not None else FALLBACK_LABEL)
