"""What happens when a notice's deadline passes (core.deadlines; the kinds are in kinds.py): who
else hears of an overdue item, and the escalation proposals an overdue deadline raises (Art. 11)."""

from __future__ import annotations

from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import CharField, F, OuterRef, Subquery, Value
from django.db.models.functions import Cast, Concat
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core import deadlines, workitems
from core.models import WorkItem

from .kinds import WI_PROPOSAL
from .models import ESCALATES_TO, EscalationProposal, Notice, NoticeState, ProposalState
from .services import notice_escalate_automatically


def issuer_units(rows: list[deadlines.OverdueRow]) -> dict[int, list[int]]:
    """The issuing unit hears of an overdue reply or measures too (one query)."""
    issuers = dict(
        Notice.objects.filter(pk__in=[r.subject_id for r in rows]).values_list(
            "pk", "issuing_unit_id"
        )
    )
    return {r.id: [issuers[r.subject_id]] for r in rows if r.subject_id in issuers}


def _propose_sql(items: int) -> str:
    """One open proposal per overdue notice that can still escalate (the partial unique index
    decides), naming the notices it was raised for. Table and column names come from the
    models."""
    quote = connection.ops.quote_name
    p, n, w = EscalationProposal._meta, Notice._meta, WorkItem._meta

    def col(meta, name: str) -> str:
        return quote(meta.get_field(name).column)

    return f"""
INSERT INTO {quote(p.db_table)}
    ({col(p, "notice")}, {col(p, "deadline_kind")}, {col(p, "due_at")}, {col(p, "created_at")},
     {col(p, "state")}, {col(p, "reason")})
SELECT n.{col(n, "id")}, w.{col(w, "kind")}, w.{col(w, "due_at")}, %s, %s, ''
FROM {quote(w.db_table)} w
JOIN {quote(n.db_table)} n ON n.{col(n, "id")} = w.{col(w, "subject_id")}
WHERE w.{col(w, "id")} IN ({", ".join(["%s"] * items)}) AND w.{col(w, "subject_type")} = %s
  AND n.{col(n, "kind")} IN ({", ".join(["%s"] * len(ESCALATES_TO))})
  AND n.{col(n, "state")} IN (%s, %s)
ON CONFLICT DO NOTHING
RETURNING {col(p, "notice")}
"""


def propose_escalation(rows: list[deadlines.OverdueRow], now: datetime) -> int:
    """An overdue contact sheet → propose a supervision sheet; an overdue supervision sheet →
    propose an opinion letter with an interview. Set-based (two statements a batch, whatever its
    size): the proposals, then their items in the issuer's inbox (workitems.open_items_from)."""
    if not rows:
        return 0
    notice_type = ContentType.objects.get_for_model(Notice)
    item_ids = [r.id for r in rows]
    stamp = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        cursor.execute(
            _propose_sql(len(item_ids)),
            [
                stamp,
                ProposalState.OPEN,
                *item_ids,
                notice_type.pk,
                *ESCALATES_TO,
                NoticeState.ISSUED,
                NoticeState.REPLIED,
            ],
        )
        notices = [row[0] for row in cursor.fetchall()]
    if not notices:
        return 0
    # The proposal's item is titled after the overdue item of the notice.
    overdue_title = WorkItem.objects.filter(
        pk__in=item_ids, subject_type=notice_type, subject_id=OuterRef("pk")
    ).values("title")[:1]
    prefix = str(_("Escalation proposed: %(title)s") % {"title": ""})
    url_prefix = reverse("notice_detail", args=[0]).removesuffix("0/")
    workitems.open_items_from(
        Notice.objects.filter(pk__in=notices),
        kind=WI_PROPOSAL,
        subject_type=notice_type,
        columns={
            "subject_id": F("pk"),
            "owner_unit": F("issuing_unit_id"),
            "sub_district": F("sub_district_id"),
            "title": Concat(Value(prefix), Subquery(overdue_title), output_field=CharField()),
            "reference": F("number"),
            "url": Concat(
                Value(url_prefix), Cast("pk", CharField()), Value("/"), output_field=CharField()
            ),
            "due_at": None,
        },
        now=now,
    )
    # Sub-districts that escalate automatically: the engine escalates instead of proposing.
    automatic = Notice.objects.filter(pk__in=notices, sub_district__auto_escalate=True)
    for notice_id in automatic.values_list("pk", flat=True):
        notice_escalate_automatically(notice_id=notice_id, job="deadline-sweep")
    return len(notices)
