"""Reads of the item page (Art. 20): where the problem was found, the plan, the item, its
milestones with their lights and extensions, every progress update with its files, the close-out,
the repeated-problem links and one timeline from the audit trail. A fixed number of queries
whatever the number of milestones and updates."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db.models import Case, CharField, F, OuterRef, Prefetch, Q, Subquery, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from core import access, audit_events, workitems
from core.models import AuditEvent, Evidence, Role, RoleAssignment

from ..models import (
    Milestone,
    MilestoneExtension,
    Notice,
    PlanItem,
    PlanItemSource,
    PlanItemState,
    PlanState,
    ProgressUpdate,
    RectificationPlan,
)
from ..selectors import _actor_name, _local
from .creation import CARRIED_REF

# The plan's own events that concern every item of it (the item's timeline shows them too).
PLAN_WIDE_EVENTS = (
    "plan.created",
    "plan.submitted",
    "plan.office_accepted",
    "plan.returned",
    "plan.accepted",
    "plan.completed",
)
# Who may open the page where a problem was found (the appraisal's scoring, verification,
# reports, fraud pages): the Office, the lead departments and auditors.
SOURCE_READERS = (Role.OFFICE_STAFF, Role.DEPT_ASSESSOR, Role.AUDITOR)


def item_queryset():
    return PlanItem.objects.select_related(
        "plan",
        "plan__unit",
        "department",
        "responsible",
        "close_requested_by",
        "verified_by",
        "repeated_from",
        "repeated_from__plan",
    )


def source_description(item: PlanItem) -> str:
    """What the item's source reference means, in words (the reference itself is a key)."""
    kind = item.source_kind
    where = ""
    if item.indicator_code or item.category_code:
        indicator = " ".join(filter(None, [item.indicator_code, item.indicator_name]))
        category = " ".join(filter(None, [item.category_code, item.category_name]))
        where = (
            _("indicator %(indicator)s of category %(category)s")
            % {"indicator": indicator, "category": category}
            if indicator
            else _("category %(category)s") % {"category": category}
        )
    year = item.plan.year
    parts = item.source_ref.split(":")
    ref = parts[5] if len(parts) > 5 and item.source_ref.startswith("appraisal.year:") else ""
    if kind == PlanItemSource.OPINION:
        return _("The lead department's opinion on %(where)s in the %(year)s assessment.") % {
            "where": where,
            "year": year,
        }
    if kind == PlanItemSource.TEAM:
        return _("The joint assessment team's comment on %(where)s in the %(year)s assessment.") % {
            "where": where,
            "year": year,
        }
    if kind == PlanItemSource.REPORT:
        if ref:
            return _(
                "Report no. %(ref)s on %(where)s was not counted in the %(year)s assessment "
                "(Art. 12)."
            ) % {"ref": ref, "where": where, "year": year}
        return _("A report on %(where)s was not counted in the %(year)s assessment (Art. 12).") % {
            "where": where,
            "year": year,
        }
    if kind == PlanItemSource.FRAUD:
        return _("A fraud finding on %(where)s in the %(year)s assessment (Art. 19).") % {
            "where": where,
            "year": year,
        }
    if kind == PlanItemSource.NOTICE:
        return _("A rectification notice of the %(year)s assessment (Art. 11).") % {"year": year}
    if kind == PlanItemSource.CARRIED:
        earlier = item.repeated_from
        if earlier is not None and item.source_ref == f"{CARRIED_REF}{earlier.pk}":
            return _("Item %(n)s of the %(year)s plan, not closed, carried on.") % {
                "n": earlier.position,
                "year": earlier.plan.year,
            }
        return _("An item of the previous plan, not closed, carried on.")
    return _("Found by the community itself.")


def _source_notice(item: PlanItem, viewer) -> Notice | None:
    prefix = "rectification.notice:"
    if item.source_kind != PlanItemSource.NOTICE or not item.source_ref.startswith(prefix):
        return None
    pk = item.source_ref.removeprefix(prefix)
    if not pk.isdigit():
        return None
    return access.visible(viewer, Notice.objects.all()).filter(pk=int(pk)).first()


def _actor_unit_name(plan: RectificationPlan) -> Subquery:
    """The acting person's unit by name (the plan's community first), one subquery per row."""
    rows = (
        RoleAssignment.objects.filter(user_id=OuterRef("actor_id"))
        .annotate(
            rank=Case(When(unit_id=plan.unit_id, then=Value(0)), default=Value(1)),
            shown=Case(
                When(~Q(unit__short_name=""), then=F("unit__short_name")), default=F("unit__name")
            ),
        )
        .order_by("rank", "unit__sort_order", "unit_id")
        .values("shown")[:1]
    )
    return Subquery(rows, output_field=CharField())


def timeline(item: PlanItem, milestones, updates) -> list[AuditEvent]:
    """ONE history of the item from the audit trail, oldest first (one query): the item's own
    events, its milestones' (reached, extensions, escalation, overdue), its updates', and the
    plan's events that concern the whole plan. Each entry carries `action` (a label, never a
    code), `actor_name`, `local_time`, and `milestone` (the milestone it concerns, if any)."""
    ct = ContentType.objects.get_for_models(PlanItem, Milestone, ProgressUpdate, RectificationPlan)
    by_id = {str(m.pk): m for m in milestones}
    q = Q(subject_type=ct[PlanItem], subject_id=str(item.pk))
    q |= Q(subject_type=ct[RectificationPlan], subject_id=str(item.plan_id)) & Q(
        event_type__in=PLAN_WIDE_EVENTS
    )
    if by_id:
        q |= Q(subject_type=ct[Milestone], subject_id__in=list(by_id))
    if updates:
        q |= Q(subject_type=ct[ProgressUpdate], subject_id__in=[str(u.pk) for u in updates])
    entries = list(
        AuditEvent.objects.filter(q)
        .select_related("actor")
        .annotate(actor_unit=_actor_unit_name(item.plan))
        .order_by("created_at", "id")
    )
    milestone_ct = ct[Milestone].pk
    for e in entries:
        e.action = audit_events.label(e.event_type)
        e.actor_name = _actor_name(e)
        e.local_time = _local(e.created_at)
        after = e.after if isinstance(e.after, dict) else {}
        e.milestone = by_id.get(e.subject_id) if e.subject_type_id == milestone_ct else None
        if e.milestone is None and after.get("milestone") is not None:
            e.milestone = by_id.get(str(after["milestone"]))
    return entries


def item_detail(item: PlanItem, *, viewer) -> dict:
    """Everything the item page shows, in a fixed number of queries."""
    thresholds = workitems.light_thresholds()
    milestones = list(
        Milestone.objects.filter(item=item)
        .select_related("notice", "done_by")
        .prefetch_related(
            Prefetch(
                "extensions",
                queryset=MilestoneExtension.objects.select_related(
                    "requested_by", "decided_by"
                ).order_by("id"),
            )
        )
        .order_by("position")
    )
    for m in milestones:
        m.light = workitems.Light.NONE if m.done_at else workitems.light_of(m.due_at, thresholds)
        m.light_style = workitems.LIGHT_STYLE[m.light]
        m.light_label = workitems.Light(m.light).label
        m.all_extensions = list(m.extensions.all())
        m.pending_extension = next((e for e in m.all_extensions if e.state == "pending"), None)
        m.missed = m.done_at is None and m.due_at < thresholds.now
        m.moved = m.due_date != m.planned_date
        m.notice_visible = m.notice is not None and access.can_see(viewer, m.notice)
    updates = list(
        ProgressUpdate.objects.filter(item=item)
        .select_related("submitted_by", "milestone")
        .order_by("submitted_at", "id")
    )
    files: dict[int, list[Evidence]] = {}
    if updates:
        for f in Evidence.objects.filter(
            subject_type=ContentType.objects.get_for_model(ProgressUpdate),
            subject_id__in=[u.pk for u in updates],
        ).order_by("id"):
            files.setdefault(f.subject_id, []).append(f)
    for u in updates:
        u.files = files.get(u.pk, [])
    repeated_in = list(
        access.visible(viewer, PlanItem.objects.filter(repeated_from=item))
        .select_related("plan")
        .order_by("plan__year", "position")
    )
    return {
        "milestones": milestones,
        "updates": updates,
        "repeated_in": repeated_in,
        "source_text": source_description(item),
        "source_notice": _source_notice(item, viewer),
        "source_link": item.source_url
        if item.source_url and access.has_role(viewer, *SOURCE_READERS)
        else "",
        "timeline": timeline(item, milestones, updates),
        "open_milestones": [m for m in milestones if m.done_at is None],
        "being_carried_out": item.plan.state == PlanState.ACCEPTED
        and item.state == PlanItemState.IN_PROGRESS,
        "now": timezone.now(),
    }


def earlier_items(item: PlanItem) -> list[PlanItem]:
    """The community's items of earlier years' plans (what the item may repeat), newest first."""
    return list(
        PlanItem.objects.filter(plan__unit_id=item.plan.unit_id, plan__year__lt=item.plan.year)
        .select_related("plan")
        .order_by("-plan__year", "position")[:500]
    )
