"""示例目录（条例附件未公开）— an example indicator catalogue, for the demo and for trying out.

Art. 5 leaves the indicators to the three lead departments, in an annex that was not published with
the regulation. This catalogue is therefore made up: plausible indicators for the four categories
of Art. 4, each with a reporting schedule of Art. 7, but not the sub-district's real annex. Every
indicator's description ends with “（示例）” so that nobody mistakes it for the real one.

- 党风廉政建设 25 points, led by the Discipline Inspection & Supervision Office (纪检监察室);
- 组织建设 40 points, led by the Party-building Office (党建办);
- 宣传意识形态 20 points, led by the publicity line (宣传条线);
- 其他任务 15 points, led by the Office on behalf of the Leading Group.

Within each category the indicator maxima add up to the category maximum. Schedules are mixed:
monthly 三会一课 and information reports, quarterly clean-governance reports, annual reports,
indicators scored without reports, and one-off reports — among them Art. 8's filing of the
responsibility list, annual work plan, key projects and 书记领办项目 as one indicator with one
report due in the first quarter.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .models import Schedule

EXAMPLE_MARK = "（示例）"
D = Decimal


@dataclass(frozen=True)
class CategoryData:
    code: str
    name: str
    line: str  # the lead department's line (core DepartmentLine); "" = the Office
    department: str  # the lead department's name in the demo sub-district
    max_points: Decimal


@dataclass(frozen=True)
class IndicatorData:
    code: str
    category: str
    name: str
    description: str
    max_points: Decimal
    schedule: str
    evidence_required: bool = False
    due: tuple[int, int] | None = None  # (month, day) of a one-off report


CATEGORIES = (
    CategoryData("LZ", "党风廉政建设", "lz", "街道纪检监察室", D("25")),
    CategoryData("ZZ", "组织建设", "zz", "党建办", D("40")),
    CategoryData("XC", "宣传意识形态", "xc", "宣传条线", D("20")),
    CategoryData("QT", "其他任务", "", "领导小组办公室（党建办公室）", D("15")),
)


def _i(code, name, description, points, schedule, evidence=False, due=None) -> IndicatorData:
    return IndicatorData(
        code=code,
        category=code.split("-")[0],
        name=name,
        description=description + EXAMPLE_MARK,
        max_points=D(points),
        schedule=schedule,
        evidence_required=evidence,
        due=due,
    )


INDICATORS = (
    # 党风廉政建设 25
    _i(
        "LZ-01",
        "落实全面从严治党主体责任",
        "社区党委书记履行第一责任人职责，每季度专题研究党风廉政建设不少于 1 次，"
        "按季度报送党风廉政建设工作情况报告。",
        "5",
        Schedule.QUARTERLY,
    ),
    _i(
        "LZ-02",
        "廉政风险防控",
        "排查社区“小微权力”廉政风险点，建立风险防控台账，4 月底前报街道纪检监察室备案。",
        "3",
        Schedule.ONCE,
        evidence=True,
        due=(4, 30),
    ),
    _i(
        "LZ-03",
        "“三重一大”事项集体决策",
        "重大事项决策、重要人事任免、重大项目安排和大额资金使用经集体研究决定，会议记录完整。",
        "4",
        Schedule.NONE,
    ),
    _i(
        "LZ-04",
        "党务居务公开",
        "按季度公开党务、居务和财务事项，公开内容真实完整，按季度报送公开情况。",
        "3",
        Schedule.QUARTERLY,
    ),
    _i(
        "LZ-05",
        "廉洁文化和警示教育",
        "组织党员开展廉洁教育和警示教育，年度报送廉洁教育开展情况。",
        "4",
        Schedule.ANNUAL,
    ),
    _i(
        "LZ-06",
        "作风建设和纠治“四风”",
        "无违反中央八项规定精神问题，无形式主义、官僚主义问题被查处通报。",
        "3",
        Schedule.NONE,
    ),
    _i(
        "LZ-07",
        "信访举报件办理",
        "配合做好信访举报件的调查核实，按时反馈办理结果。",
        "3",
        Schedule.NONE,
    ),
    # 组织建设 40
    _i(
        "ZZ-01",
        "“三会一课”制度落实",
        "按月报送支部党员大会、支委会、党小组会和党课的开展情况，内容真实、记录规范。",
        "6",
        Schedule.MONTHLY,
    ),
    _i(
        "ZZ-02",
        "主题党日活动",
        "每月开展主题党日活动，按月报送活动开展情况。",
        "4",
        Schedule.MONTHLY,
    ),
    _i(
        "ZZ-03",
        "组织生活会和民主评议党员",
        "按要求召开年度组织生活会，开展民主评议党员，年度报送会议情况。",
        "4",
        Schedule.ANNUAL,
    ),
    _i(
        "ZZ-04",
        "发展党员工作",
        "严格执行发展党员工作程序，档案规范完整，年度报送发展党员工作情况。",
        "4",
        Schedule.ANNUAL,
    ),
    _i(
        "ZZ-05",
        "党费收缴使用管理",
        "按月足额收缴党费，按季度报送党费收缴台账。",
        "3",
        Schedule.QUARTERLY,
    ),
    _i(
        "ZZ-06",
        "党员教育管理",
        "党员集中学习、积分管理和“学习强国”学习情况，按季度报送。",
        "4",
        Schedule.QUARTERLY,
    ),
    _i(
        "ZZ-07",
        "网格党建和区域化党建",
        "党组织覆盖到网格，与辖区单位联建共建活动常态开展。",
        "4",
        Schedule.NONE,
    ),
    _i(
        "ZZ-08",
        "党群服务阵地建设",
        "社区党群服务中心功能完善、开放有序、使用率高。",
        "3",
        Schedule.NONE,
    ),
    _i(
        "ZZ-09",
        "社区党组织班子建设",
        "班子团结、分工明确，社区“两委”成员履职到位。",
        "4",
        Schedule.NONE,
    ),
    _i(
        "ZZ-10",
        "关爱帮扶党员",
        "走访慰问老党员、困难党员，流动党员管理服务到位。",
        "4",
        Schedule.NONE,
    ),
    # 宣传意识形态 20
    _i(
        "XC-01",
        "意识形态工作责任制",
        "每季度分析研判意识形态领域情况，报送分析研判报告。",
        "4",
        Schedule.QUARTERLY,
    ),
    _i(
        "XC-02",
        "党员理论学习",
        "每月组织党员开展理论学习，报送学习记录。",
        "3",
        Schedule.MONTHLY,
    ),
    _i(
        "XC-03",
        "信息宣传报送",
        "每月报送社区党建工作信息和宣传稿件，纳入信息宣传工作月度通报（第十条）。",
        "4",
        Schedule.MONTHLY,
    ),
    _i(
        "XC-04",
        "宣传阵地管理",
        "宣传栏、电子屏和社区公众号落实审核把关，内容及时更新。",
        "3",
        Schedule.NONE,
    ),
    _i(
        "XC-05",
        "新时代文明实践",
        "开展新时代文明实践和志愿服务活动，年度报送工作总结。",
        "3",
        Schedule.ANNUAL,
    ),
    _i(
        "XC-06",
        "网络舆情处置",
        "及时发现、报告和处置涉及社区的网络舆情，无重大负面舆情。",
        "3",
        Schedule.NONE,
    ),
    # 其他任务 15
    _i(
        "QT-01",
        "责任清单、年度计划和书记领办项目报备",
        "制定党建工作责任清单、年度工作计划、年度重点项目和书记领办项目，"
        "一季度内一并报领导小组办公室备案（第八条）。",
        "4",
        Schedule.ONCE,
        evidence=True,
        due=(3, 31),
    ),
    _i(
        "QT-02",
        "领导小组部署的重点任务",
        "按期完成街道党建工作领导小组部署的各项重点任务。",
        "3",
        Schedule.NONE,
    ),
    _i(
        "QT-03",
        "上年度整改任务落实",
        "落实上年度考核反馈问题的整改计划，按季度报送整改进展（第二十条）。",
        "3",
        Schedule.QUARTERLY,
    ),
    _i(
        "QT-04",
        "智慧党建平台应用",
        "按要求通过智慧党建平台报送材料、办理事项（第十三条）。",
        "2",
        Schedule.NONE,
    ),
    _i(
        "QT-05",
        "年终专项报告和自评表",
        "对照年度要求和考核指标自查，报送专项报告和自评表（第十五条）。",
        "3",
        Schedule.ONCE,
        evidence=True,
        due=(12, 15),
    ),
)
