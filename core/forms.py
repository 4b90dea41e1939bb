from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import DayKind

MAX_CALENDAR_UPLOAD = 2 * 1024 * 1024


class DateInput(forms.DateInput):
    """`<input type=date>`: the browser accepts only ISO `YYYY-MM-DD` as its value; the localised
    zh-hans format (`2026/06/30`) leaves the field empty; saved unchanged, it would be erased."""

    input_type = "date"

    def __init__(self, attrs=None, format=None):
        super().__init__(attrs, format=format or "%Y-%m-%d")


class DateTimeInput(forms.DateTimeInput):
    """`<input type=datetime-local>` wants `YYYY-MM-DDTHH:MM` (local time), never the localised
    format; Django's DateTimeField parses that ISO form back in the current time zone."""

    input_type = "datetime-local"

    def __init__(self, attrs=None, format=None):
        # step=1: a deadline of 23:59:59 keeps its seconds (the default step of 60 would drop
        # them on display and flag the value as invalid).
        super().__init__({"step": "1", **(attrs or {})}, format=format or "%Y-%m-%dT%H:%M:%S")


def hidden_value(data, name: str, *, label, field: forms.Field | None = None):
    """The value of a hidden field every page of a form sends (what the form acts on, a one-time
    token), cleaned by `field`. Missing or unreadable is a 400 naming it by `label`, never read
    as blank: the request changes nothing."""
    from .errors import BadInput

    if name not in data:
        raise BadInput(
            _(
                "The form is incomplete: “%(field)s” is missing. Nothing was changed; reload "
                "the page and submit the form again."
            )
            % {"field": label}
        )
    if field is None:
        return data[name]
    try:
        return field.clean(data[name])
    except forms.ValidationError:
        raise BadInput(
            _(
                "The form's “%(field)s” is not valid. Nothing was changed; reload the page "
                "and submit the form again."
            )
            % {"field": label}
        ) from None


class CalendarDayForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=DateInput)
    kind = forms.ChoiceField(label=_("Kind"), choices=DayKind.choices)
    name = forms.CharField(label=_("Holiday name"), max_length=40, required=False)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class CalendarYearForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    complete = forms.BooleanField(label=_("Every holiday of the year is entered"), required=False)
    source = forms.CharField(label=_("Source"), max_length=200, required=False)


class CalendarImportForm(forms.Form):
    file = forms.FileField(label=_("Excel file (.xlsx)"))
    file.upload_max_bytes = MAX_CALENDAR_UPLOAD  # the hint under the field (core_tags.upload_hint)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_CALENDAR_UPLOAD:
            raise forms.ValidationError(_("The file is larger than 2 MB."))
        if not upload.name.lower().endswith(".xlsx"):
            raise forms.ValidationError(_("Only .xlsx files can be imported."))
        return upload


def _event_type_choices() -> list:
    """The registered event types by label, grouped by the app that writes them (the codes are
    only the options' values)."""
    from django.apps import apps

    from . import audit_events

    groups: dict[str, list[tuple[str, str]]] = {}
    for key, entry in audit_events.registered().items():
        if "{n}" not in key:
            groups.setdefault(entry.app, []).append((key, str(entry.label)))
    choices: list = [("", _("All events"))]
    for app, options in sorted(groups.items()):
        name = apps.get_app_config(app).verbose_name if apps.is_installed(app) else app
        choices.append((str(name), sorted(options, key=lambda option: option[1])))
    return choices


class AuditFilterForm(forms.Form):
    event_type = forms.ChoiceField(label=_("Event"), required=False, choices=_event_type_choices)
    actor = forms.CharField(label=_("Actor (username)"), required=False, max_length=150)
    subject = forms.CharField(label=_("Subject contains"), required=False, max_length=100)
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput)
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput)

    def apply(self, events):
        data = self.cleaned_data
        if data.get("event_type"):
            events = events.filter(event_type=data["event_type"])
        if data.get("actor"):
            events = events.filter(actor_label=data["actor"])
        if data.get("subject"):
            events = events.filter(subject_repr__icontains=data["subject"])
        if data.get("date_from"):
            start = dt.datetime.combine(data["date_from"], dt.time.min)
            events = events.filter(created_at__gte=timezone.make_aware(start))
        if data.get("date_to"):
            end = dt.datetime.combine(data["date_to"] + dt.timedelta(days=1), dt.time.min)
            events = events.filter(created_at__lt=timezone.make_aware(end))
        return events


class FastSelect(forms.Select):
    """A <select> whose options are rendered in Python, not through one template per option: a
    300-community dropdown took ~8 ms through Django's widget templates (make bench)."""

    def render(self, name, value, attrs=None, renderer=None):
        from django.forms.utils import flatatt
        from django.utils.html import conditional_escape
        from django.utils.safestring import mark_safe

        final = self.build_attrs(self.attrs, attrs)
        final["name"] = name
        values = value if isinstance(value, list | tuple) else [value]
        selected = {str(v) for v in values if v not in (None, "")}
        parts = [f"<select{flatatt(final)}>"]
        for option_value, label in self.choices:
            option_value = "" if option_value is None else str(option_value)
            mark = " selected" if option_value in selected else ""
            parts.append(
                f'<option value="{conditional_escape(option_value)}"{mark}>'
                f"{conditional_escape(label)}</option>"
            )
        parts.append("</select>")
        return mark_safe("".join(parts))


class NotificationSettingsForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"), required=False, max_length=254)
    email_notifications = forms.ChoiceField(
        label=_("E-mail notifications"),
        choices=[
            ("immediate", _("Immediately")),
            ("digest", _("Daily digest at 08:30")),
            ("off", _("Off")),
        ],
    )
