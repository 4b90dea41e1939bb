"""The work-item kinds of the year-end process (core.deadlines): each human task of
workflows.flows.year_end lands in its unit's 待办 under one of these, with reminders and an overdue
event from the deadline engine like every other kind (no second reminder mechanism)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

WI_SELFEVAL = "yearend.selfeval"  # a community's self-evaluation (Art. 15)
WI_VERIFY = "yearend.verify"  # the joint team's verification of a category (Art. 14), a group task
WI_VOTES = "yearend.votes"  # the Office closes the satisfaction evaluation (Art. 15)
WI_RESULTS = "yearend.results"  # the Office runs the results for the decision (Art. 16)
WI_DECISION = "yearend.decision"  # the Leading Group decides (Art. 16)
WI_PUBLISH = "yearend.publish"  # the Office publishes the results (Art. 16, 17)
WI_INTERVIEW = "yearend.interview"  # the Office interviews a bottom unit's secretary (Art. 18)

KINDS = (
    (WI_SELFEVAL, _("Self-evaluation of the year")),
    (WI_VERIFY, _("Verify a category's scores (joint team)")),
    (WI_VOTES, _("Close the satisfaction evaluation")),
    (WI_RESULTS, _("Run the year's results")),
    (WI_DECISION, _("Decide the year's results")),
    (WI_PUBLISH, _("Publish the year's results")),
    (WI_INTERVIEW, _("Interview a bottom-ranked community")),
)

# Group tasks: any member may claim, release or hand over the task (WorkItem.holder).
GROUP_KINDS = frozenset({WI_VERIFY})


# The plan process (workflows.flows.plan, Art. 20): its human steps in the owners' 待办.
WI_PLAN_DRAFT = "plan.draft"  # the community drafts and submits its plan
WI_PLAN_REVIEW = "plan.review"  # the Office reviews it
WI_PLAN_ACCEPT = "plan.accept"  # the Leading Group accepts it

PLAN_KINDS = (
    (WI_PLAN_DRAFT, _("Draft next year's rectification plan")),
    (WI_PLAN_REVIEW, _("Review a rectification plan")),
    (WI_PLAN_ACCEPT, _("Accept a rectification plan")),
)


def register() -> None:
    from core import deadlines

    for kind, label in KINDS:
        deadlines.register(deadlines.DeadlineKind(kind=kind, label=label))
    for kind, label in PLAN_KINDS:
        deadlines.register(deadlines.DeadlineKind(kind=kind, label=label))
