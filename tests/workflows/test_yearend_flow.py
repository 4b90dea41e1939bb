# ruff: noqa: F811  (the year fixtures are imported from tests.appraisal.conftest)
"""The year-end process driven in code through the apps' real services: the Office starts it
with the joint team, the team verifies (a claimed and released task, a hand-over), the votes are
confirmed with an empty vote named, the Leading Group returns one category's verification and
then approves, the Office publishes: the year is 已公布, the bottom units have their interview
tasks and their 督办单, and every step is in the audit trail."""

import io
from datetime import timedelta

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from docx import Document

from appraisal.models import (
    AssessedUnit,
    AssessmentYear,
    Category,
    CategoryVerification,
    Decision,
    Interview,
    ResultsVersion,
    SelfEvaluation,
    VoteRound,
    YearStatus,
)
from appraisal.services import ballots, selfeval, team
from appraisal.services import yearend as decide
from core.documents import stored_document
from core.documents.models import StoredDocument
from core.models import AuditEvent, Notification, Role, WorkItem, WorkItemState
from rectification.models import Notice, NoticeKind
from tests.appraisal.conftest import planning_year, year  # noqa: F401  (fixtures)
from tests.factories import make_member
from workflows import kinds, publication
from workflows import yearend as flow
from workflows.flows.year_end import STEPS

pytestmark = pytest.mark.django_db

EARLY = "测试：提前决定"


def _open(kind):
    return WorkItem.objects.filter(kind=kind, state=WorkItemState.OPEN)


def _finish_selfevals(org, year):
    """Each community's self-evaluation through its real path (Art. 15): the staff saves the
    draft and hands it over, the secretary submits; the process moves on when the last one is
    in."""
    for au in AssessedUnit.objects.filter(year=year):
        staff = make_member(au.unit, Role.COMMUNITY_STAFF, f"staff-{au.code}")
        secretary = make_member(au.unit, Role.COMMUNITY_SECRETARY, f"sec-{au.code}")
        row = SelfEvaluation.objects.get(year=year, unit=au.unit, round=1)
        assert _open(kinds.WI_SELFEVAL).filter(subject_id=row.pk, owner_unit=au.unit).exists()
        selfeval.selfeval_save(
            selfeval_id=row.pk,
            acting_user=staff,
            report="本年度党建工作专题报告。",
            scores={ind.pk: ("1.00", "自评说明") for ind in year.indicators.all()},
            expected_version=row.version,
        )
        selfeval.selfeval_to_secretary(
            selfeval_id=row.pk, acting_user=staff, expected_version=row.version + 1
        )
        selfeval.selfeval_submit(
            selfeval_id=row.pk, acting_user=secretary, expected_version=row.version + 2
        )


def _verify_all(people, year, *, only=None):
    for v in CategoryVerification.objects.filter(year=year, state="open"):
        if only and v.category.code not in only:
            continue
        item = WorkItem.objects.get(kind=kinds.WI_VERIFY, state="open", subject_id=v.pk)
        member = people[v.category.code]
        flow.task_claim(item_id=item.pk, acting_user=member)
        team.verification_save(
            verification_id=v.pk,
            acting_user=member,
            cells=[
                team.VerifiedCell(au.unit_id, ind.pk, "1.00", f"第{v.round}轮核实")
                for au in AssessedUnit.objects.filter(year=year)
                for ind in v.category.indicators.all()
            ],
            expected_version=v.version,
        )
        team.verification_signoff(
            verification_id=v.pk, acting_user=people["leader"], expected_version=v.version + 1
        )


def test_the_year_end_process_from_start_to_publication(org, year, monkeypatch):
    office = org.user(Role.OFFICE_STAFF)
    leader = org.user(Role.LEADER)
    people = {
        "LZ": org.user(Role.DEPT_ASSESSOR),
        "ZZ": make_member(org.dept_zz, Role.DEPT_ASSESSOR, "A-zz"),
        "XC": make_member(org.dept_xc, Role.DEPT_ASSESSOR, "A-xc"),
        "QT": office,
        "leader": office,
    }
    lz2 = make_member(org.dept_lz, Role.DEPT_ASSESSOR, "A-lz2")
    cats = {c.code: c for c in Category.objects.filter(year=year)}
    due = {s: timezone.now() + timedelta(days=20 + i) for i, s in enumerate(STEPS)}

    # the Office starts the process: the year is at 年末考核, every community has its task
    flow.year_end_start(
        year_id=year.pk,
        acting_user=office,
        due=due,
        leader_id=office.pk,
        members=[(people[c].pk, cats[c].pk) for c in ("LZ", "ZZ", "XC", "QT")]
        + [(lz2.pk, cats["LZ"].pk)],
    )
    assert AssessmentYear.objects.get(pk=year.pk).status == YearStatus.YEAR_END
    assert _open(kinds.WI_SELFEVAL).count() == AssessedUnit.objects.filter(year=year).count()
    _finish_selfevals(org, year)

    # verification: one group task per category, in its lead department's 待办
    verify = _open(kinds.WI_VERIFY)
    assert verify.count() == 4
    lz_item = verify.get(owner_unit=cats["LZ"].lead_unit)
    flow.task_claim(item_id=lz_item.pk, acting_user=people["LZ"])
    flow.task_release(item_id=lz_item.pk, acting_user=people["LZ"])
    flow.task_claim(item_id=lz_item.pk, acting_user=lz2)
    flow.task_hand_over(item_id=lz_item.pk, acting_user=lz2, to_user_id=people["LZ"].pk)
    flow.task_release(item_id=lz_item.pk, acting_user=people["LZ"])
    _verify_all(people, year)
    assert not _open(kinds.WI_VERIFY).exists()

    # the votes: one community's democratic vote is empty and is named when confirming
    (vote_round,) = VoteRound.objects.filter(year=year)
    assert _open(kinds.WI_VOTES).get().owner_unit == org.office
    rows = ballots.tally_rows(year)
    empty = ballots.empty_votes(rows)
    assert empty  # nothing was tallied in this year: every vote is empty and flagged
    with pytest.raises(ballots.EmptyVotesNeedConfirmation):
        ballots.votes_confirm(round_id=vote_round.pk, acting_user=office)
    ballots.votes_confirm(round_id=vote_round.pk, acting_user=office, accept_empty=empty)

    # the Office runs the results for the Leading Group
    with transaction.atomic():
        flow.complete_own_step(year=year, kind=kinds.WI_RESULTS, acting_user=office)
    decision = Decision.objects.get(year=year, round=1)
    assert _open(kinds.WI_DECISION).get().owner_unit == org.leading_group

    # the Leading Group returns the verification of 党风廉政 only
    decide.decision_return(
        decision_id=decision.pk,
        acting_user=leader,
        target={"step": "verify", "categories": [cats["LZ"].pk]},
        reason="党风廉政核实依据不足，请重新核实",
        expected_version=0,
    )
    reopened = _open(kinds.WI_VERIFY).get()
    assert reopened.returned and reopened.subject_id == (
        CategoryVerification.objects.get(year=year, category=cats["LZ"], round=2).pk
    )
    assert not _open(kinds.WI_VOTES).exists()  # the votes stay confirmed
    _verify_all(people, year, only={"LZ"})
    # round 1's entries are kept beside round 2's
    assert CategoryVerification.objects.get(
        year=year, category=cats["LZ"], round=1
    ).entries.exists()
    with transaction.atomic():
        flow.complete_own_step(year=year, kind=kinds.WI_RESULTS, acting_user=office)

    # then approves: the year is decided
    decision = Decision.objects.get(year=year, round=2)
    decide.decision_approve(
        decision_id=decision.pk, acting_user=leader, expected_version=0, override_reason=EARLY
    )
    assert AssessmentYear.objects.get(pk=year.pk).status == YearStatus.DECIDED
    assert _open(kinds.WI_PUBLISH).get().owner_unit == org.office

    # the Office publishes: interviews and 督办单 for the bottom units
    _, run = publication.year_end_publish(year_id=year.pk, acting_user=office)
    year.refresh_from_db()
    assert year.status == YearStatus.PUBLISHED
    bottom = set(Interview.objects.filter(year=year).values_list("unit_id", flat=True))
    assert bottom and bottom <= set(
        AssessedUnit.objects.filter(year=year).values_list("unit_id", flat=True)
    )
    assert _open(kinds.WI_INTERVIEW).count() == len(bottom)
    supervision = Notice.objects.filter(kind=NoticeKind.SUPERVISION, target_id__in=bottom)
    assert supervision.count() == len(bottom)
    assert all(n.state == "issued" for n in supervision)
    assert WorkItem.objects.filter(
        state="open",
        owner_unit_id__in=bottom,
        kind__startswith="notice.",
        subject_id__in=supervision.values("pk"),
    ).count() == len(bottom)

    # the written results, generated by the background jobs (run here in the test's thread),
    # one community's letter per job here: each job queues the next; a job run twice (a retry)
    # counts the same progress
    monkeypatch.setattr(publication, "LETTERS_PER_JOB", 1)
    queued = []
    monkeypatch.setattr(publication, "_queue_job", lambda run_id, start: queued.append(start))
    run = publication.documents_generate(run.pk)
    assert (run.state, run.done, run.total, queued) == ("running", 2, 7, [1])
    run = publication.documents_generate(run.pk, 0)
    assert (run.state, run.done, queued) == ("running", 2, [1, 1])
    run = publication.documents_generate(run.pk, 1)
    assert run.state == "done" and run.done == run.total == 7, run.error
    codes = sorted(AssessedUnit.objects.filter(year=year).values_list("code", flat=True))
    stored = set(
        StoredDocument.objects.filter(
            owner_id=year.pk, owner_type__model="assessmentyear"
        ).values_list("filename", flat=True)
    )
    assert stored == {f"{c}.{ext}" for c in codes for ext in ("docx", "pdf")} | {
        "bulletin.docx",
        "bulletin.pdf",
        "bulletin.xlsx",
    }
    letter = Document(
        io.BytesIO(bytes(stored_document(owner=year, filename=f"{codes[0]}.docx").content))
    )
    problems = [p.text for p in letter.paragraphs if "联合考核组意见" in p.text]
    # the joint team's comments of each category's latest round: 党风廉政 was verified again
    lz = [
        p
        for p in problems
        if p.split("】")[0].startswith(f"{p.split('.')[0]}. 【{cats['LZ'].name}")
    ]
    assert lz and all(p.endswith("第2轮核实") for p in lz)
    assert any(p.endswith("第1轮核实") for p in problems)
    bulletin_doc = stored_document(owner=year, filename="bulletin.docx")
    number = ResultsVersion.objects.get(year=year).document_number
    assert number.endswith(f"〔{timezone.localdate().year}〕1号")
    assert number in "\n".join(
        p.text for p in Document(io.BytesIO(bytes(bulletin_doc.content))).paragraphs
    )
    # every community's members are told, with the link to its own letter
    links = set(
        Notification.objects.filter(verb="yearend.letter_ready").values_list("url", flat=True)
    )
    assert links == {reverse("yearend_document", args=[year.year, f"{c}.pdf"]) for c in codes}

    # the interviews are recorded: the process ends, nothing of it is left open
    for interview in Interview.objects.filter(year=year):
        decide.interview_record(
            interview_id=interview.pk,
            acting_user=office,
            held_on=timezone.localdate(),
            participants="街道党工委书记、社区党委书记",
            content="约谈，要求限期整改。",
            expected_version=0,
        )
    process = flow.process_of(year)
    process.refresh_from_db()
    assert process.status == "DONE"
    assert not WorkItem.objects.filter(state="open", kind__startswith="yearend.").exists()
    events = set(AuditEvent.objects.values_list("event_type", flat=True))
    for expected in (
        "year.year_end_opened",
        "yearend.started",
        "appraisal.team_set",
        "appraisal.selfeval_saved",
        "appraisal.selfeval_to_secretary",
        "appraisal.selfeval_submitted",
        "yearend.task_claimed",
        "yearend.task_released",
        "yearend.task_handed_over",
        "appraisal.verified_scores_saved",
        "appraisal.verification_signed_off",
        "appraisal.votes_confirmed",
        "appraisal.decision_returned",
        "appraisal.decision_approved",
        "year.decided",
        "year.published",
        "appraisal.bottom_notice_raised",
        "appraisal.interview_recorded",
        "yearend.documents_queued",
    ):
        assert expected in events, expected
