"""Shared wording and figure formats of the year's documents (Chinese: see the package's note)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from .. import domain
from ..results.compute import SHANGHAI
from ..results.document import dec
from ..results.rows import local_time

REGULATION = "《街道社区党建工作责任制考核细则》"

REPORT_REASON = {
    domain.REPORT_LATE: "逾期报送",
    domain.REPORT_MISSING: "未报送",
}
CLAIM_REASON = {
    domain.CLAIM_LATE: "申报时间晚于申报截止时间",
    domain.CLAIM_NOT_DECLARED: "未在截止时间前申报",
    domain.CLAIM_NOT_APPROVED: "未经领导小组审定",
    domain.CLAIM_PUBLICITY_OPEN: "计算结果时公示期未满",
}
LEVEL = {
    domain.DISTRICT: "区级",
    domain.CITY: "市级",
    domain.PROVINCE: "省级",
    domain.NATIONAL: "国家级",
}
# The state of a rectification plan's item, as the next year's letter names it (Art. 20).
PLAN_ITEM_STATE = {
    "draft": "整改方案未通过审定，尚未开始整改",
    "in_progress": "正在整改",
    "awaiting": "已申请销号，待核实",
    "closed": "已销号",
}
SOURCE = {
    "joint_team": "联合考核组核实",
    "department": "牵头部门评分",
    "not_scored": "未评分",
}


def fig(value: Decimal | None) -> str:
    """A figure exactly as `appraisal_results` writes it ("12.30"); "—" when there is none."""
    text = dec(value)
    return "—" if text is None else text


def signed(value: Decimal) -> str:
    text = fig(value)
    return text if value < 0 else f"+{text}"


def when(value) -> str:
    return local_time(value) or "—"


def day(value) -> str:
    """A date (an adjustment's): "2026-02-24"; a time is taken in Asia/Shanghai."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        value = value.astimezone(SHANGHAI).date()
    return value.isoformat()


def no_items() -> str:
    return "无。"
