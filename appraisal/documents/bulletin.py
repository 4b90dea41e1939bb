"""The results bulletin (考核结果通报, Art. 16–18): the ranking with the figures of scoring.md §7,
the commendation of the top units, the comprehensive-evaluation adjustments and vetoes, and the
bottom units named for interview. Also as a workbook, through the one spreadsheet writer."""

from __future__ import annotations

from core import spreadsheets
from core.documents import Heading, OfficialDocument, Paragraph, Table

from .. import domain
from ..results.rows import ranking_headers, ranking_rows, ranking_values
from .facts import YearFacts
from .wording import REGULATION, fig, signed


def commended(facts: YearFacts) -> list[domain.UnitResult]:
    """The top units commended (Art. 18): the ranks that earn the comprehensive addition
    (scoring.md §6, ranks 1–3 by default), ties included."""
    positions = len(facts.computed.results.settings.top_rank_additions)
    return [u for u in facts.computed.results.units if u.rank <= positions]


def interviewed(facts: YearFacts) -> list[domain.UnitResult]:
    """The bottom units whose main responsible person is interviewed (Art. 18): the penalised
    bottom positions (scoring.md §6), ties included — the same rule as the interviews raised."""
    positions = facts.computed.results.settings.penalised_positions
    return [u for u in facts.computed.results.units if u.bottom_position <= positions]


def _names(units) -> str:
    return "、".join(u.name for u in units)


def ranking_tables(facts: YearFacts) -> tuple[Table, Table]:
    units = facts.computed.results.units
    categories = facts.computed.categories
    n = len(categories)
    width = round((156 - 12 - 40 - 14 - 16) / max(n, 1), 1)
    performance = Table(
        header=["排名", "单位", *[c.name for c in categories], "加分", "实绩考核"],
        rows=[
            [
                str(u.rank),
                u.name,
                *[fig(c.score) for c in u.categories],
                fig(u.bonus),
                fig(u.performance),
            ]
            for u in units
        ],
        widths_mm=[12, 40, *[width] * n, 14, 16],
        caption="表1  实绩考核得分",
        align=["center", "left", *["right"] * (n + 2)],
        font_pt=9,
    )
    total = Table(
        header=[
            "排名",
            "单位",
            "述职评议",
            "民主测评",
            "满意度",
            "总分",
            "倒数位次",
            "综合考评调整",
        ],
        rows=[
            [
                str(u.rank),
                u.name,
                fig(u.debriefing.score),
                fig(u.democratic.score),
                fig(u.satisfaction),
                fig(u.total),
                str(u.bottom_position),
                signed(u.comprehensive_adjustment),
            ]
            for u in units
        ],
        widths_mm=[12, 40, 16, 16, 16, 16, 16, 24],
        caption="表2  满意度评价、总分和综合考评调整",
        align=["center", "left", *["right"] * 6],
        font_pt=9,
    )
    return performance, total


def _adjustments(facts: YearFacts) -> list:
    units = facts.computed.results.units
    given = facts.computed.comprehensive_given
    rows = []
    for u in units:
        if not (u.comprehensive_adjustment or u.flags.penalised):
            continue
        notes = []
        if u.flags.penalised:
            notes.append("否优：不得确定为优胜等次")
        if u.flags.veto_applied:
            notes.append(f"由{u.grade_before_veto}降档")
        if u.flags.advanced_withdrawn:
            notes.append("取消先进资格")
        if u.flags.secretary_not_eligible:
            notes.append("主要责任人不得评为优秀")
        rows.append(
            [
                u.name,
                str(u.rank),
                signed(u.comprehensive_adjustment),
                fig(u.adjusted) if u.unit_id in given else "—",
                (u.grade if u.unit_id in given else "待定"),
                "；".join(notes) or "—",
            ]
        )
    if not rows:
        return [Paragraph("无。")]
    return [
        Table(
            header=["单位", "排名", "调整", "调整后得分", "等次", "说明"],
            rows=rows,
            widths_mm=[40, 12, 16, 20, 16, 52],
            caption="表3  综合考评加减分和否优降档",
            align=["left", "center", "right", "right", "center", "left"],
            font_pt=9,
        )
    ]


def bulletin(facts: YearFacts) -> OfficialDocument:
    year = facts.year.year
    settings = facts.computed.results.settings
    top = commended(facts)
    bottom = interviewed(facts)
    performance, total = ranking_tables(facts)
    body: list = [
        Paragraph(
            f"根据{REGULATION}，街道党建工作领导小组组织开展了{year}年度社区党建工作责任制"
            f"考核。经自查自评、联合考核组核实评分、满意度评价和加权汇总，报领导小组研究决定，"
            f"现将{facts.unit_count}个社区党委的考核结果通报如下。"
        ),
        Heading("一、考核结果", 1),
        Paragraph(
            "考核总分 = 实绩考核得分 × "
            f"{fig(settings.performance_weight)} + 满意度评价得分 × "
            f"{fig(settings.satisfaction_weight)}。"
            "总分相同的，依次比较实绩考核得分、满意度评价得分；三项均相同的并列。"
        ),
        performance,
        total,
        Heading("二、通报表扬", 1),
        Paragraph(
            f"对考核排名前{len(settings.top_rank_additions)}位的{_names(top)}予以通报表扬"
            "（第十八条）。"
            if top
            else "本年度无通报表扬单位。"
        ),
        Heading("三、综合考评加减分和否优降档", 1),
        Paragraph(
            "按照“双百分制”考核办法，党建考核排名前3位的，综合考评依次加分；排名末位的依次减分；"
            f"排名末{settings.penalised_positions}位的，综合考评不得确定为优胜等次，"
            "其主要责任人不得评为年度考核优秀等次，原为先进的取消先进资格（第十七条）。"
        ),
        *_adjustments(facts),
        Heading("四、约谈和整改", 1),
        Paragraph(
            f"对考核排名末{settings.penalised_positions}位的{_names(bottom)}，由街道党建工作领导"
            "小组约谈其主要责任人，责令整改，并下发督办单（第十八条）。"
            if bottom
            else "本年度无约谈单位。"
        ),
        Paragraph(
            f"各社区党委要将考核反馈的问题列为{year + 1}年度重点整改任务，明确整改目标、"
            "整改措施、整改进度和责任人，形成整改方案报街道党建工作领导小组（第二十条）。"
        ),
    ]
    return OfficialDocument(
        organ=facts.organ,
        number=facts.number,
        title=f"关于{year}年度社区党建工作责任制考核结果的通报",
        addressee="各社区党委，街道各部门：",
        body=body,
        signature=facts.signature,
        date=facts.date,
        draft=facts.draft,
        copy_to="街道党工委各委员",
        printed_by=facts.organ,
    )


def bulletin_xlsx(facts: YearFacts) -> bytes:
    """The bulletin's figures as a workbook: every column of the ranking (results.rows), the
    commended and the interviewed units. User text goes in as text."""
    computed = facts.computed
    book = spreadsheets.new_workbook(streaming=True)
    sheet = book.create_sheet("考核结果" + ("（草稿）" if facts.draft else ""))
    spreadsheets.append(sheet, ranking_headers(computed))
    for row in ranking_rows(computed):
        spreadsheets.append(sheet, ranking_values(row))
    praise = book.create_sheet("通报表扬")
    spreadsheets.append(praise, ["排名", "单位编码", "单位", "总分"])
    for u in commended(facts):
        spreadsheets.append(praise, [u.rank, u.unit_id, u.name, u.total])
    talk = book.create_sheet("约谈单位")
    spreadsheets.append(talk, ["倒数位次", "单位编码", "单位", "总分"])
    for u in interviewed(facts):
        spreadsheets.append(talk, [u.bottom_position, u.unit_id, u.name, u.total])
    return spreadsheets.to_bytes(book)
