"""The years, a year's page with its steps and checklist, the step button, the settings."""

from __future__ import annotations

from collections import defaultdict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core import access
from core.errors import Conflict
from core.forms import hidden_value

from .. import policies, posted
from ..forms.year import SettingsForm, YearCreateForm
from ..models import (
    OPEN_CORRECTION_STATES,
    AssessedUnit,
    AssessmentYear,
    Category,
    Correction,
    Indicator,
    YearStatus,
)
from ..models import STEPS as YEAR_STEPS
from ..results.rows import settings_rows
from ..selectors.catalogue import catalogue_digest
from ..selectors.year import year_checklist
from ..services.common import writable
from ..services.year import (
    SETTING_FIELDS,
    next_status,
    settings_messages,
    year_create,
    year_update_settings,
)
from ..services.year import year_advance as year_advance_service
from .common import back_to, show_errors, year_of_user


@login_required
def year_list(request):
    own = access.sub_district_id(request.user)
    if own is None or not access.memberships(request.user):
        raise PermissionDenied
    years = list(AssessmentYear.objects.filter(sub_district_id=own).order_by("-year"))
    form = None
    if policies.is_office(request.user):
        form = YearCreateForm(request.POST or None, initial={"number": _next_free_year(years)})
        form.fields["copy_from"].choices = [("", _("— the four categories of Art. 4 —"))] + [
            (y.pk, str(y.year)) for y in years
        ]
        if request.method == "POST" and form.is_valid():
            source = next((y for y in years if y.pk == form.cleaned_data["copy_from"]), None)
            try:
                year = year_create(
                    acting_user=request.user, number=form.cleaned_data["number"], copy_from=source
                )
            except ValidationError as exc:
                show_errors(request, exc)
            else:
                messages.success(request, _("Year %(year)s created.") % {"year": year.year})
                return redirect("appraisal:year", year.year)
    elif request.method == "POST":
        raise PermissionDenied
    return render(request, "appraisal/year_list.html", {"years": years, "form": form})


def _next_free_year(years: list[AssessmentYear]) -> int:
    """The first year from this one on that the sub-district has no assessment of."""
    taken = {y.year for y in years}
    number = timezone.localdate().year
    while number in taken:
        number += 1
    return number


STEPS = [(status, YearStatus(status).label) for status in YEAR_STEPS]


BY_SELFEVAL_HIDDEN = (YearStatus.PLANNING, YearStatus.IN_PROGRESS)


@login_required
def year_detail(request, number: int):
    year = year_of_user(request, number)
    user = request.user
    categories = list(
        Category.objects.filter(year=year).select_related("lead_unit").order_by("sort_order")
    )
    indicators = defaultdict(list)
    for ind in Indicator.objects.filter(year=year).order_by("code"):
        indicators[ind.category_id].append(ind)
    scorable = {c.pk for c in categories if policies.can_score(user, c)}
    # Art. 5: while the year is planned the Office edits every category, a department its own.
    drafting = year.status == YearStatus.PLANNING and writable(year)
    draftable = {c.pk for c in categories if drafting and policies.can_draft(user, c)}
    open_correction = (
        Correction.objects.filter(year=year, state__in=OPEN_CORRECTION_STATES)
        .select_related("requested_by")
        .first()
    )
    target = next_status(year)
    can_advance = _may_advance(user, year) and year.status not in BY_PROCESS
    # Art. 12, 14–16: what is still open before 年末考核 and before 已决定 (the Office's checklist).
    checklist = (
        year_checklist(year, now=timezone.now(), categories=categories)
        if policies.sees_all(user)
        else None
    )
    verifying = policies.is_office(user) and (
        year.status == YearStatus.YEAR_END or (year.inputs_closed and writable(year))
    )
    context = {
        "checklist": checklist,
        "verifying": verifying,
        "year": year,
        "steps": STEPS,
        "step_index": [s for s, _l in STEPS].index(year.status),
        "categories": [
            (c, indicators[c.pk], c.pk in scorable, c.pk in draftable) for c in categories
        ],
        "drafts": bool(draftable),
        "catalogue_digest": catalogue_digest(year) if drafting and policies.is_office(user) else "",
        "settings_rows": settings_rows(year),
        "is_office": policies.is_office(user),
        "is_leader": policies.is_leader(user),
        "sees_all": policies.sees_all(user),
        "is_community": bool(policies.community_ids(user)),
        # Art. 15: the self-evaluation, from the year-end appraisal on.
        "reads_selfevals": policies.may_read_all_selfevals(user),
        "own_selfevals": list(
            AssessedUnit.objects.filter(
                year=year, unit_id__in=policies.community_ids(user)
            ).values_list("code", flat=True)
        )
        if policies.community_ids(user) and year.status not in BY_SELFEVAL_HIDDEN
        else [],
        "results_visible": policies.results_visible(user, year),
        "can_advance": can_advance,
        "by_process": year.status in BY_PROCESS,
        "next_status": YearStatus(target).label if target else None,
        "writable": writable(year),
        "open_correction": open_correction,
        "units_count": AssessedUnit.objects.filter(year=year).count(),
        # Settings stored before they had ranges (domain.settings) are named, not computed on.
        "settings_problems": [
            f"{AssessmentYear._meta.get_field(field).verbose_name}: {text}"
            for field, texts in settings_messages(
                {f: getattr(year, f) for f in SETTING_FIELDS}, year_number=year.year
            ).items()
            for text in texts
        ],
    }
    return render(request, "appraisal/year_detail.html", context)


# The transitions that are steps of the year-end process (workflows.flows.year_end).
BY_PROCESS = (YearStatus.IN_PROGRESS, YearStatus.YEAR_END, YearStatus.DECIDED)


def _may_advance(user, year) -> bool:
    target = next_status(year)
    return target is not None and (
        policies.is_office(user) or (target == YearStatus.PUBLISHED and policies.is_leader(user))
    )


@login_required
@require_http_methods(["GET", "POST"])
def year_advance(request, number: int):
    year = year_of_user(request, number)
    if request.method == "GET":
        # A reload of the address a refused step left in the browser: back to the year page.
        return redirect("appraisal:year", number)
    if next_status(year) is not None and not _may_advance(request.user, year):
        raise PermissionDenied  # a closed year is the service's 409
    # The button names the status it moves the year from; without it a double click could not
    # be told from a second step (a missing field is an error, never blank).
    expected = hidden_value(
        request.POST, "expected_status", label=_("the year's status as the page showed it")
    )
    if expected in BY_PROCESS and expected == year.status:
        # Art. 14–16: the year-end appraisal, the decision and the publication are the steps of
        # the year-end process (its start form, the Leading Group's decision task, the Office's
        # publish task), not a button.
        raise Conflict(
            _(
                "The year-end appraisal, the decision and the publication go through the "
                "year-end process. Nothing was done."
            ),
            url=f"/year-end/{year.year}/",
        )
    try:
        year = year_advance_service(
            year_id=year.pk,
            acting_user=request.user,
            expected_status=expected,
            # Art. 12: deciding before every period is due needs a stated reason (optional
            # field: the form shows it only then).
            override_reason=request.POST.get("override_reason") or None,
        )
    except ValidationError as exc:
        show_errors(request, exc)
        return back_to("appraisal:year", number, status=303)
    messages.success(
        request, _("The year is now: %(status)s.") % {"status": year.get_status_display()}
    )
    return redirect("appraisal:year", number)


@login_required
def year_settings(request, number: int):
    year = year_of_user(request, number)
    access.require_action(request.user, year, "edit_settings")
    initial = {
        "rank_bonus_text": ", ".join(year.rank_bonus),
        "bottom_penalty_text": ", ".join(year.bottom_penalty),
        "grade_bands_text": ", ".join(f"{b['grade']}:{b['min']}" for b in year.grade_bands),
    }
    form = SettingsForm(request.POST or None, instance=year, initial=initial, year_number=year.year)
    if request.method == "POST":
        absent = posted.missing(request.POST, posted.form_fields(form))
        if absent:
            posted.refuse(request, absent)
            form = SettingsForm(instance=year, initial=initial, year_number=year.year)
            context = {"year": year, "form": form}
            return render(request, "appraisal/year_settings.html", context, status=400)
    if request.method == "POST" and form.is_valid():
        values = form.values()
        try:
            year_update_settings(year_id=year.pk, acting_user=request.user, values=values)
        except ValidationError as exc:
            show_errors(request, exc)
        else:
            messages.success(request, _("Settings saved."))
            return redirect("appraisal:year", number)
    return render(request, "appraisal/year_settings.html", {"year": year, "form": form})
