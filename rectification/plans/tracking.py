"""Tracking and close-out of an accepted plan (Art. 20: 推进表 → 对账销号). The community reports
progress on each item, with evidence, and the milestones it reaches; asks for a later date for a
milestone; asks for the item to be closed out once every milestone is reached. The Office closes
the item out (销号) or returns it, decides extensions, escalates a missed milestone to a notice
(Art. 11) and links an item to the earlier year's item whose problem it repeats.

Each service: one transaction, the rows locked, 404/403/409 checked, one audit row, the
notifications recorded in the same transaction (delivered after commit).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_fsm import ConcurrentTransition, TransitionNotAllowed, can_proceed

from core import access, evidence, steps, workdays, workitems
from core.audit import audit_record
from core.errors import Conflict
from core.middleware import current_ip
from core.models import Unit, UnitKind
from core.notifications import notify
from core.validation import clean_text

from .. import services as notice_services
from ..kinds import WI_ESCALATION_DRAFT
from ..models import (
    ExtensionState,
    Milestone,
    MilestoneExtension,
    NoticeKind,
    PlanItem,
    PlanItemState,
    PlanState,
    ProgressUpdate,
    RectificationPlan,
)
from .kinds import WI_EXTENSION, WI_ITEM_VERIFY, WI_MILESTONE
from .steps import STEP_COMPLETED

IS = PlanItemState
MAX_TEXT = 10000
MAX_REASON = 5000
# Art. 20 + Art. 11: the 整改联系单 raised for a missed milestone gets the usual first-step
# deadlines, counted from its day of issue.
ESCALATION_REPLY_WORKDAYS = 5
ESCALATION_MEASURES_WORKDAYS = 15
ESCALATION_BASIS = "细则第二十条"
# "Not checked" for an expected value that may legitimately be None (no earlier item linked).
NOT_CHECKED = object()


GRANTED_SENTENCE = gettext_lazy(
    "The Office granted the later date asked for a milestone of %(item)s"
)
REFUSED_SENTENCE = gettext_lazy(
    "The Office refused the later date asked for a milestone of %(item)s"
)


# --- helpers ----------------------------------------------------------------------------------


def _item_label(item: PlanItem) -> str:
    plan = item.plan
    unit = plan.unit.short_name or plan.unit.name
    problem = item.problem if len(item.problem) <= 60 else item.problem[:59] + "…"
    return _("%(unit)s %(year)s plan, item %(n)s: %(problem)s") % {
        "unit": unit,
        "year": plan.year,
        "n": item.position,
        "problem": problem,
    }


def _office_id(sub_district_id: int) -> int:
    office = (
        Unit.objects.filter(sub_district_id=sub_district_id, kind=UnitKind.OFFICE)
        .values_list("pk", flat=True)
        .first()
    )
    if office is None:
        raise ValidationError(_("The sub-district has no Office to close out plan items."))
    return office


def _notify(item: PlanItem, verb: str, unit_id: int, sentence) -> None:
    """One notification to a unit's people, in the installation's language (as the e-mails):
    the reader is not the actor whose request this is. `sentence` is lazy, with %(item)s."""
    with translation.override(settings.LANGUAGE_CODE):
        title = str(sentence) % {"item": _item_label(item)}
    notify(
        sub_district_id=item.plan.sub_district_id,
        unit_id=unit_id,
        verb=verb,
        title=title,
        url=item.get_absolute_url(),
        subject=item,
    )


def _stale(item: PlanItem) -> Conflict:
    return Conflict(
        _("This item is “%(state)s” now: the page was out of date. Nothing was changed.")
        % {"state": item.get_state_display()},
        url=item.get_absolute_url(),
    )


def _lock_item(item_id: int, acting_user, action: str) -> PlanItem:
    """The item locked, with its plan: 404 out of sight, 403 not the user's action."""
    item = (
        PlanItem.objects.select_for_update(of=("self",))
        .select_related("plan", "plan__unit")
        .filter(pk=item_id)
        .first()
    )
    if item is None or not access.can_see(acting_user, item):
        raise Http404
    if not access.can_act(acting_user, item, action):
        raise PermissionDenied(_("Your role does not allow this action on this plan item."))
    return item


def _lock_milestone(milestone_id: int, acting_user, action: str) -> Milestone:
    """The milestone locked after its item (the order every service locks them in)."""
    item_id = Milestone.objects.filter(pk=milestone_id).values_list("item_id", flat=True).first()
    if item_id is None:
        raise Http404
    item = _lock_item(item_id, acting_user, action)
    milestone = Milestone.objects.select_for_update().get(pk=milestone_id)
    milestone.item = item
    return milestone


def _check_expected_state(item: PlanItem, expected_state: str | None) -> None:
    if expected_state is not None and expected_state != item.state:
        raise _stale(item)


def _require_state(item: PlanItem, state: str, message: str) -> None:
    """409 unless the item is in `state` of an accepted plan (`message` names %(state)s)."""
    if item.state != state or item.plan.state != PlanState.ACCEPTED:
        raise Conflict(message % {"state": item.get_state_display()}, url=item.get_absolute_url())


def _transition(item: PlanItem, method: str) -> None:
    bound = getattr(item, method)
    if not can_proceed(bound):
        raise _stale(item)
    try:
        bound()
    except TransitionNotAllowed as exc:
        raise _stale(item) from exc


def _save_item(item: PlanItem, fields: list[str]) -> None:
    try:
        item.save(update_fields=sorted({*fields, "state", "updated_at"}))
    except ConcurrentTransition as exc:
        raise Conflict(
            _("Someone else acted on this item a moment ago."), url=item.get_absolute_url()
        ) from exc


def _files_info(files) -> list[dict]:
    return [
        {"id": f.pk, "name": f.original_name, "size": f.size, "sha256": f.sha256} for f in files
    ]


def _date(value) -> dt.date:
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise ValidationError(_("Give a date."))
    return value


# --- the community: progress (推进表) -----------------------------------------------------------


def progress_report(
    *,
    item_id: int,
    acting_user,
    progress: str,
    next_steps: str,
    milestone_id: int | None,
    files: Sequence = (),
) -> ProgressUpdate:
    """The community reports progress on an item being rectified, with its evidence; with
    milestone_id, that milestone of the item is reached (its 待办 item closes)."""
    progress = clean_text(progress, label=_("Progress"), max_length=MAX_TEXT)
    next_steps = clean_text(
        next_steps, label=_("Next steps"), max_length=MAX_REASON, required=False
    )
    checked = evidence.check_uploads(files)
    now = timezone.now()
    with evidence.removed_if_failed(), transaction.atomic():
        item = _lock_item(item_id, acting_user, "progress")
        _require_state(
            item,
            IS.IN_PROGRESS,
            _("This item is “%(state)s”: progress is reported while it is being rectified."),
        )
        milestone = None
        if milestone_id is not None:
            milestone = (
                Milestone.objects.select_for_update().filter(pk=milestone_id, item=item).first()
            )
            if milestone is None:
                raise ValidationError(_("The milestone chosen is not one of this item's."))
            if milestone.done_at is not None:
                raise Conflict(
                    _("The milestone “%(title)s” was reported reached already.")
                    % {"title": milestone.title},
                    url=item.get_absolute_url(),
                )
            milestone.done_at, milestone.done_by = now, acting_user
            milestone.save(update_fields=["done_at", "done_by"])
            workitems.close_items(subject=milestone, kinds=[WI_MILESTONE])
        update = ProgressUpdate.objects.create(
            item=item,
            milestone=milestone,
            progress=progress,
            next_steps=next_steps,
            submitted_by=acting_user,
            submitted_at=now,
        )
        stored = [
            evidence.store(
                c, subject=update, sub_district_id=item.plan.sub_district_id, user=acting_user
            )
            for c in checked
        ]
        after = {
            "update": update.pk,
            "text": progress,
            "next_steps": next_steps,
            "files": _files_info(stored),
        }
        if milestone is not None:
            after.update(
                {
                    "milestone": milestone.pk,
                    "title": milestone.title,
                    "due_at": milestone.due_at,
                    "late": now > milestone.due_at,
                }
            )
        audit_record(
            event_type="plan.milestone_reached" if milestone else "plan.progress",
            actor=acting_user,
            subject=item,
            after=after,
            ip=current_ip(),
        )
    return update


# --- close-out (对账销号) ------------------------------------------------------------------------


def close_request(
    *, item_id: int, acting_user, summary: str, expected_state: str | None
) -> PlanItem:
    """The community asks the Office to close the item out, with a summary of what was done:
    only once every milestone of it is reached."""
    summary = clean_text(summary, label=_("Closing summary"), max_length=MAX_TEXT)
    now = timezone.now()
    with transaction.atomic():
        item = _lock_item(item_id, acting_user, "request_close")
        _check_expected_state(item, expected_state)
        _require_state(
            item,
            IS.IN_PROGRESS,
            _("This item is “%(state)s”: its close-out cannot be asked for now."),
        )
        open_titles = list(
            item.milestones.filter(done_at__isnull=True)
            .order_by("position")
            .values_list("title", flat=True)
        )
        if open_titles:
            raise ValidationError(
                _("Not every milestone is reached yet: %(titles)s.")
                % {"titles": "、".join(open_titles)}
            )
        office_id = _office_id(item.plan.sub_district_id)
        _transition(item, "request_close")
        item.close_requested_at, item.close_requested_by = now, acting_user
        item.closing_summary = summary
        _save_item(item, ["close_requested_at", "close_requested_by", "closing_summary"])
        workitems.open_item(
            kind=WI_ITEM_VERIFY,
            subject=item,
            owner_unit_id=office_id,
            sub_district_id=item.plan.sub_district_id,
            title=_("Close out: %(item)s") % {"item": _item_label(item)},
            url=item.get_absolute_url(),
            due_at=None,
        )
        _notify(
            item,
            "plan.close_requested",
            office_id,
            gettext_lazy("The community asks for the close-out (销号) of %(item)s"),
        )
        audit_record(
            event_type="plan.close_requested",
            actor=acting_user,
            subject=item,
            before={"state": IS.IN_PROGRESS},
            after={"state": item.state, "text": summary},
            ip=current_ip(),
        )
    return item


def item_verify(
    *, item_id: int, acting_user, comment: str, expected_state: str | None = None
) -> PlanItem:
    """The Office closes the item out (销号); the last item closed completes the plan and ends
    its process (Art. 20)."""
    comment = clean_text(
        comment, label=_("Verification comment"), max_length=MAX_REASON, required=False
    )
    now = timezone.now()
    with transaction.atomic():
        # The plan is locked first (then the item): two last items closed at once complete it
        # once, and the plan's own services lock in the same order.
        plan_id = PlanItem.objects.filter(pk=item_id).values_list("plan_id", flat=True).first()
        plan = RectificationPlan.objects.select_for_update().filter(pk=plan_id).first()
        item = _lock_item(item_id, acting_user, "verify")
        item.plan = plan
        _check_expected_state(item, expected_state)
        _require_state(
            item, IS.AWAITING, _("This item is “%(state)s”: there is no close-out to decide.")
        )
        _transition(item, "close")
        item.verified_at, item.verified_by, item.verify_comment = now, acting_user, comment
        _save_item(item, ["verified_at", "verified_by", "verify_comment"])
        workitems.close_items(subject=item, kinds=[WI_ITEM_VERIFY])
        _notify(
            item,
            "plan.item_closed",
            plan.unit_id,
            gettext_lazy("The Office closed out (销号) %(item)s"),
        )
        audit_record(
            event_type="plan.item_closed",
            actor=acting_user,
            subject=item,
            before={"state": IS.AWAITING},
            after={"state": item.state, "comment": comment},
            ip=current_ip(),
        )
        if not plan.items.exclude(state=IS.CLOSED).exists():
            _complete_plan(plan, acting_user, now)
    return item


def _complete_plan(plan: RectificationPlan, acting_user, now: dt.datetime) -> None:
    """Every item closed: the plan is completed (its own audit row, on the plan) and the plan
    process's carry-out step is done."""
    if not can_proceed(plan.complete):
        raise Conflict(_("The plan is not being carried out."), url=plan.get_absolute_url())
    plan.complete()
    plan.completed_at = now
    try:
        plan.save(update_fields=["state", "completed_at", "updated_at"])
    except ConcurrentTransition as exc:
        raise Conflict(_("Someone else acted on this plan a moment ago.")) from exc
    audit_record(
        event_type="plan.completed",
        actor=acting_user,
        subject=plan,
        before={"state": PlanState.ACCEPTED},
        after={"state": plan.state, "items": plan.items.count()},
        ip=current_ip(),
    )
    steps.done(subject=plan, step=STEP_COMPLETED, acting_user=acting_user)


def item_return(
    *, item_id: int, acting_user, reason: str, expected_state: str | None = None
) -> PlanItem:
    """The Office returns the close-out request with a reason: the item is rectified further."""
    reason = clean_text(reason, label=_("Reason"), max_length=MAX_REASON)
    with transaction.atomic():
        item = _lock_item(item_id, acting_user, "verify")
        _check_expected_state(item, expected_state)
        _require_state(
            item, IS.AWAITING, _("This item is “%(state)s”: there is no close-out to return.")
        )
        _transition(item, "return_close")
        item.return_reason = reason
        _save_item(item, ["return_reason"])
        workitems.close_items(subject=item, kinds=[WI_ITEM_VERIFY])
        _notify(
            item,
            "plan.close_returned",
            item.plan.unit_id,
            gettext_lazy("The Office returned the close-out request of %(item)s"),
        )
        audit_record(
            event_type="plan.close_returned",
            actor=acting_user,
            subject=item,
            before={"state": IS.AWAITING},
            after={"state": item.state, "reason": reason},
            ip=current_ip(),
        )
    return item


# --- milestones: extensions (Art. 11) and escalation ---------------------------------------------


def milestone_extension_request(
    *, milestone_id: int, acting_user, requested_date: dt.date, reason: str
) -> MilestoneExtension:
    """The community asks for a later date for a milestone not yet reached, with a reason."""
    reason = clean_text(reason, label=_("Reason"), max_length=MAX_REASON)
    requested_date = _date(requested_date)
    now = timezone.now()
    with transaction.atomic():
        milestone = _lock_milestone(milestone_id, acting_user, "request_extension")
        item = milestone.item
        _require_state(
            item,
            IS.IN_PROGRESS,
            _(
                "This item is “%(state)s”: a milestone's date can be moved while it is being "
                "rectified."
            ),
        )
        if milestone.done_at is not None:
            raise Conflict(_("This milestone is reached already."), url=item.get_absolute_url())
        if milestone.extensions.filter(state=ExtensionState.PENDING).exists():
            raise Conflict(
                _("An extension request for this milestone is already waiting."),
                url=item.get_absolute_url(),
            )
        if requested_date <= milestone.due_date or workdays.end_of_day(requested_date) <= now:
            raise ValidationError(_("The new date must be later than the current due date."))
        extension = MilestoneExtension.objects.create(
            milestone=milestone,
            current_due_date=milestone.due_date,
            requested_date=requested_date,
            reason=reason,
            requested_by=acting_user,
            requested_at=now,
        )
        office_id = _office_id(item.plan.sub_district_id)
        workitems.open_item(
            kind=WI_EXTENSION,
            subject=milestone,
            owner_unit_id=office_id,
            sub_district_id=item.plan.sub_district_id,
            title=_("Extension requested: %(milestone)s · %(item)s")
            % {"milestone": milestone.title, "item": _item_label(item)},
            url=milestone.get_absolute_url(),
            due_at=None,
        )
        _notify(
            item,
            "plan.extension_requested",
            office_id,
            gettext_lazy("The community asks for a later date for a milestone of %(item)s"),
        )
        audit_record(
            event_type="plan.extension_requested",
            actor=acting_user,
            subject=milestone,
            after={
                "extension": extension.pk,
                "state": ExtensionState.PENDING,
                "title": milestone.title,
                "due_date": milestone.due_date,
                "requested_date": requested_date,
                "reason": reason,
            },
            ip=current_ip(),
        )
    return extension


def milestone_extension_decide(
    *,
    extension_id: int,
    acting_user,
    grant: bool,
    reason: str,
    granted_date: dt.date | None = None,
) -> MilestoneExtension:
    """The Office grants (possibly another date than asked) or refuses (with a reason). A grant
    moves the milestone's due date and its 待办 item (the planned date stays as agreed)."""
    reason = clean_text(reason, label=_("Reason"), max_length=MAX_REASON, required=False)
    if granted_date is not None:
        granted_date = _date(granted_date)
    now = timezone.now()
    with transaction.atomic():
        milestone_id = (
            MilestoneExtension.objects.filter(pk=extension_id)
            .values_list("milestone_id", flat=True)
            .first()
        )
        if milestone_id is None:
            raise Http404
        # Item, milestone, then the request: the order every service locks them in.
        milestone = _lock_milestone(milestone_id, acting_user, "decide_extension")
        extension = MilestoneExtension.objects.select_for_update().get(pk=extension_id)
        item = milestone.item
        extension.milestone = milestone
        if extension.state != ExtensionState.PENDING:
            raise Conflict(
                _("This extension request is decided already: %(state)s.")
                % {"state": extension.get_state_display()},
                url=item.get_absolute_url(),
            )
        if not grant and not reason:  # after the state: a decided request is a 409 first
            raise ValidationError(_("%(field)s is required.") % {"field": _("Reason")})
        before = {"extension": extension.pk, "state": ExtensionState.PENDING}
        after = {"extension": extension.pk, "title": milestone.title, "reason": reason}
        if grant:
            if milestone.done_at is not None:
                raise Conflict(_("This milestone is reached already."), url=item.get_absolute_url())
            new_date = granted_date or extension.requested_date
            due = workdays.end_of_day(new_date)
            if new_date <= milestone.due_date or due <= now:
                raise ValidationError(
                    _("The new date must be later than the current due date and in the future.")
                )
            before["due_date"] = milestone.due_date
            milestone.due_date, milestone.due_at = new_date, due
            milestone.save(update_fields=["due_date", "due_at"])
            workitems.reschedule_items(subject=milestone, kinds=[WI_MILESTONE], due_at=due)
            extension.state, extension.granted_date = ExtensionState.GRANTED, new_date
            after.update({"state": extension.state, "due_date": new_date})
        else:
            extension.state = ExtensionState.REFUSED
            after["state"] = extension.state
        extension.decided_by, extension.decided_at = acting_user, now
        extension.decision_reason = reason
        extension.save(
            update_fields=["state", "granted_date", "decided_by", "decided_at", "decision_reason"]
        )
        workitems.close_items(subject=milestone, kinds=[WI_EXTENSION])
        granted = extension.state == ExtensionState.GRANTED
        event = "plan.extension_granted" if granted else "plan.extension_refused"
        _notify(
            item,
            event,
            item.plan.unit_id,
            GRANTED_SENTENCE if granted else REFUSED_SENTENCE,
        )
        audit_record(
            event_type=event,
            actor=acting_user,
            subject=milestone,
            before=before,
            after=after,
            ip=current_ip(),
        )
    return extension


def milestone_escalate(*, milestone_id: int, acting_user, expected_due_date: dt.date | None):
    """A missed milestone (past due, not reached) raised to a draft 整改联系单 for the plan's
    community (Art. 11, 20), which the Office issues from the notice's page. Once per milestone.
    `expected_due_date` is the due date the page showed (a date moved since: 409)."""
    now = timezone.now()
    with transaction.atomic():
        milestone = _lock_milestone(milestone_id, acting_user, "escalate")
        item = milestone.item
        if expected_due_date is not None and expected_due_date != milestone.due_date:
            raise Conflict(
                _("The milestone's due date has moved since the page was opened."),
                url=item.get_absolute_url(),
            )
        if milestone.notice_id is not None:
            raise Conflict(
                _("This milestone was escalated to a notice already."),
                url=item.get_absolute_url(),
            )
        if item.state != IS.IN_PROGRESS or milestone.done_at is not None or milestone.due_at > now:
            raise Conflict(
                _("Only a missed milestone (past its due date, not reached) is escalated."),
                url=item.get_absolute_url(),
            )
        office_id = _office_id(item.plan.sub_district_id)
        plan = item.plan
        subject = _("Rectification plan %(year)s item %(n)s: milestone “%(title)s” missed") % {
            "year": plan.year,
            "n": item.position,
            "title": milestone.title,
        }
        problem = _(
            "The milestone “%(title)s” of item %(n)s of the %(year)s rectification plan was due "
            "on %(due)s and has not been reached.\nProblem of the item: %(problem)s"
        ) % {
            "title": milestone.title,
            "n": item.position,
            "year": plan.year,
            "due": milestone.due_date.isoformat(),
            "problem": item.problem,
        }
        data = notice_services.NoticeInput(
            kind=NoticeKind.CONTACT,
            issuing_unit_id=office_id,
            subject=subject[: notice_services.MAX_SUBJECT],
            problem=problem[: notice_services.MAX_TEXT],
            basis=ESCALATION_BASIS,
            reply_due=notice_services.Deadline(workdays=ESCALATION_REPLY_WORKDAYS),
            measures_due=notice_services.Deadline(workdays=ESCALATION_MEASURES_WORKDAYS),
        )
        # The draft and its own audit row (notice.create), by the notices' one create path.
        notice = notice_services.notice_create(
            acting_user=acting_user, data=data, target_id=plan.unit_id
        )
        milestone.notice = notice
        milestone.save(update_fields=["notice"])
        # The draft waits in the Office's 待办 until it is issued (notice_issue closes it).
        due_day, _approx = workdays.add_workdays_or_weekdays(
            workdays.local_date(now), notice_services.ESCALATION_DRAFT_WORKDAYS
        )
        workitems.open_item(
            kind=WI_ESCALATION_DRAFT,
            subject=notice,
            owner_unit_id=office_id,
            sub_district_id=plan.sub_district_id,
            title=subject,
            url=reverse("notice_detail", args=[notice.pk]),
            due_at=workdays.end_of_day(due_day),
        )
        _notify(
            item,
            "plan.milestone_escalated",
            office_id,
            gettext_lazy("A missed milestone of %(item)s was escalated to a draft notice"),
        )
        audit_record(
            event_type="plan.milestone_escalated",
            actor=acting_user,
            subject=milestone,
            after={
                "notice": notice.pk,
                "title": milestone.title,
                "due_date": milestone.due_date,
            },
            ip=current_ip(),
        )
    return notice


# --- repeated problems (重复问题) ----------------------------------------------------------------


def item_link_repeated(
    *,
    item_id: int,
    acting_user,
    earlier_item_id: int | None,
    expected_repeats=NOT_CHECKED,
) -> PlanItem:
    """The Office links the item to the earlier year's item of the same community whose problem
    it repeats, or (None) removes the link. `expected_repeats` is the link the page showed."""
    with transaction.atomic():
        item = _lock_item(item_id, acting_user, "link")
        if expected_repeats is not NOT_CHECKED and expected_repeats != item.repeated_from_id:
            raise Conflict(
                _("The item's link was changed since the page was opened."),
                url=item.get_absolute_url(),
            )
        if earlier_item_id == item.repeated_from_id:
            return item  # saved unchanged: nothing changes, nothing is recorded
        if earlier_item_id is not None:
            earlier = (
                PlanItem.objects.filter(pk=earlier_item_id)
                .values_list("plan__unit_id", "plan__year")
                .first()
            )
            if earlier is None or earlier[0] != item.plan.unit_id or earlier[1] >= item.plan.year:
                raise ValidationError(
                    _("Choose an item of an earlier year's plan of the same community.")
                )
        before = {"repeats": item.repeated_from_id}
        item.repeated_from_id = earlier_item_id
        item.save(update_fields=["repeated_from", "updated_at"])
        audit_record(
            event_type="plan.item_linked" if earlier_item_id else "plan.item_unlinked",
            actor=acting_user,
            subject=item,
            before=before,
            after={"repeats": earlier_item_id},
            ip=current_ip(),
        )
    return item
