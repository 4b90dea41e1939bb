"""Views of core: organisation, account, audit trail, working-day calendar.

Views are thin: they parse, fetch through core.access, call one service, render.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import access, services, workdays
from .downloads import attachment, xlsx_response
from .errors import UploadRejected
from .forms import AuditFilterForm, CalendarDayForm, CalendarImportForm, CalendarYearForm
from .models import AuditEvent, CalendarDay, CalendarYear, RoleAssignment, Unit, UnitKind


def _today() -> dt.date:
    return timezone.localdate()


@login_required
def account(request):
    from .forms import NotificationSettingsForm

    user = request.user
    assignments = RoleAssignment.objects.filter(
        user=user, unit__sub_district_id=user.sub_district_id
    ).select_related("unit")
    initial = {"email": user.email, "email_notifications": user.email_notifications}
    form = NotificationSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.account_settings_save(
            acting_user=user,
            email=form.cleaned_data["email"],
            email_notifications=form.cleaned_data["email_notifications"],
        )
        messages.success(request, _("Saved."))
        return redirect("account")
    return render(request, "core/account.html", {"assignments": assignments, "form": form})


class AuditedPasswordChangeView(auth_views.PasswordChangeView):
    template_name = "registration/password_change.html"
    success_url = reverse_lazy("password_change_done")

    def form_valid(self, form):
        # What PasswordChangeView does, the password written (and audited) by the service.
        services.password_change(
            acting_user=form.user, new_password=form.cleaned_data["new_password1"]
        )
        update_session_auth_hash(self.request, form.user)
        return HttpResponseRedirect(self.get_success_url())


# --- Organisation -------------------------------------------------------------------------------


@login_required
def org_units(request):
    units = access.visible(request.user, Unit.objects.filter(is_active=True)).order_by(
        "kind", "sort_order", "name"
    )
    groups = []
    for kind, label in UnitKind.choices:
        members = [u for u in units if u.kind == kind]
        if members:
            groups.append((label, members))
    if not access.memberships(request.user):
        raise PermissionDenied
    return render(request, "core/org_units.html", {"groups": groups})


@login_required
def unit_detail(request, pk: int):
    unit = access.get_visible_or_404(request.user, Unit, pk=pk)
    assignments = (
        # Only people of the unit's own sub-district (a wrong row never shows anyone across).
        RoleAssignment.objects.filter(
            unit=unit, user__is_active=True, user__sub_district_id=unit.sub_district_id
        )
        .select_related("user")
        .order_by("role", "user__username")
    )
    return render(request, "core/unit_detail.html", {"unit": unit, "assignments": assignments})


# --- Audit trail --------------------------------------------------------------------------------

AUDIT_PAGE_SIZE = 50


@login_required
def audit_list(request):
    if not access.can_read_audit(request.user):
        raise PermissionDenied
    form = AuditFilterForm(request.GET or None)
    events = access.visible(request.user, AuditEvent.objects.all()).select_related(
        "actor", "subject_type"
    )
    if form.is_valid():
        events = form.apply(events)
    page = Paginator(events.order_by("-id"), AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "core/audit_list.html", {"form": form, "page_obj": page})


@login_required
def audit_detail(request, pk: int):
    if not access.can_read_audit(request.user):
        raise PermissionDenied
    from . import audit_display
    from .models import Role

    event = access.get_visible_or_404(
        request.user, AuditEvent.objects.select_related("actor", "subject_type"), pk=pk
    )
    subject_model = event.subject_type.model_class() if event.subject_type_id else None
    context = {
        "event": event,
        "subject_kind": subject_model._meta.verbose_name if subject_model else "",
        "rows": audit_display.change_rows(event, request.user),
        # The row as stored and hashed, for an auditor's complaint file.
        "raw_record": (
            audit_display.raw_record(event)
            if access.has_role(request.user, Role.AUDITOR) or request.user.is_superuser
            else ""
        ),
    }
    return render(request, "core/audit_detail.html", context)


# --- Working-day calendar -----------------------------------------------------------------------


def _calendar_year(request) -> int:
    try:
        year = int(request.GET.get("year", _today().year))
    except ValueError:
        year = _today().year
    return min(max(year, 2004), 2100)


def _changed_by(viewer, person) -> str:
    """Who changed a day, as the viewer may see it: nobody of another sub-district is named."""
    if person is None:
        return ""
    if viewer.is_superuser:
        return str(person)
    if person.is_superuser:
        return _("Installation administrator")
    if person.sub_district_id is not None and person.sub_district_id == viewer.sub_district_id:
        return str(person)
    return _("Another sub-district")


@login_required
def calendar(request):
    if not access.can_read_calendar(request.user):
        raise PermissionDenied
    year = _calendar_year(request)
    today = _today()
    years = sorted({today.year - 1, today.year, today.year + 1, today.year + 2, year})
    days = list(CalendarDay.objects.filter(date__year=year).select_related("updated_by"))
    for day in days:
        day.changed_by = _changed_by(request.user, day.updated_by)
    calendar_year = CalendarYear.objects.filter(year=year).first()
    can_edit = access.can_edit_calendar(request.user)
    context = {
        "year": year,
        "coverage": workdays.coverage(years),
        "days": days,
        "calendar_year": calendar_year,
        "can_edit": can_edit,
        "package_last_year": workdays.PACKAGE_LAST_YEAR,
        "day_form": CalendarDayForm(initial={"kind": "holiday"}) if can_edit else None,
        "year_form": CalendarYearForm(
            initial={
                "year": year,
                "complete": bool(calendar_year and calendar_year.complete),
                "source": calendar_year.source if calendar_year else "",
            }
        )
        if can_edit
        else None,
        "import_form": CalendarImportForm() if can_edit else None,
    }
    return render(request, "core/calendar.html", context)


def _require_calendar_editor(request) -> None:
    # The calendar is national: the Office and sub-district administrators read it only.
    if not access.can_edit_calendar(request.user):
        raise PermissionDenied(
            _("Only an installation administrator can change the working-day calendar.")
        )


@login_required
@require_POST
def calendar_day_save(request):
    _require_calendar_editor(request)
    form = CalendarDayForm(request.POST)
    if form.is_valid():
        day = services.calendar_day_set(
            acting_user=request.user,
            day=form.cleaned_data["date"],
            kind=form.cleaned_data["kind"],
            name=form.cleaned_data["name"],
            note=form.cleaned_data["note"],
        )
        messages.success(request, _("Saved %(day)s.") % {"day": day})
        return redirect(f"{reverse_lazy('calendar')}?year={day.date.year}")
    for error in form.errors.values():
        messages.error(request, " ".join(error))
    return redirect("calendar")


@login_required
@require_POST
def calendar_day_delete(request, pk: int):
    _require_calendar_editor(request)
    day = access.get_visible_or_404(request.user, CalendarDay, pk=pk)
    services.calendar_day_delete(acting_user=request.user, day_id=day.pk)
    messages.success(request, _("Removed %(date)s.") % {"date": day.date})
    return redirect(f"{reverse_lazy('calendar')}?year={day.date.year}")


@login_required
@require_POST
def calendar_year_save(request):
    _require_calendar_editor(request)
    form = CalendarYearForm(request.POST)
    if form.is_valid():
        obj = services.calendar_year_set(
            acting_user=request.user,
            year=form.cleaned_data["year"],
            complete=form.cleaned_data["complete"],
            source=form.cleaned_data["source"],
        )
        messages.success(request, _("Saved the status of %(year)s.") % {"year": obj.year})
        return redirect(f"{reverse_lazy('calendar')}?year={obj.year}")
    for error in form.errors.values():
        messages.error(request, " ".join(error))
    return redirect("calendar")


@login_required
@require_POST
def calendar_import(request):
    _require_calendar_editor(request)
    form = CalendarImportForm(request.POST, request.FILES)
    if not form.is_valid():
        for error in form.errors.values():
            messages.error(request, " ".join(error))
        return redirect("calendar")
    try:
        result = services.calendar_import_xlsx(
            acting_user=request.user, file=form.cleaned_data["file"]
        )
    except ValidationError as exc:
        for message in exc.messages[:20]:
            messages.error(request, message)
        messages.error(request, _("Nothing was imported."))
        return redirect("calendar")
    except UploadRejected as exc:
        # A file refused for its size or kind: a message on the page with the form, not an
        # error page.
        messages.error(request, exc.message)
        messages.error(request, _("Nothing was imported."))
        return redirect("calendar")
    messages.success(
        request,
        _("Imported: %(created)s new, %(updated)s changed, %(unchanged)s unchanged.")
        % {"created": result.created, "updated": result.updated, "unchanged": result.unchanged},
    )
    return redirect("calendar")


@login_required
def calendar_template(request):
    if not access.can_read_calendar(request.user):
        raise PermissionDenied
    return xlsx_response(
        services.calendar_template_xlsx(),
        ascii_name="calendar-template.xlsx",
        name="工作日历模板.xlsx",
    )


# --- Evidence downloads -------------------------------------------------------------------------


@login_required
def evidence_download(request, pk: int):
    """Serve an evidence file to a user who may see what it is attached to; never inline."""

    from django.http import FileResponse, Http404

    from . import evidence as evidence_files
    from .models import Evidence

    item = access.get_visible_or_404(
        request.user, Evidence.objects.select_related("subject_type"), pk=pk
    )
    if not access.can_see(request.user, item):
        raise Http404
    path = evidence_files.path_of(item)
    if not path.exists():
        raise Http404
    # Served as the type its content was sniffed as at upload, and named after that type.
    response = FileResponse(open(path, "rb"), content_type=item.content_type)  # noqa: SIM115
    name = evidence_files.download_name(item)
    # For clients that ignore filename*: an ASCII name that is never just ".pdf".
    ascii_name = name.encode("ascii", "ignore").decode()
    ascii_name = ascii_name.replace('"', "").replace("\\", "")
    if not ascii_name.rsplit(".", 1)[0].strip():
        ascii_name = f"evidence-{item.pk}.{item.file_type}"
    response["Content-Disposition"] = attachment(ascii_name, name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Content-Length"] = str(item.size)
    return response


# --- Notification centre ------------------------------------------------------------------------


@login_required
def notifications(request):
    from .models import Notification

    items = Notification.objects.filter(
        recipient_user=request.user, sub_district_id=request.user.sub_district_id
    ).order_by("-id")
    if request.GET.get("unread"):
        items = items.filter(read_at__isnull=True)
    page = Paginator(items, 50).get_page(request.GET.get("page"))
    return render(request, "core/notifications.html", {"page_obj": page})


@login_required
def notification_open(request, pk: int):
    """Mark one notification read and go to what it is about."""
    from django.shortcuts import get_object_or_404
    from django.utils.http import url_has_allowed_host_and_scheme

    from .models import Notification

    note = get_object_or_404(
        Notification,
        pk=pk,
        recipient_user=request.user,
        sub_district_id=request.user.sub_district_id,
    )
    Notification.objects.filter(pk=note.pk, read_at__isnull=True).update(read_at=timezone.now())
    if note.url and url_has_allowed_host_and_scheme(note.url, allowed_hosts=None):
        return redirect(note.url)
    return redirect("notifications")


@login_required
@require_POST
def notifications_read_all(request):
    from .models import Notification

    Notification.objects.filter(recipient_user=request.user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    messages.success(request, _("All notifications marked as read."))
    return redirect("notifications")
