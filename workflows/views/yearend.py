"""The year-end process's own pages (Art. 14–18): the Office starts it; everyone sees the tasks
that concern them; the Office's results and publish tasks; group tasks claimed, released, handed
over; the written results downloaded by those who may read them.

viewflow's own pages (its FlowViewset) are not mounted: they let anyone with the model
permission read every process. Every page here is scoped by hand, like the rest of the product.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Min
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from appraisal import policies
from appraisal.views.common import year_of_user
from core import access, workdays, workitems
from core.errors import Conflict
from core.forms import DateInput
from core.models import Role, RoleAssignment, Unit, UnitKind, WorkItem

from .. import publication, yearend
from ..flows.year_end import STEPS
from ..kinds import GROUP_KINDS, KINDS, WI_PUBLISH, WI_RESULTS
from ..models import DocumentRun
from ..plans import PLAN_DUE_WORKDAYS

STEP_LABELS = {
    "selfeval": gettext_lazy("Self-evaluation (Art. 15)"),
    "verify": gettext_lazy("Joint-team verification (Art. 14)"),
    "votes": gettext_lazy("Satisfaction evaluation (Art. 15)"),
    "results": gettext_lazy("Results run by the Office (Art. 16)"),
    "decision": gettext_lazy("Leading Group decision (Art. 16)"),
    "publish": gettext_lazy("Publication (Art. 16, 17)"),
    "interview": gettext_lazy("Interviews of the bottom units (Art. 18)"),
}
# Default due times, in working days from the start (the Office changes them on the start form).
DEFAULT_WORKDAYS = {
    "selfeval": 10,
    "verify": 20,
    "votes": 20,
    "results": 23,
    "decision": 25,
    "publish": 28,
    "interview": 40,
}
NODE_STEP = {
    "self_evaluate": "selfeval",
    "verify": "verify",
    "votes": "votes",
    "results": "results",
    "decide": "decision",
    "publish": "publish",
    "interview": "interview",
}
TASK_STATE = {
    STATUS.NEW: gettext_lazy("Waiting"),
    STATUS.ASSIGNED: gettext_lazy("Claimed"),
    STATUS.STARTED: gettext_lazy("In progress"),
    STATUS.DONE: gettext_lazy("Done"),
    STATUS.CANCELED: gettext_lazy("Cancelled"),
    STATUS.ERROR: gettext_lazy("Error"),
}


def _users_with(sub_district_id: int, role: str, unit_ids=None):
    rows = RoleAssignment.objects.filter(
        role=role, unit__sub_district_id=sub_district_id, user__is_active=True
    )
    if unit_ids is not None:
        rows = rows.filter(unit_id__in=unit_ids)
    seen: dict[int, str] = {}
    for ra in rows.select_related("user", "unit").order_by("unit__sort_order", "user__username"):
        name = str(ra.user)
        seen.setdefault(ra.user_id, f"{name}（{ra.unit.short_name or ra.unit.name}）")
    return list(seen.items())


class StartForm(forms.Form):
    """The due time of each step and the joint assessment team (Art. 14)."""

    def __init__(self, *args, year, **kwargs):
        super().__init__(*args, **kwargs)
        self.year = year
        today = workdays.local_date(timezone.now())
        for step in STEPS:
            default, _approx = workdays.add_workdays_or_weekdays(today, DEFAULT_WORKDAYS[step])
            self.fields[f"due_{step}"] = forms.DateField(
                label=STEP_LABELS[step],
                initial=default,
                widget=DateInput(),
                help_text=_("Due at the end of this day (Asia/Shanghai)."),
            )
        # Art. 20: the communities' rectification plans, made at publication, are due then.
        self.fields["due_plan"] = forms.DateField(
            label=_("Rectification plans due"),
            required=False,
            widget=DateInput(),
            help_text=_(
                "Optional. The communities' rectification plans (Art. 20) are due at the end of "
                "this day, which comes after the publication's due date. Left empty, they are due "
                "%(days)s working days after the publication."
            )
            % {"days": PLAN_DUE_WORKDAYS},
        )
        sd = year.sub_district_id
        self.fields["leader"] = forms.TypedChoiceField(
            label=_("Team leader (from the Office)"),
            choices=[("", "—"), *_users_with(sd, Role.OFFICE_STAFF)],
            coerce=int,
        )
        office_ids = list(
            Unit.objects.filter(sub_district_id=sd, kind=UnitKind.OFFICE).values_list(
                "pk", flat=True
            )
        )
        self.categories = list(year.categories.select_related("lead_unit").order_by("sort_order"))
        for category in self.categories:
            lead = category.lead_unit
            if lead is not None and lead.kind == UnitKind.DEPARTMENT:
                choices = _users_with(sd, Role.DEPT_ASSESSOR, [lead.pk])
            else:
                choices = _users_with(sd, Role.OFFICE_STAFF, office_ids)
            self.fields[f"members_{category.pk}"] = forms.TypedMultipleChoiceField(
                label=_("Members for %(category)s") % {"category": category.name},
                choices=choices,
                coerce=int,
                widget=forms.CheckboxSelectMultiple,
                error_messages={"required": _("Name at least one member for this category.")},
            )

    def clean(self):
        data = super().clean()
        previous = None
        for step in STEPS:
            day = data.get(f"due_{step}")
            if day is None:
                continue
            if day < workdays.local_date(timezone.now()):
                self.add_error(f"due_{step}", _("The due date is in the past."))
            if previous is not None and day < previous and step not in ("votes",):
                self.add_error(f"due_{step}", _("A step cannot be due before the step before it."))
            previous = day
        plan = data.get("due_plan")
        publish = data.get("due_publish")
        if plan is not None:
            if plan < workdays.local_date(timezone.now()):
                self.add_error("due_plan", _("The due date is in the past."))
            elif publish is not None and plan <= publish:
                self.add_error(
                    "due_plan",
                    _(
                        "The rectification plans are made when the results are published: "
                        "they must be due after the publication's due date (%(publish)s)."
                    )
                    % {"publish": publish.isoformat()},
                )
        return data

    def clean_due_plan(self):
        # Optional, but sent by the form: a post without it is incomplete, never "no date".
        if "due_plan" not in self.data:
            raise forms.ValidationError(
                _("The form is incomplete: this field is missing. Reload the page and try again.")
            )
        return self.cleaned_data.get("due_plan")

    def due_times(self):
        due = {step: workdays.end_of_day(self.cleaned_data[f"due_{step}"]) for step in STEPS}
        if self.cleaned_data.get("due_plan") is not None:
            due["plan"] = workdays.end_of_day(self.cleaned_data["due_plan"])
        return due

    def members(self):
        return [
            (user_id, category.pk)
            for category in self.categories
            for user_id in self.cleaned_data[f"members_{category.pk}"]
        ]

    def step_fields(self):
        return [self[f"due_{step}"] for step in STEPS]

    def member_fields(self):
        return [self[f"members_{c.pk}"] for c in self.categories]


@login_required
def yearend_start(request, number: int):
    """The Office starts the year-end appraisal (进行中 → 年末考核)."""
    from appraisal.selectors.year import year_checklist

    year = year_of_user(request, number)
    if not policies.is_office(request.user):
        raise PermissionDenied
    if year.status != "in_progress" or yearend.process_of(year) is not None:
        if request.method == "POST":  # a double-click or a page left open: nothing is done
            raise Conflict(
                _("The year-end appraisal of this year has been started. Nothing was done."),
                url=reverse("yearend_process", args=[year.year]),
            )
        messages.info(request, _("The year-end appraisal of this year has been started."))
        return redirect("yearend_process", year.year)
    form = StartForm(request.POST or None, year=year)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                yearend.year_end_start(
                    year_id=year.pk,
                    acting_user=request.user,
                    due=form.due_times(),
                    leader_id=form.cleaned_data["leader"],
                    members=form.members(),
                    expected_status=request.POST.get("expected_status", ""),
                )
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
            else:
                messages.success(request, _("The year-end appraisal has started."))
                return redirect("yearend_process", year.year)
        status = 400
    checklist = year_checklist(year, now=timezone.now())
    return render(
        request,
        "workflows/yearend/start.html",
        {"year": year, "form": form, "checklist": checklist},
        status=status,
    )


def _task_rows(process, user):
    """The process's tasks the user may see, newest round last, as plain rows."""
    tasks = (
        Task.objects.filter(process=process, flow_task_type="HUMAN")
        .select_related("owner", "artifact_content_type")
        .order_by("created", "pk")
    )
    sees_all = policies.sees_all(user)
    own_units = access.community_ids(user)
    lead_units = policies.lead_units(user)
    items = {
        (i.subject_type_id, i.subject_id, i.kind): i
        for i in WorkItem.objects.filter(
            subject_type_id__in={
                t.artifact_content_type_id for t in tasks if t.artifact_content_type_id
            },
            subject_id__in={t.artifact_object_id for t in tasks if t.artifact_object_id},
        ).select_related("owner_unit", "holder")
    }
    thresholds = workitems.light_thresholds()
    rows = []
    for task in tasks:
        step = NODE_STEP.get(task.flow_task.name)
        if step is None:
            continue
        item = items.get(
            (task.artifact_content_type_id, task.artifact_object_id, task.flow_task.kind)
        )
        unit_id = item.owner_unit_id if item else None
        if not sees_all and unit_id not in own_units and unit_id not in lead_units:
            continue
        rows.append(
            {
                "step": step,
                "label": STEP_LABELS[step],
                "title": item.title if item else "",
                "unit": (item.owner_unit.short_name or item.owner_unit.name) if item else "",
                "state": TASK_STATE.get(task.status, task.status),
                "active": task.status in yearend.ACTIVE,
                "holder": item.holder if item else None,
                "group": task.flow_task.kind in GROUP_KINDS,
                "due_at": item.due_at if item else None,
                "light": workitems.light_of(item.due_at, thresholds)
                if item and task.status in yearend.ACTIVE
                else "",
                "finished": task.finished,
                "done_by": task.owner if task.status == STATUS.DONE else None,
                "url": item.url if item else "",
                "item_id": item.pk if item else None,
                "returned": bool(task.data.get("returned")),
            }
        )
    return rows


def _year_reader(request, number):
    year = year_of_user(request, number)
    if not access.in_sub_district(request.user, year.sub_district_id):
        raise Http404
    return year


def _plans_of(user, year) -> dict | None:
    """The year's rectification plans (Art. 20) the user may see: how many stand where, and the
    one to open (a community's own plan; the ledger for everyone else). One query."""
    from django.db.models import Count

    from rectification.models import PlanState, RectificationPlan

    rows = list(
        access.visible(user, RectificationPlan.objects.filter(year=year.year))
        .values("state")
        .annotate(n=Count("pk"), first=Min("pk"))
        .order_by("state")
    )
    if not rows:
        return None
    labels = dict(PlanState.choices)
    order = list(labels)
    rows.sort(key=lambda r: order.index(r["state"]))
    total = sum(r["n"] for r in rows)
    return {
        "total": total,
        "states": [(labels[r["state"]], r["n"]) for r in rows],
        "own": rows[0]["first"] if total == 1 else None,
    }


@login_required
def yearend_process(request, number: int):
    """The process page: where the year-end appraisal stands, and the tasks the user may see
    (a community: its own; a department: its categories'; the Office, the Leading Group and
    auditors: all)."""
    year = _year_reader(request, number)
    process = yearend.process_of(year)
    rows = _task_rows(process, request.user) if process else []
    steps = []
    for step in STEPS:
        mine = [r for r in rows if r["step"] == step]
        steps.append(
            {
                "key": step,
                "label": STEP_LABELS[step],
                "rows": mine,
                "open": sum(1 for r in mine if r["active"]),
                "done": sum(1 for r in mine if not r["active"]),
                "due": process.data["due"][step] if process else None,
            }
        )
    run = DocumentRun.objects.filter(year=year).first()
    return render(
        request,
        "workflows/yearend/process.html",
        {
            "year": year,
            "process": process,
            "plans": _plans_of(request.user, year),
            "steps": steps,
            "run": run,
            "documents": _documents_for(request.user, year) if run else [],
            "is_office": policies.is_office(request.user),
            "light_style": workitems.LIGHT_STYLE,
            "kind_labels": dict(KINDS),
        },
    )


def _open_own_step(year, kind):
    return WorkItem.objects.filter(
        subject_type__app_label="appraisal",
        subject_type__model="assessmentyear",
        subject_id=year.pk,
        kind=kind,
        state="open",
    ).first()


@login_required
def yearend_results(request, number: int):
    """The Office's results task: the results as they stand, the full-marks check (Art. 4), and
    the step that puts them before the Leading Group."""
    from appraisal.results import compute

    year = _year_reader(request, number)
    if not (policies.sees_all(request.user)):
        raise PermissionDenied
    item = _open_own_step(year, WI_RESULTS)
    if request.method == "POST":
        if not policies.is_office(request.user):
            raise PermissionDenied
        # A stale page (the step done meanwhile) gets 409 from the middleware.
        yearend.complete_own_step(year=year, kind=WI_RESULTS, acting_user=request.user)
        messages.success(request, _("The results are before the Leading Group for its decision."))
        return redirect("yearend_process", year.year)
    computed = compute(year, as_of=timezone.now(), details=False)
    breaking = [c for c in computed.results.full_marks if c.blocks_finalisation]
    return render(
        request,
        "workflows/yearend/results.html",
        {
            "year": year,
            "item": item,
            "units": sorted(computed.results.units, key=lambda u: (u.rank, u.name)),
            "breaking": breaking,
            "can_submit": item is not None and policies.is_office(request.user),
        },
    )


@login_required
def yearend_publish(request, number: int):
    """The Office's publish task: 已决定 → 已公布, then the written results in the background."""
    year = _year_reader(request, number)
    if not policies.sees_all(request.user):
        raise PermissionDenied
    item = _open_own_step(year, WI_PUBLISH)
    if request.method == "POST":
        if not policies.is_office(request.user):
            raise PermissionDenied
        if request.POST.get("action") == "regenerate":
            publication.documents_queue(year=year, acting_user=request.user)
        else:
            publication.year_end_publish(
                year_id=year.pk,
                acting_user=request.user,
                expected_status=request.POST.get("expected_status", ""),
            )
        messages.success(request, _("The results are published; the documents are being made."))
        return redirect("yearend_process", year.year)
    return render(
        request,
        "workflows/yearend/publish.html",
        {
            "year": year,
            "item": item,
            "run": DocumentRun.objects.filter(year=year).first(),
            "can_publish": item is not None and policies.is_office(request.user),
        },
    )


@login_required
def yearend_progress(request, number: int):
    """The document run's progress, for the progress bar (polled)."""
    year = _year_reader(request, number)
    run = DocumentRun.objects.filter(year=year).first()
    if run is None:
        return JsonResponse({"state": None})
    return JsonResponse(
        {
            "state": run.state,
            "label": run.get_state_display(),
            "done": run.done,
            "total": run.total,
            "percent": run.percent,
        }
    )


# --- the written results: who may read which --------------------------------------------------


def _readable(user, year):
    """What the user may read of the year's written results (Art. 16): a predicate on file
    names. A community: its own letter and the bulletin; departments: the bulletin; the Office,
    the Leading Group and auditors: all. One query at most, whatever the number of files."""
    if policies.sees_all(user):
        return lambda filename: True
    from appraisal.models import AssessedUnit

    communities = access.community_ids(user)
    own = set(
        AssessedUnit.objects.filter(year=year, unit_id__in=communities).values_list(
            "code", flat=True
        )
        if communities
        else ()
    )
    bulletin = bool(communities or policies.lead_units(user))

    def may(filename: str) -> bool:
        stem = filename.rsplit(".", 1)[0]
        return bulletin if stem == "bulletin" else stem in own

    return may


def _documents_for(user, year):
    from django.contrib.contenttypes.models import ContentType

    from core.documents.models import StoredDocument

    may = _readable(user, year)
    docs = StoredDocument.objects.filter(
        owner_type=ContentType.objects.get_for_model(year), owner_id=year.pk
    ).order_by("filename", "-updated_at", "-pk")
    seen, result = set(), []
    for doc in docs.only("pk", "filename", "size", "sha256", "updated_at"):
        if doc.filename in seen or not may(doc.filename):
            continue
        seen.add(doc.filename)
        result.append(doc)
    return result


@login_required
def yearend_document(request, number: int, filename: str):
    """Download one stored document of the year (its newest version)."""
    from core.documents import stored_document

    year = _year_reader(request, number)
    if not _readable(request.user, year)(filename):
        raise Http404
    doc = stored_document(owner=year, filename=filename)
    if doc is None:
        raise Http404
    response = HttpResponse(bytes(doc.content), content_type=doc.content_type)
    response["Content-Disposition"] = f'attachment; filename="{year.year}-{filename}"'
    return response


# --- group tasks ---------------------------------------------------------------------------------


def _back(request, item: WorkItem):
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}) or not (
        target.startswith("/") and not target.startswith("//")
    ):
        target = item.url
    return redirect(target)


@login_required
@require_POST
def task_hold(request, item_id: int, action: str):
    """领取 / 放回 / 转交 a group task (the joint team's verification of a category)."""
    item = WorkItem.objects.filter(pk=item_id, sub_district_id=request.user.sub_district_id).first()
    if item is None:
        raise Http404
    try:
        if action == "claim":
            yearend.task_claim(item_id=item.pk, acting_user=request.user)
            messages.success(request, _("You hold the task now."))
        elif action == "release":
            yearend.task_release(item_id=item.pk, acting_user=request.user)
            messages.success(request, _("The task is back with the team."))
        elif action == "hand-over":
            raw = request.POST.get("to_user", "")
            if not raw.isdigit():
                raise ValidationError(_("Choose another member of the team to hand the task to."))
            yearend.task_hand_over(item_id=item.pk, acting_user=request.user, to_user_id=int(raw))
            messages.success(request, _("The task is handed over."))
        else:
            raise Http404
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    return _back(request, item)
