"""The Office's plan ledger (整改台账, Art. 20): every rectification item of the sub-district's
plans with its next milestone and light, counts per state, a table per community plan, the
export; and each plan's 对账销号单 (docx/PDF).

Thin: parse the filters, read through selectors_ledger (scoped by the items' policy), render."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import access, workitems
from core.downloads import attachment, xlsx_response
from core.forms import FastSelect
from core.models import Role

from ..forms import _unit_choices
from ..models import PlanItemState, RectificationPlan
from . import documents
from . import selectors_ledger as sel
from .policies import COMMUNITY_ROLES, SEE_ALL, sees_whole_plan

PAGE_SIZE = 50
# Who opens the ledger: those who see every plan, the lead departments (their category's items)
# and the communities (their own plan's items).
LEDGER_ROLES = (*SEE_ALL, Role.DEPT_ASSESSOR, *COMMUNITY_ROLES)


class PlanLedgerFilterForm(forms.Form):
    year = forms.TypedChoiceField(
        label=_("Assessment year"), required=False, coerce=int, empty_value=None
    )
    community = forms.TypedChoiceField(
        label=_("Community"), required=False, coerce=int, empty_value=None, widget=FastSelect
    )
    category = forms.ChoiceField(label=_("Category"), required=False)
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[("", _("All")), *PlanItemState.choices],
    )
    overdue = forms.BooleanField(label=_("With overdue milestones"), required=False)
    repeated = forms.BooleanField(label=_("Repeated problems only"), required=False)

    def __init__(self, *args, years, categories, communities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [("", _("All")), *[(y, str(y)) for y in years]]
        self.fields["community"].choices = [("", _("All")), *communities]
        self.fields["category"].choices = [
            ("", _("All")),
            *[(code, f"{code} {name}") for code, name in categories],
        ]
        for field in self.fields.values():
            if type(field.widget) is forms.Select:
                field.widget = FastSelect(choices=field.choices)

    def filters(self) -> sel.LedgerFilters:
        if not self.is_valid():
            return sel.LedgerFilters()
        d = self.cleaned_data
        return sel.LedgerFilters(
            year=d["year"],
            community=d["community"],
            category=d["category"],
            state=d["state"],
            overdue=d["overdue"],
            repeated=d["repeated"],
        )


def _communities(user) -> list[tuple[int, str]]:
    communities, _issuers = _unit_choices(user.sub_district_id)
    if access.has_role(user, *SEE_ALL, Role.DEPT_ASSESSOR):
        return communities
    own = access.units_for(user, *COMMUNITY_ROLES)
    return [(pk, name) for pk, name in communities if pk in own]


def _ledger(request):
    """The filter form and the filters; without a year asked for (year= is "all"), the newest
    year's plans."""
    user = request.user
    if not access.has_role(user, *LEDGER_ROLES):
        raise PermissionDenied
    years, categories = sel.filter_choices(user)
    data = request.GET.copy()
    if years and "year" not in data:
        data["year"] = str(years[0])
    form = PlanLedgerFilterForm(
        data,
        years=years,
        categories=categories,
        communities=_communities(user),
    )
    return form, form.filters()


@login_required
def plan_ledger(request):
    form, filters = _ledger(request)
    now = timezone.now()
    thresholds = workitems.light_thresholds()
    base = sel.filtered(user=request.user, filters=filters, now=now)
    items = sel.with_state(base, filters)
    rows = sel.ordered(sel.with_next_milestone(items)).values(*sel.LIST_COLUMNS)
    paginator = Paginator(rows, PAGE_SIZE)
    paginator.count = items.count()
    page = paginator.get_page(request.GET.get("page"))
    for row in page:
        sel.list_row(row, thresholds)
    context = {
        "form": form,
        "filters": filters,
        "counts": sel.state_counts(base),
        "plans": sel.community_table(base, now=now),
        "page_obj": page,
        "sees_documents": access.has_role(request.user, *SEE_ALL, *COMMUNITY_ROLES),
    }
    return render(request, "rectification/plans/ledger.html", context)


@login_required
def plan_ledger_export(request):
    _form, filters = _ledger(request)
    now = timezone.now()
    items = sel.with_state(sel.filtered(user=request.user, filters=filters, now=now), filters)
    stamp = timezone.localtime(now).strftime("%Y%m%d-%H%M")
    return xlsx_response(
        sel.ledger_xlsx(sel.export_rows(items, now=now), now=now),
        ascii_name=f"plan-ledger-{stamp}.xlsx",
        name=f"整改方案台账-{stamp}.xlsx",
    )


CONTENT_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
}


@login_required
def plan_reconciliation(request, pk: int, fmt: str):
    """The plan's 对账销号单, for whoever sees the whole plan (the Office, auditors, leaders,
    administrators, the community); a lead department, which sees only its items, is refused."""
    if fmt not in CONTENT_TYPES:
        raise Http404
    plan = access.get_visible_or_404(
        request.user, RectificationPlan.objects.select_related("unit", "sub_district"), pk=pk
    )
    if not sees_whole_plan(request.user, plan):
        raise PermissionDenied
    doc = documents.reconciliation(plan)
    content = documents.RENDER[fmt](doc)
    response = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
    name = f"{plan.unit.name}{plan.year + 1}年度整改任务对账销号单.{fmt}"
    response["Content-Disposition"] = attachment(f"reconciliation-{plan.pk}.{fmt}", name)
    response["X-Content-Type-Options"] = "nosniff"
    return response


urlpatterns = [
    path("plans/", plan_ledger, name="plan_ledger"),
    path("plans/export.xlsx", plan_ledger_export, name="plan_ledger_export"),
    path(
        "plans/<int:pk>/reconciliation.<str:fmt>",
        plan_reconciliation,
        name="plan_reconciliation",
    ),
]
