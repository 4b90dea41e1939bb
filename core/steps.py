"""Process steps: how an app's service tells the orchestration that a human step it owns is done.

The year-end process (workflows.flows.year_end, Art. 14–18) waits on steps whose pages and rules
belong to the apps: a community's self-evaluation, the joint team's verification of a category,
the votes, the Leading Group's decision, an interview. The service that finishes such a step calls
`done(...)` inside its own transaction; the orchestration (workflows) listens and moves the process
on in the same transaction, so a step and the process never disagree. core knows neither side:
apps do not import workflows (the layering rule).

    steps.done(subject=self_evaluation, step="selfeval.submitted", acting_user=user)
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import models

Listener = Callable[..., None]
_listeners: list[Listener] = []


def connect(listener: Listener) -> None:
    """Register a listener(subject=…, step=…, acting_user=…, **data); idempotent."""
    if listener not in _listeners:
        _listeners.append(listener)


def disconnect(listener: Listener) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


def done(*, subject: models.Model, step: str, acting_user, **data) -> None:
    """The human step on `subject` is finished: every listener runs now, in the caller's
    transaction (an exception in a listener undoes the step too)."""
    for listener in list(_listeners):
        listener(subject=subject, step=step, acting_user=acting_user, **data)
