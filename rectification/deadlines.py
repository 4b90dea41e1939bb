"""How notices plug into the deadline engine (core.deadlines): their work-item kinds, who else
hears of an overdue item, and the escalation proposals an overdue deadline raises (Art. 11)."""

from __future__ import annotations

from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core import deadlines
from core.models import WorkItem

from .models import ESCALATES_TO, EscalationProposal, Notice, NoticeState
from .services import WI_MEASURES, WI_REPLY, WI_VERIFY

WI_PROPOSAL = "notice.escalation_proposal"  # the issuer must accept or dismiss a proposal


def issuer_units(rows: list[deadlines.OverdueRow]) -> dict[int, list[int]]:
    """The issuing unit hears of an overdue reply or measures too (one query)."""
    issuers = dict(
        Notice.objects.filter(pk__in=[r.subject_id for r in rows]).values_list(
            "pk", "issuing_unit_id"
        )
    )
    return {r.id: [issuers[r.subject_id]] for r in rows if r.subject_id in issuers}


def propose_escalation(rows: list[deadlines.OverdueRow], now: datetime) -> int:
    """An overdue contact sheet → propose a supervision sheet; an overdue supervision sheet →
    propose an opinion letter with an interview. Set-based; one open proposal per notice."""
    notices = {
        n.pk: n
        for n in Notice.objects.filter(
            pk__in=[r.subject_id for r in rows],
            kind__in=list(ESCALATES_TO),
            state__in=[NoticeState.ISSUED, NoticeState.REPLIED],
            # "state" too: ConcurrentTransitionMixin reads it on load (a query per notice if not)
        ).only("pk", "number", "subject", "kind", "state", "issuing_unit_id", "sub_district_id")
    }
    already = set(
        EscalationProposal.objects.filter(notice_id__in=list(notices), state="open").values_list(
            "notice_id", flat=True
        )
    )
    fresh = {}
    for r in rows:
        if r.subject_id in notices and r.subject_id not in already and r.subject_id not in fresh:
            fresh[r.subject_id] = r
    if not fresh:
        return 0
    EscalationProposal.objects.bulk_create(
        [
            EscalationProposal(
                notice_id=notice_id, deadline_kind=r.kind, due_at=r.due_at, created_at=now
            )
            for notice_id, r in fresh.items()
        ],
        ignore_conflicts=True,
    )
    notice_type = ContentType.objects.get_for_model(Notice)
    WorkItem.objects.bulk_create(
        [
            WorkItem(
                kind=WI_PROPOSAL,
                subject_type=notice_type,
                subject_id=notice_id,
                owner_unit_id=notices[notice_id].issuing_unit_id,
                sub_district_id=notices[notice_id].sub_district_id,
                title=str(_("Escalation proposed: %(title)s") % {"title": r.title})[:250],
                reference=notices[notice_id].number,
                url=reverse("notice_detail", args=[notice_id]),
                due_at=None,
            )
            for notice_id, r in fresh.items()
        ],
        ignore_conflicts=True,
    )
    return len(fresh)


def register() -> None:
    deadlines.register(
        deadlines.DeadlineKind(
            kind=WI_REPLY,
            label=_("Reply to a rectification notice"),
            also_notify=issuer_units,
            on_overdue=propose_escalation,
        )
    )
    deadlines.register(
        deadlines.DeadlineKind(
            kind=WI_MEASURES,
            label=_("Submit rectification measures"),
            also_notify=issuer_units,
            on_overdue=propose_escalation,
        )
    )
    deadlines.register(
        deadlines.DeadlineKind(
            kind=WI_VERIFY,
            label=_("Verify rectification measures"),
            remind=False,
        )
    )
    deadlines.register(
        deadlines.DeadlineKind(
            kind=WI_PROPOSAL,
            label=_("Decide on an escalation proposal"),
            remind=False,
        )
    )
