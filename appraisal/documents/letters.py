"""The feedback letter of one community (书面反馈, Art. 16): its figures of scoring.md §7 and the
problems found, as numbered items (Art. 20: the community turns them into next year's
rectification tasks)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.documents import Heading, OfficialDocument, Paragraph, Table

from .. import domain
from .facts import YearFacts
from .wording import (
    CLAIM_REASON,
    LEVEL,
    PLAN_ITEM_STATE,
    REGULATION,
    REPORT_REASON,
    SOURCE,
    day,
    fig,
    no_items,
    signed,
    when,
)

# The rows of the summary table, in order: (label, JSON key of appraisal_results). A test reads
# the table back and compares each value with the JSON.
SUMMARY_KEYS = (
    ("实绩考核加分", "bonus"),
    ("实绩考核得分", "performance"),
    ("述职评议得分", "debriefing"),
    ("民主测评得分", "democratic"),
    ("满意度评价得分", "satisfaction"),
    ("考核总分", "total"),
)


@dataclass(frozen=True)
class Problem:
    """One problem found, as the letter numbers it (and the next year's plan reads it)."""

    kind: str  # "opinion", "team", "report", "fraud", "carried"
    category: str  # category code (a carried item's own, "" if it has none)
    indicator: str  # indicator code, "" for a category-wide finding
    text: str
    # What identifies it within the indicator (a report's period), for a stable reference; for
    # a carried item, the id of the previous plan's item.
    ref: str = ""


def problems(facts: YearFacts, unit: domain.UnitResult) -> list[Problem]:
    """The departments' opinions, the joint team's comments, every excluded report and every
    fraud finding, in catalogue order (Art. 12, 14, 16, 19); then the previous year's plan
    items not closed, in that plan's order (Art. 20, 整改一项、销号一项)."""
    out: list[Problem] = []
    code = unit.unit_id
    for cat in unit.categories:
        if cat.fraud is not None:
            out.append(
                Problem(
                    "fraud",
                    cat.code,
                    "",
                    f"【{cat.name}】经认定存在弄虚作假：{cat.fraud.reason}。"
                    "该大项分值记为零分（第十九条）。",
                )
            )
        for ind in cat.indicators:
            label = f"【{cat.name}·{ind.name or ind.code}】"
            opinion = facts.opinions.get((code, ind.code))
            if opinion:
                out.append(
                    Problem("opinion", cat.code, ind.code, f"{label}牵头部门意见：{opinion}")
                )
            comment = facts.team_comments.get((code, ind.code))
            if comment:
                out.append(Problem("team", cat.code, ind.code, f"{label}联合考核组意见：{comment}"))
            for ex in ind.exclusions:
                out.append(
                    Problem(
                        "report",
                        cat.code,
                        ind.code,
                        label + exclusion_text(ex),
                        str(ex.period or ""),
                    )
                )
    for item in facts.carried.get(code, ()):
        text = carried_text(facts.year.year - 1, item)
        out.append(Problem("carried", item.category, item.indicator, text, str(item.id)))
    return out


CARRIED_MARK = "【上年度整改事项未销号】"
# An item carried again (not closed two years running) names its first problem, not the
# previous letter's sentence about it.
_CARRIED_AGAIN = re.compile(
    rf"^{CARRIED_MARK}\d+年度整改方案第\d+项：(?P<problem>.*)（[^（）]*）。$", re.S
)


def carried_text(plan_year: int, item) -> str:
    state = PLAN_ITEM_STATE.get(item.state, item.state)
    problem = item.problem.strip()
    again = _CARRIED_AGAIN.match(problem)
    if again:
        problem = again.group("problem")
    problem = problem.rstrip("。")
    return f"{CARRIED_MARK}{plan_year}年度整改方案第{item.position}项：{problem}（{state}）。"


def exclusion_text(ex: domain.Exclusion) -> str:
    period = f"第{ex.period}期" if ex.period else ""
    done = "未报送" if ex.submitted is None else f"{when(ex.submitted)}报送"
    reason = REPORT_REASON.get(ex.reason, ex.reason)
    due = f"应于{when(ex.due)}前报送，" if ex.due is not None else ""
    return f"{period}报告{due}{done}（{reason}），不计分（第十二条）。"


def _indicator_table(cat: domain.CategoryResult) -> Table:
    rows = [
        [
            ind.code,
            ind.name,
            fig(ind.max_points),
            f"{ind.on_time_reports}/{ind.required_reports}" if ind.required_reports else "—",
            fig(ind.cap),
            SOURCE.get(ind.source, ind.source),
            fig(ind.score),
        ]
        for ind in cat.indicators
    ]
    rows.append(["", "指标得分小计", "", "", "", "", fig(cat.indicator_sum)])
    rows.append(["", "加扣分", "", "", "", "", signed(cat.adjustment_sum)])
    rows.append(["", "大项得分", fig(cat.max_points), "", "", "", fig(cat.score)])
    return Table(
        header=["编号", "指标", "分值", "按时/应报", "上限", "评分来源", "得分"],
        rows=rows,
        widths_mm=[16, 60, 14, 18, 14, 20, 14],
        caption=f"{cat.name}（满分{fig(cat.max_points)}分）",
        align=["center", "left", "right", "center", "right", "center", "right"],
        font_pt=10.5,
    )


def _claims(facts: YearFacts, unit: domain.UnitResult) -> list:
    body: list = []
    claims = [*unit.claims_counted, *unit.claims_not_counted]
    if not claims:
        return [Paragraph(f"无加分申报。实绩考核加分{fig(unit.bonus)}分。")]
    for n, claim in enumerate(claims, start=1):
        title = claim.claim.title or "加分事项"
        level = LEVEL.get(claim.claim.level, claim.claim.level)
        if claim.counted:
            verdict = f"计{fig(claim.points)}分"
        else:
            why = "；".join(CLAIM_REASON.get(r, r) for r in claim.reasons)
            verdict = f"不计分：{why}"
        body.append(Paragraph(f"{n}. {title}（{level}）：{verdict}。"))
    body.append(
        Paragraph(
            f"计分事项合计{fig(unit.claim_points)}分，"
            f"加分上限{fig(facts.computed.results.settings.bonus_cap)}分，"
            f"实绩考核加分{fig(unit.bonus)}分。"
        )
    )
    return body


def _vote(name: str, vote: domain.VoteResult) -> Paragraph:
    v = vote.votes
    if vote.empty:
        return Paragraph(f"{name}：未收到有效票，按0分计，得分{fig(vote.score)}分。")
    return Paragraph(
        f"{name}：满意{v.satisfied}票，基本满意{v.basically}票，不满意{v.dissatisfied}票，"
        f"共{vote.ballots}票，得分{fig(vote.score)}分。"
    )


def _comprehensive(facts: YearFacts, unit: domain.UnitResult) -> list:
    given = unit.unit_id in facts.computed.comprehensive_given
    settings = facts.computed.results.settings
    parts = [
        Paragraph(
            f"按党建考核排名，综合考评调整{signed(unit.comprehensive_adjustment)}分"
            f"（前{len(settings.top_rank_additions)}位依次加分，"
            f"末{settings.penalised_positions}位依次减分，第十七条）。"
        )
    ]
    if given:
        parts.append(
            Paragraph(
                f"综合考评得分{fig(unit.comprehensive)}分，调整后{fig(unit.adjusted)}分，"
                f"最终考评等次：{unit.grade}。"
            )
        )
    else:
        parts.append(Paragraph("综合考评得分尚未录入，调整后得分及等次待定。"))
    if unit.flags.penalised:
        veto = (
            f"你单位党建考核排名末{settings.penalised_positions}位以内，综合考评不得确定为优胜等次"
        )
        if given and unit.flags.veto_applied:
            veto += f"（原等次{unit.grade_before_veto}，否优降档为{unit.grade}）"
        veto += "，主要责任人不得评为年度考核优秀等次"
        if unit.flags.advanced_withdrawn:
            veto += "，取消先进资格"
        parts.append(Paragraph(veto + "（第十七条）。"))
    return parts


def letter(facts: YearFacts, code: str) -> OfficialDocument:
    """The feedback letter of the assessed unit `code`."""
    unit = facts.computed.results.unit(code)
    year = facts.year.year
    total_units = facts.unit_count
    body: list = [
        Paragraph(
            f"根据{REGULATION}，经自查自评、联合考核组核实评分、满意度评价和加权汇总，"
            f"报街道党建工作领导小组研究决定，现将你单位{year}年度党建工作责任制考核结果"
            "反馈如下。"
        ),
        Heading("一、考核结果", 1),
        Paragraph(
            f"你单位考核总分{fig(unit.total)}分，在{total_units}个被考核单位中排名第{unit.rank}位"
            f"（倒数第{unit.bottom_position}位）。"
        ),
        Table(
            header=["项目", "满分", "得分"],
            rows=[
                *[[c.name, fig(c.max_points), fig(c.score)] for c in unit.categories],
                *[[label, "", fig(getattr_json(unit, key))] for label, key in SUMMARY_KEYS],
            ],
            widths_mm=[80, 38, 38],
            caption="考核得分汇总",
            align=["left", "right", "right"],
        ),
        Heading("（一）各大项及指标得分", 2),
        Paragraph(
            "指标得分不超过其上限：上限 = 分值 × 按时报送份数 ÷ 应报份数；"
            "逾期或未报送的报告不计入得分（第十二条）。"
        ),
    ]
    for cat in unit.categories:
        body.append(_indicator_table(cat))
        for adj in cat.adjustments:
            body.append(
                Paragraph(
                    f"{cat.name}加扣分：{day(adj.date)} {adj.reason}（{adj.source}），"
                    f"{signed(adj.points)}分。"
                )
            )
        if cat.fraud is not None:
            body.append(Paragraph(f"{cat.name}：经认定弄虚作假，该大项记为零分（第十九条）。"))
    body.append(Heading("（二）实绩考核加分", 2))
    body.extend(_claims(facts, unit))
    body.append(Heading("（三）满意度评价", 2))
    body.append(_vote("述职评议", unit.debriefing))
    body.append(_vote("民主测评", unit.democratic))
    body.append(Paragraph(f"满意度评价得分{fig(unit.satisfaction)}分。"))
    body.append(Heading("（四）综合考评", 2))
    body.extend(_comprehensive(facts, unit))

    body.append(Heading("二、存在的问题", 1))
    found = problems(facts, unit)
    if found:
        body.extend(Paragraph(f"{n}. {p.text}") for n, p in enumerate(found, start=1))
    else:
        body.append(Paragraph(no_items()))
    body.append(Heading("三、整改要求", 1))
    body.append(
        Paragraph(
            f"请将上述问题列为{year + 1}年度重点整改任务，明确整改目标、整改措施、整改进度和"
            "责任人，形成整改方案报街道党建工作领导小组（第二十条）。"
        )
    )
    carried = facts.carried.get(code, ())
    if carried:
        body.append(
            Paragraph(
                f"{year - 1}年度整改方案中尚有{len(carried)}项整改事项未销号，"
                "请继续列入整改方案，整改一项、销号一项，逐项销号（第二十条）。"
            )
        )
    return OfficialDocument(
        organ=facts.organ,
        number="",
        title=f"关于{unit.name}{year}年度党建工作责任制考核结果的反馈",
        addressee=f"{unit.name}：",
        body=body,
        signature=facts.signature,
        date=facts.date,
        draft=facts.draft,
    )


def getattr_json(unit: domain.UnitResult, key: str):
    """A figure of the unit under its appraisal_results key."""
    if key in ("debriefing", "democratic"):
        return getattr(unit, key).score
    return getattr(unit, key)
