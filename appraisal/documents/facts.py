"""What the year's documents say, read from the database once (a fixed number of queries for
the whole year, whatever the number of communities: the letters add none)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.utils import timezone

from core.documents.selectors import leading_group_name
from core.models import SubDistrict
from rectification.models import PlanItem, PlanItemState

from ..models import (
    AssessedUnit,
    AssessmentYear,
    CategoryVerification,
    Score,
    VerificationEntry,
    YearStatus,
)
from ..results import compute
from ..results.compute import SHANGHAI, Computed
from ..results.versions import computed_of, current_version

PUBLISHED = (YearStatus.PUBLISHED, YearStatus.CLOSED)


@dataclass(frozen=True)
class CarriedItem:
    """An item of the community's previous plan not closed (销号) yet: the next letter lists it
    again (Art. 20, 整改一项、销号一项)."""

    id: int
    position: int
    problem: str
    state: str  # rectification's PlanItemState
    category: str = ""  # the item's category and indicator codes (its lead department follows)
    indicator: str = ""


class NotPublished(ValueError):
    """Final (not draft) documents were asked for a year whose results are not published."""


@dataclass
class YearFacts:
    year: AssessmentYear
    computed: Computed
    draft: bool
    sub_district: SubDistrict
    organ: str  # the issuing organ (发文机关): the sub-district's Leading Group
    signature: str
    date: date  # 成文日期: the publication date, or today for a draft
    number: str  # the bulletin's 发文字号 ("" for a draft)
    units: dict[str, AssessedUnit]  # code → assessed unit
    # (unit code, indicator code) → the lead department's opinion / the joint team's comment
    opinions: dict[tuple[str, str], str] = field(default_factory=dict)
    team_comments: dict[tuple[str, str], str] = field(default_factory=dict)
    # unit code → the previous year's plan items not closed, in the plan's order (Art. 20)
    carried: dict[str, list[CarriedItem]] = field(default_factory=dict)

    @property
    def unit_count(self) -> int:
        return len(self.computed.results.units)


def year_facts(year: AssessmentYear, *, draft: bool | None = None) -> YearFacts:
    """draft=None: final for a published year, draft otherwise. draft=False for a year that is
    not published raises NotPublished (a final document needs published figures)."""
    published = year.status in PUBLISHED
    version = current_version(year) if published else None
    if draft is None:
        draft = version is None
    if not draft and version is None:
        raise NotPublished(f"{year.year}年度考核结果尚未公布 / the results are not published")
    computed = computed_of(version) if version is not None else compute(year)
    sub_district = year.sub_district
    units = {u.code: u for u in AssessedUnit.objects.filter(year=year).select_related("unit")}
    code_of = {u.unit_id: u.code for u in units.values()}

    opinions = {}
    for unit_id, indicator, comment in (
        Score.objects.filter(year=year)
        .exclude(comment="")
        .values_list("unit_id", "indicator__code", "comment")
    ):
        if unit_id in code_of:
            opinions[(code_of[unit_id], indicator)] = comment.strip()

    # The joint team's comments of each category's latest round (Art. 14), the last entry per cell.
    latest: dict[int, int] = {}
    for pk, category_id in (
        CategoryVerification.objects.filter(year=year)
        .order_by("category_id", "round")
        .values_list("pk", "category_id")
    ):
        latest[category_id] = pk
    team_comments = {}
    for unit_id, indicator, comment in (
        VerificationEntry.objects.filter(verification_id__in=latest.values())
        .order_by("pk")
        .values_list("unit_id", "indicator__code", "comment")
    ):
        if unit_id in code_of:
            key = (code_of[unit_id], indicator)
            if comment.strip():
                team_comments[key] = comment.strip()
            else:
                team_comments.pop(key, None)

    carried = carried_items(year, code_of)

    if version is not None:
        when = version.published_at.astimezone(SHANGHAI).date()
        number = getattr(version, "document_number", "") or ""
    else:
        when = timezone.now().astimezone(SHANGHAI).date()
        number = ""
    organ = leading_group_name(sub_district)
    return YearFacts(
        year=year,
        computed=computed,
        draft=draft,
        sub_district=sub_district,
        organ=organ,
        signature=organ,
        date=when,
        number=number,
        units=units,
        opinions=opinions,
        team_comments=team_comments,
        carried=carried,
    )


def carried_items(year: AssessmentYear, code_of: dict[int, str]) -> dict[str, list[CarriedItem]]:
    """The items of each community's plan for the previous assessment year (year - 1) not
    closed, by unit code (one query for all communities; Art. 20)."""
    out: dict[str, list[CarriedItem]] = {}
    if not code_of:
        return out
    rows = (
        PlanItem.objects.filter(
            plan__sub_district_id=year.sub_district_id,
            plan__year=year.year - 1,
            plan__unit_id__in=list(code_of),
        )
        .exclude(state=PlanItemState.CLOSED)
        .order_by("plan__unit_id", "position")
        .values_list(
            "pk", "plan__unit_id", "position", "problem", "state", "category_code", "indicator_code"
        )
    )
    for pk, unit_id, position, problem, state, category, indicator in rows:
        out.setdefault(code_of[unit_id], []).append(
            CarriedItem(pk, position, problem, state, category, indicator)
        )
    return out
