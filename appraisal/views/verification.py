"""The joint team's verification of a category (Art. 14): per community and indicator, side by
side, the self-score with its note, the department's score with its opinion, the reports counted
and excluded with the cap, and the verified value with a comment; differences beyond the
threshold are marked. The member who holds the task enters values; the team leader signs off."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core import workitems
from core.forms import hidden_value

from .. import policies
from ..models import (
    VERIFICATION_THRESHOLD,
    AssessedUnit,
    Category,
    CategoryVerification,
    Indicator,
    Score,
    TeamMember,
    VerificationEntry,
)
from ..results import compute
from ..services import team as team_services
from .common import year_of_user


def _self_scores(year, category) -> dict:
    """The communities' self-scores (appraisal.selectors.selfeval), if that step exists."""
    try:
        from ..selectors.selfeval import self_scores
    except ImportError:  # the self-evaluation step is not installed in this build
        return {}
    return self_scores(year_id=year.pk, category_id=category.pk)


def _dec(value) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _differs(*values) -> Decimal | None:
    known = [v for v in values if v is not None]
    if len(known) < 2:
        return None
    spread = max(known) - min(known)
    return spread if spread > VERIFICATION_THRESHOLD else None


def _grid(year, category, verification, posted=None):
    units = list(AssessedUnit.objects.filter(year=year).order_by("code"))
    indicators = list(Indicator.objects.filter(category=category).order_by("sort_order", "code"))
    scores = {
        (s.unit_id, s.indicator_id): s
        for s in Score.objects.filter(year=year, indicator__category=category)
    }
    selfs = _self_scores(year, category)
    # Each indicator's reports and cap for every unit: only a detailed run lists indicators.
    results = compute(year, as_of=timezone.now(), details=True).results
    by_code = {
        u.unit_id: {
            i.code: i for c in u.categories if c.code == category.code for i in c.indicators
        }
        for u in results.units
    }
    latest = team_services.latest_entries(verification) if verification else {}
    earlier = {}
    if verification and verification.round > 1:
        previous = CategoryVerification.objects.filter(
            year=year, category=category, round=verification.round - 1
        ).first()
        if previous:
            earlier = team_services.latest_entries(previous)
    rows = []
    for unit in units:
        cells = []
        for ind in indicators:
            key = (unit.unit_id, ind.pk)
            score = scores.get(key)
            own = selfs.get(key)
            result = by_code.get(unit.code, {}).get(ind.code)
            entry = latest.get(key)
            verified = score.verified_score if score else None
            value = posted.get(f"v-{unit.unit_id}-{ind.pk}") if posted else None
            comment = posted.get(f"c-{unit.unit_id}-{ind.pk}") if posted else None
            self_score = getattr(own, "score", None)
            department = score.department_score if score else None
            cells.append(
                {
                    "ind": ind,
                    "key": f"{unit.unit_id}-{ind.pk}",
                    "self_score": self_score,
                    "self_note": getattr(own, "note", ""),
                    "self_late": getattr(own, "late", False),
                    "department": department,
                    "opinion": score.comment if score else "",
                    "result": result,
                    "verified": verified,
                    "value": value if value is not None else ("" if verified is None else verified),
                    "comment": comment if comment is not None else (entry.comment if entry else ""),
                    "previous": earlier.get(key),
                    "difference": _differs(self_score, department, verified),
                }
            )
        rows.append(
            {"unit": unit, "cells": cells, "flagged": sum(1 for c in cells if c["difference"])}
        )
    return rows


@login_required
@require_http_methods(["GET", "POST"])
def verification(request, number: int, code: str):
    year = year_of_user(request, number)
    category = Category.objects.filter(year=year, code=code).select_related("lead_unit").first()
    if category is None:
        raise Http404
    if not team_services.may_read_verification(request.user, year, category):
        raise PermissionDenied
    verification = (
        CategoryVerification.objects.filter(year=year, category=category).order_by("-round").first()
    )
    item = workitems.open_item_of(subject=verification) if verification else None
    member = team_services.is_team_member(request.user, year, category)
    leader = team_services.is_team_leader(request.user, year)
    errors, posted, status = {}, None, 200
    if request.method == "POST":
        if verification is None or not (member or leader):
            raise PermissionDenied
        action = hidden_value(request.POST, "action", label=_("the action"))
        raw_version = hidden_value(request.POST, "version", label=_("the page's version"))
        version = int(raw_version) if raw_version.isdigit() else -1
        if action == "signoff":
            team_services.verification_signoff(
                verification_id=verification.pk, acting_user=request.user, expected_version=version
            )
            messages.success(request, _("The category's verification is signed off."))
            return redirect("yearend_process", year.year)
        if action != "save":
            raise Http404
        cells = []
        for unit in AssessedUnit.objects.filter(year=year):
            for ind in Indicator.objects.filter(category=category):
                key = f"{unit.unit_id}-{ind.pk}"
                cells.append(
                    team_services.VerifiedCell(
                        unit_id=unit.unit_id,
                        indicator_id=ind.pk,
                        value=hidden_value(
                            request.POST, f"v-{key}", label=f"{unit.name} · {ind.code}"
                        ),
                        comment=hidden_value(
                            request.POST,
                            f"c-{key}",
                            label=f"{unit.name} · {ind.code} · {_('Comment')}",
                        ),
                    )
                )
        try:
            changed = team_services.verification_save(
                verification_id=verification.pk,
                acting_user=request.user,
                cells=cells,
                expected_version=version,
            )
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
            posted = request.POST
            status = 400
        else:
            messages.success(
                request,
                _("%(n)s values saved.") % {"n": changed} if changed else _("Nothing changed."),
            )
            return redirect("appraisal:verification", year.year, category.code)
    holder = item.holder if item else None
    others = [
        m.user
        for m in TeamMember.objects.filter(year=year, category=category)
        .exclude(user=request.user)
        .select_related("user")
    ]
    rows = _grid(year, category, verification, posted)
    for row in rows:
        for cell in row["cells"]:
            cell["error"] = errors.get(f"v-{cell['key']}") or errors.get(f"c-{cell['key']}")
    context = {
        "year": year,
        "category": category,
        "verification": verification,
        "rounds": CategoryVerification.objects.filter(year=year, category=category).order_by(
            "round"
        ),
        "rows": rows,
        "item": item,
        "holder": holder,
        "is_member": member,
        "is_leader": leader,
        "can_edit": bool(
            verification
            and verification.state == "open"
            and holder
            and holder.pk == request.user.pk
        ),
        "can_signoff": bool(leader and verification and verification.state == "open"),
        "others": others,
        "threshold": VERIFICATION_THRESHOLD,
        "errors": errors,
        "entries": VerificationEntry.objects.filter(verification=verification).count()
        if verification
        else 0,
        "is_office": policies.is_office(request.user),
    }
    return render(request, "appraisal/verification/category.html", context, status=status)


@login_required
def team(request, number: int):
    """The year's joint team (Art. 14), for everyone but the communities."""
    year = year_of_user(request, number)
    if not (policies.sees_all(request.user) or policies.lead_units(request.user)):
        raise PermissionDenied
    members = TeamMember.objects.filter(year=year).select_related("user", "category")
    return render(
        request,
        "appraisal/verification/team.html",
        {
            "year": year,
            "leader": next((m.user for m in members if m.is_leader), None),
            "by_category": [
                (c, [m.user for m in members if m.category_id == c.pk])
                for c in Category.objects.filter(year=year).order_by("sort_order")
            ],
            "verifications": CategoryVerification.objects.filter(year=year).select_related(
                "category"
            ),
        },
    )
