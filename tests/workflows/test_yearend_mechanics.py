# ruff: noqa: F811  (the year fixtures are imported from tests.appraisal.conftest)
"""The year-end process's machinery (workflows.nodes, workflows.yearend), with stand-in steps:
one task per community and per category, each in its unit's 待办; a step finished through
core.steps moves the process on; group tasks are claimed, released and handed over; the Leading
Group's return reopens only the step it names; publication opens the interviews."""

from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from appraisal import services
from appraisal.models import AssessedUnit, Category
from core import steps
from core.errors import Conflict
from core.models import AuditEvent, Role, WorkItem, WorkItemState
from tests.appraisal.conftest import planning_year, year  # noqa: F401  (fixtures)
from workflows import kinds, yearend
from workflows.flows.year_end import STEPS, YearEndFlow
from workflows.nodes import Opened

pytestmark = pytest.mark.django_db


@pytest.fixture
def stand_ins(monkeypatch, org):
    """Openers that use existing rows as the steps' subjects (the apps' real rows are tested
    with the apps)."""

    def opened(subject, owner, title, url="/stand-in/"):
        return Opened(
            subject=subject,
            owner_unit_id=owner,
            sub_district_id=org.sd.pk,
            title=title,
            due_at=timezone.now() + timedelta(days=10),
            url=url,
        )

    def open_selfeval(self, activation):
        au = AssessedUnit.objects.get(
            year_id=activation.process.artifact_object_id, unit_id=activation.task.data["unit_id"]
        )
        return opened(au, au.unit_id, f"自评 {au.name}")

    def open_verify(self, activation):
        category = Category.objects.get(pk=activation.task.data["category_id"])
        self._round(activation, f"verify:{category.pk}")
        return opened(category, category.lead_unit_id or org.office.pk, f"核实 {category.name}")

    def open_votes(self, activation):
        return opened(activation.process.artifact, org.office.pk, "满意度评价")

    def open_decision(self, activation):
        return opened(activation.process.artifact, org.leading_group.pk, "领导小组决定")

    def open_interview(self, activation):
        au = AssessedUnit.objects.get(
            year_id=activation.process.artifact_object_id, unit_id=activation.task.data["unit_id"]
        )
        return opened(au, org.office.pk, f"约谈 {au.name}")

    for name, fn in (
        ("open_selfeval", open_selfeval),
        ("open_verify", open_verify),
        ("open_votes", open_votes),
        ("open_decision", open_decision),
        ("open_interview", open_interview),
    ):
        monkeypatch.setattr(YearEndFlow, name, fn)
    monkeypatch.setattr(yearend, "_may_hold", lambda item, user: user.username != "outsider")


def _start(org, year):
    office = org.user(Role.OFFICE_STAFF)
    due = {step: timezone.now() + timedelta(days=30 + i) for i, step in enumerate(STEPS)}
    with transaction.atomic():
        services.year_open_year_end(year_id=year.pk, acting_user=office)
        YearEndFlow.start.run(year=year, acting_user=office, due=due)
    return yearend.process_of(year)


def _open(kind):
    return WorkItem.objects.filter(kind=kind, state=WorkItemState.OPEN)


def _done(subject, step, user, **data):
    with transaction.atomic():
        steps.done(subject=subject, step=step, acting_user=user, **data)


def test_each_community_gets_its_self_evaluation_in_its_own_inbox(stand_ins, org, year):
    process = _start(org, year)
    items = _open(kinds.WI_SELFEVAL)
    assert sorted(items.values_list("owner_unit_id", flat=True)) == sorted(
        AssessedUnit.objects.filter(year=year).values_list("unit_id", flat=True)
    )
    assert all(i.due_at is not None for i in items)
    # one viewflow human task per community, its artifact the step's row
    tasks = Task.objects.filter(process=process, flow_task_type="HUMAN")
    assert tasks.count() == items.count()
    assert {t.artifact_content_type for t in tasks} == {
        ContentType.objects.get_for_model(AssessedUnit)
    }


def test_a_finished_step_moves_on_and_the_last_one_opens_verification(stand_ins, org, year):
    _start(org, year)
    secretary = org.user(Role.COMMUNITY_SECRETARY)
    units = list(AssessedUnit.objects.filter(year=year))
    _done(units[0], "selfeval.submitted", secretary)
    assert not _open(kinds.WI_SELFEVAL).filter(subject_id=units[0].pk).exists()
    assert not _open(kinds.WI_VERIFY).exists()  # the join waits for every community
    for unit in units[1:]:
        _done(unit, "selfeval.submitted", secretary)
    verify = _open(kinds.WI_VERIFY)
    assert verify.count() == Category.objects.filter(year=year).count()
    assert all(item.holder_id is None for item in verify)  # group tasks: nobody holds them yet


def test_a_step_finished_twice_is_a_conflict(stand_ins, org, year):
    process = _start(org, year)
    unit = AssessedUnit.objects.filter(year=year).first()
    user = org.user(Role.COMMUNITY_SECRETARY)
    task = Task.objects.get(process=process, artifact_object_id=unit.pk, flow_task_type="HUMAN")
    _done(unit, "selfeval.submitted", user)
    with pytest.raises(Conflict), transaction.atomic():
        yearend._complete(Task.objects.get(pk=task.pk), user)


def _to_verification(org, year):
    process = _start(org, year)
    for unit in AssessedUnit.objects.filter(year=year):
        _done(unit, "selfeval.submitted", org.user(Role.COMMUNITY_SECRETARY))
    return process


def test_group_task_claim_release_hand_over(stand_ins, org, year):
    _to_verification(org, year)
    item = _open(kinds.WI_VERIFY).first()
    a, b = org.user(Role.DEPT_ASSESSOR), org.user(Role.OFFICE_STAFF)
    yearend.task_claim(item_id=item.pk, acting_user=a)
    item.refresh_from_db()
    assert item.holder == a
    with pytest.raises(Conflict):  # another member cannot take it meanwhile
        yearend.task_claim(item_id=item.pk, acting_user=b)
    with pytest.raises(Conflict):  # nor give it back
        yearend.task_release(item_id=item.pk, acting_user=b)
    yearend.task_hand_over(item_id=item.pk, acting_user=a, to_user_id=b.pk)
    item.refresh_from_db()
    assert item.holder == b
    task = Task.objects.get(
        artifact_object_id=item.subject_id,
        status=STATUS.ASSIGNED,
        artifact_content_type=item.subject_type,
    )
    assert task.owner == b  # viewflow's task follows the holder
    yearend.task_release(item_id=item.pk, acting_user=b)
    item.refresh_from_db()
    assert item.holder is None
    task.refresh_from_db()
    assert task.status == STATUS.NEW and task.owner is None
    events = (
        AuditEvent.objects.filter(event_type__startswith="yearend.task_")
        .order_by("pk")
        .values_list("event_type", flat=True)
    )
    assert list(events) == [
        "yearend.task_claimed",
        "yearend.task_handed_over",
        "yearend.task_released",
    ]


def test_a_task_that_is_no_group_task_cannot_be_claimed(stand_ins, org, year):
    _start(org, year)
    item = _open(kinds.WI_SELFEVAL).first()
    with pytest.raises(Conflict):
        yearend.task_claim(item_id=item.pk, acting_user=org.user(Role.COMMUNITY_STAFF))


def _to_decision(org, year):
    process = _to_verification(org, year)
    leader = org.user(Role.OFFICE_STAFF)
    for category in Category.objects.filter(year=year):
        _done(category, "verification.signed_off", leader)
    assert _open(kinds.WI_VOTES).count() == 1
    _done(year, "votes.confirmed", leader)
    assert _open(kinds.WI_RESULTS).count() == 1
    with transaction.atomic():
        yearend.complete_own_step(year=year, kind=kinds.WI_RESULTS, acting_user=leader)
    assert _open(kinds.WI_DECISION).count() == 1
    return process


def test_a_return_reopens_the_named_category_only_and_skips_closed_votes(stand_ins, org, year):
    process = _to_decision(org, year)
    leader = org.user(Role.LEADER)
    category = Category.objects.filter(year=year).first()
    _done(year, "decision.returned", leader, target={"step": "verify", "categories": [category.pk]})
    reopened = _open(kinds.WI_VERIFY)
    assert list(reopened.values_list("subject_id", flat=True)) == [category.pk]
    assert reopened.get().returned  # marked as returned in the inbox
    _done(category, "verification.signed_off", org.user(Role.OFFICE_STAFF))
    # the votes were closed already: straight to the Office's results
    assert not _open(kinds.WI_VOTES).exists()
    assert _open(kinds.WI_RESULTS).count() == 1
    process.refresh_from_db()
    assert process.data["rounds"][f"verify:{category.pk}"] == 2


def test_a_return_to_named_communities_reopens_them_then_every_category(stand_ins, org, year):
    _to_decision(org, year)
    unit = AssessedUnit.objects.filter(year=year).first()
    _done(
        year,
        "decision.returned",
        org.user(Role.LEADER),
        target={"step": "selfeval", "units": [unit.unit_id]},
    )
    assert list(_open(kinds.WI_SELFEVAL).values_list("subject_id", flat=True)) == [unit.pk]
    _done(unit, "selfeval.submitted", org.user(Role.COMMUNITY_SECRETARY))
    assert _open(kinds.WI_VERIFY).count() == Category.objects.filter(year=year).count()


def test_a_return_to_the_votes_reopens_them(stand_ins, org, year):
    _to_decision(org, year)
    _done(year, "decision.returned", org.user(Role.LEADER), target={"step": "votes"})
    assert _open(kinds.WI_VOTES).count() == 1
    assert not _open(kinds.WI_VERIFY).exists()


def test_approval_opens_publication_then_interviews_of_the_bottom_units(stand_ins, org, year):
    process = _to_decision(org, year)
    office = org.user(Role.OFFICE_STAFF)
    _done(year, "decision.approved", org.user(Role.LEADER))
    assert _open(kinds.WI_PUBLISH).count() == 1
    bottom = list(AssessedUnit.objects.filter(year=year).values_list("unit_id", flat=True))[:1]
    with transaction.atomic():
        yearend.complete_own_step(
            year=year, kind=kinds.WI_PUBLISH, acting_user=office, update={"bottom": bottom}
        )
    interviews = _open(kinds.WI_INTERVIEW)
    assert interviews.count() == 1 and interviews.get().owner_unit_id == org.office.pk
    unit = AssessedUnit.objects.get(year=year, unit_id=bottom[0])
    _done(unit, "interview.recorded", office)
    process.refresh_from_db()
    assert process.status == "DONE"
    assert not WorkItem.objects.filter(
        state=WorkItemState.OPEN, kind__startswith="yearend."
    ).exists()
