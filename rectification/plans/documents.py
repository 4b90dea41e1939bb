"""The 对账销号单 of one community's rectification plan (Art. 20: 整改一项、销号一项): the Office's
report to the Leading Group of where each key rectification task stands — its problem and where
it was found, measures, responsible person, milestones reached, state, the closing evidence and
who closed it when — built here as content and rendered by core.documents (GB/T 9704-2012) as
.docx and PDF.

The wording is Chinese and not translated: an official document of a Chinese Party organisation,
not a page of the user interface. Every read happens in reconciliation_facts (a fixed number
of queries whatever the number of items); building and rendering read nothing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.contrib.contenttypes.models import ContentType
from django.db.models import Prefetch
from django.utils import timezone

from core.documents import Heading, OfficialDocument, Paragraph, Table, render_docx, render_pdf
from core.documents.selectors import leading_group_name
from core.models import Evidence

from ..models import (
    Milestone,
    PlanItem,
    PlanItemSource,
    PlanItemState,
    PlanState,
    ProgressUpdate,
    RectificationPlan,
)
from .selectors_ledger import completion_rate

SHANGHAI = ZoneInfo("Asia/Shanghai")
RENDER = {"docx": render_docx, "pdf": render_pdf}
REGULATION = "《街道社区党建工作责任制考核细则》"

STATE_TEXT = {
    PlanItemState.DRAFT: "方案未审定",
    PlanItemState.IN_PROGRESS: "整改中",
    PlanItemState.AWAITING: "待销号审核",
    PlanItemState.CLOSED: "已销号",
}
PLAN_STATE_TEXT = {
    PlanState.DRAFTING: "整改方案正在制定",
    PlanState.SUBMITTED: "整改方案已报领导小组办公室审核",
    PlanState.REVIEWED: "整改方案已报街道党建工作领导小组审定",
    PlanState.ACCEPTED: "整改方案已经街道党建工作领导小组审定，正在实施",
    PlanState.COMPLETED: "整改任务已全部销号",
}
SOURCE_TEXT = {
    PlanItemSource.OPINION: "牵头部门意见",
    PlanItemSource.TEAM: "联合考核组意见",
    PlanItemSource.REPORT: "报告未计分",
    PlanItemSource.FRAUD: "弄虚作假认定",
    PlanItemSource.NOTICE: "整改通知",
    PlanItemSource.CARRIED: "上年度未销号任务",
    PlanItemSource.OWN: "社区自查",
}
# A table cell holds a summary: a row taller than a page cannot be laid out, and the full text
# is on the item's page.
CELL_CHARS = 120
TABLE_HEADER = (
    "序号",
    "问题（来源）",
    "整改措施",
    "责任人",
    "整改节点（完成/总数）",
    "状态",
    "销号佐证",
    "销号时间及审核人",
)
TABLE_WIDTHS = (10, 32, 28, 14, 16, 14, 26, 16)  # 156 mm, the type block's width


@dataclass(frozen=True)
class ItemFacts:
    item: PlanItem
    milestones: list[Milestone]
    files: list[str]  # the original names of the item's progress updates' evidence

    @property
    def reached(self) -> int:
        return sum(1 for m in self.milestones if m.done_at is not None)

    def overdue(self, now: dt.datetime) -> int:
        return sum(1 for m in self.milestones if m.done_at is None and m.due_at < now)

    @property
    def next_milestone(self) -> Milestone | None:
        open_ = [m for m in self.milestones if m.done_at is None]
        return min(open_, key=lambda m: (m.due_at, m.position)) if open_ else None


@dataclass(frozen=True)
class ReconciliationFacts:
    plan: RectificationPlan
    items: list[ItemFacts]
    organ: str  # the Leading Group Office (发文机关)
    leading_group: str  # the addressee
    now: dt.datetime
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def date(self) -> dt.date:
        return self.now.astimezone(SHANGHAI).date()


def reconciliation_facts(plan: RectificationPlan, *, now: dt.datetime | None = None):
    """Everything the document says, in five queries."""
    items = list(
        PlanItem.objects.filter(plan=plan)
        .select_related("responsible", "verified_by")
        .prefetch_related(
            Prefetch("milestones", queryset=Milestone.objects.order_by("due_at", "position"))
        )
        .order_by("position")
    )
    updates = dict(
        ProgressUpdate.objects.filter(item__plan=plan).values_list("pk", "item_id").order_by("pk")
    )
    names: dict[int, list[str]] = {}
    for subject_id, name in (
        Evidence.objects.filter(
            subject_type=ContentType.objects.get_for_model(ProgressUpdate),
            subject_id__in=list(updates),
        )
        .order_by("subject_id", "pk")
        .values_list("subject_id", "original_name")
    ):
        names.setdefault(updates[subject_id], []).append(name)
    group = leading_group_name(plan.sub_district)
    counts = {s.value: 0 for s in PlanItemState}
    for item in items:
        counts[item.state] = counts.get(item.state, 0) + 1
    return ReconciliationFacts(
        plan=plan,
        items=[ItemFacts(i, list(i.milestones.all()), names.get(i.pk, [])) for i in items],
        organ=f"{group}办公室",
        leading_group=group,
        now=now or timezone.now(),
        counts=counts,
    )


def _short(text: str, n: int = CELL_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _clause(text: str, n: int = CELL_CHARS) -> str:
    """A shortened text to be followed by more of the sentence: without its closing mark."""
    return _short(text, n).rstrip("。；;，,. ")


def _day(moment: dt.datetime | None) -> str:
    if moment is None:
        return ""
    d = moment.astimezone(SHANGHAI).date()
    return f"{d.year}年{d.month}月{d.day}日"


def _person(user) -> str:
    return str(user) if user is not None else ""


def _evidence(f: ItemFacts) -> str:
    parts = []
    if f.item.closing_summary.strip():
        parts.append(_clause(f.item.closing_summary, 80))
    if f.files:
        parts.append("佐证材料：" + "、".join(f.files))
    return "；".join(parts) or "—"


def _row(f: ItemFacts) -> list[str]:
    item = f.item
    source = SOURCE_TEXT.get(item.source_kind, "")
    if item.repeated_from_id:
        source = f"{source}，重复问题" if source else "重复问题"
    closed = ""
    if item.state == PlanItemState.CLOSED:
        closed = " ".join(p for p in (_day(item.verified_at), _person(item.verified_by)) if p)
    return [
        str(item.position),
        f"{_clause(item.problem)}（{source}）" if source else _short(item.problem),
        _short(item.measures) or "—",
        _person(item.responsible) or "—",
        f"{f.reached}/{len(f.milestones)}",
        STATE_TEXT.get(item.state, item.state),
        _evidence(f),
        closed or "—",
    ]


def _summary(facts: ReconciliationFacts) -> str:
    total = len(facts.items)
    if not total:
        return "该方案暂无整改任务。"
    closed = facts.counts.get(PlanItemState.CLOSED, 0)
    rate: Decimal = completion_rate(closed, total)
    others = "、".join(
        f"{STATE_TEXT[s]}{facts.counts[s]}项"
        for s in (PlanItemState.IN_PROGRESS, PlanItemState.AWAITING, PlanItemState.DRAFT)
        if facts.counts.get(s)
    )
    repeated = sum(1 for f in facts.items if f.item.repeated_from_id)
    milestones = sum(len(f.milestones) for f in facts.items)
    reached = sum(f.reached for f in facts.items)
    overdue = sum(f.overdue(facts.now) for f in facts.items)
    text = f"整改任务共{total}项，已销号{closed}项，销号率{rate}%"
    text += f"；{others}。" if others else "。"
    if repeated:
        text += f"其中重复问题{repeated}项。"
    text += f"设定整改节点{milestones}个，已完成{reached}个，逾期未完成{overdue}个。"
    return text


def _unclosed(facts: ReconciliationFacts) -> list[Paragraph]:
    rows = []
    for f in facts.items:
        item = f.item
        if item.state == PlanItemState.CLOSED:
            continue
        text = f"第{item.position}项：{_clause(item.problem, 60)}——{STATE_TEXT[item.state]}"
        if item.responsible is not None:
            text += f"，责任人{_person(item.responsible)}"
        nxt = f.next_milestone
        if nxt is not None:
            text += f"，下一整改节点“{_short(nxt.title, 40)}”期限为{_day(nxt.due_at)}"
            if nxt.due_at < facts.now:
                text += "，已逾期"
        rows.append(Paragraph(text + "。"))
    if not rows:
        return [Paragraph("全部整改任务均已销号。")]
    return [Paragraph(f"尚未销号的整改任务{len(rows)}项：", indent=True), *rows]


def build(facts: ReconciliationFacts) -> OfficialDocument:
    plan = facts.plan
    unit = plan.unit.name
    work_year = plan.year + 1
    accepted = f"（{_day(plan.accepted_at)}审定）" if plan.accepted_at else ""
    body = [
        Paragraph(
            f"根据{REGULATION}第二十条，{unit}将{plan.year}年度考核反馈的问题列为{work_year}年度"
            f"重点整改任务，{PLAN_STATE_TEXT.get(plan.state, '')}{accepted}。"
            f"按照“整改一项、销号一项”的要求，领导小组办公室对其整改任务逐项对账，"
            f"截至{facts.date.year}年{facts.date.month}月{facts.date.day}日的情况报告如下。"
        ),
        Heading("一、总体情况", 1),
        Paragraph(_summary(facts)),
        Heading("二、逐项对账情况", 1),
    ]
    if facts.items:
        body.append(
            Table(
                header=list(TABLE_HEADER),
                rows=[_row(f) for f in facts.items],
                widths_mm=list(TABLE_WIDTHS),
                caption=f"{unit}{work_year}年度整改任务对账销号单",
                align=["center", "left", "left", "center", "center", "center", "left", "center"],
                font_pt=9,
            )
        )
    else:
        body.append(Paragraph("无。"))
    body.append(Heading("三、未销号任务", 1))
    body.extend(_unclosed(facts))
    return OfficialDocument(
        organ=facts.organ,
        number="",
        title=f"关于{unit}{work_year}年度整改任务对账销号情况的报告",
        addressee=f"{facts.leading_group}：",
        body=body,
        signature=facts.organ,
        date=facts.date,
    )


def reconciliation(plan: RectificationPlan, *, now: dt.datetime | None = None) -> OfficialDocument:
    """The plan's 对账销号单 as of now."""
    return build(reconciliation_facts(plan, now=now))
