"""Results pages (scoring.md §7, Art. 16): the ranking, one unit's drill-down, the Excel
export, the Leading Group's full-marks exceptions and the Office's what-if sandbox.

Before publication every page calls `results.compute()` (a fixed number of queries). Once the
year is published (Art. 16), the pages show its current published version (results.versions):
what communities and departments see no longer moves when a correction changes an input. The
Office, the Leading Group, auditors and administrators may ask for the live figures (`?draft=1`),
labelled 未公布 and compared with the published version; every page lists the versions with what
changed and why (a community: its own changes only).

Who sees what. The year is the one of the user's own sub-district with that number (404
otherwise); the page needs `policies.results_visible` (403 otherwise):
- the Office, the Leading Group, auditors and administrators: every unit and every figure;
- lead departments: the whole ranking and every unit's drill-down (kept simple: they score
  across all units, and the ranking is what the Leading Group decides). Bonus-claim titles and
  fraud reasons are not theirs to read (ClaimPolicy, FraudPolicy): they see the figures, the
  claim's number and level, and that a fraud finding zeroed a category;
- communities: once the year is published, only their own row, their own drill-down (404 for
  another unit's) and their own row in the export; no full-marks checks, which name other units.
  A fraud finding against them shows as such; its reason stays with those who see everything.

Only `results_exception` writes (through full_marks_exception_record); the what-if page
answers a GET and writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core import access
from core.downloads import xlsx_response

from .. import policies
from ..files.results import ranking_xlsx
from ..forms.results import whatif_ids, whatif_scores
from ..models import (
    AssessedUnit,
    AssessmentYear,
    BonusClaim,
    ClaimState,
    FraudFinding,
    FraudState,
    Indicator,
    ResultsVersion,
    Score,
)
from ..results import Computed, Overrides, compute, versions
from ..results import rows as result_rows
from ..selectors.selfeval import latest_submitted
from ..services.common import writable
from ..services.inputs import full_marks_exception_record

RANKING_PAGE_SIZE = 100


# ---------------------------------------------------------------- access


def _year(request, number: int) -> AssessmentYear:
    """The user's sub-district's year `number` (404), if its results are theirs to see (403)."""
    year = access.get_visible_or_404(request.user, AssessmentYear, year=number)
    if not policies.results_visible(request.user, year):
        raise PermissionDenied
    return year


@dataclass(frozen=True)
class Shown:
    """The figures a page shows: live, or a published version (Art. 16)."""

    computed: Computed
    draft: bool  # live figures of a published year: not published (未公布)
    version: ResultsVersion | None  # the version shown, or the one a draft is compared with
    all_versions: tuple[ResultsVersion, ...]  # oldest first

    @property
    def settings(self) -> dict | None:
        """The settings the shown figures were computed with (None: the year's own)."""
        return None if self.draft or self.version is None else self.version.settings_used


def _shown(request, year: AssessmentYear, *, details) -> Shown:
    """A year not yet published: the live figures. A published one: its current version, or
    for those who see everything and ask for it (`?draft=1`) the live figures as a draft. A
    year published before versions were stored has none: its live figures."""
    if not year.frozen:
        return Shown(compute(year, details=details), False, None, ())
    stored = tuple(versions.version_list(year))
    if not stored:
        return Shown(compute(year, details=details), False, None, ())
    current = stored[-1]
    if request.GET.get("draft") == "1" and versions.sees_draft(request.user):
        # Every indicator of the draft, so that its changes can be named.
        return Shown(compute(year, details=details or True), True, current, stored)
    return Shown(versions.computed_of(current), False, current, stored)


def _version_context(request, shown: Shown, codes) -> dict:
    """The version list (a community: its own changes) and, for a draft, what differs from the
    published version."""
    draft_changes = []
    if shown.draft:
        draft_changes = versions.diff(shown.version.figures, versions.snapshot(shown.computed))
        if codes is not None:
            draft_changes = [c for c in draft_changes if c.unit in codes]
    return {
        "draft": shown.draft,
        "shown_version": shown.version,
        "version_list": versions.history(list(shown.all_versions), codes),
        "draft_changes": draft_changes,
        "can_draft": bool(shown.all_versions) and versions.sees_draft(request.user),
    }


def _own_codes(user, computed: Computed) -> frozenset[str] | None:
    """None when the user sees every unit; otherwise the codes of their own communities."""
    if policies.sees_all(user) or policies.lead_units(user):
        return None
    mine = policies.community_ids(user)
    return frozenset(code for code, unit in computed.units.items() if unit.unit_id in mine)


# ---------------------------------------------------------------- the ranking


def _full_marks(computed: Computed, *, can_record: bool) -> list[dict]:
    """Art. 4: each category's full-marks check, with the category and whether the Leading Group
    may record (or re-word) an exception for it here."""
    categories = {c.code: c for c in computed.categories}
    # Art. 3: in the regulation's order of the categories (computed.categories), not by code
    order = {code: i for i, code in enumerate(categories)}
    return [
        {
            "check": check,
            "category": categories.get(check.category),
            "can_record": can_record and check.breaks_cap and check.category in categories,
        }
        for check in sorted(
            computed.results.full_marks, key=lambda c: order.get(c.category, len(order))
        )
    ]


@login_required
@require_GET
def results(request, number: int):
    """Finalisable state, the full-marks checks, the ranking with every figure, the settings."""
    year = _year(request, number)
    shown = _shown(request, year, details=False)  # counts of exclusions, not each one's times
    computed = shown.computed
    codes = _own_codes(request.user, computed)
    community_view = codes is not None
    rows = result_rows.ranking_rows(computed, codes)
    page = Paginator(rows, RANKING_PAGE_SIZE).get_page(request.GET.get("page"))
    checks = []
    if not community_view:
        can_record = policies.is_leader(request.user) and writable(year)
        checks = _full_marks(computed, can_record=can_record)
    context = {
        "year": year,
        "computed": computed,
        "results": computed.results,
        "categories": computed.categories,
        "page_obj": page,
        "rows": page.object_list,
        "community_view": community_view,
        "checks": checks,
        "blocking": [c for c in checks if c["check"].blocks_finalisation],
        "settings_rows": result_rows.settings_rows(year, shown.settings),
        "can_whatif": policies.is_office(request.user),
        **_version_context(request, shown, codes),
    }
    return render(request, "appraisal/results.html", context)


@login_required
@require_POST
def results_exception(request, number: int):
    """The Leading Group allows a category to break the full-marks cap, with a reason (Art. 4).

    403 for anyone else and 409 for a frozen year (both raised by the service); a missing
    reason or an unknown category comes back as a message on the results page."""
    year = _year(request, number)
    try:
        category_id = int(request.POST.get("category", ""))
    except ValueError:
        category_id = None  # the service answers "choose a category of this year"
    try:
        exception = full_marks_exception_record(
            year_id=year.pk,
            acting_user=request.user,
            category_id=category_id,
            reason=request.POST.get("reason", ""),
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("Exception recorded for %(category)s.") % {"category": exception.category.name},
        )
    return redirect("appraisal:results", number=number)


# ---------------------------------------------------------------- one unit


def _unit_context(computed: Computed, code: str, *, claim_titles: bool, fraud_reasons: bool):
    unit = computed.results.unit(code)
    # The lead departments' opinions (意见) per cell, for the feedback letter (Art. 16)
    opinions = dict(
        Score.objects.filter(year=computed.year, unit_id=computed.units[code].unit_id)
        .exclude(comment="")
        .values_list("indicator__code", "comment")
    )
    categories = []
    for cat in unit.categories:
        indicators = [
            {
                "result": ind,
                "source": result_rows.source_label(ind.source),
                "capped": ind.score < ind.raw_score,
                "opinion": opinions.get(ind.code, ""),
                "exclusions": [
                    {
                        "period": ex.period,
                        "reason": result_rows.report_reason_label(ex.reason),
                        "late": ex.reason == "late",
                        "due": result_rows.local_time(ex.due),
                        "submitted": result_rows.local_time(ex.submitted),
                        # Results are year-end results (scoring.md §1): a period not yet due
                        # counts as missing; say so, so that nobody reads it as a lapse.
                        # Once the year is decided the count is final, not interim.
                        "not_yet_due": not computed.year.inputs_closed
                        and ex.submitted is None
                        and ex.due is not None
                        and ex.due > computed.results.as_of,
                    }
                    for ex in ind.exclusions
                ],
            }
            for ind in cat.indicators
        ]
        categories.append(
            {
                "result": cat,
                "indicators": indicators,
                "fraud_reason": cat.fraud.reason if cat.fraud and fraud_reasons else "",
            }
        )

    def claims(items):
        return [
            {
                "result": c,
                "label": result_rows.claim_label(computed, c, titles=claim_titles),
                "level": result_rows.level_label(c.claim.level),
                "declared": result_rows.local_time(c.claim.declared_at),
                "deadline": result_rows.local_time(c.claim.deadline),
                "publicity": result_rows.local_time(c.claim.publicity_ends_at),
                "reasons": [result_rows.claim_reason_label(r) for r in c.reasons],
            }
            for c in items
        ]

    votes = [
        (_("Debriefing appraisal"), unit.debriefing),
        (_("Democratic evaluation"), unit.democratic),
    ]
    return {
        "unit": unit,
        "row": result_rows.ranking_rows(computed, [code])[0],
        "unit_categories": categories,
        "claims_counted": claims(unit.claims_counted),
        "claims_not_counted": claims(unit.claims_not_counted),
        "votes": votes,
    }


@login_required
@require_GET
def results_unit(request, number: int, code: str):
    """One unit: every indicator with its cap and exclusions, adjustments, fraud, bonus claims
    counted and not (and why), both votes, and every figure down to the grade."""
    year = _year(request, number)
    shown = _shown(request, year, details=[code])
    computed = shown.computed
    codes = _own_codes(request.user, computed)
    if code not in computed.units or (codes is not None and code not in codes):
        raise Http404
    user = request.user
    sees_all = policies.sees_all(user)
    own = computed.units[code].unit_id in policies.community_ids(user)
    context = {
        "year": year,
        "computed": computed,
        "results": computed.results,
        "assessed": computed.units[code],
        "community_view": codes is not None,
        "draft": shown.draft,
        "shown_version": shown.version,
        # Art. 12, 15: the self-evaluation the joint team verified, marked when it came late.
        "selfeval": latest_submitted(year_id=year.pk, unit_id=computed.units[code].unit_id),
        **_unit_context(computed, code, claim_titles=sees_all or own, fraud_reasons=sees_all),
    }
    return render(request, "appraisal/results_unit.html", context)


# ---------------------------------------------------------------- the export


@login_required
@require_GET
def results_export(request, number: int):
    """The ranking with every column, the settings and every exclusion, as the page shows them
    (a community gets its own row only)."""
    year = _year(request, number)
    shown = _shown(request, year, details=True)
    computed = shown.computed
    codes = _own_codes(request.user, computed)
    rows = result_rows.ranking_rows(computed, codes)
    # Claim titles: those who see every claim, and a community its own (ClaimPolicy).
    titles = policies.sees_all(request.user) or codes is not None
    return xlsx_response(
        ranking_xlsx(
            computed,
            rows,
            claim_titles=titles,
            fraud_reasons=policies.sees_all(request.user),
            settings_data=shown.settings,
        ),
        ascii_name=f"results-{year.year}.xlsx",
        name=f"考核结果-{year.year}.xlsx",
    )


# ---------------------------------------------------------------- what-if


def _comparison(real: Computed, sandbox: Computed) -> list[dict]:
    """Each unit, real beside sandbox, in sandbox rank order; what changed is marked."""
    before = {u.unit_id: u for u in real.results.units}
    rows = []
    for after in sandbox.results.units:
        was = before[after.unit_id]
        given = after.unit_id in real.comprehensive_given
        changed = {
            "rank": was.rank != after.rank,
            "bottom": was.bottom_position != after.bottom_position,
            "performance": was.performance != after.performance,
            "total": was.total != after.total,
            "adjustment": was.comprehensive_adjustment != after.comprehensive_adjustment,
            "grade": given and was.grade != after.grade,
        }
        rows.append(
            {
                "code": after.unit_id,
                "name": after.name,
                "real": was,
                "sandbox": after,
                "given": given,
                "changed": changed,
                "any": any(changed.values()),
                "rank_up": after.rank < was.rank,
                "rank_move": abs(was.rank - after.rank),
                "total_delta": after.total - was.total,
            }
        )
    return rows


@login_required
@require_GET
def results_whatif(request, number: int):
    """The Office's sandbox: treat claims as approved or rejected, fraud findings as upheld or
    dismissed, change scores, and see the ranking beside the real one. Nothing is saved: the
    form is a GET and the changes live in `results.Overrides` only."""
    year = _year(request, number)
    if not policies.is_office(request.user):
        raise PermissionDenied
    units = {u.code: u for u in AssessedUnit.objects.filter(year=year).order_by("code")}
    names = {u.unit_id: u.name for u in units.values()}
    indicators = {i.code: i for i in Indicator.objects.filter(year=year).select_related("category")}
    claims = list(BonusClaim.objects.filter(year=year).order_by("sort_order", "id"))
    findings = list(
        FraudFinding.objects.filter(year=year).select_related("category").order_by("id")
    )
    for item in (*claims, *findings):
        item.unit_name = names.get(item.unit_id, "")
    pending = [c for c in claims if c.status != ClaimState.APPROVED]
    approved = [c for c in claims if c.status == ClaimState.APPROVED]
    open_findings = [f for f in findings if f.state != FraudState.UPHELD]
    upheld = [f for f in findings if f.state == FraudState.UPHELD]

    params = request.GET
    errors: list[str] = []
    overrides = Overrides(
        approve_claims=whatif_ids(
            params,
            "approve",
            {c.pk for c in pending},
            _("There is no bonus claim “%(value)s” awaiting approval."),
            errors,
        ),
        reject_claims=whatif_ids(
            params,
            "reject",
            {c.pk for c in approved},
            _("There is no approved bonus claim “%(value)s”."),
            errors,
        ),
        uphold_fraud=whatif_ids(
            params,
            "uphold",
            {f.pk for f in open_findings},
            _("There is no fraud finding “%(value)s” to uphold."),
            errors,
        ),
        dismiss_fraud=whatif_ids(
            params,
            "dismiss",
            {f.pk for f in upheld},
            _("There is no upheld fraud finding “%(value)s”."),
            errors,
        ),
    )
    score_rows, overrides.scores = whatif_scores(params, units, indicators, errors)

    submitted = "run" in params
    comparison = real = sandbox = None
    if submitted and not errors:
        # One instant for both, so that only the overrides differ.
        real = compute(year, details=False)
        sandbox = compute(year, as_of=real.results.as_of, overrides=overrides, details=False)
        comparison = _comparison(real, sandbox)
        if not overrides:
            messages.info(request, _("No change chosen: the sandbox equals the real results."))
    context = {
        "year": year,
        "pending": pending,
        "approved": approved,
        "open_findings": open_findings,
        "upheld": upheld,
        "units": list(units.values()),
        # grouped by category in the regulation's order, for the choice lists
        "indicators": sorted(
            indicators.values(), key=lambda i: (i.category.sort_order, i.category_id, i.code)
        ),
        "score_rows": score_rows,
        "chosen": {
            "approve": overrides.approve_claims,
            "reject": overrides.reject_claims,
            "uphold": overrides.uphold_fraud,
            "dismiss": overrides.dismiss_fraud,
        },
        "errors": errors,
        "submitted": submitted,
        "real": real,
        "sandbox": sandbox,
        "comparison": comparison,
        "changed_units": sum(1 for r in comparison or () if r["any"]),
    }
    return render(request, "appraisal/results_whatif.html", context)
