"""Pages of the assessment year: the year and its settings and catalogue, periodic reports,
department scoring, adjustments and spot checks, fraud findings, bonus claims, votes and the
comprehensive evaluation. Results pages are in views_results.py.

Thin: parse, fetch through core.access (404), call one service (403/409 raised there), render.
"""

from __future__ import annotations

from collections import defaultdict
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, F, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core import access
from core.downloads import xlsx_response
from core.forms import DateInput, DateTimeInput, hidden_value
from core.models import Evidence
from rectification.forms import MultipleFileField

from . import policies, posted, services
from .checklist import year_checklist
from .models import (
    OPEN_CORRECTION_STATES,
    Adjustment,
    AssessedUnit,
    AssessmentYear,
    BonusClaim,
    BonusLevel,
    Category,
    ClaimState,
    Comprehensive,
    Correction,
    FraudFinding,
    FraudState,
    Indicator,
    Report,
    Score,
    SpotCheck,
    Vote,
    VoteKind,
    YearStatus,
)
from .models import STEPS as YEAR_STEPS
from .xlsx_results import settings_rows

PAGE_SIZE = 50


def _errors(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


def _year(request, number: int) -> AssessmentYear:
    own = access.sub_district_id(request.user)
    if own is None or not access.memberships(request.user):
        raise Http404
    year = AssessmentYear.objects.filter(sub_district_id=own, year=number).first()
    if year is None:
        raise Http404
    return year


def _back(name: str, *args, status: int | None = None):
    response = redirect(name, *args)
    if status:
        response.status_code = status
    return response


def _files(subject) -> list[Evidence]:
    return list(
        Evidence.objects.filter(
            subject_type__app_label=subject._meta.app_label,
            subject_type__model=subject._meta.model_name,
            subject_id=subject.pk,
        ).order_by("id")
    )


# ---------------------------------------------------------------- years


class YearCreateForm(forms.Form):
    number = forms.IntegerField(label=gettext_lazy("Year"), min_value=2000, max_value=2100)
    copy_from = forms.TypedChoiceField(
        label=gettext_lazy("Start from the catalogue of"),
        coerce=int,
        required=False,
        empty_value=None,
    )


@login_required
def year_list(request):
    own = access.sub_district_id(request.user)
    if own is None or not access.memberships(request.user):
        raise PermissionDenied
    years = list(AssessmentYear.objects.filter(sub_district_id=own).order_by("-year"))
    form = None
    if policies.is_office(request.user):
        form = YearCreateForm(request.POST or None, initial={"number": timezone.localdate().year})
        form.fields["copy_from"].choices = [("", _("— the four categories of Art. 4 —"))] + [
            (y.pk, str(y.year)) for y in years
        ]
        if request.method == "POST" and form.is_valid():
            source = next((y for y in years if y.pk == form.cleaned_data["copy_from"]), None)
            try:
                year = services.year_create(
                    acting_user=request.user, number=form.cleaned_data["number"], copy_from=source
                )
            except ValidationError as exc:
                _errors(request, exc)
            else:
                messages.success(request, _("Year %(year)s created.") % {"year": year.year})
                return redirect("appraisal:year", year.year)
    elif request.method == "POST":
        raise PermissionDenied
    return render(request, "appraisal/year_list.html", {"years": years, "form": form})


STEPS = [(status, YearStatus(status).label) for status in YEAR_STEPS]


@login_required
def year_detail(request, number: int):
    year = _year(request, number)
    user = request.user
    categories = list(
        Category.objects.filter(year=year).select_related("lead_unit").order_by("sort_order")
    )
    indicators = defaultdict(list)
    for ind in Indicator.objects.filter(year=year).order_by("code"):
        indicators[ind.category_id].append(ind)
    scorable = {c.pk for c in categories if policies.can_score(user, c)}
    open_correction = (
        Correction.objects.filter(year=year, state__in=OPEN_CORRECTION_STATES)
        .select_related("requested_by")
        .first()
    )
    next_status = services.next_status(year)
    can_advance = _may_advance(user, year)
    # Art. 12, 14–16: what is still open before 年末考核 and before 已决定 (the Office's checklist).
    checklist = (
        year_checklist(year, now=timezone.now(), categories=categories)
        if policies.sees_all(user)
        else None
    )
    verifying = policies.is_office(user) and (
        year.status == YearStatus.YEAR_END or (year.inputs_closed and services.writable(year))
    )
    context = {
        "checklist": checklist,
        "verifying": verifying,
        "year": year,
        "steps": STEPS,
        "step_index": [s for s, _l in STEPS].index(year.status),
        "categories": [(c, indicators[c.pk], c.pk in scorable) for c in categories],
        "settings_rows": settings_rows(year),
        "is_office": policies.is_office(user),
        "is_leader": policies.is_leader(user),
        "sees_all": policies.sees_all(user),
        "is_community": bool(policies.community_ids(user)),
        "results_visible": policies.results_visible(user, year),
        "can_advance": can_advance,
        "next_status": YearStatus(next_status).label if next_status else None,
        "writable": services.writable(year),
        "open_correction": open_correction,
        "units_count": AssessedUnit.objects.filter(year=year).count(),
        # Settings stored before they had ranges (domain.settings) are named, not computed on.
        "settings_problems": [
            f"{AssessmentYear._meta.get_field(field).verbose_name}: {text}"
            for field, texts in services.settings_messages(
                {f: getattr(year, f) for f in services.SETTING_FIELDS}, year_number=year.year
            ).items()
            for text in texts
        ],
    }
    return render(request, "appraisal/year_detail.html", context)


def _may_advance(user, year) -> bool:
    next_status = services.next_status(year)
    return next_status is not None and (
        policies.is_office(user)
        or (next_status == YearStatus.PUBLISHED and policies.is_leader(user))
    )


@login_required
@require_POST
def year_advance(request, number: int):
    year = _year(request, number)
    if services.next_status(year) is not None and not _may_advance(request.user, year):
        raise PermissionDenied  # a closed year is the service's 409
    # The button names the status it moves the year from; without it a double click could not
    # be told from a second step (a missing field is an error, never blank).
    expected = hidden_value(
        request.POST, "expected_status", label=_("the year's status as the page showed it")
    )
    try:
        year = services.year_advance(
            year_id=year.pk,
            acting_user=request.user,
            expected_status=expected,
            # Art. 12: deciding before every period is due needs a stated reason (optional
            # field: the form shows it only then).
            override_reason=request.POST.get("override_reason") or None,
        )
    except ValidationError as exc:
        _errors(request, exc)
        return _back("appraisal:year", number, status=303)
    messages.success(
        request, _("The year is now: %(status)s.") % {"status": year.get_status_display()}
    )
    return redirect("appraisal:year", number)


class SettingsForm(forms.ModelForm):
    rank_bonus_text = forms.CharField(
        label=gettext_lazy("Additions for ranks 1, 2, 3 … (comma-separated)"), max_length=200
    )
    bottom_penalty_text = forms.CharField(
        label=gettext_lazy("Deductions for bottom positions 1, 2 … (comma-separated)"),
        max_length=200,
    )
    grade_bands_text = forms.CharField(
        label=gettext_lazy("Grade bands, best first (grade:minimum, comma-separated)"),
        max_length=300,
    )

    class Meta:
        model = AssessmentYear
        # Every setting (services.SETTING_FIELDS) but the three lists, edited as text below.
        fields = [f for f in services.SETTING_FIELDS if f not in services.LIST_SETTINGS]
        widgets = {"claim_declare_by": DateTimeInput()}

    # The lists as the model stores them; their ranges are checked with every other setting by
    # domain.settings (clean), the one check that the service and the bundle import call too.
    LIST_FIELDS = {
        "rank_bonus": "rank_bonus_text",
        "bottom_penalty": "bottom_penalty_text",
        "grade_bands": "grade_bands_text",
    }

    def __init__(self, *args, year_number: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.year_number = year_number

    def _decimals(self, name: str) -> list[str]:
        raw = self.cleaned_data[name]
        out = []
        for part in [p.strip() for p in raw.replace("，", ",").split(",") if p.strip()]:
            out.append(str(services.parse_points(part, label=self.fields[name].label)))
        return out

    def clean_rank_bonus_text(self):
        return self._decimals("rank_bonus_text")

    def clean_bottom_penalty_text(self):
        return self._decimals("bottom_penalty_text")

    def clean_grade_bands_text(self):
        raw = self.cleaned_data["grade_bands_text"].replace("，", ",").replace("：", ":")
        bands = []
        for part in [p.strip() for p in raw.split(",") if p.strip()]:
            grade, sep, minimum = part.partition(":")
            if not sep or not grade.strip():
                raise ValidationError(_("Write each band as grade:minimum, e.g. 优胜:90."))
            value = services.parse_points(minimum, label=grade.strip())
            bands.append({"grade": grade.strip(), "min": str(value)})
        return bands

    def values(self) -> dict:
        """The cleaned settings by their model names (services.SETTING_FIELDS)."""
        values = {f: self.cleaned_data[f] for f in self.Meta.fields if f in self.cleaned_data}
        for field, text_field in self.LIST_FIELDS.items():
            if text_field in self.cleaned_data:
                values[field] = self.cleaned_data[text_field]
        return values

    def clean(self):
        cleaned = super().clean()
        problems = services.settings_messages(self.values(), year_number=self.year_number)
        for field, texts in problems.items():
            for text in texts:
                self.add_error(self.LIST_FIELDS.get(field, field), text)
        return cleaned


@login_required
def year_settings(request, number: int):
    year = _year(request, number)
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
            services.year_update_settings(year_id=year.pk, acting_user=request.user, values=values)
        except ValidationError as exc:
            _errors(request, exc)
        else:
            messages.success(request, _("Settings saved."))
            return redirect("appraisal:year", number)
    return render(request, "appraisal/year_settings.html", {"year": year, "form": form})


# ---------------------------------------------------------------- catalogue files


@login_required
def catalogue_export(request, number: int):
    year = _year(request, number)
    from .xlsx import catalogue_workbook

    return xlsx_response(
        catalogue_workbook(year),
        ascii_name=f"catalogue-{year.year}.xlsx",
        name=f"考核指标-{year.year}.xlsx",
    )


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Spreadsheet (.xlsx)"))


@login_required
@require_POST
def catalogue_import(request, number: int):
    from .xlsx import import_catalogue

    def done(counts) -> str:
        return _("Catalogue imported: %(c)s categories, %(i)s indicators.") % {
            "c": counts.get("categories", 0),
            "i": counts.get("indicators", 0),
        }

    return _upload(request, number, "edit_catalogue", "appraisal:year", import_catalogue, done)


def _upload(request, number: int, action: str, back: str, importer, done) -> HttpResponse:
    """A spreadsheet import (all or nothing): its messages on the page it came from."""
    year = _year(request, number)
    access.require_action(request.user, year, action)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose a spreadsheet file."))
        return _back(back, number, status=303)
    try:
        counts = importer(year, form.cleaned_data["file"], request.user)
    except ValidationError as exc:
        _errors(request, exc)
        return _back(back, number, status=303)
    messages.success(request, done(counts))
    return redirect(back, number)


class IndicatorForm(forms.ModelForm):
    category_id = forms.TypedChoiceField(label=gettext_lazy("Category"), coerce=int)

    class Meta:
        model = Indicator
        fields = [
            "code",
            "name",
            "description",
            "max_points",
            "evidence_required",
            "schedule",
            "due_date",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "due_date": DateInput(),
        }

    def __init__(self, *args, year, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category_id"].choices = [
            (c.pk, f"{c.code} {c.name}") for c in Category.objects.filter(year=year)
        ]
        self.fields["schedule"].choices = [
            c for c in self.fields["schedule"].choices if c[0] != "custom"
        ]
        self.order_fields(["category_id"])

    def validate_unique(self):
        """Uniqueness of the code is checked by the service, with its message."""


@login_required
def indicator_edit(request, number: int, pk: int | None = None):
    """Add or change one indicator (Art. 5) while the year is being planned."""
    year = _year(request, number)
    access.require_action(request.user, year, "edit_catalogue")
    instance = None
    if pk is not None:
        instance = Indicator.objects.filter(year=year, pk=pk).first()
        if instance is None:
            raise Http404
    initial = {"category_id": instance.category_id} if instance else {}
    form = IndicatorForm(request.POST or None, instance=instance, initial=initial, year=year)
    if request.method == "POST":
        if "delete" in request.POST and instance is not None:
            services.indicator_delete(year_id=year.pk, acting_user=request.user, pk=instance.pk)
            messages.success(request, _("Indicator deleted."))
            return redirect("appraisal:year", number)
        absent = posted.missing(request.POST, posted.form_fields(form))
        if absent:
            posted.refuse(request, absent)
            form = IndicatorForm(instance=instance, initial=initial, year=year)
            context = {"year": year, "form": form, "indicator": instance}
            return render(request, "appraisal/indicator_form.html", context, status=400)
        if form.is_valid():
            values = {f: form.cleaned_data.get(f) for f in services.CATALOGUE_FIELDS}
            try:
                services.indicator_save(
                    year_id=year.pk,
                    acting_user=request.user,
                    values=values,
                    pk=instance.pk if instance else None,
                )
            except ValidationError as exc:
                _errors(request, exc)
            else:
                messages.success(request, _("Indicator saved."))
                return redirect("appraisal:year", number)
    return render(
        request,
        "appraisal/indicator_form.html",
        {"year": year, "form": form, "indicator": instance},
    )


# ---------------------------------------------------------------- reports (Art. 7, 8, 12)

REPORT_STATES = [
    ("pending", gettext_lazy("Not yet due")),
    ("on_time", gettext_lazy("On time")),
    ("late", gettext_lazy("Late — excluded")),
    ("missing", gettext_lazy("Missing — excluded")),
]


def report_state(report: Report, now) -> str:
    if report.submitted_at is None:
        return "missing" if report.due_at < now else "pending"
    return "late" if report.submitted_at > report.due_at else "on_time"


def _state_q(state: str, now) -> Q:
    return {
        "pending": Q(submitted_at__isnull=True, due_at__gte=now),
        "missing": Q(submitted_at__isnull=True, due_at__lt=now),
        "late": Q(submitted_at__gt=F("due_at")),
        "on_time": Q(submitted_at__lte=F("due_at")),
    }[state]


@login_required
def report_list(request, number: int):
    """Every report the user may see, with its state; exclusions are visible at once (R12.1)."""
    year = _year(request, number)
    now = timezone.now()
    reports = access.visible(
        request.user, Report.objects.filter(year=year).select_related("indicator", "unit")
    )
    units = (
        AssessedUnit.objects.filter(year=year, unit_id__in=reports.values("unit_id"))
        if not policies.sees_all(request.user)
        else AssessedUnit.objects.filter(year=year)
    )
    unit_choices = list(units.values_list("unit_id", "name"))
    indicator_choices = list(
        Indicator.objects.filter(year=year, pk__in=reports.values("indicator_id"))
        .order_by("code")
        .values_list("pk", "code", "name")
    )
    unit = request.GET.get("unit", "")
    indicator = request.GET.get("indicator", "")
    state = request.GET.get("state", "")
    if unit.isdigit():
        reports = reports.filter(unit_id=int(unit))
    if indicator.isdigit():
        reports = reports.filter(indicator_id=int(indicator))
    if state in dict(REPORT_STATES):
        reports = reports.filter(_state_q(state, now))
    counts = reports.aggregate(
        pending=Count("id", filter=_state_q("pending", now)),
        missing=Count("id", filter=_state_q("missing", now)),
        late=Count("id", filter=_state_q("late", now)),
        on_time=Count("id", filter=_state_q("on_time", now)),
    )
    page = Paginator(reports.order_by("due_at", "unit__sort_order", "indicator__code"), PAGE_SIZE)
    page = page.get_page(request.GET.get("page"))
    rows = [(r, report_state(r, now)) for r in page.object_list]
    query = urlencode(
        {k: v for k, v in (("unit", unit), ("indicator", indicator), ("state", state)) if v}
    )
    return render(
        request,
        "appraisal/report_list.html",
        {
            "year": year,
            "page": page,
            "rows": rows,
            "counts": counts,
            "states": REPORT_STATES,
            "unit_choices": unit_choices,
            "indicator_choices": indicator_choices,
            "selected": {"unit": unit, "indicator": indicator, "state": state},
            "query": query,
        },
    )


class ReportForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Report"),
        max_length=services.MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    files = MultipleFileField(label=gettext_lazy("Attachments"))


@login_required
def report_detail(request, pk: int):
    report = access.get_visible_or_404(
        request.user,
        Report.objects.select_related("year", "indicator__category", "unit", "submitted_by"),
        pk=pk,
    )
    now = timezone.now()
    can_submit = (
        report.submitted_at is None
        and access.can_act(request.user, report, "submit")
        and report.year.status in (YearStatus.IN_PROGRESS, YearStatus.YEAR_END)
        and services.writable(report.year)
    )
    form = ReportForm(request.POST or None, request.FILES or None) if can_submit else None
    if request.method == "POST":
        if form is None:
            access.require_action(request.user, report, "submit")
            messages.error(request, _("This report can no longer be filed."))
            return _back("appraisal:report", pk, status=303)
        if form.is_valid():
            try:
                report = services.report_submit(
                    report_id=pk,
                    acting_user=request.user,
                    text=form.cleaned_data["text"],
                    files=form.cleaned_data["files"],
                )
            except ValidationError as exc:
                _errors(request, exc)
            else:
                if report.late:
                    messages.warning(
                        request,
                        _(
                            "Filed after its due time: the report is kept but does not count "
                            "for scoring (Art. 12)."
                        ),
                    )
                else:
                    messages.success(request, _("Report filed on time."))
                return redirect("appraisal:report", pk)
    return render(
        request,
        "appraisal/report_detail.html",
        {
            "report": report,
            "year": report.year,
            "state": report_state(report, now),
            "form": form,
            "files": _files(report),
        },
    )


# ---------------------------------------------------------------- department scoring


@login_required
def scoring(request, number: int, code: str):
    """A grid of communities × indicators of one category, for its lead department (R4)."""
    year = _year(request, number)
    category = Category.objects.filter(year=year, code=code).first()
    if category is None:
        raise Http404
    can_edit = policies.can_score(request.user, category)
    if not (can_edit or policies.sees_all(request.user)):
        raise Http404  # another department's category does not exist for this user
    indicators = list(Indicator.objects.filter(category=category).order_by("code"))
    units = list(AssessedUnit.objects.filter(year=year).order_by("code"))
    open_ = services.writable(year)
    editable = can_edit and open_ and year.status != YearStatus.PLANNING
    # The joint team's verified values: entered by the Office at the year-end appraisal.
    verifying = (
        policies.is_office(request.user)
        and open_
        and (year.status == YearStatus.YEAR_END or year.inputs_closed)
    )
    status = 200
    if request.method == "POST":
        if not (editable or verifying):
            raise PermissionDenied
        shown: dict[str, object] = {}
        for unit in units:
            for ind in indicators:
                cell = f"{unit.unit_id}-{ind.pk}"
                if editable:
                    shown[f"s-{cell}"] = format_lazy("{} · {}", unit.name, ind.code)
                    shown[f"c-{cell}"] = format_lazy(
                        "{} · {} · {}", unit.name, ind.code, gettext_lazy("comment")
                    )
                if verifying:
                    shown[f"v-{cell}"] = format_lazy(
                        "{} · {} · {}", unit.name, ind.code, gettext_lazy("verified")
                    )
        absent = posted.missing(request.POST, shown)
        if absent:
            posted.refuse(request, absent)
            status = 400
    if request.method == "POST" and status == 200:
        # Every cell the grid shows is present (checked above); an empty box clears the
        # department's score, or for the joint team keeps the department's (the page says so).

        def cells(prefix: str) -> list:
            return [
                services.CellInput(
                    unit_id=unit.unit_id,
                    indicator_id=ind.pk,
                    score=request.POST.get(f"{prefix}-{unit.unit_id}-{ind.pk}", ""),
                    comment=request.POST.get(f"c-{unit.unit_id}-{ind.pk}", ""),
                )
                for unit in units
                for ind in indicators
                if f"{prefix}-{unit.unit_id}-{ind.pk}" in request.POST
            ]

        try:
            with transaction.atomic():
                n = 0
                if editable:
                    n += services.scores_save(
                        year_id=year.pk,
                        category_id=category.pk,
                        acting_user=request.user,
                        cells=cells("s"),
                    )
                if verifying:
                    n += services.verified_scores_save(
                        year_id=year.pk,
                        category_id=category.pk,
                        acting_user=request.user,
                        cells=cells("v"),
                    )
        except ValidationError as exc:
            _errors(request, exc)
            return _back("appraisal:scoring", number, code, status=303)
        messages.success(request, _("%(n)s score(s) saved.") % {"n": n})
        return redirect("appraisal:scoring", number, code)

    scores = {
        (s.unit_id, s.indicator_id): s
        for s in Score.objects.filter(year=year, indicator__category=category)
    }
    stats = {
        (r["unit_id"], r["indicator_id"]): r
        for r in Report.objects.filter(year=year, indicator__category=category)
        .values("unit_id", "indicator_id")
        .annotate(
            n=Count("id"),
            on_time=Count("id", filter=Q(submitted_at__lte=F("due_at"))),
            late=Count("id", filter=Q(submitted_at__gt=F("due_at"))),
        )
        .order_by()
    }
    now = timezone.now()
    due_so_far = {
        r["indicator_id"]: r["n"]
        for r in Report.objects.filter(year=year, indicator__category=category, due_at__lt=now)
        .values("indicator_id")
        .annotate(n=Count("unit_id", distinct=True))
        .order_by()
    }
    from .domain.scoring import q as round2

    rows = []
    for unit in units:
        cells = []
        for ind in indicators:
            stat = stats.get((unit.unit_id, ind.pk), {"n": 0, "on_time": 0, "late": 0})
            required = ind.required_reports
            cap = (
                ind.max_points
                if required == 0
                else round2(ind.max_points * stat["on_time"] / required)
            )
            score = scores.get((unit.unit_id, ind.pk))
            cells.append(
                {
                    "indicator": ind,
                    "score": score,
                    "on_time": stat["on_time"],
                    "late": stat["late"],
                    "required": required,
                    "cap": cap,
                    "over_cap": score is not None
                    and score.department_score is not None
                    and score.department_score > cap,
                }
            )
        rows.append((unit, cells))
    return render(
        request,
        "appraisal/scoring.html",
        {
            "year": year,
            "category": category,
            "indicators": indicators,
            "rows": rows,
            "editable": editable,
            "verifying": verifying,
            "due_so_far": due_so_far,
        },
        status=status,
    )


# ---------------------------------------------------------------- adjustments and spot checks


class AdjustmentForm(forms.Form):
    unit = forms.TypedChoiceField(label=gettext_lazy("Community"), coerce=int)
    category = forms.TypedChoiceField(label=gettext_lazy("Category"), coerce=int)
    points = forms.CharField(label=gettext_lazy("Points (negative for a deduction)"), max_length=10)
    reason = forms.CharField(
        label=gettext_lazy("Reason"), max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )
    source = forms.CharField(
        label=gettext_lazy("Source (e.g. spot check, bulletin)"), max_length=100
    )
    date = forms.DateField(label=gettext_lazy("Date"), widget=DateInput())


class SpotCheckForm(forms.Form):
    unit = forms.TypedChoiceField(label=gettext_lazy("Community"), coerce=int)
    category = forms.TypedChoiceField(label=gettext_lazy("Category"), coerce=int)
    indicator = forms.TypedChoiceField(
        label=gettext_lazy("Indicator"), coerce=int, required=False, empty_value=None
    )
    date = forms.DateField(label=gettext_lazy("Date"), widget=DateInput())
    findings = forms.CharField(
        label=gettext_lazy("Findings"), max_length=20000, widget=forms.Textarea(attrs={"rows": 3})
    )


def _writer_categories(user, year) -> list[Category]:
    cats = Category.objects.filter(year=year).order_by("sort_order")
    if policies.is_office(user):
        return list(cats)
    return [c for c in cats if policies.can_score(user, c)]


def _unit_choices(year) -> list[tuple[int, str]]:
    return list(AssessedUnit.objects.filter(year=year).values_list("unit_id", "name"))


@login_required
def adjustments(request, number: int):
    """In-year additions and deductions (加扣分, Art. 10) and spot checks, per category."""
    year = _year(request, number)
    user = request.user
    visible = policies.visible_categories(user, year)
    if not (policies.sees_all(user) or visible.exists()):
        raise PermissionDenied
    writable_cats = _writer_categories(user, year) if services.writable(year) else []
    units = _unit_choices(year)
    adj_form = check_form = None
    if writable_cats:
        cat_choices = [(c.pk, f"{c.code} {c.name}") for c in writable_cats]
        adj_form = AdjustmentForm(
            request.POST if request.POST.get("form") == "adjustment" else None,
            initial={"date": timezone.localdate()},
        )
        check_form = SpotCheckForm(
            request.POST if request.POST.get("form") == "spot_check" else None,
            initial={"date": timezone.localdate()},
        )
        for form in (adj_form, check_form):
            form.fields["unit"].choices = units
            form.fields["category"].choices = cat_choices
        check_form.fields["indicator"].choices = [("", "—")] + [
            (i.pk, f"{i.code} {i.name}")
            for i in Indicator.objects.filter(category__in=writable_cats).order_by("code")
        ]
    if request.method == "POST":
        form = {"adjustment": adj_form, "spot_check": check_form}.get(request.POST.get("form"))
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            try:
                if form is adj_form:
                    services.adjustment_add(
                        year_id=year.pk,
                        acting_user=user,
                        unit_id=data["unit"],
                        category_id=data["category"],
                        points=data["points"],
                        reason=data["reason"],
                        source=data["source"],
                        date=data["date"],
                    )
                    messages.success(request, _("Adjustment recorded."))
                else:
                    services.spot_check_add(
                        year_id=year.pk,
                        acting_user=user,
                        unit_id=data["unit"],
                        category_id=data["category"],
                        indicator_id=data["indicator"],
                        date=data["date"],
                        findings=data["findings"],
                    )
                    messages.success(request, _("Spot check recorded."))
            except ValidationError as exc:
                _errors(request, exc)
            else:
                return redirect("appraisal:adjustments", number)
    adj = (
        Adjustment.objects.filter(year=year, category__in=visible)
        .select_related("unit", "category", "recorded_by")
        .order_by("-date", "-id")
    )
    checks = (
        SpotCheck.objects.filter(year=year, category__in=visible)
        .select_related("unit", "category", "indicator", "recorded_by")
        .order_by("-date", "-id")
    )
    return render(
        request,
        "appraisal/adjustments.html",
        {
            "year": year,
            "adjustments": adj[:500],
            "checks": [(c, _notice_link(c)) for c in checks[:500]],
            "adj_form": adj_form,
            "check_form": check_form,
            "can_issue": access.has_role(user, "office_staff", "dept_assessor"),
        },
    )


def _notice_link(check: SpotCheck) -> str:
    """“Issue a notice”: the notice form prefilled from the spot check (Art. 10, 11)."""
    basis = (
        f"{check.indicator.code} {check.indicator.name}"
        if check.indicator
        else f"{check.category.code} {check.category.name}"
    )
    params = {
        "target": check.unit_id,
        "subject": _("Spot check %(date)s: %(cat)s")
        % {"date": check.date, "cat": check.category.name},
        "problem": check.findings,
        "basis": basis,
    }
    return reverse("notice_new") + "?" + urlencode(params)


# ---------------------------------------------------------------- fraud findings (Art. 19)


class FraudForm(forms.Form):
    unit = forms.TypedChoiceField(label=gettext_lazy("Community"), coerce=int)
    category = forms.TypedChoiceField(label=gettext_lazy("Category"), coerce=int)
    reason = forms.CharField(
        label=gettext_lazy("What was falsified"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    files = MultipleFileField(label=gettext_lazy("Evidence"))


class DecisionForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("Note (required to reject)"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


@login_required
def fraud_list(request, number: int):
    year = _year(request, number)
    if not policies.sees_all(request.user):
        raise PermissionDenied
    form = None
    if policies.is_office(request.user) and services.writable(year):
        form = FraudForm(request.POST or None, request.FILES or None)
        form.fields["unit"].choices = _unit_choices(year)
        form.fields["category"].choices = [
            (c.pk, f"{c.code} {c.name}") for c in Category.objects.filter(year=year)
        ]
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                finding = services.fraud_record(
                    year_id=year.pk,
                    acting_user=request.user,
                    unit_id=data["unit"],
                    category_id=data["category"],
                    reason=data["reason"],
                    files=data["files"],
                )
            except ValidationError as exc:
                _errors(request, exc)
            else:
                messages.success(request, _("Finding recorded; the Leading Group decides it."))
                return redirect("appraisal:fraud", number, finding.pk)
    elif request.method == "POST":
        raise PermissionDenied
    findings = (
        FraudFinding.objects.filter(year=year)
        .select_related("unit", "category", "recorded_by", "decided_by")
        .order_by("-recorded_at")
    )
    return render(
        request, "appraisal/fraud_list.html", {"year": year, "findings": findings, "form": form}
    )


@login_required
def fraud_detail(request, number: int, pk: int):
    year = _year(request, number)
    finding = access.get_visible_or_404(
        request.user,
        FraudFinding.objects.filter(year=year).select_related(
            "unit", "category", "recorded_by", "decided_by", "year"
        ),
        pk=pk,
    )
    can_decide = (
        finding.state == FraudState.PROPOSED
        and access.can_act(request.user, finding, "decide")
        and services.writable(year)
    )
    form = DecisionForm(request.POST or None)
    if request.method == "POST":
        access.require_action(request.user, finding, "decide")
        if form.is_valid():
            try:
                services.fraud_decide(
                    finding_id=pk,
                    acting_user=request.user,
                    uphold="uphold" in request.POST,
                    note=form.cleaned_data["note"],
                )
            except ValidationError as exc:
                _errors(request, exc)
            else:
                messages.success(request, _("Decision recorded."))
                return redirect("appraisal:fraud", number, pk)
    return render(
        request,
        "appraisal/fraud_detail.html",
        {
            "year": year,
            "finding": finding,
            "form": form if can_decide else None,
            "files": _files(finding),
        },
    )


# ---------------------------------------------------------------- bonus claims (Art. 6)


class ClaimForm(forms.Form):
    level = forms.ChoiceField(label=gettext_lazy("Level"), choices=BonusLevel.choices)
    title = forms.CharField(label=gettext_lazy("Honour or commendation"), max_length=200)
    description = forms.CharField(
        label=gettext_lazy("Description"),
        max_length=services.MAX_TEXT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    files = MultipleFileField(label=gettext_lazy("Evidence"))


def claim_counts(claim: BonusClaim, now) -> tuple[bool, list[str]]:
    """Whether the claim counts now, and why not (scoring.md §3, Art. 12)."""
    reasons = []
    if claim.late:
        reasons.append(_("declared after the deadline"))
    if claim.status != ClaimState.APPROVED:
        reasons.append(_("not approved by the Leading Group"))
    if claim.publicity_ends_at is None or claim.publicity_ends_at > now:
        reasons.append(_("publicity period not over"))
    return not reasons, reasons


@login_required
def claim_list(request, number: int):
    year = _year(request, number)
    user = request.user
    own = policies.community_ids(user)
    if not (policies.sees_all(user) or own):
        raise PermissionDenied
    assessed = dict(
        AssessedUnit.objects.filter(year=year, unit_id__in=own).values_list("unit_id", "name")
    )
    form = None
    if assessed and services.writable(year) and year.claim_declare_by:
        form = ClaimForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                claim = services.claim_declare(
                    year_id=year.pk,
                    acting_user=user,
                    unit_id=next(iter(assessed)),
                    level=data["level"],
                    title=data["title"],
                    description=data["description"],
                    files=data["files"],
                )
            except ValidationError as exc:
                _errors(request, exc)
            else:
                if claim.late:
                    messages.warning(
                        request,
                        _(
                            "Declared after the deadline: recorded, but it will not "
                            "count (Art. 12)."
                        ),
                    )
                else:
                    messages.success(request, _("Claim declared; the Office reviews it."))
                return redirect("appraisal:claim", claim.pk)
    elif request.method == "POST":
        raise PermissionDenied
    now = timezone.now()
    claims = access.visible(
        user, BonusClaim.objects.filter(year=year).select_related("unit").order_by("-declared_at")
    )
    rows = [(c, *claim_counts(c, now)) for c in claims]
    return render(
        request,
        "appraisal/claim_list.html",
        {"year": year, "rows": rows, "form": form},
    )


@login_required
def claim_detail(request, pk: int):
    claim = access.get_visible_or_404(
        request.user,
        BonusClaim.objects.select_related("year", "unit", "declared_by"),
        pk=pk,
    )
    year = claim.year
    open_ = services.writable(year)
    can_review = (
        open_
        and claim.status == ClaimState.DECLARED
        and access.can_act(request.user, claim, "review")
    )
    can_decide = (
        open_
        and claim.status == ClaimState.OFFICE_REVIEWED
        and access.can_act(request.user, claim, "decide")
    )
    form = DecisionForm(request.POST or None)
    if request.method == "POST":
        step = request.POST.get("step")
        if step == "review":
            access.require_action(request.user, claim, "review")
        elif step == "decide":
            access.require_action(request.user, claim, "decide")
        else:
            raise PermissionDenied
        if form.is_valid():
            positive = "yes" in request.POST
            try:
                if step == "review":
                    services.claim_review(
                        claim_id=pk,
                        acting_user=request.user,
                        forward=positive,
                        note=form.cleaned_data["note"],
                    )
                else:
                    services.claim_decide(
                        claim_id=pk,
                        acting_user=request.user,
                        approve=positive,
                        note=form.cleaned_data["note"],
                    )
            except ValidationError as exc:
                _errors(request, exc)
            else:
                messages.success(request, _("Decision recorded."))
                return redirect("appraisal:claim", pk)
    counted, reasons = claim_counts(claim, timezone.now())
    return render(
        request,
        "appraisal/claim_detail.html",
        {
            "year": year,
            "claim": claim,
            "counted": counted,
            "reasons": reasons,
            "files": _files(claim),
            "form": form if (can_review or can_decide) else None,
            "step": "review" if can_review else "decide",
        },
    )


# ---------------------------------------------------------------- votes and comprehensive (Art. 17)


@login_required
def inputs(request, number: int):
    """Satisfaction tallies (scoring.md §4) and the comprehensive evaluation (Art. 17)."""
    year = _year(request, number)
    if not policies.sees_all(request.user):
        raise PermissionDenied
    units = list(AssessedUnit.objects.filter(year=year).order_by("code"))
    editable = access.can_act(request.user, year, "inputs") and services.writable(year)
    status = 200
    if request.method == "POST":
        if not editable:
            raise PermissionDenied
        absent = posted.missing(request.POST, _input_fields(units))
        if absent:
            posted.refuse(request, absent)
            status = 400
    if request.method == "POST" and status == 200:
        # Every field is present (checked above). An empty count is 0 ballots, an empty
        # comprehensive score "not yet known" (the page says so): both as before.
        vote_rows, comp_rows = [], []
        for u in units:
            for kind in VoteKind.values:
                vote_rows.append(
                    {
                        "unit_id": u.unit_id,
                        "kind": kind,
                        **{
                            k: request.POST[f"{kind}-{k}-{u.unit_id}"]
                            for k in ("satisfied", "basically", "dissatisfied")
                        },
                    }
                )
            comp_rows.append(
                {
                    "unit_id": u.unit_id,
                    "score": request.POST[f"score-{u.unit_id}"],
                    "advanced": "on" in request.POST.getlist(f"advanced-{u.unit_id}"),
                }
            )
        try:
            with services.transaction.atomic():
                n = services.votes_save(year_id=year.pk, acting_user=request.user, rows=vote_rows)
                n += services.comprehensive_save(
                    year_id=year.pk, acting_user=request.user, rows=comp_rows
                )
        except ValidationError as exc:
            _errors(request, exc)
            return _back("appraisal:inputs", number, status=303)
        messages.success(request, _("%(n)s change(s) saved.") % {"n": n})
        return redirect("appraisal:inputs", number)
    votes = {(v.unit_id, v.kind): v for v in Vote.objects.filter(year=year)}
    comp = {c.unit_id: c for c in Comprehensive.objects.filter(year=year)}
    rows = [
        (
            u,
            votes.get((u.unit_id, VoteKind.DEBRIEFING)),
            votes.get((u.unit_id, VoteKind.DEMOCRATIC)),
            comp.get(u.unit_id),
        )
        for u in units
    ]
    return render(
        request,
        "appraisal/inputs.html",
        {"year": year, "rows": rows, "editable": editable, "upload": UploadForm()},
        status=status,
    )


BALLOTS = {
    "satisfied": gettext_lazy("satisfied"),
    "basically": gettext_lazy("basically"),
    "dissatisfied": gettext_lazy("dissatisfied"),
}


def _input_fields(units) -> dict[str, object]:
    """name → label of every field the votes-and-comprehensive form shows, row by row."""
    fields: dict[str, object] = {}
    for u in units:
        for kind in VoteKind:
            for key, label in BALLOTS.items():
                fields[f"{kind.value}-{key}-{u.unit_id}"] = format_lazy(
                    "{} · {} · {}", u.name, kind.label, label
                )
        fields[f"score-{u.unit_id}"] = format_lazy(
            "{} · {}", u.name, gettext_lazy("Comprehensive score")
        )
        fields[f"advanced-{u.unit_id}"] = format_lazy("{} · {}", u.name, gettext_lazy("Advanced"))
    return fields


@login_required
def comprehensive_export(request, number: int):
    year = _year(request, number)
    if not policies.sees_all(request.user):
        raise PermissionDenied
    from .xlsx import comprehensive_workbook

    return xlsx_response(
        comprehensive_workbook(year),
        ascii_name=f"comprehensive-{year.year}.xlsx",
        name=f"综合考评-{year.year}.xlsx",
    )


@login_required
@require_POST
def comprehensive_import(request, number: int):
    from .xlsx import import_comprehensive

    return _upload(
        request,
        number,
        "inputs",
        "appraisal:inputs",
        import_comprehensive,
        lambda _counts: _("Comprehensive evaluation imported."),
    )


# ---------------------------------------------------------------- corrections of a published year


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"), max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )


@login_required
@require_POST
def correction(request, number: int):
    year = _year(request, number)
    action = request.POST.get("action")
    try:
        if action == "request":
            form = ReasonForm(request.POST)
            if not form.is_valid():
                raise ValidationError(_("Give the reason for the correction."))
            services.correction_request(
                year_id=year.pk, acting_user=request.user, reason=form.cleaned_data["reason"]
            )
            messages.success(request, _("Correction requested; the Leading Group decides it."))
        elif action in ("approve", "refuse", "close"):
            current = Correction.objects.filter(year=year).order_by("-requested_at").first()
            if current is None:
                raise Http404
            if action == "close":
                services.correction_close(correction_id=current.pk, acting_user=request.user)
                messages.success(request, _("Correction closed; the year is frozen again."))
            else:
                services.correction_decide(
                    correction_id=current.pk,
                    acting_user=request.user,
                    approve=action == "approve",
                    note=request.POST.get("note", ""),
                )
                messages.success(request, _("Decision recorded."))
        else:
            raise ValidationError(_("Unknown action."))
    except ValidationError as exc:
        _errors(request, exc)
        return _back("appraisal:year", number, status=303)
    return redirect("appraisal:year", number)
