"""What is still open in a year before its start (Art. 5), its year-end appraisal and its
decision (Art. 12, 14–16): the Office's checklist on the year page. Reads only; the transitions
in services refuse what the checklist marks as blocking.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Max, Q
from django.urls import reverse
from django.utils.translation import gettext as _

from core import workdays

from ..models import (
    AssessedUnit,
    AssessmentYear,
    BonusClaim,
    Category,
    ClaimState,
    Comprehensive,
    FraudFinding,
    FraudState,
    Report,
    Score,
    Vote,
    VoteKind,
    YearStatus,
    full_marks_allow_decision,
    no_open_correction,
)
from .scoring import reports_waiting_for_score


@dataclass(frozen=True)
class NotYetDue:
    count: int
    last_due: dt.date | None


def periods_not_yet_due(year: AssessmentYear, *, now: dt.datetime) -> NotYetDue:
    """Reports not filed whose period is not yet due: deciding now would count them as missing
    (Art. 12), though the community may still file them on time."""
    row = Report.objects.filter(year=year, submitted_at__isnull=True, due_at__gt=now).aggregate(
        n=Count("id"), last=Max("due_at")
    )
    last = row["last"]
    return NotYetDue(row["n"], last.astimezone(workdays.SHANGHAI).date() if last else None)


@dataclass(frozen=True)
class Undecided:
    claims: int
    findings: int


def undecided(year: AssessmentYear) -> Undecided:
    """Bonus claims (Art. 6) and fraud findings (Art. 19) still waiting for the Office or the
    Leading Group: the results cannot be decided around them."""
    return Undecided(
        BonusClaim.objects.filter(
            year=year, status__in=[ClaimState.DECLARED, ClaimState.OFFICE_REVIEWED]
        ).count(),
        FraudFinding.objects.filter(year=year, state=FraudState.PROPOSED).count(),
    )


@dataclass(frozen=True)
class CheckItem:
    """One line of the checklist: what is open, how many, where to see it."""

    key: str
    text: str
    count: int
    url: str
    # "block": the transition is refused; "override": refused unless the Office gives a reason;
    # "": for information.
    blocks: str = ""
    links: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Checklist:
    step: str  # the transition it prepares: "start", "open_year_end" or "decide"
    items: list[CheckItem]

    @property
    def open_items(self) -> list[CheckItem]:
        return [i for i in self.items if i.count]

    @property
    def blocked(self) -> bool:
        return any(i.count and i.blocks == "block" for i in self.items)

    @property
    def needs_override(self) -> bool:
        return any(i.count and i.blocks == "override" for i in self.items)


def year_checklist(
    year: AssessmentYear, *, now: dt.datetime, categories: list[Category] | None = None
) -> Checklist | None:
    """The checklist before the year's next transition, if that is 进行中, 年末考核 or 已决定."""
    if year.status == YearStatus.PLANNING:
        # Art. 5: the year starts on the catalogue the Office approved.
        return Checklist(
            "start",
            [
                CheckItem(
                    "catalogue_approval",
                    _("Catalogue not yet approved by the Office")
                    if year.catalogue_approved_at is None
                    else _("Catalogue approved by the Office"),
                    0 if year.catalogue_approved_at else 1,
                    reverse("appraisal:year", args=[year.year]) + "#catalogue",
                    blocks="block",
                )
            ],
        )
    if year.status == YearStatus.IN_PROGRESS:
        step = "open_year_end"
    elif year.status == YearStatus.YEAR_END:
        step = "decide"
    else:
        return None
    n = year.year
    reports_url = reverse("appraisal:reports", args=[n])
    if categories is None:
        categories = list(Category.objects.filter(year=year).order_by("sort_order"))
    items: list[CheckItem] = []

    not_due = periods_not_yet_due(year, now=now)
    items.append(
        CheckItem(
            "not_due",
            _("Report periods not yet due (the last on %(date)s)") % {"date": not_due.last_due}
            if not_due.count
            else _("Report periods not yet due"),
            not_due.count,
            f"{reports_url}?state=pending",
            blocks="override" if step == "decide" else "",
        )
    )

    # Indicators of a community with reports waiting for its department's score (the
    # department scores the indicator once for all its periods, scoring.md §1).
    pairs = (
        reports_waiting_for_score(Report.objects.filter(year=year))
        .values_list("indicator__category_id", "unit_id", "indicator_id")
        .distinct()
    )
    unscored: dict[int, int] = {}
    for category_id, _unit, _indicator in pairs:
        unscored[category_id] = unscored.get(category_id, 0) + 1
    links = [
        (f"{c.code} {c.name} · {unscored[c.pk]}", reverse("appraisal:scoring", args=[n, c.code]))
        for c in categories
        if unscored.get(c.pk)
    ]
    items.append(
        CheckItem(
            "unscored",
            _("Indicators with reports filed on time and not scored since (community × indicator)"),
            sum(unscored.values()),
            f"{reports_url}?state=on_time",
            links=links,
        )
    )

    if step == "decide":
        verified = set(
            Score.objects.filter(year=year, verified_score__isnull=False)
            .values_list("indicator__category_id", flat=True)
            .distinct()
        )
        missing = [c for c in categories if c.pk not in verified]
        items.append(
            CheckItem(
                "unverified",
                _("Categories without the joint team's verification"),
                len(missing),
                reverse("appraisal:scoring", args=[n, missing[0].code])
                if len(missing) == 1
                else "",
                links=[
                    (f"{c.code} {c.name}", reverse("appraisal:scoring", args=[n, c.code]))
                    for c in missing
                ],
            )
        )
        units = AssessedUnit.objects.filter(year=year).count()
        complete = (
            Vote.objects.filter(year=year)
            .values("unit_id")
            .annotate(k=Count("kind", distinct=True, filter=Q(kind__in=VoteKind.values)))
            .filter(k=len(VoteKind.values))
            .count()
        )
        items.append(
            CheckItem(
                "votes",
                _("Communities without both satisfaction tallies"),
                max(units - complete, 0),
                reverse("appraisal:inputs", args=[n]),
            )
        )
        waiting = undecided(year)
        items.append(
            CheckItem(
                "claims",
                _("Bonus claims awaiting the Office's review or the Leading Group's decision"),
                waiting.claims,
                reverse("appraisal:claims", args=[n]),
                blocks="block",
            )
        )
        items.append(
            CheckItem(
                "fraud",
                _("Fraud findings awaiting the Leading Group's decision"),
                waiting.findings,
                reverse("appraisal:fraud_list", args=[n]),
                blocks="block",
            )
        )
        given = Comprehensive.objects.filter(year=year).values("unit_id").distinct().count()
        items.append(
            CheckItem(
                "comprehensive",
                _("Communities without a comprehensive evaluation"),
                max(units - given, 0),
                reverse("appraisal:inputs", args=[n]),
            )
        )
        probe = AssessmentYear.objects.get(pk=year.pk)
        probe.as_of = now
        blocking = []
        if not full_marks_allow_decision(probe):
            blocking = [
                c.category for c in probe._decision_check[1].full_marks if c.blocks_finalisation
            ]
        items.append(
            CheckItem(
                "exceptions",
                _("Categories above the full-marks cap awaiting the Leading Group's exception")
                + (f": {', '.join(blocking)}" if blocking else ""),
                len(blocking),
                reverse("appraisal:results", args=[n]) + "?draft=1",
                blocks="block",
            )
        )
        items.append(
            CheckItem(
                "correction",
                _("Open correction"),
                0 if no_open_correction(year) else 1,
                reverse("appraisal:year", args=[n]),
                blocks="block",
            )
        )
    return Checklist(step, items)
