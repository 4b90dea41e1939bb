"""The year-end process's orchestration services (Art. 14–18): start it, move it on when an app
says a step is done (core.steps), hold group tasks. The apps' services decide and write the
step's content; these only drive the viewflow process and its work items."""

from __future__ import annotations

from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from core import steps, workitems
from core.audit import audit_record
from core.errors import Conflict
from core.models import User, WorkItem, WorkItemState

from .flows.year_end import STEPS, YearEndFlow
from .kinds import GROUP_KINDS
from .models import YearEndProcess

ACTIVE = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)


def process_of(year) -> YearEndProcess | None:
    """The year's year-end process (at most one is ever started per year)."""
    return (
        YearEndProcess.objects.filter(
            artifact_content_type=ContentType.objects.get_for_model(year),
            artifact_object_id=year.pk,
        )
        .order_by("-pk")
        .first()
    )


@transaction.atomic
def year_end_start(
    *,
    year_id: int,
    acting_user,
    due: dict[str, datetime],
    leader_id: int,
    members: list[tuple[int, int]],
    expected_status: str = "in_progress",
) -> YearEndProcess:
    """进行中 → 年末考核: the Office starts the process with each step's due time and the joint
    assessment team (Art. 14); the year moves to 年末考核 in the same transaction."""
    from appraisal.services.team import team_set
    from appraisal.services.year import year_open_year_end

    missing = [step for step in STEPS if not due.get(step)]
    if missing:
        raise ValueError(f"year_end_start: no due time for {missing}")
    plan = due.get("plan")
    if plan is not None and plan <= due["publish"]:
        # Art. 20: the plans are made at publication, so they are due after it.
        raise ValidationError(
            _(
                "The rectification plans must be due after the publication's due date. "
                "Nothing was started."
            )
        )
    year = year_open_year_end(
        year_id=year_id, acting_user=acting_user, expected_status=expected_status
    )
    if process_of(year) is not None:
        raise Conflict(_("The year-end appraisal of this year has already been started."))
    team_set(year_id=year.pk, acting_user=acting_user, leader_id=leader_id, members=members)
    process = YearEndFlow.start.run(year=year, acting_user=acting_user, due=due)
    audit_record(
        event_type="yearend.started",
        actor=acting_user,
        subject=year,
        sub_district=year.sub_district_id,
        after={"due": process.data["due"]},
    )
    return process


def _open_task_of(subject) -> Task | None:
    return (
        Task.objects.filter(
            artifact_content_type=ContentType.objects.get_for_model(subject),
            artifact_object_id=subject.pk,
            status__in=ACTIVE,
        )
        .select_related("process")
        .order_by("-pk")
        .first()
    )


def _complete(task: Task, acting_user, update=None) -> None:
    """Finish the human task (the app's service has done its part) and run the flow on, under
    the process lock, in the caller's transaction."""
    with task.flow_task.flow_class.lock(task.process_id):
        task.refresh_from_db()
        if task.status not in ACTIVE:
            raise Conflict(_("This step was already finished. Nothing was done."))
        activation = task.flow_task.activation_class(task)
        if update:
            activation.process.data.update(update)
            activation.process.save(update_fields=["data"])
        if task.status == STATUS.NEW:
            activation.assign(acting_user)
        elif task.owner_id != acting_user.pk:
            activation.reassign(acting_user)
        activation.start(None)
        activation.execute()


# What each finished step changes in the process's data (the Switch after the decision reads it).
def _update_for(step: str, data: dict) -> dict | None:
    if step == "votes.confirmed":
        return {"votes_confirmed": True}
    if step == "decision.approved":
        return {"decision": "approved", "rework": None}
    if step == "decision.returned":
        target = dict(data["target"])
        update = {"decision": "returned", "rework": target}
        if target.get("step") == "votes":
            update["votes_confirmed"] = False
        return update
    return None


def on_step_done(*, subject, step: str, acting_user, **data) -> None:
    """core.steps listener: the app finished the step on `subject`; the task moves on. A row
    that belongs to no open task (made outside a process: a test, an import) moves nothing.
    The plan process's steps are workflows.plans'."""
    if step.startswith("plan."):
        return
    task = _open_task_of(subject)
    if task is None:
        return
    _complete(task, acting_user, _update_for(step, data))


def complete_own_step(*, year, kind: str, acting_user, update=None) -> None:
    """Finish a step whose subject is the year itself (the Office's results and publish tasks,
    pages of this app)."""
    item = WorkItem.objects.filter(
        subject_type=ContentType.objects.get_for_model(year),
        subject_id=year.pk,
        kind=kind,
        state=WorkItemState.OPEN,
    ).first()
    task = _open_task_of(year)
    if item is None or task is None or task.flow_task.kind != kind:
        raise Conflict(_("This step is not open any more. Nothing was done."))
    _complete(task, acting_user, update)


def register() -> None:
    steps.connect(on_step_done)


# --- group tasks: claim, release, hand over (Art. 14: any member of the team) -----------------


def _lock_group_item(item_id: int, acting_user) -> WorkItem:
    item = (
        WorkItem.objects.select_for_update()
        .filter(pk=item_id, sub_district_id=acting_user.sub_district_id)
        .first()
    )
    if item is None or item.kind not in GROUP_KINDS:
        raise Conflict(_("This task is not a group task. Nothing was done."))
    if item.state != WorkItemState.OPEN:
        raise Conflict(_("This task is finished. Nothing was done."))
    return item


def _may_hold(item: WorkItem, user) -> bool:
    from appraisal.services.team import is_team_member

    verification = item.subject_type.get_object_for_this_type(pk=item.subject_id)
    return is_team_member(user, verification.year, verification.category)


def _sync_task_owner(item: WorkItem, user) -> None:
    subject = item.subject_type.get_object_for_this_type(pk=item.subject_id)
    task = _open_task_of(subject)
    if task is None:
        return
    with task.flow_task.flow_class.lock(task.process_id):
        task.refresh_from_db()
        activation = task.flow_task.activation_class(task)
        if user is None and task.status == STATUS.ASSIGNED:
            activation.unassign()
        elif user is not None and task.status == STATUS.NEW:
            activation.assign(user)
        elif user is not None and task.status == STATUS.ASSIGNED:
            activation.reassign(user)


def _audit_holder(item, acting_user, event_type, before, after) -> None:
    audit_record(
        event_type=event_type,
        actor=acting_user,
        subject=item,
        sub_district=item.sub_district_id,
        before={"holder": before},
        after={"holder": after},
    )


@transaction.atomic
def task_claim(*, item_id: int, acting_user) -> WorkItem:
    """领取: a member of the group takes the task (nobody else may work on it meanwhile)."""
    item = _lock_group_item(item_id, acting_user)
    if item.holder_id == acting_user.pk:
        return item
    if item.holder_id is not None:
        raise Conflict(
            _("%(name)s holds this task already. Nothing was done.") % {"name": item.holder}
        )
    if not _may_hold(item, acting_user):
        raise access_denied()
    item.holder = acting_user
    item.save(update_fields=["holder"])
    _sync_task_owner(item, acting_user)
    _audit_holder(item, acting_user, "yearend.task_claimed", None, acting_user.pk)
    return item


@transaction.atomic
def task_release(*, item_id: int, acting_user) -> WorkItem:
    """退回任务池: the holder gives the task back to the group."""
    item = _lock_group_item(item_id, acting_user)
    if item.holder_id != acting_user.pk:
        raise Conflict(_("You do not hold this task. Nothing was done."))
    item.holder = None
    item.save(update_fields=["holder"])
    _sync_task_owner(item, None)
    _audit_holder(item, acting_user, "yearend.task_released", acting_user.pk, None)
    return item


@transaction.atomic
def task_hand_over(*, item_id: int, acting_user, to_user_id: int) -> WorkItem:
    """转交: the holder hands the task to another member of the group."""
    item = _lock_group_item(item_id, acting_user)
    if item.holder_id != acting_user.pk:
        raise Conflict(_("You do not hold this task. Nothing was done."))
    to_user = User.objects.filter(pk=to_user_id, sub_district_id=item.sub_district_id).first()
    if to_user is None or to_user.pk == acting_user.pk or not _may_hold(item, to_user):
        from django.core.exceptions import ValidationError

        raise ValidationError(_("Choose another member of the team to hand the task to."))
    item.holder = to_user
    item.save(update_fields=["holder"])
    _sync_task_owner(item, to_user)
    _audit_holder(item, acting_user, "yearend.task_handed_over", acting_user.pk, to_user.pk)
    return item


def access_denied():
    from django.core.exceptions import PermissionDenied

    return PermissionDenied(_("Only members of the joint team for this category may hold it."))


def group_item_for(subject) -> WorkItem | None:
    """The open group work item of a step's row (for the claim panel on the app's page)."""
    return workitems.open_item_of(subject=subject, kinds=sorted(GROUP_KINDS))
