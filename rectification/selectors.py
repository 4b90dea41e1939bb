"""Reads of notices: the ledger (台账), the case page and its timeline. Visibility scoped here."""

from __future__ import annotations

import datetime as dt

from django.contrib.contenttypes.models import ContentType
from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from core import access, audit_events, spreadsheets, workitems
from core.models import AuditEvent, Evidence, RoleAssignment

from .forms import SORTS
from .models import Measure, MeasureSet, Notice, NoticeState, Reply
from .policies import can_issue_for

EXPORT_LIMIT = 50000


def notices_visible_to(user) -> QuerySet[Notice]:
    return access.visible(user, Notice.objects.all())


def ledger(user, filters: dict, thresholds: workitems.LightThresholds) -> QuerySet[Notice]:
    """The filtered, sorted notices of the ledger, each with its light."""
    qs = notices_visible_to(user).select_related("target", "issuing_unit")
    if filters.get("q"):
        term = filters["q"].strip()
        qs = qs.filter(Q(subject__icontains=term) | Q(number__icontains=term))
    if filters.get("kind"):
        qs = qs.filter(kind=filters["kind"])
    if filters.get("state"):
        qs = qs.filter(state=filters["state"])
    if filters.get("target"):
        qs = qs.filter(target_id=filters["target"])
    if filters.get("issuer"):
        qs = qs.filter(issuing_unit_id=filters["issuer"])
    if filters.get("light"):
        qs = qs.filter(workitems.light_filter("current_due_at", filters["light"], thresholds))
    if filters.get("issued_from"):
        qs = qs.filter(issued_at__gte=_start_of(filters["issued_from"]))
    if filters.get("issued_to"):
        qs = qs.filter(issued_at__lt=_start_of(filters["issued_to"] + dt.timedelta(days=1)))
    qs = qs.annotate(light=workitems.light_expression("current_due_at", thresholds))
    return qs.order_by(*SORTS.get(filters.get("sort") or "-issued", SORTS["-issued"]))


def _returns_of(model) -> Coalesce:
    returned = (
        model.objects.filter(notice=OuterRef("pk"), returned_at__isnull=False)
        .order_by()
        .values("notice")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(returned, output_field=IntegerField()), 0)


def with_return_count(qs: QuerySet[Notice]) -> QuerySet[Notice]:
    """Each notice with how often its reply or measures were returned (退回), for the ledger's
    state column: 已答复 alone would hide that the case went back for rework."""
    return qs.annotate(returns=_returns_of(Reply) + _returns_of(MeasureSet))


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _local(moment: dt.datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def ledger_xlsx(notices: QuerySet[Notice]) -> bytes:
    """Exactly the filtered rows, Chinese headers, times in Asia/Shanghai."""
    book = spreadsheets.new_workbook(streaming=True)
    sheet = book.create_sheet(_("Ledger"))
    light_names = {light.value: str(light.label) for light in workitems.Light}
    light_names[workitems.Light.NONE] = ""  # a notice without a deadline has no light
    spreadsheets.append(
        sheet,
        [
            _("Number"),
            _("Kind"),
            _("State"),
            _("Light"),
            _("Community"),
            _("Issuing unit"),
            pgettext("notice", "Subject"),
            _("Issued at"),
            _("Reply due"),
            _("Measures due"),
            _("Closed at"),
        ],
    )
    for n in notices[:EXPORT_LIMIT].iterator(chunk_size=2000):
        spreadsheets.append(
            sheet,
            [
                n.number,
                n.get_kind_display(),
                n.get_state_display(),
                light_names[n.light],
                n.target.name,
                n.issuing_unit.name,
                n.subject,
                _local(n.issued_at),
                _local(n.reply_due_at),
                _local(n.measures_due_at),
                _local(n.closed_at),
            ],
        )
    return spreadsheets.to_bytes(book)


def case(notice: Notice, *, viewer=None) -> dict:
    """Everything the case page shows, in a fixed number of queries. `viewer` decides which
    timeline entries show (internal draft history only for the issuing side)."""
    replies = list(
        Reply.objects.filter(notice=notice).select_related("submitted_by", "returned_by")
    )
    measure_sets = list(
        MeasureSet.objects.filter(notice=notice)
        .select_related("submitted_by", "returned_by")
        .prefetch_related(Prefetch("measures", queryset=Measure.objects.order_by("position")))
    )
    reply_ct = ContentType.objects.get_for_model(Reply)
    measure_ct = ContentType.objects.get_for_model(Measure)
    measure_ids = [m.pk for s in measure_sets for m in s.measures.all()]
    files = list(
        Evidence.objects.filter(
            Q(subject_type=reply_ct, subject_id__in=[r.pk for r in replies])
            | Q(subject_type=measure_ct, subject_id__in=measure_ids)
        )
    )
    by_subject: dict[tuple[int, int], list[Evidence]] = {}
    for f in files:
        by_subject.setdefault((f.subject_type_id, f.subject_id), []).append(f)
    for r in replies:
        r.files = by_subject.get((reply_ct.pk, r.pk), [])
    for s in measure_sets:
        for m in s.measures.all():
            m.files = by_subject.get((measure_ct.pk, m.pk), [])
    return {
        "replies": replies,
        "measure_sets": measure_sets,
        "timeline": timeline(notice, viewer=viewer),
        "escalated_to": Notice.objects.filter(escalated_from=notice).first(),
    }


# Art. 11: a draft is the issuer's working paper; its history is not part of the case the
# community (or anyone outside the issuing side) follows. Auditors read everything.
DRAFT_EVENTS = ("notice.create", "notice.update", "notice.escalation_drafted")
# Steps that hand in a new version: the second and later say which submission they are.
VERSIONED_EVENTS = {"notice.reply": "reply_version", "notice.measures": "measures_version"}


def sees_draft_history(user, notice: Notice) -> bool:
    """The issuing side (its office staff or department assessors) and the audit trail's
    readers (auditors, the Office, administrators) see a notice's internal draft history."""
    if user is None:
        return False
    return access.can_read_audit(user) or can_issue_for(user, notice.issuing_unit_id)


def _actor_unit_name(notice: Notice) -> Subquery:
    """The acting person's unit, by name, in one subquery per row: the unit they hold a role in
    on this case (the community, then the issuer), else their first unit."""
    short_or_name = Case(
        When(~Q(unit__short_name=""), then=F("unit__short_name")), default=F("unit__name")
    )
    rows = (
        RoleAssignment.objects.filter(user_id=OuterRef("actor_id"))
        .annotate(
            case_rank=Case(
                When(unit_id=notice.target_id, then=Value(0)),
                When(unit_id=notice.issuing_unit_id, then=Value(1)),
                default=Value(2),
            ),
            # A unit whose full name has its own brackets is named by its short name inside
            # the actor's brackets: 陈敏（领导小组办公室）, not 陈敏（领导小组办公室（党建办公室））
            shown=Case(
                When(unit__name__contains="（", then=short_or_name),
                When(unit__name__contains="(", then=short_or_name),
                default=F("unit__name"),
            ),
        )
        .order_by("case_rank", "unit__sort_order", "unit_id")
        .values("shown")[:1]
    )
    return Subquery(rows, output_field=CharField())


def _actor_name(event: AuditEvent) -> str:
    if event.actor is None:
        return audit_events.job_label(event.actor_label) if event.actor_label else _("system")
    if event.actor_unit:
        return _("%(person)s (%(unit)s)") % {"person": event.actor, "unit": event.actor_unit}
    return str(event.actor)


def _action(event: AuditEvent) -> str:
    action = audit_events.label(event.event_type)
    version = (event.after or {}).get(VERSIONED_EVENTS.get(event.event_type, ""))
    if isinstance(version, int) and version > 1:
        return _("%(action)s (submission %(n)s)") % {"action": action, "n": version}
    return action


def timeline(notice: Notice, *, viewer=None) -> list[AuditEvent]:
    """Every recorded step of the case the viewer may follow, oldest first, from the audit
    trail, in one query. Each entry carries what the page shows: `action` (what was done, a
    verb phrase), `actor_name` (the person and their unit, or the job) and `local_time`.
    Without a viewer, as the community sees it (no draft history)."""
    events = (
        AuditEvent.objects.filter(
            subject_type=ContentType.objects.get_for_model(Notice), subject_id=str(notice.pk)
        )
        .select_related("actor")
        .annotate(actor_unit=_actor_unit_name(notice))
        .order_by("id")
    )
    if not sees_draft_history(viewer, notice):
        events = events.exclude(event_type__in=DRAFT_EVENTS)
    entries = list(events)
    for e in entries:
        e.action = _action(e)
        e.actor_name = _actor_name(e)
        e.local_time = _local(e.created_at)
    return entries


STEPS = [
    NoticeState.DRAFT,
    NoticeState.ISSUED,
    NoticeState.REPLIED,
    NoticeState.MEASURES_SUBMITTED,
    NoticeState.VERIFIED,
]
