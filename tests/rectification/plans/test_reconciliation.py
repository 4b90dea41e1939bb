"""The 对账销号单 of a community's plan (Art. 20): its text in .docx and PDF lists every item
with its state, the closing evidence and who closed it; who may download it; query count."""

from __future__ import annotations

import datetime as dt
import io
import re
import uuid

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from core.models import Evidence, Role
from rectification.models import (
    Milestone,
    PlanItem,
    PlanItemState,
    PlanState,
    ProgressUpdate,
    RectificationPlan,
)
from rectification.plans import documents

from .conftest import PROBLEMS, make_plan

pytestmark = pytest.mark.django_db


def _url(plan, fmt="docx") -> str:
    return reverse("plan_reconciliation", args=[plan.pk, fmt])


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _docx_text(content: bytes) -> str:
    import docx

    d = docx.Document(io.BytesIO(content))
    parts = [p.text for p in d.paragraphs]
    for table in d.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


def _pdf_text(content: bytes) -> str:
    import pypdf

    return "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(content)).pages)


def _milestone(item, *, days: int, done: bool, position: int):
    due = timezone.now() + dt.timedelta(days=days)
    return Milestone.objects.create(
        item=item,
        position=position,
        title=f"节点{position}",
        due_date=timezone.localdate(due),
        due_at=due,
        planned_date=timezone.localdate(due),
        done_at=timezone.now() if done else None,
    )


@pytest.fixture
def tracked(org):
    """c01's accepted plan: item 1 closed with a summary and two files, item 2 awaiting close-out,
    item 3 being rectified with a missed milestone."""
    plan = make_plan(org)
    RectificationPlan.objects.filter(pk=plan.pk).update(
        state=PlanState.ACCEPTED, accepted_at=dt.datetime(2027, 1, 20, 2, 0, tzinfo=dt.UTC)
    )
    office, staff = org.user(Role.OFFICE_STAFF), org.user(Role.COMMUNITY_STAFF)
    one, two, three = (plan.items.get(position=n) for n in (1, 2, 3))
    PlanItem.objects.filter(pk=one.pk).update(
        state=PlanItemState.CLOSED,
        measures="建立廉政谈话台账，每季度检查。",
        responsible=staff,
        closing_summary="谈话记录已补齐并归档。",
        verified_at=dt.datetime(2027, 6, 30, 17, 0, tzinfo=dt.UTC),  # 7月1日 in Shanghai
        verified_by=office,
    )
    PlanItem.objects.filter(pk=two.pk).update(state=PlanItemState.AWAITING)
    PlanItem.objects.filter(pk=three.pk).update(state=PlanItemState.IN_PROGRESS)
    m1 = _milestone(one, days=-30, done=True, position=1)
    _milestone(one, days=-10, done=True, position=2)
    _milestone(two, days=-5, done=True, position=1)
    _milestone(three, days=-2, done=False, position=1)
    _milestone(three, days=20, done=False, position=2)
    update = ProgressUpdate.objects.create(
        item=one, milestone=m1, progress="已完成", submitted_by=staff, submitted_at=timezone.now()
    )
    ct = ContentType.objects.get_for_model(ProgressUpdate)
    for name in ("谈话记录.pdf", "归档照片.jpg"):
        Evidence.objects.create(
            sub_district=org.sd,
            subject_type=ct,
            subject_id=update.pk,
            original_name=name,
            stored_name=uuid.uuid4().hex,
            size=10,
            sha256="0" * 64,
            file_type="pdf",
            content_type="application/pdf",
            uploaded_by=staff,
        )
    plan.refresh_from_db()
    return plan


def _check_text(text: str, org, plan) -> None:
    flat = _flat(text)
    unit = plan.unit.name
    assert _flat(f"关于{unit}2027年度整改任务对账销号情况的报告") in flat
    assert "A街道党建工作领导小组办公室" in flat or "A街道A-ldxz办公室" in flat
    # every item, with its problem and its state
    for p in PROBLEMS:
        assert _flat(p.problem.rstrip("。")) in flat
    assert "已销号" in flat and "待销号审核" in flat and "整改中" in flat
    # the summary counts: 1 of 3 closed, 33.3 %; 5 milestones, 3 reached, 1 overdue
    assert "整改任务共3项，已销号1项，销号率33.3%" in flat
    assert "设定整改节点5个，已完成3个，逾期未完成1个" in flat
    # the closed item: its measures, responsible, milestones, evidence, when and by whom
    assert "建立廉政谈话台账" in flat
    assert "2/2" in flat
    assert "谈话记录已补齐并归档；佐证材料：" in flat
    assert "谈话记录.pdf" in flat and "归档照片.jpg" in flat
    assert _flat(f"2027年7月1日{org.user(Role.OFFICE_STAFF)}") in flat
    # the line for the unclosed items, the late milestone marked
    assert "尚未销号的整改任务2项" in flat
    assert "已逾期" in flat


def test_docx_lists_every_item_its_state_and_closing_evidence(client, org, tracked):
    client.force_login(org.user(Role.OFFICE_STAFF))
    response = client.get(_url(tracked, "docx"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    _check_text(_docx_text(response.content), org, tracked)


def test_pdf_lists_every_item_its_state_and_closing_evidence(client, org, tracked):
    client.force_login(org.user(Role.OFFICE_STAFF))
    response = client.get(_url(tracked, "pdf"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    _check_text(_pdf_text(response.content), org, tracked)


def test_a_plan_with_every_item_closed_says_so(org):
    plan = make_plan(org)
    plan.items.update(state=PlanItemState.CLOSED)
    text = _flat(_docx_text(documents.RENDER["docx"](documents.reconciliation(plan))))
    assert "全部整改任务均已销号" in text
    assert "销号率100.0%" in text


def test_an_unknown_format_is_not_found(client, org, tracked):
    client.force_login(org.user(Role.OFFICE_STAFF))
    assert client.get(_url(tracked, "xlsx")).status_code == 404


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (Role.OFFICE_STAFF, 200),
        (Role.AUDITOR, 200),
        (Role.LEADER, 200),
        (Role.ADMIN, 200),
        (Role.COMMUNITY_STAFF, 200),
        (Role.COMMUNITY_SECRETARY, 200),
        # a lead department sees only its category's items, not the whole plan
        (Role.DEPT_ASSESSOR, 403),
    ],
)
def test_who_may_download_it(client, org, tracked, role, status):
    client.force_login(org.user(role))
    assert client.get(_url(tracked)).status_code == status


def test_another_communitys_plan_and_another_sub_district_are_not_found(client, org, other_org):
    other = make_plan(org, org.community2)
    client.force_login(org.user(Role.COMMUNITY_STAFF))
    assert client.get(_url(other)).status_code == 404
    client.force_login(other_org.user(Role.OFFICE_STAFF))
    assert client.get(_url(other)).status_code == 404


@pytest.mark.parametrize("n", [3, 30])
def test_the_facts_are_read_in_a_fixed_number_of_queries(org, n, django_assert_num_queries):
    from .test_ledger import _problems

    plan = make_plan(org, problems=_problems(n))
    for item in plan.items.all():
        _milestone(item, days=3, done=False, position=1)
        ProgressUpdate.objects.create(
            item=item,
            progress="进展",
            submitted_by=org.user(Role.COMMUNITY_STAFF),
            submitted_at=timezone.now(),
        )
    plan = RectificationPlan.objects.select_related("unit", "sub_district").get(pk=plan.pk)
    # items (with people), milestones, progress updates, evidence, the Leading Group
    with django_assert_num_queries(5):
        facts = documents.reconciliation_facts(plan)
    assert len(facts.items) == n
    with django_assert_num_queries(0):
        documents.build(facts)
