"""The plan process's steps as rectification's services report them (core.steps.done): the
orchestration (workflows.flows.plan) moves the process on in the same transaction."""

STEP_SUBMITTED = "plan.submitted"  # the secretary submitted the plan (the draft task is done)
STEP_OFFICE_ACCEPTED = "plan.office_accepted"  # the Office passed it on to the Leading Group
STEP_OFFICE_RETURNED = "plan.office_returned"  # the Office returned it to the community
STEP_ACCEPTED = "plan.accepted"  # the Leading Group accepted it (Art. 20)
STEP_LG_RETURNED = "plan.lg_returned"  # the Leading Group returned it to the community
STEP_COMPLETED = "plan.completed"  # the last item was closed out (销号)

ALL = (
    STEP_SUBMITTED,
    STEP_OFFICE_ACCEPTED,
    STEP_OFFICE_RETURNED,
    STEP_ACCEPTED,
    STEP_LG_RETURNED,
    STEP_COMPLETED,
)
