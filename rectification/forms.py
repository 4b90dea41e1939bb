from __future__ import annotations

import time

from django import forms
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core import evidence
from core.errors import UploadRejected
from core.forms import DateInput, FastSelect, hidden_value
from core.models import Unit, UnitKind
from core.workitems import Light

from .models import NoticeKind, NoticeState
from .services import MAX_REASON, MAX_SUBJECT, MAX_TEXT, Deadline


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input. Size and type are checked here by core.evidence, so that a
    refused file is an error on this field of the form as typed (the services check again)."""

    # The upload hint under the field names the evidence types and limit (core_tags.upload_hint).
    upload_kind = "evidence"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if not data:
            return []
        if not isinstance(data, list | tuple):
            data = [data]
        files = [super(MultipleFileField, self).clean(item, initial) for item in data]
        try:
            evidence.check_uploads(files)
        except UploadRejected as exc:
            raise forms.ValidationError(exc.message) from None
        return files


# What a case-page form acts on, as the page showed it (hidden inputs, not prefixed): the notice's
# state, the version of the reply or measures, the extension request or escalation proposal, the
# interview record. The service refuses a stale one with 409 (services._check_expected).
EXPECTED_FIELDS = {
    "expected_state": forms.ChoiceField(choices=NoticeState.choices),
    "expected_version": forms.IntegerField(min_value=0, max_value=32767),
    "expected_extension": forms.IntegerField(min_value=1, max_value=2**31 - 1),
    "expected_proposal": forms.IntegerField(min_value=1, max_value=2**31 - 1),
    "expected_interview": forms.RegexField(r"^[0-9a-f]{16}\Z"),
    "expected_draft": forms.RegexField(r"^[0-9a-f]{16}\Z"),
}


# What each hidden field is, as the 400 page names it (users see labels, never field codes).
EXPECTED_LABELS = {
    "expected_state": _("the notice's state as the page showed it"),
    "expected_version": _("the version of the reply or measures the page showed"),
    "expected_extension": _("the extension request the page showed"),
    "expected_proposal": _("the escalation proposal the page showed"),
    "expected_interview": _("the interview record as the page showed it"),
    "expected_draft": _("the draft as the page showed it"),
}


def parse_expected(data, *names: str) -> dict:
    """The named hidden fields of a POST, cleaned. A missing one is an error (400), never blank:
    without it the service could not tell a stale page from a current one."""
    return {
        name: hidden_value(data, name, label=EXPECTED_LABELS[name], field=EXPECTED_FIELDS[name])
        for name in names
    }


class NoticeForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=NoticeKind.choices)
    issuing_unit = forms.TypedChoiceField(label=_("Issuing unit"), coerce=int)
    targets = forms.TypedMultipleChoiceField(
        label=_("Community"),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The Office may choose several communities: each gets its own notice."),
    )
    subject = forms.CharField(label=pgettext_lazy("notice", "Subject"), max_length=MAX_SUBJECT)
    problem = forms.CharField(
        label=_("Problem found"), max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 5})
    )
    basis = forms.CharField(
        label=_("Basis"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("E.g. the article of the rules, the indicator, the check."),
    )
    reply_due_workdays = forms.IntegerField(
        label=_("Reply due in working days"), min_value=1, max_value=250, required=False
    )
    reply_due_date = forms.DateField(label=_("or reply due on"), required=False, widget=DateInput)
    measures_due_workdays = forms.IntegerField(
        label=_("Measures due in working days"), min_value=1, max_value=250, required=False
    )
    measures_due_date = forms.DateField(
        label=_("or measures due on"), required=False, widget=DateInput
    )
    interview_required = forms.BooleanField(label=_("Interview (面谈) required"), required=False)

    def __init__(self, *args, issuer_units, communities, allow_bulk: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["issuing_unit"].choices = [(u.pk, u.name) for u in issuer_units]
        self.fields["targets"].choices = [(u.pk, u.display_name) for u in communities]
        self.allow_bulk = allow_bulk
        if not allow_bulk:
            self.fields["targets"].help_text = ""

    def _deadline(self, prefix: str) -> Deadline | None:
        workdays = self.cleaned_data.get(f"{prefix}_due_workdays")
        date = self.cleaned_data.get(f"{prefix}_due_date")
        if (workdays is None) == (date is None):
            self.add_error(
                f"{prefix}_due_workdays",
                _("Give this deadline either in working days or as a date (one of the two)."),
            )
            return None
        return Deadline(date=date, workdays=workdays)

    def clean(self):
        cleaned = super().clean()
        targets = cleaned.get("targets") or []
        if len(targets) > 1 and not self.allow_bulk:
            self.add_error("targets", _("Only the Office issues to several communities at once."))
        cleaned["reply_due"] = self._deadline("reply")
        cleaned["measures_due"] = self._deadline("measures")
        return cleaned


class KeepFilesField(forms.TypedMultipleChoiceField):
    """Files of the returned version to keep for the new one (checked when the form is first
    shown): the community need not attach them again."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Keep the files of the returned version"))
        kwargs.setdefault("required", False)
        kwargs.setdefault("coerce", int)
        # Bootstrap's form-check places the box beside its label (templates/…/_keep_files.html).
        kwargs.setdefault(
            "widget", forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"})
        )
        super().__init__(**kwargs)


def _offer_kept_files(form, files) -> None:
    """The keep field lists exactly the returned version's files; without any it is dropped."""
    if files:
        form.fields["keep"].choices = [
            (f.pk, f"{f.original_name} ({filesizeformat(f.size)})") for f in files
        ]
    else:
        del form.fields["keep"]


class ReplyForm(forms.Form):
    text = forms.CharField(
        label=_("Written reply or explanation"),
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    keep = KeepFilesField()
    files = MultipleFileField(label=_("Attachments"))

    def __init__(self, *args, previous_files=(), **kwargs):
        super().__init__(*args, **kwargs)
        _offer_kept_files(self, previous_files)

    def clean(self):
        cleaned = super().clean()
        _check_file_count(self, cleaned)
        return cleaned


def _check_file_count(form, cleaned) -> None:
    """Kept files count toward the limit of files per submission, like new ones."""
    try:
        evidence.check_file_count(len(cleaned.get("files") or []), len(cleaned.get("keep") or []))
    except forms.ValidationError as exc:
        form.add_error("files", exc)


class MeasureForm(forms.Form):
    description = forms.CharField(
        label=_("Measure"),
        max_length=MAX_REASON,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    responsible_person = forms.CharField(
        label=_("Responsible person"), max_length=100, required=False
    )
    planned_date = forms.DateField(label=_("Planned completion"), required=False, widget=DateInput)
    keep = KeepFilesField()
    files = MultipleFileField(label=_("Attachments"))

    def __init__(self, *args, previous_files=(), **kwargs):
        super().__init__(*args, **kwargs)
        _offer_kept_files(self, previous_files)

    def clean(self):
        cleaned = super().clean()
        _check_file_count(self, cleaned)
        parts = ("description", "responsible_person", "planned_date")
        filled = [name for name in parts if cleaned.get(name) or self.has_error(name)]
        # A row without any text is unused: files kept from the returned version go with it.
        if (filled and len(filled) < len(parts)) or (not filled and cleaned.get("files")):
            for name in parts:
                if name not in filled:
                    self.add_error(name, _("Required for this measure."))
            raise forms.ValidationError(
                _("Each measure needs its description, a responsible person and a planned date.")
            )
        cleaned["empty"] = not filled
        return cleaned


class BaseMeasureFormSet(forms.BaseFormSet):
    """The rows of the measures form; after a return, row n offers the files of the returned
    version's measure n to keep."""

    def __init__(self, *args, previous_measures=(), **kwargs):
        self.previous_measures = list(previous_measures)
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        kwargs = super().get_form_kwargs(index)
        if index is not None and index < len(self.previous_measures):
            kwargs["previous_files"] = getattr(self.previous_measures[index], "files", [])
        return kwargs

    def clean(self):
        if any(self.errors):
            return
        if not self.filled_forms():
            raise forms.ValidationError(_("Enter at least one measure."))

    def filled_forms(self) -> list:
        """The rows that hold a measure; an untouched extra row has no cleaned data at all."""
        return [f for f in self.forms if f.cleaned_data and not f.cleaned_data.get("empty")]


MeasureFormSet = forms.formset_factory(
    MeasureForm, formset=BaseMeasureFormSet, extra=0, min_num=1, max_num=50, absolute_max=50
)


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=MAX_REASON, widget=forms.Textarea(attrs={"rows": 3})
    )


class ReturnForm(ReasonForm):
    new_due = forms.DateField(label=_("New deadline (optional)"), required=False, widget=DateInput)


class ExtensionRequestForm(forms.Form):
    new_date = forms.DateField(label=_("New deadline asked for"), widget=DateInput)
    reason = forms.CharField(
        label=_("Reason for the extension"),
        max_length=MAX_REASON,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ExtensionDecisionForm(forms.Form):
    new_date = forms.DateField(
        label=_("Grant until (empty: the date asked for)"), required=False, widget=DateInput
    )
    reason = forms.CharField(
        label=_("Reason (required to refuse)"),
        max_length=MAX_REASON,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class VerifyForm(forms.Form):
    comment = forms.CharField(
        label=_("Verification comment"),
        max_length=MAX_REASON,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class EscalateForm(forms.Form):
    # Art. 11, R11.2: escalation answers a missed deadline or an inadequate reply; the issuer
    # says which.
    reason = forms.CharField(
        label=_("Reason for escalation"),
        max_length=MAX_REASON,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class InterviewForm(forms.Form):
    date = forms.DateField(label=_("Interview date"), widget=DateInput)
    place = forms.CharField(label=_("Place"), max_length=200)
    attendees = forms.CharField(label=_("Attendees"), max_length=500)
    summary = forms.CharField(
        label=_("Summary"), max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 4})
    )


SORTS = {
    "due": ("current_due_at", "id"),
    "-due": ("-current_due_at", "-id"),
    "issued": ("issued_at", "id"),
    "-issued": ("-issued_at", "-id"),
    "number": ("number", "id"),
    "-number": ("-number", "-id"),
    "community": ("target__sort_order", "id"),
}


class LedgerFilterForm(forms.Form):
    q = forms.CharField(label=_("Search by subject or number"), required=False, max_length=100)
    kind = forms.ChoiceField(
        label=_("Kind"),
        required=False,
        choices=[("", _("All")), *list(NoticeKind.choices)],
        widget=FastSelect,
    )
    state = forms.ChoiceField(
        label=_("State"), required=False, choices=[("", _("All")), *list(NoticeState.choices)]
    )
    target = forms.TypedChoiceField(
        label=_("Community"), required=False, coerce=int, empty_value=None, widget=FastSelect
    )
    issuer = forms.TypedChoiceField(
        label=_("Issuing unit"), required=False, coerce=int, empty_value=None, widget=FastSelect
    )
    light = forms.ChoiceField(
        label=_("Light"),
        required=False,
        choices=[("", _("All")), *[(light, light.label) for light in Light if light != Light.NONE]],
    )
    issued_from = forms.DateField(label=_("Issued from"), required=False, widget=DateInput)
    issued_to = forms.DateField(label=_("Issued to"), required=False, widget=DateInput)
    sort = forms.ChoiceField(
        label=_("Sort"),
        required=False,
        choices=[
            ("-issued", _("Newest issued first")),
            ("issued", _("Oldest issued first")),
            ("due", _("Deadline, soonest first")),
            ("-due", _("Deadline, latest first")),
            ("number", _("Number")),
            ("community", _("Community")),
        ],
    )

    def __init__(self, *args, sub_district_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        communities, issuers = _unit_choices(sub_district_id)
        self.fields["target"].choices = [("", _("All")), *communities]
        self.fields["issuer"].choices = [("", _("All")), *issuers]
        for field in self.fields.values():
            if type(field.widget) is forms.Select:
                field.widget = FastSelect(choices=field.choices)


# Unit names change rarely; the ledger asks for them on every page (make bench): keep them a
# minute per process.
UNIT_CHOICES_TTL = 60.0
_unit_choices_cache: dict[int, tuple[float, list, list]] = {}


def _unit_choices(sub_district_id: int) -> tuple[list, list]:
    cached = _unit_choices_cache.get(sub_district_id)
    if cached is not None and time.monotonic() - cached[0] < UNIT_CHOICES_TTL:
        return cached[1], cached[2]
    units = (
        Unit.objects.filter(sub_district_id=sub_district_id)
        .order_by("sort_order", "name")
        .values_list("pk", "kind", "name", "short_name")
    )
    communities, issuers = [], []
    for pk, kind, name, short_name in units:
        if kind == UnitKind.COMMUNITY:
            communities.append((pk, short_name or name))
        elif kind in (UnitKind.OFFICE, UnitKind.DEPARTMENT):
            issuers.append((pk, short_name or name))
    _unit_choices_cache[sub_district_id] = (time.monotonic(), communities, issuers)
    return communities, issuers
