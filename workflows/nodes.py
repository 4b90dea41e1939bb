"""Flow nodes of our own: a human step whose page and rules belong to an app, and a split that
opens one task per item (one per community, one per category).

A `Step` is a viewflow human task (View node) that
- on creation calls its opener, which creates the app's row for the step (a self-evaluation, a
  verification …) through the app's service and says who owns the work and by when;
- opens the core.WorkItem of that row for the owning unit, in the same transaction — the one
  writer of work items for process tasks (so the task is in the unit's 待办 with its light, its
  reminders and its overdue event from the deadline engine);
- closes the work item when the task is done, and cancels it when the task is cancelled.
The app's service finishes the step (core.steps.done); workflows.yearend completes the task.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from viewflow import this
from viewflow.workflow.activation import Activation
from viewflow.workflow.exceptions import FlowRuntimeError
from viewflow.workflow.nodes import Split, SplitActivation, View, ViewActivation

from core import workitems
from core.models import WorkItemState


@dataclass(frozen=True)
class Opened:
    """What a step's opener returns: the app's row, and the work item to open for it."""

    subject: object
    owner_unit_id: int
    sub_district_id: int
    title: str
    due_at: datetime | None
    url: str = ""


class StepActivation(ViewActivation):
    @classmethod
    def create(cls, flow_task, prev_activation, token, data=None, seed=None):
        activation = super().create(flow_task, prev_activation, token, data=data, seed=seed)
        opener = this.resolve(flow_task.flow_class.instance, flow_task._opener)
        opened: Opened = opener(activation)
        task = activation.task
        task.artifact_content_type = ContentType.objects.get_for_model(opened.subject)
        task.artifact_object_id = opened.subject.pk
        task.data = {**task.data, "due_at": opened.due_at.isoformat() if opened.due_at else None}
        task.save(update_fields=["artifact_content_type", "artifact_object_id", "data"])
        workitems.open_item(
            kind=flow_task.kind,
            subject=opened.subject,
            owner_unit_id=opened.owner_unit_id,
            sub_district_id=opened.sub_district_id,
            title=opened.title,
            url=opened.url or opened.subject.get_absolute_url(),
            due_at=opened.due_at,
            returned=bool(task.data.get("returned")),
        )
        return activation

    def _subject(self):
        ct = self.task.artifact_content_type
        return ct.get_object_for_this_type(pk=self.task.artifact_object_id)

    @Activation.status.super()
    def complete(self):
        super().complete.original()
        workitems.close_items(subject=self._subject(), kinds=[self.flow_task.kind])

    @Activation.status.super()
    def cancel(self):
        super().cancel.original()
        workitems.close_items(
            subject=self._subject(), kinds=[self.flow_task.kind], state=WorkItemState.CANCELLED
        )


class Step(View):
    """A human step of a process, done on the app's page (see the module docstring)."""

    activation_class = StepActivation

    def __init__(self, *, kind: str, opener, group: bool = False, **kwargs):
        super().__init__(view=None, **kwargs)
        self.kind = kind
        self._opener = opener
        # A group task: nobody holds it when it opens; a member claims it (core WorkItem.holder).
        self.group = group


class SplitEachActivation(SplitActivation):
    @Activation.status.super()
    def activate(self):
        items = self.flow_task._items(self)
        if not items:
            raise FlowRuntimeError(f"{self.flow_task.name}: nothing to split into")
        self.next_tasks = [(self.flow_task._each, dict(item)) for item in items]


class SplitEach(Split):
    """A parallel split opening one task of `node` per item of `items(activation)` (each item a
    dict that becomes the task's data); the Join after them waits for all."""

    activation_class = SplitEachActivation

    def __init__(self, items, **kwargs):
        super().__init__(**kwargs)
        self._items = items
        self._each = None

    def Each(self, node):
        self._each = node
        self._activate_next.append((node, None, None))
        return self

    def _resolve(self, instance):
        super()._resolve(instance)
        self._items = this.resolve(instance, self._items)
        self._each = this.resolve(instance, self._each)
