"""What happens when a notice's deadline passes (core.deadlines; the kinds are in kinds.py): who
else hears of an overdue item, and the escalation proposals an overdue deadline raises (Art. 11)."""

from __future__ import annotations

from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core import deadlines

from .kinds import WI_PROPOSAL
from .models import ESCALATES_TO, Notice, NoticeState
from .services import notice_escalate_automatically


def issuer_units(rows: list[deadlines.OverdueRow]) -> dict[int, list[int]]:
    """The issuing unit hears of an overdue reply or measures too (one query)."""
    issuers = dict(
        Notice.objects.filter(pk__in=[r.subject_id for r in rows]).values_list(
            "pk", "issuing_unit_id"
        )
    )
    return {r.id: [issuers[r.subject_id]] for r in rows if r.subject_id in issuers}


PROPOSE_SQL = """
INSERT INTO rectification_escalationproposal
    (notice_id, deadline_kind, due_at, created_at, state, reason)
SELECT n.id, w.kind, w.due_at, %s, 'open', ''
FROM core_workitem w
JOIN rectification_notice n ON n.id = w.subject_id
WHERE w.id IN ({items}) AND w.subject_type_id = %s
  AND n.kind IN ({kinds}) AND n.state IN (%s, %s)
ON CONFLICT DO NOTHING
RETURNING notice_id
"""

PROPOSAL_ITEMS_SQL = """
INSERT INTO core_workitem
    (kind, subject_type_id, subject_id, owner_unit_id, sub_district_id, title, reference, url,
     due_at, state, returned, created_at)
SELECT %s, w.subject_type_id, n.id, n.issuing_unit_id, n.sub_district_id,
    SUBSTR(%s || w.title, 1, 250), n.number, %s || CAST(n.id AS TEXT) || '/', NULL, 'open', %s, %s
FROM core_workitem w
JOIN rectification_notice n ON n.id = w.subject_id
WHERE w.id IN ({items}) AND w.subject_type_id = %s AND n.id IN ({notices})
ON CONFLICT DO NOTHING
"""


def propose_escalation(rows: list[deadlines.OverdueRow], now: datetime) -> int:
    """An overdue contact sheet → propose a supervision sheet; an overdue supervision sheet →
    propose an opinion letter with an interview. Set-based (two statements a batch, whatever its
    size); one open proposal per notice (a partial unique index decides)."""
    if not rows:
        return 0
    notice_type = ContentType.objects.get_for_model(Notice).pk
    item_ids = [r.id for r in rows]
    stamp = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        cursor.execute(
            PROPOSE_SQL.format(
                items=", ".join(["%s"] * len(item_ids)),
                kinds=", ".join(["%s"] * len(ESCALATES_TO)),
            ),
            [stamp, *item_ids, notice_type, *ESCALATES_TO, NoticeState.ISSUED, NoticeState.REPLIED],
        )
        notices = [row[0] for row in cursor.fetchall()]
        if not notices:
            return 0
        prefix = str(_("Escalation proposed: %(title)s") % {"title": ""})
        url_prefix = reverse("notice_detail", args=[0]).removesuffix("0/")
        cursor.execute(
            PROPOSAL_ITEMS_SQL.format(
                items=", ".join(["%s"] * len(item_ids)),
                notices=", ".join(["%s"] * len(notices)),
            ),
            [WI_PROPOSAL, prefix, url_prefix, False, stamp, *item_ids, notice_type, *notices],
        )
    # Sub-districts that escalate automatically: the engine escalates instead of proposing.
    automatic = Notice.objects.filter(pk__in=notices, sub_district__auto_escalate=True)
    for notice_id in automatic.values_list("pk", flat=True):
        notice_escalate_automatically(notice_id=notice_id, job="deadline-sweep")
    return len(notices)
